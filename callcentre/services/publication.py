"""What of a ticket anyone may see without logging in: the one place of the publication rules.

Used by every public view: the Open311 read side (list, by id, tokens, updates feed), the public
lookup (``GET /api/v1/public/tickets/{code}``, its QR codes, ``/t/<code>``).

* **Listed** (found by browsing the keyless Open311 list and updates feed): tickets the citizen
  filed publicly themselves, on ``LISTED_CHANNELS`` (the app and the web portal), and tickets whose
  answer is published (below). Calls, SMS, Zalo messages and walk-in visits are private
  conversations with the hotline: a citizen who phoned did not agree to publish the case, so those
  are found only by their receipt code, unless the department published the answer.
* **Published** (``publicly_published``, the ``published`` decision): the department that
  resolves (or a supervisor, later) decides whether the answer goes on the published answers page
  (``/cong-khai``, ``GET /api/v1/public/answers``; Decision 31/2021/QĐ-TTg), the category's
  ``publish_by_default`` being the default; never a confidential ticket. The answer is shown
  (``answer_is_public``) only while the ticket is resolved or closed: a reopened ticket keeps the
  decision, and shows its answer again once answered anew.
* **The answer in a list** (``listed_answer``): the keyless Open311 list and updates feed show a
  ticket's public answer (``status_notes``, the resolution's ``description``) only when it is
  published; a listed app/web ticket whose answer is not published is listed without it. Asked for
  by receipt code (the citizen, or whoever they gave the code to), the answer is shown as on
  ``/t/<code>``. A shown published answer loses the citizen's own name and phone number if the
  answer quotes them (``redact``).
* **Findable** (by receipt code: Open311 by id, tokens, ``service_request_id=`` filters, the
  lookup page): every ticket except a **confidential** one (``Ticket.confidential``, set by staff
  at intake), which is answered 404 like an unknown code everywhere.
* **Location** (``public_location``): never a person's door. Coordinates are rounded to
  ``COORDINATE_DECIMALS`` (3 decimals: about 110 m), the address loses its house number
  (``12/3 Lê Lợi`` -> ``Lê Lợi``; see ``public_address``), the commune code is kept.
* **Media** (``public_media``, ``publicly_served_media``): the photos the citizen's app sent with
  the report (Open311). Files staff upload on the ticket page (photos, PDF answer documents:
  ``TicketMedia.uploaded_by_id`` set) are internal: never listed, never served by ``/media/<key>``.
  The photos of a report filed on the web form (channel ``web``, ``/phan-anh``) stay private until
  its answer is published (``Ticket.published``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_

from callcentre.formats.textnorm import strip_diacritics
from callcentre.models import Channel, Ticket, TicketMedia
from workflows.states import Status

LISTED_CHANNELS: tuple[str, ...] = (Channel.APP.value, Channel.WEB.value)
# Answered: the statuses in which a published answer is shown.
ANSWERED_STATUSES: tuple[str, ...] = (Status.RESOLVED.value, Status.CLOSED.value)
REDACTED = "***"
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
    return and_(publicly_findable(), or_(Ticket.channel.in_(LISTED_CHANNELS), answer_shown()))


def publicly_published() -> ColumnElement[bool]:
    """Tickets whose answer is on the published answers page: marked for publication when resolved,
    never a confidential one."""
    return and_(publicly_findable(), Ticket.published.is_(True))


def answer_shown() -> ColumnElement[bool]:
    """Published tickets that show their answer now: answered (resolved or closed), with an answer."""
    return and_(publicly_published(), Ticket.status.in_(ANSWERED_STATUSES), Ticket.public_answer.is_not(None))


def is_findable(ticket: Ticket) -> bool:
    return not ticket.confidential


def may_publish(ticket: Ticket) -> bool:
    """Whether ``published`` may be true for this ticket: never for a confidential one."""
    return not ticket.confidential


def answer_is_public(ticket: Ticket) -> bool:
    """``answer_shown()`` for one loaded ticket."""
    return (ticket.published and not ticket.confidential and ticket.status in ANSWERED_STATUSES
            and ticket.public_answer is not None)


def listed_answer(ticket: Ticket) -> str | None:
    """The answer a keyless list may show: the published one (redacted), else none."""
    return redact(ticket.public_answer, ticket) if answer_is_public(ticket) else None


def _phone_pattern(e164: str) -> re.Pattern[str] | None:
    """The citizen's number as people write it: +84 9.., 84 9.., 09..; digits in groups or not."""
    if not e164.startswith("+84") or len(e164) < 10:
        return None
    national = e164[3:]
    digits = r"[\s.\-()]*".join(national)
    return re.compile(rf"(?<![\d+])(?:\+\s*84|84|0)[\s.\-()]*{digits}(?!\d)")


def _fold(text: str) -> str:
    """Lower case without diacritics, one character for one (so a match's span is the original's)."""
    return "".join((strip_diacritics(ch) or ch).lower()[:1] or ch for ch in text)


def redact(text: str | None, ticket: Ticket) -> str | None:
    """``text`` without the citizen's own name (with or without diacritics, any case) and phone
    number, for a published answer: staff are told not to quote them, and this catches the ones who
    still do. Other people's names cannot be recognised; publishing is a person's decision, made on
    the ticket page with that warning."""
    if not text or ticket.contact is None:
        return text
    name = _fold(" ".join((ticket.contact.name or "").split()))
    if len(name) >= 3:
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in name.split(" ")) + r"(?!\w)")
        spans = [m.span() for m in pattern.finditer(_fold(text))]
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
    phone = _phone_pattern(ticket.contact.phone or "")
    if phone is not None:
        text = phone.sub(REDACTED, text)
    return text


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
    """The ``ticket_media`` rows ``/media/<key>`` may serve: not staff uploads, and a web report's
    photos only once the ticket is published (see ``public_media``)."""
    unpublished_web = exists().where(Ticket.id == TicketMedia.ticket_id, Ticket.channel == Channel.WEB.value,
                                     Ticket.published.is_(False))
    return and_(TicketMedia.uploaded_by_id.is_(None), ~unpublished_web)


def public_media(ticket: Ticket) -> list[TicketMedia]:
    """The ticket's files a public view may list (upload order): the citizen's own photos only.

    The app's photos were sent to the app's public feed; a report filed on the web form
    (``/phan-anh``) was promised its photos stay private until the answer is published."""
    if ticket.channel == Channel.WEB.value and not ticket.published:
        return []
    return [m for m in ticket.media if m.uploaded_by_id is None]
