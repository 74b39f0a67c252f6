"""Hotline calls, logged whether or not they become tickets."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.contact import Contact
from callcentre.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from callcentre.models.ticket import Ticket
    from callcentre.models.user import User


class Disposition(StrEnum):
    NEW_TICKET = "new_ticket"
    ADDED_TO_TICKET = "added_to_ticket"
    INFO_ONLY = "info_only"
    ABANDONED = "abandoned"
    PRANK = "prank"
    VOICEMAIL = "voicemail"
    CALLBACK_DONE = "callback_done"


call_tickets = Table(
    "call_tickets",
    Model.metadata,
    Column("call_id", ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    # A ticket's calls (the detail page): the primary key leads with call_id, so without this a
    # ticket's links were found by reading every link (1M tickets: a 629k-row scan, 30-60 ms).
    Index("ix_call_tickets_ticket_id", "ticket_id"),
)


class Call(Model):
    __tablename__ = "calls"
    # A caller's calls, newest first (the screen pop, ?phone=).
    __table_args__ = (Index("ix_calls_from_started", "from_number", "started_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_call_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20), default="1022")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String(20), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    # The telephony provider's last CallStatus (ringing, in-progress, completed, busy, no-answer...).
    provider_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contact: Mapped[Contact | None] = relationship()
    operator: Mapped[User | None] = relationship()
    tickets: Mapped[list[Ticket]] = relationship(
        secondary=call_tickets, back_populates="calls"
    )
