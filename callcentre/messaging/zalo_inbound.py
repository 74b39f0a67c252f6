"""Zalo OA webhook events: a follower's message opens a ticket on channel ``zalo`` or joins their open one."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.models import Contact, Ticket, WebhookReceipt
from callcentre.models.types import utcnow
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.history import record_event
from callcentre.services.tickets import create_ticket
from integrations.zalo import ZaloEvent
from workflows.states import OPEN_VALUES


def _open_ticket_of(user_id: str) -> Ticket | None:
    """The follower's latest still-open Zalo ticket from the last ``ZALO_THREAD_DAYS``."""
    since = utcnow() - timedelta(days=current_app.config["ZALO_THREAD_DAYS"])
    return db.session.scalar(
        select(Ticket).join(WebhookReceipt, WebhookReceipt.ticket_id == Ticket.id)
        .where(WebhookReceipt.provider == "zalo", WebhookReceipt.subject == user_id,
               Ticket.channel == "zalo", Ticket.status.in_(OPEN_VALUES), Ticket.created_at >= since)
        .order_by(Ticket.id.desc()).limit(1)
    )


def _new_ticket(text: str, contact: Contact | None) -> Ticket:
    data = {"channel": "zalo", "category": current_app.config["INBOUND_CATEGORY"], "description": text}
    # A follower who has not shared a phone number yet gets a ticket without a contact:
    # Zalo is how we reach them.
    if contact is not None:
        data["contact"] = {"phone": contact.phone}
    return create_ticket(data, None, actor_label="citizen")


def handle_event(event: ZaloEvent) -> int | None:
    """Apply one event; returns the ticket id it opened or updated. Caller records the receipt and commits."""
    if not event.user_id:
        return None
    contact = db.session.scalar(select(Contact).where(Contact.zalo_user_id == event.user_id))
    if event.name == "user_submit_info" and event.phone:
        try:
            phone = to_e164(event.phone)
        except InvalidPhone:
            return None
        contact = get_or_create_contact(phone, event.name_shared)
        contact.zalo_user_id = event.user_id
        contact.zalo_consent = True  # shared with the OA to be served there: notify on Zalo first
        return None
    text = (event.text or "").strip()
    if not event.is_user_message or not text:
        return None  # follows, reads, reactions: nothing to file
    ticket = _open_ticket_of(event.user_id)
    if ticket is not None:
        record_event(db.session, ticket, "citizen_message", actor_label="citizen", from_status=ticket.status,
                     to_status=ticket.status, note=text, payload={"channel": "zalo", "msg_id": event.message_id})
        return ticket.id
    return _new_ticket(text, contact).id
