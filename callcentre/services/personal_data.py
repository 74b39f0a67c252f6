"""A citizen's personal data under Decree 13/2023/NĐ-CP: everything held about one contact (the
export), erasing it on request, and the retention job that erases it once its time is up.

Erasing keeps the statistics: the tickets stay, with their category, department, commune, status,
dates, SLA clocks and rating. It removes the contact's phone, name and Zalo id; phone numbers and
the name wherever staff or the citizen wrote them (tickets' title, description and answer, history
notes, the rating comment, call notes, messages); the exact address (the street stays, as public
views show it) and the exact point (rounded as public views round it); the photos. The caller
commits; every erasure and export is in the audit log (services/audit.py, by the API).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, or_, select, update

from callcentre.core.after_commit import on_commit
from callcentre.core.extensions import db
from callcentre.core.log_masking import remove_phones
from callcentre.core.storage import get_storage
from callcentre.models import (
    Call,
    Contact,
    OutboundMessage,
    Ticket,
    TicketEvent,
    TicketFeedback,
    WebhookReceipt,
)
from callcentre.services.publication import coarse, public_address
from callcentre.services.search import ticket_search_text
from workflows.states import OPEN_VALUES

ERASED = "[đã xóa]"
HISTORY = TicketEvent.__table__
# What an erased contact's phone becomes: unique (the column is), never a number, and the
# retention job's mark of "done".
ERASED_PHONE = "erased-{id}"
ERASED_PREFIX = "erased-"
ERASED_NUMBER = "erased"  # a call's number once its caller is erased


def _scrubber(names: list[str]) -> Any:
    """A function that removes phone numbers and ``names`` (whole, any case) from a text."""
    pattern = re.compile("|".join(re.escape(n) for n in names if n and len(n.strip()) >= 3), re.IGNORECASE) \
        if any(n and len(n.strip()) >= 3 for n in names) else None

    def scrub(text: str | None) -> str | None:
        if not text:
            return text
        text = remove_phones(text, ERASED)
        return pattern.sub(ERASED, text) if pattern is not None else text

    return scrub


def export_contact(contact: Contact) -> dict[str, Any]:
    """Everything held about ``contact`` (the citizen's right of access), as JSON-ready data."""
    tickets = db.session.scalars(select(Ticket).where(Ticket.contact_id == contact.id).order_by(Ticket.id)).all()
    calls = db.session.scalars(select(Call).where(Call.from_number == contact.phone).order_by(Call.id)).all()
    messages = db.session.scalars(select(OutboundMessage).where(OutboundMessage.contact_id == contact.id)
                                  .order_by(OutboundMessage.id)).all()
    feedback = {f.ticket_id: f for f in db.session.scalars(
        select(TicketFeedback).where(TicketFeedback.ticket_id.in_([t.id for t in tickets])))}

    def at(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat() if value else None

    return {
        "contact": {"id": contact.id, "phone": contact.phone, "name": contact.name, "language": contact.language,
                    "sms_consent": contact.sms_consent, "sms_opted_out_at": at(contact.sms_opted_out_at),
                    "zalo_consent": contact.zalo_consent, "has_zalo": contact.zalo_user_id is not None,
                    "created_at": at(contact.created_at)},
        "tickets": [{
            "receipt_code": t.receipt_code, "channel": t.channel, "status": t.status, "category": t.category.code,
            "department": t.department.code if t.department else None, "title": t.title,
            "description": t.description, "address": t.address, "commune_code": t.commune_code,
            "lat": t.lat, "lng": t.lng, "public_answer": t.public_answer, "created_at": at(t.created_at),
            "resolved_at": at(t.resolved_at), "closed_at": at(t.closed_at),
            "photos": [{"content_type": m.content_type, "created_at": at(m.created_at)} for m in t.media
                       if m.uploaded_by_id is None],
            "history": [{"at": at(e.created_at), "kind": e.kind, "note": e.note} for e in t.events
                        if e.public or e.kind in ("created", "citizen_feedback", "citizen_dispute")],
            "feedback": ({"rating": feedback[t.id].rating, "comment": feedback[t.id].comment,
                          "at": at(feedback[t.id].rated_at)} if t.id in feedback else None),
        } for t in tickets],
        "calls": [{"started_at": at(c.started_at), "answered_at": at(c.answered_at), "ended_at": at(c.ended_at),
                   "disposition": c.disposition} for c in calls],
        "messages": [{"at": at(m.created_at), "channel": m.channel, "kind": m.kind, "to": m.to, "body": m.body,
                      "status": m.status} for m in messages],
    }


def erase_contact(contact: Contact) -> dict[str, int]:
    """Anonymise ``contact`` and scrub them from their tickets, calls and messages (see the module's
    docstring); how many rows of each were touched. Idempotent: an erased contact has nothing left."""
    phone, scrub = contact.phone, _scrubber([contact.name or ""])
    tickets = db.session.scalars(select(Ticket).where(Ticket.contact_id == contact.id)).all()
    ids = [t.id for t in tickets]
    photos = 0
    for t in tickets:
        t.title = scrub(t.title) or ""
        t.description = scrub(t.description) or ""
        t.public_answer = scrub(t.public_answer)
        t.address = public_address(scrub(t.address))
        t.lat, t.lng = coarse(t.lat), coarse(t.lng)
        t.search_text = ticket_search_text(t.title, t.description, t.address, t.receipt_code)
        # The history is append-only (models/ticket.py refuses ORM updates); erasure is the one
        # rewrite the law asks for, so it is done in SQL, notes only.
        for event_id, note in db.session.execute(select(HISTORY.c.id, HISTORY.c.note).where(
                HISTORY.c.ticket_id == t.id, HISTORY.c.note.is_not(None))).all():
            if scrub(note) != note:
                db.session.execute(update(HISTORY).where(HISTORY.c.id == event_id).values(note=scrub(note)))
        for photo in list(t.media):
            if photo.uploaded_by_id is None:  # the citizen's photos (staff documents stay)
                if photo.storage_key:  # the file goes once the rows' deletion stands
                    on_commit(db.session, partial(get_storage().delete, photo.storage_key))
                db.session.delete(photo)
                photos += 1
    for f in db.session.scalars(select(TicketFeedback).where(TicketFeedback.ticket_id.in_(ids))):
        f.comment = scrub(f.comment)
    calls = db.session.scalars(select(Call).where(Call.from_number == phone)).all()
    for c in calls:
        c.from_number, c.notes, c.recording_url = ERASED_NUMBER, scrub(c.notes), None
    messages = db.session.scalars(select(OutboundMessage).where(
        or_(OutboundMessage.contact_id == contact.id, OutboundMessage.to == phone))).all()
    for message in messages:
        message.to, message.body = ERASED, scrub(message.body) or ""
    db.session.execute(update(WebhookReceipt).where(WebhookReceipt.subject.in_(
        [s for s in (phone, contact.zalo_user_id) if s])).values(subject=None))
    contact.phone = ERASED_PHONE.format(id=contact.id)
    contact.name, contact.zalo_user_id = None, None
    contact.sms_consent, contact.zalo_consent = False, False
    db.session.flush()
    return {"tickets": len(tickets), "calls": len(calls), "messages": len(messages), "photos": photos}


def is_erased(contact: Contact) -> bool:
    return contact.phone.startswith(ERASED_PREFIX)


def due_for_retention(now: datetime | None = None, limit: int = 200) -> list[Contact]:
    """Contacts whose time is up: no open ticket, no ticket closed, answered or filed, and no call,
    within the last ``PERSONAL_DATA_RETENTION_DAYS``; not yet erased."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=current_app.config["PERSONAL_DATA_RETENTION_DAYS"])
    last_touch = func.coalesce(Ticket.closed_at, Ticket.resolved_at, Ticket.created_at)
    recent_ticket = exists().where(Ticket.contact_id == Contact.id,
                                   or_(Ticket.status.in_(OPEN_VALUES), last_touch >= cutoff))
    recent_call = exists().where(Call.from_number == Contact.phone, Call.started_at >= cutoff)
    return list(db.session.scalars(
        select(Contact).where(~Contact.phone.startswith(ERASED_PREFIX), Contact.created_at < cutoff,
                              ~recent_ticket, ~recent_call)
        .order_by(Contact.id).limit(limit)))


def apply_retention(batch: int = 200) -> int:
    """The daily job (core/periodic.py): erase every contact past the retention period, a batch
    per transaction, each recorded in the audit log; how many."""
    from callcentre.services import audit

    total = 0
    while contacts := due_for_retention(limit=batch):
        for contact in contacts:
            counts = erase_contact(contact)
            audit.record("erase_personal_data", actor=None, target_type="contact", target_id=str(contact.id),
                         details={"reason": "retention", **counts})
        db.session.commit()
        total += len(contacts)
    return total
