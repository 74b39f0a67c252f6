"""Ticket search: the text a ticket is found by, and the condition a typed query becomes.

``tickets.search_text`` is ``search_key`` (lower case, no diacritics, đ→d, single spaces) of the
title, description, address, receipt code and the caller's name at filing. ``create_ticket``
writes it; migration 0011 backfilled it and, on PostgreSQL, indexed it with a GIN trigram index,
so ``LIKE '%…%'`` with three or more characters is an index scan there. A query is normalised the
same way, so ``khoi``, ``Khói`` and ``KHÓI`` find the same tickets, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.textnorm import search_key
from callcentre.models import Contact, Ticket

# Digits with the usual separators, optionally +: "0912 345 678", "+84912345678", "84-912-345-678".
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]{8,20}")
# Part of a receipt code once its dashes and spaces are gone: 2 to 10 Crockford symbols or look-alikes.
_RECEIPT_LIKE = re.compile(r"[0-9a-tv-z]{2,10}")  # only U is neither
# Crockford look-alikes a caller reads out (formats/receipt.py), in the stored lower case.
_RECEIPT_ALIASES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def ticket_search_text(title: str | None, description: str | None, address: str | None,
                       receipt_code: str | None, *names: str | None) -> str:
    """What ``tickets.search_text`` holds for these values (migration 0011 computes the same)."""
    return search_key(" ".join(p for p in (title, description, address, receipt_code, *dict.fromkeys(names)) if p))


def _contains(fragment: str) -> ColumnElement[bool]:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Ticket.search_text.like(f"%{escaped}%", escape="\\")


def _fragments(key: str) -> list[str]:
    """The normalised query and, if it may be part of a receipt code, that part as stored: without
    dashes and spaces, and (if it has a digit, so is surely a code) O as 0, I and L as 1."""
    out = [key] if key else []
    compact = key.replace("-", "").replace(" ", "")
    if _RECEIPT_LIKE.fullmatch(compact):
        out.append(compact)
        if any(ch.isdigit() for ch in compact):
            out.append(compact.translate(_RECEIPT_ALIASES))
    return list(dict.fromkeys(out))


def ticket_search(q: str) -> ColumnElement[bool]:
    """Tickets matching the typed ``q``: its words in the search text (with or without diacritics,
    any case), a receipt code or part of one, or — if ``q`` is a phone number in any usual
    format — the caller's phone. One plain condition, so a caller can add it to any ticket query."""
    conditions = [_contains(f) for f in _fragments(search_key(q))]
    if _PHONE_LIKE.fullmatch(q.strip()):
        try:
            phone = to_e164(q)
        except InvalidPhone:
            pass
        else:
            # ``=`` a scalar subquery (phone is unique), not ``IN``: PostgreSQL can then OR it with the
            # trigram scans as one bitmap; ``OR … IN (subquery)`` made it filter every ticket.
            conditions.append(Ticket.contact_id == select(Contact.id).where(Contact.phone == phone)
                              .scalar_subquery())
    return or_(*conditions) if conditions else true()  # only blanks typed: no filter


# Searches matching at most this many tickets are listed by their ids (``where_search``).
FEW = 1000


def where_search(stmt: Select, q: str) -> Select:
    """``stmt``, a ticket query with its other filters, limited to the tickets matching ``q``.

    The list is newest first, so PostgreSQL chooses between walking the ``created_at`` index
    until a page of matches turns up (quick for a common term: ``den duong`` at 1M tickets,
    ~100k matches, reads a few hundred rows) and collecting every match with the trigram index,
    then sorting (quick for a rare one). It chooses by its estimate of how many tickets match,
    and that estimate cannot know how the term goes with the other filters: a term common in
    the province but absent from one department (``karaoke`` for the electricity department)
    is estimated at thousands of that department's tickets, so it walks them all (0.3 s at 1M)
    to find none. So the matches are first read here, unordered, at most ``FEW + 1`` of them
    (the trigram index for a rare term, an early-stopping scan for a common one); when there
    are no more than ``FEW`` the condition becomes exactly those ids, within their span of
    ``created_at``, which the database plans right; otherwise it is the search condition
    itself, and there are enough matches for the index walk to find a page soon.
    """
    condition = ticket_search(q)
    found = db.session.execute(stmt.where(condition).order_by(None)
                               .with_only_columns(Ticket.id, Ticket.created_at).limit(FEW + 1)).all()
    if len(found) > FEW:
        return stmt.where(condition)
    if not found:
        return stmt.where(false())
    times = [created for _, created in found]
    return stmt.where(Ticket.id.in_([ticket_id for ticket_id, _ in found]),
                      Ticket.created_at.between(min(times), max(times)))
