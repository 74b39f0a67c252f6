"""Citizen messaging: every outbound SMS/Zalo message, editable templates, webhook receipts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from callcentre.core.extensions import Model
from callcentre.models.types import UTCDateTime, utcnow


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its send job (maybe deferred past quiet hours)
    SENDING = "sending"  # claimed by a job; the provider call is under way
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # the provider refused, or every retry failed
    SUPPRESSED = "suppressed"  # never sent on purpose (opted out, nobody to send to)


class OutboundMessage(Model):
    """One message to a citizen, created once per (event, channel) and sent at most once."""

    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # the template: created, resolve, status_reply...
    channel: Mapped[str] = mapped_column(String(10))  # sms | zalo
    provider: Mapped[str] = mapped_column(String(20))
    # f"{event_id}:{channel}": a second job for the same event finds this row and stops.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    to: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    encoding: Mapped[str] = mapped_column(String(5))  # gsm7 | ucs2
    segments: Mapped[int] = mapped_column(Integer)  # what the operator bills
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.QUEUED)
    provider_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MessageTemplate(Model):
    """The text of one kind of message, per language and channel; data, edited without a deploy."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("kind", "language", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # ticket event kind, or a reply kind
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class WebhookReceipt(Model):
    """A provider request already handled (Twilio and Zalo retry): its id, and what we answered."""

    __tablename__ = "webhook_receipts"
    __table_args__ = (UniqueConstraint("provider", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))  # twilio-sms | twilio-recording | zalo
    external_id: Mapped[str] = mapped_column(String(100))  # MessageSid, RecordingSid, msg_id
    kind: Mapped[str] = mapped_column(String(40))
    # Who sent it (a Zalo follower id, a phone): finds a follower's open ticket.
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    response: Mapped[str | None] = mapped_column(Text)  # replayed verbatim on a retry
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NotificationOutbox(Model):
    """A transactional outbox: events whose citizen notification is still to be queued.

    The row is written in the event's own transaction, so a committed event is never without
    it, and a request never waits on Redis; the worker's dispatcher (messaging/outbox.py)
    enqueues ``notify_event`` and deletes the row.
    """

    __tablename__ = "notification_outbox"

    event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"), primary_key=True,
                                          autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
