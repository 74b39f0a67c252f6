"""Open311 client applications (API keys) and the photos attached to tickets."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.ticket import Ticket, TicketEvent
from callcentre.models.types import UTCDateTime, utcnow
from callcentre.models.user import User, hash_token

KEY_PREFIX = "o311_"
# A client's name: it is also its URL segment and the ticket's creator label "open311:<name>".
CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


class ApiClient(Model):
    """A third-party application allowed to POST service requests (one key each)."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short: it is recorded as the ticket's creator label "open311:<name>" (40 chars).
    name: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters only, to recognise a key in a list without storing it.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, name: str) -> tuple[ApiClient, str]:
        """A new client row; the plaintext key is returned once and never stored."""
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        return cls(name=name, key_hash=hash_token(plaintext), prefix=plaintext[:12]), plaintext


class TicketMedia(Model):
    """A file of a ticket: a file in our storage (``storage_key``) or a client's URL.

    ``uploaded_by_id`` NULL: a citizen's photo (Open311). Set: a staff upload from the ticket page
    (a photo or a PDF answer document), internal: never served publicly (services/publication.py).
    """

    __tablename__ = "ticket_media"
    __table_args__ = (
        CheckConstraint("(storage_key IS NULL) <> (url IS NULL)", name="key_or_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    storage_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    url: Mapped[str | None] = mapped_column(String(1000))
    content_type: Mapped[str | None] = mapped_column(String(50))
    size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The uploader's name of the file, for display only: never a path (keys name the stored files).
    filename: Mapped[str | None] = mapped_column(String(200))

    uploaded_by: Mapped[User | None] = relationship()
    # A backref keeps ticket.py untouched: ``ticket.media`` lists the photos in upload order.
    ticket: Mapped[Ticket] = relationship(
        backref=backref("media", order_by="TicketMedia.id", passive_deletes=True)
    )


# The servicerequestupdates feed reads history by time across all tickets; declared here
# (it attaches to ticket_events) because the feed is this module's reader.
Index("ix_ticket_events_created_at", TicketEvent.created_at)
