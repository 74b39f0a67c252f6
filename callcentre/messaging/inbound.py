"""Inbound SMS: status look-ups by receipt code, STOP/START, or a new ticket on channel ``sms``."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.receipt import CODE_LENGTH, InvalidReceiptCode, normalize
from callcentre.messaging.templates import render
from callcentre.models import Contact, Ticket
from callcentre.models.types import utcnow
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.tickets import create_ticket
from workflows.states import label

# Keywords carriers and Twilio treat as opt-out / opt-in, plus the Vietnamese "HUY" (hủy).
STOP_WORDS = frozenset({"STOP", "HUY", "HỦY", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# "TRA ABCDE-FGHJK", "tra cuu ABCDEFGHJK", or the bare code (typed as XXXXX-XXXXX or XXXXXXXXXX).
_TRA = re.compile(r"^\s*TRA(?:\s+C[UỨ]U)?(?:\s*:\s*|\s+)", re.IGNORECASE)
_CODE_SHAPE = re.compile(r"^[0-9A-Z]{4,6}[\s-]?[0-9A-Z]{4,6}$", re.IGNORECASE)


def _link(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{code}"


def receipt_code_in(text: str) -> tuple[str | None, bool]:
    """(the canonical receipt code ``text`` asks about or None, whether it is shaped as a look-up).

    A look-up is ``TRA`` + something code-shaped (a mistyped code gets "not found", not a
    ticket); a bare code-shaped word counts only if it is a valid code.
    """
    prefix = _TRA.match(text)
    rest = (text[prefix.end():] if prefix else text).strip()
    if not _CODE_SHAPE.match(rest) or len(re.sub(r"[\s-]", "", rest)) != CODE_LENGTH:
        return None, False
    try:
        return normalize(rest), bool(prefix)
    except InvalidReceiptCode:
        return None, bool(prefix)


def handle_sms(from_raw: str, body: str) -> tuple[str | None, int | None]:
    """Act on one inbound SMS; returns (reply text or None, ticket id touched). Caller commits."""
    try:
        phone = to_e164(from_raw)
    except InvalidPhone:
        return None, None  # short codes, alphanumeric senders: nobody to answer or file for
    text = " ".join((body or "").split())
    if not text:
        return None, None
    contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
    language = contact.language if contact else "vi"
    word = text.upper()
    if word in STOP_WORDS:
        contact = contact or get_or_create_contact(phone)
        contact.sms_opted_out_at = contact.sms_opted_out_at or utcnow()
        return render("opted_out", language, {}), None
    if word in START_WORDS:
        contact = contact or get_or_create_contact(phone)
        contact.sms_opted_out_at = None
        contact.sms_consent = True
        return render("opted_in", language, {}), None
    code, asked = receipt_code_in(text)
    ticket = db.session.scalar(select(Ticket).where(Ticket.receipt_code == code)) if code else None
    # A bare word that happens to pass the check symbol (1 in 32) is a report, not a look-up.
    if asked or ticket is not None:
        # Only the ticket's own contact learns its status: a code alone proves nothing.
        if ticket is None or contact is None or ticket.contact_id != contact.id:
            return render("not_found", language, {"code": code or text[:20]}), None
        return render("status_reply", language, {"code": ticket.receipt_code, "link": _link(ticket.receipt_code),
                                                  "status": label(ticket.status, language)}), ticket.id
    ticket = create_ticket({"channel": "sms", "category": current_app.config["INBOUND_CATEGORY"],
                            "description": text, "contact": {"phone": phone}}, None, actor_label="citizen")
    return render("inbound_created", language, {"code": ticket.receipt_code, "link": _link(ticket.receipt_code)}), \
        ticket.id
