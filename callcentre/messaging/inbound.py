"""Inbound SMS: status look-ups by receipt code, STOP/START, or a new ticket on channel ``sms``."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select

from workflows.states import label

from ..extensions import db
from ..models import Contact, Ticket
from ..models.types import utcnow
from ..phone import InvalidPhone, to_e164
from ..receipt import InvalidReceiptCode, normalize
from ..services.contacts import get_or_create_contact
from ..services.tickets import create_ticket
from .templates import render

# Keywords carriers and Twilio treat as opt-out / opt-in, plus the Vietnamese "HUY" (hủy).
STOP_WORDS = frozenset({"STOP", "HUY", "HỦY", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# "TRA ABCDE-FGHJK", "tra cuu ABCDEFGHJK", or the bare code.
_LOOKUP = re.compile(r"^\s*(?:(?:TRA|TRA\s+CUU|TRA CỨU|TRA CUU)\s*[:\-]?\s*)?([0-9A-Z][0-9A-Z\s-]{8,14})\s*$",
                     re.IGNORECASE)


def _link(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{code}"


def receipt_code_in(text: str) -> str | None:
    """The canonical receipt code ``text`` asks about, or None if it is not a look-up."""
    match = _LOOKUP.match(text)
    if not match:
        return None
    try:
        return normalize(match.group(1))
    except InvalidReceiptCode:
        return None


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
    code = receipt_code_in(text)
    if code is not None:
        ticket = db.session.scalar(select(Ticket).where(Ticket.receipt_code == code))
        # Only the ticket's own contact learns its status: a code alone proves nothing.
        if ticket is None or contact is None or ticket.contact_id != contact.id:
            return render("not_found", language, {"code": code}), None
        return render("status_reply", language, {"code": code, "status": label(ticket.status, language),
                                                  "link": _link(code)}), ticket.id
    ticket = create_ticket({"channel": "sms", "category": current_app.config["INBOUND_CATEGORY"],
                            "description": text, "contact": {"phone": phone}}, None, actor_label="citizen")
    return render("inbound_created", language, {"code": ticket.receipt_code, "link": _link(ticket.receipt_code)}), \
        ticket.id
