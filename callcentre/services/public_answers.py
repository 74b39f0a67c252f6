"""The published answers (``/cong-khai``, ``GET /api/v1/public/answers``): which tickets, found how,
and what a row shows. Who may see what is decided in services/publication.py; this module only
queries with those rules.

**Which**: ``publication.answer_shown()``: published, not confidential, resolved or closed, with an
answer; newest answer first (``resolved_at``, then id: the ``ix_tickets_published_resolved`` index
walked backwards, so a page costs a page of index entries however many tickets there are).

**Found by text** only through what the row shows: the category's name, the commune's name, the
public answer and the address's words. Never ``tickets.search_text``: it holds the description and
the citizen's name (services/search.py). Both sides are compared as ``public_key``: lower case, no
diacritics, **no digits**, so a phone or house number typed is no search at all (refused, 422) and
a number in a text never matches; and a ticket is not found by a term that is part of its citizen's
name (the answer may quote it: shown redacted, ``publication.redact``, and unsearchable).

The query's words become one regular expression (``words_pattern``: each letter a class of its
marked and capital forms), matched by PostgreSQL's ``~`` and by SQLite's ``REGEXP`` (Python's
``re``, installed by SQLAlchemy) alike. No index holds the answers, so a search reads the published
answered tickets: a common term finds its page and ``SEARCH_COUNT_CAP`` matches soon; a rare one
reads every published answer once (1M tickets, 450k published answered, PostgreSQL on this 2-core
box: about 0.4 s; common terms 30-50 ms). An indexed normalised column would need a migration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from string import ascii_lowercase, ascii_uppercase
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import joinedload

from callcentre.core.extensions import db
from callcentre.formats.geo import communes
from callcentre.formats.receipt import display
from callcentre.formats.textnorm import search_key, strip_diacritics, vietnamese_letters
from callcentre.http.pagination import COUNT_CAP, SEARCH_COUNT_CAP, Total, paginate
from callcentre.models import Category, Contact, Ticket
from callcentre.services.publication import answer_shown, public_address, redact
from workflows.states import label

_NO_DIGITS = str.maketrans("", "", "0123456789")
MIN_TERM = 2  # letters, once normalised


class PublicAnswersError(ValueError):
    """A refused filter: ``field`` and the reason (Vietnamese, English)."""

    def __init__(self, field: str, vi: str, en: str) -> None:
        super().__init__(en)
        self.field, self.vi, self.en = field, vi, en

    def text(self, language: str = "vi") -> str:
        return self.en if language == "en" else self.vi


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    commune: str | None = None
    q: str | None = None


def public_key(text: str | None) -> str:
    """What a text is searched as: ``search_key`` without digits, single spaces."""
    return " ".join(search_key(text or "").translate(_NO_DIGITS).split())


def _variants() -> dict[str, str]:
    """Each plain letter a-z and every letter (either case, any Vietnamese mark) that folds to it."""
    out: dict[str, str] = {c: "" for c in ascii_lowercase}
    for ch in dict.fromkeys(vietnamese_letters() + ascii_lowercase + ascii_uppercase):
        plain = strip_diacritics(ch).lower()
        if plain in out:
            out[plain] += ch
    return out


_VARIANTS = _variants()
_NOT_A_LETTER = "[^" + "".join(_VARIANTS.values()) + "]+"


def search_words(q: str) -> list[str]:
    """The query's words as searched: letters only, lower case, without diacritics."""
    return re.findall("[a-z]+", public_key(q))


def words_pattern(words: list[str]) -> str:
    """A regular expression finding ``words`` in a text in any case, with or without diacritics,
    in this order, anything but letters between them (spaces, digits, punctuation). The same
    pattern for PostgreSQL (``~``) and Python's ``re`` (SQLite's ``REGEXP``, installed by
    SQLAlchemy); the letters' classes are literal characters, nothing else is special."""
    return _NOT_A_LETTER.join("".join(f"[{_VARIANTS[c]}]" for c in word) for word in words)


def _category_id(code: str) -> int:
    found = db.session.scalar(select(Category.id).where(Category.code == code, Category.active.is_(True)))
    if found is None:
        raise PublicAnswersError("category", f"Không có lĩnh vực mã {code[:40]}", f"unknown category '{code[:40]}'")
    return found


def _check_commune(code: str) -> None:
    if code not in communes():
        raise PublicAnswersError("commune", f"Không có xã, phường mã {code[:10]} trong tỉnh",
                                 f"unknown commune '{code[:10]}'")


def _text_condition(q: str) -> ColumnElement[bool]:
    words = search_words(q)
    if sum(len(w) for w in words) < MIN_TERM:
        raise PublicAnswersError("q", "Hãy nhập ít nhất 2 chữ cái (tìm theo chữ; số nhà, số điện thoại không được tìm)",
                                 "type at least 2 letters (numbers such as phones or house numbers are not searched)")
    pattern, key = words_pattern(words), " ".join(words)
    shown = [Ticket.public_answer.regexp_match(pattern), Ticket.address.regexp_match(pattern)]
    category_ids = db.session.scalars(select(Category.id).where(Category.search_text.contains(key))).all()
    if category_ids:
        shown.append(Ticket.category_id.in_(category_ids))
    commune_codes = [c for c, name in communes().items() if re.search(pattern, name)]
    if commune_codes:
        shown.append(Ticket.commune_code.in_(commune_codes))
    # Not by the citizen's own name, even if the answer quotes it.
    by_name = exists().where(Contact.id == Ticket.contact_id, Contact.name.regexp_match(pattern))
    return or_(*shown) & ~by_name


def answers_query(filters: Filters) -> Select[Ticket]:
    """The published answers matching ``filters``, newest answer first. Raises PublicAnswersError."""
    stmt = (select(Ticket).where(answer_shown())
            .options(joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact))
            .order_by(Ticket.resolved_at.desc(), Ticket.id.desc()))
    if filters.category:
        stmt = stmt.where(Ticket.category_id == _category_id(filters.category))
    if filters.commune:
        _check_commune(filters.commune)
        stmt = stmt.where(Ticket.commune_code == filters.commune)
    if filters.q is not None and filters.q.strip():
        stmt = stmt.where(_text_condition(filters.q))
    return stmt


def answers_page(filters: Filters, page: int, per_page: int) -> tuple[list[dict[str, Any]], Total]:
    """One page of rows (``answer_row``) and the total (capped: http/pagination.py)."""
    stmt = answers_query(filters)
    if not (filters.q and filters.q.strip()):
        tickets, total = paginate(stmt, page, per_page, COUNT_CAP)
        return [answer_row(t) for t in tickets], total
    # A text search reads the matches once, unordered (a common term stops early; a rare one reads
    # every published answer once, not twice); when they are few, the page and its exact total
    # come from their ids, else from the index walk in answer order, which finds a page soon.
    found = db.session.scalars(stmt.order_by(None).with_only_columns(Ticket.id).limit(SEARCH_COUNT_CAP + 1)).all()
    if len(found) <= SEARCH_COUNT_CAP:
        stmt = stmt.where(Ticket.id.in_(found)) if found else stmt.where(false())
    tickets, total = paginate(stmt, page, per_page, SEARCH_COUNT_CAP)
    return [answer_row(t) for t in tickets], total


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])) if value else None


def answer_row(ticket: Ticket) -> dict[str, Any]:
    """What the published answers show of a ticket. Not the title (written from the citizen's
    description), the description, the name, the phone, the exact address, the coordinates or any
    photo; the answer without the citizen's name and phone (``redact``)."""
    commune_name = communes().get(ticket.commune_code or "")
    return {
        "receipt_code": ticket.receipt_code,
        "receipt_code_display": display(ticket.receipt_code),
        "category": {"code": ticket.category.code, "name_vi": ticket.category.name_vi,
                     "name_en": ticket.category.name_en},
        "department": ({"code": ticket.department.code, "name_vi": ticket.department.name_vi,
                        "name_en": ticket.department.name_en} if ticket.department else None),
        "commune": {"code": ticket.commune_code, "name": commune_name} if commune_name else None,
        "address": public_address(ticket.address),
        "received_at": _local(ticket.created_at),
        "answered_at": _local(ticket.resolved_at),
        "status": ticket.status,
        "status_label": {"vi": label(ticket.status, "vi"), "en": label(ticket.status, "en")},
        "answer": redact(ticket.public_answer, ticket),
    }


def commune_choices() -> list[tuple[str, str]]:
    """(code, name) of the province's communes, by name, for the filter."""
    return sorted(communes().items(), key=lambda item: search_key(item[1]))


def category_choices() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name_vi)))
