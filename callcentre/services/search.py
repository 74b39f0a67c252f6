"""Ticket search: the text a ticket is found by, and the condition a typed query becomes.

``tickets.search_text`` is ``search_key`` (lower case, no diacritics, đ→d, single spaces) of the
title, description, address, receipt code and the caller's name at filing. ``create_ticket``
writes it; migration 0011 backfilled it and, on PostgreSQL, indexed it with a GIN trigram index,
so ``LIKE '%…%'`` with three or more characters is an index scan there. A query is normalised the
same way, so ``khoi``, ``Khói`` and ``KHÓI`` find the same tickets, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, or_, select, true

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
            conditions.append(Ticket.contact_id.in_(select(Contact.id).where(Contact.phone == phone)))
    return or_(*conditions) if conditions else true()  # only blanks typed: no filter
