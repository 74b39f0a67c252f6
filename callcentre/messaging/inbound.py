"""Inbound SMS: STOP/START, status look-ups by receipt code, the citizen's answers, or a new
ticket on channel ``sms``.

The citizen's answers come from the ticket's own phone (the phone is the proof, as for a
look-up), optionally after the receipt code (``ABCDE-FGHJK 4``):

* ``1``–``5`` rates the answer, ``KHONG``/``KHÔNG`` (any case) disputes it (services/feedback.py),
  for the ticket named, else the contact's most recently answered one within
  ``REOPEN_WINDOW_DAYS``;
* while a ticket of theirs waits for them (``awaiting_citizen``), any other text is their
  information: added to that ticket, which goes back to work (``info_received``).

The webhook records each MessageSid with its reply in the same transaction (webhooks.py), so a
retried webhook is answered again and acted on once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.receipt import CODE_LENGTH, InvalidReceiptCode, normalize
from callcentre.messaging.templates import render
from callcentre.models import Contact, Ticket
from callcentre.models.types import utcnow
from callcentre.services import feedback
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.tickets import create_ticket
from callcentre.services.workflow import fire
from workflows.definition import WorkflowError
from workflows.states import Status, label

# Keywords carriers and Twilio treat as opt-out / opt-in, plus the Vietnamese "HUY" (hủy).
STOP_WORDS = frozenset({"STOP", "HUY", "HỦY", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
# "TRA ABCDE-FGHJK", "tra cuu ABCDEFGHJK", or the bare code (typed as XXXXX-XXXXX or XXXXXXXXXX).
_TRA = re.compile(r"^\s*TRA(?:\s+C[UỨ]U)?(?:\s*:\s*|\s+)", re.IGNORECASE)
_CODE_SHAPE = re.compile(r"^[0-9A-Z]{4,6}[\s-]?[0-9A-Z]{4,6}$", re.IGNORECASE)
# An answer: "4", "KHONG", "không.", after an optional receipt code ("ABCDE-FGHJK 4").
_ANSWER = re.compile(r"^(?:(?P<code>[0-9A-Z]{5}[\s-]?[0-9A-Z]{5})\s+)?(?P<word>[1-5]|KH[OÔ]NG)\s*[.!]*$",
                     re.IGNORECASE)
# Any other text after a receipt code: information for that ticket, if it is waiting for it.
_CODE_FIRST = re.compile(r"^(?P<code>[0-9A-Z]{5}[\s-]?[0-9A-Z]{5})[\s:,.-]+(?P<rest>\S.*)$", re.IGNORECASE)


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
    if contact is not None:
        answered = _citizen_answer(contact, text, language)
        if answered is not None:
            return answered
    elif (answer := _ANSWER.match(text)) is not None:  # from a number nobody filed from: not a report
        if answer["code"]:
            return render("not_found", language, {"code": answer["code"][:20]}), None
        return render("feedback_none", language, {"days": str(feedback.window().days)}), None
    ticket = create_ticket({"channel": "sms", "category": current_app.config["INBOUND_CATEGORY"],
                            "description": text, "contact": {"phone": phone}}, None, actor_label="citizen")
    return render("inbound_created", language, {"code": ticket.receipt_code, "link": _link(ticket.receipt_code)}), \
        ticket.id


Reply = tuple[str | None, int | None]


def _own_ticket(contact: Contact, typed: str) -> Ticket | None:
    """The contact's ticket with the receipt code ``typed``; None if not a code or not theirs."""
    try:
        code = normalize(typed)
    except InvalidReceiptCode:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.receipt_code == code, Ticket.contact_id == contact.id))


def _waiting_ticket(contact: Contact) -> Ticket | None:
    """The contact's ticket that most recently asked them for information."""
    return db.session.scalar(
        select(Ticket).where(Ticket.contact_id == contact.id, Ticket.status == Status.AWAITING_CITIZEN)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(1))


def _citizen_answer(contact: Contact, text: str, language: str) -> Reply | None:
    """A rating, a dispute or information asked for; None when ``text`` is none of these."""
    text = unicodedata.normalize("NFC", text)
    answer = _ANSWER.match(text)
    if answer is not None:
        if answer["code"]:
            ticket = _own_ticket(contact, answer["code"])
            if ticket is None:
                return render("not_found", language, {"code": answer["code"][:20]}), None
            return _rate_or_dispute(ticket, answer["word"], language)
        ticket = feedback.latest_answered(contact.id)
        if ticket is not None:
            return _rate_or_dispute(ticket, answer["word"], language)
    coded = _CODE_FIRST.match(text)
    named = _own_ticket(contact, coded["code"]) if coded is not None else None
    if coded is not None and named is not None:  # about that ticket, and no other one
        return _information(named, coded["rest"], language) if named.status == Status.AWAITING_CITIZEN else None
    waiting = _waiting_ticket(contact)
    if waiting is not None:
        return _information(waiting, text, language)
    if answer is not None:
        return render("feedback_none", language, {"days": str(feedback.window().days)}), None
    return None


def _rate_or_dispute(ticket: Ticket, word: str, language: str) -> Reply:
    dispute = not word.isdigit()
    params = {"code": ticket.receipt_code, "link": _link(ticket.receipt_code), "rating": word,
              "days": str(feedback.window().days), "status": label(ticket.status, language)}
    try:
        feedback.give_feedback(ticket, rating=None if dispute else int(word), dispute=dispute, via="sms")
    except feedback.FeedbackError as exc:
        kind = {feedback.EXPIRED: "feedback_expired", feedback.REOPENED: "feedback_reopened"}.get(
            exc.reason, "status_reply")  # not answered yet: say where it stands
        return render(kind, language, params), ticket.id
    return render("dispute_received" if dispute else "feedback_thanks", language, params), ticket.id


def _information(ticket: Ticket, text: str, language: str) -> Reply | None:
    """The citizen's answer to a request for information: on the ticket's history, back to work.
    None if the ticket stopped waiting meanwhile: the text is then filed as a new report."""
    locked = feedback.lock(ticket)
    params = {"code": locked.receipt_code, "link": _link(locked.receipt_code)}
    try:
        fire(locked, "info_received", {"note": text, "via": "sms"}, None, now=datetime.now(UTC),
             actor_label="citizen")
    except WorkflowError:
        return None
    return render("info_added", language, params), locked.id
