"""The citizen's say on an answer: the link token of the resolution SMS, and their rating.

Disputes are ``citizen_dispute`` events of the ticket's history (the workflow reopens it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.ticket import Ticket
from callcentre.models.types import UTCDateTime, utcnow

RATINGS = range(1, 6)  # 1: very unhappy .. 5: very happy
MAX_COMMENT = 1000  # the citizen's comment, refused (never cut) beyond this
TOKEN_LENGTH = 16  # characters of the link token (services/feedback.py)


class TicketFeedback(Model):
    """One row per ticket the citizen was asked about (services/feedback.py writes it).

    Only the SHA-256 of the link token is stored: the token itself is derived from the secret
    key and the resolution event when the SMS is sent, so neither the database nor the stored
    message body holds it. A new resolution replaces the hash, so an older link stops working.
    """

    __tablename__ = "ticket_feedback"
    __table_args__ = (CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The ``resolve`` event whose SMS carries the token: a late job for an older one never wins.
    token_event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)  # staff only: never on a public view
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    rated_via: Mapped[str | None] = mapped_column(String(10))  # web | api | sms
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # A backref keeps ticket.py untouched: ``ticket.feedback`` is the row or None.
    ticket: Mapped[Ticket] = relationship(backref=backref("feedback", uselist=False, passive_deletes=True))
