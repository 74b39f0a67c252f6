"""What of a ticket anyone may see without logging in: the one place of the publication rules.

Used by every public view: the Open311 read side (list, by id, tokens, updates feed), the public
lookup (``GET /api/v1/public/tickets/{code}``, its QR codes, ``/t/<code>``).

* **Listed** (found by browsing the keyless Open311 list and updates feed): tickets the citizen
  filed publicly themselves, on ``LISTED_CHANNELS`` (the app and the web portal). Calls, SMS,
  Zalo messages and walk-in visits are private conversations with the hotline: a citizen who
  phoned did not agree to publish the case, so those are found only by their receipt code.
* **Findable** (by receipt code: Open311 by id, tokens, ``service_request_id=`` filters, the
  lookup page): every ticket except a **confidential** one (``Ticket.confidential``, set by staff
  at intake), which is answered 404 like an unknown code everywhere.
* **Location** (``public_location``): never a person's door. Coordinates are rounded to
  ``COORDINATE_DECIMALS`` (3 decimals: about 110 m), the address loses its house number
  (``12/3 Lê Lợi`` -> ``Lê Lợi``; see ``public_address``), the commune code is kept.
* **Media** (``public_media``, ``publicly_served_media``): the photos the citizen's app sent with
  the report (Open311). Files staff upload on the ticket page (photos, PDF answer documents:
  ``TicketMedia.uploaded_by_id`` set) are internal: never listed, never served by ``/media/<key>``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_

from callcentre.models import Channel, Ticket, TicketMedia

LISTED_CHANNELS: tuple[str, ...] = (Channel.APP.value, Channel.WEB.value)
COORDINATE_DECIMALS = 3  # 0.001° is about 110 m of latitude (and of longitude at 10° N)

# A house or alley number and the words that introduce one: "12", "12A", "12/3", "45/2B",
# "123-125", "số 12", "số nhà 7", "SN 7", "nhà 5", "hẻm 45", "ngõ 3", "ngách 2", "kiệt 9".
_NUMBER = r"\d+[a-zA-Z]?(?:\s*[/-]\s*\d+[a-zA-Z]?)*"
_NUMBER_WORDS = r"(?:s[ốo]\s+nh[àa]|s[ốo]|sn|nh[àa]|h[ẻe]m|hxh|ng[õo]|ng[áa]ch|ki[ệe]t|no\.?)"
_LEADING_NUMBER = re.compile(rf"^\s*(?:{_NUMBER_WORDS}\s*)?{_NUMBER}(?![\w])[\s,.:;-]*", re.IGNORECASE)
# A number with a slash (``45/2``) is a house in an alley, unless it names a street after a date
# ("đường 30/4", "đường 3/2").
_SLASHED_NUMBER = re.compile(rf"(?<![\w])(?:{_NUMBER_WORDS}\s*)?\d+[a-zA-Z]?(?:\s*/\s*\d+[a-zA-Z]?)+(?![\w])",
                             re.IGNORECASE)
_STREET_WORD = re.compile(r"(?:đường|duong|street|st\.?)\s*$", re.IGNORECASE)


def publicly_findable() -> ColumnElement[bool]:
    """Tickets a public view may show when asked by receipt code."""
    return Ticket.confidential.is_(False)


def publicly_listed() -> ColumnElement[bool]:
    """Tickets a public list or feed may show without being asked for by receipt code."""
    return and_(publicly_findable(), Ticket.channel.in_(LISTED_CHANNELS))


def publicly_published() -> ColumnElement[bool]:
    """Tickets whose answer is on the published answers page: marked for publication when resolved,
    never a confidential one."""
    return and_(publicly_findable(), Ticket.published.is_(True))


def is_findable(ticket: Ticket) -> bool:
    return not ticket.confidential


def public_address(address: str | None) -> str | None:
    """``address`` without house numbers: each comma-separated part loses its leading number
    (and the word introducing it), slashed numbers go wherever they are; empty parts are dropped.
    Ward and hamlet numbers that are not at the start of a part (``Phường 1``, ``Ấp 3``) stay."""
    if not address:
        return None
    parts = []
    for part in address.split(","):
        text = _SLASHED_NUMBER.sub(
            lambda m: m.group(0) if _STREET_WORD.search(m.string, 0, m.start()) else " ", part)
        while (stripped := _LEADING_NUMBER.sub("", text, count=1)) != text:
            text = stripped
        text = " ".join(text.split())
        if text:
            parts.append(text)
    return ", ".join(parts) or None


def coarse(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def public_location(ticket: Ticket) -> dict[str, Any]:
    """The ticket's location as a public view may show it (see the module's docstring)."""
    return {"address": public_address(ticket.address), "commune_code": ticket.commune_code,
            "lat": coarse(ticket.lat), "lng": coarse(ticket.lng)}


def publicly_served_media() -> ColumnElement[bool]:
    """The ``ticket_media`` rows ``/media/<key>`` may serve: not staff uploads."""
    return TicketMedia.uploaded_by_id.is_(None)


def public_media(ticket: Ticket) -> list[TicketMedia]:
    """The ticket's files a public view may list (upload order): the citizen's own photos only."""
    return [m for m in ticket.media if m.uploaded_by_id is None]
