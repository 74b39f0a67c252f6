"""Staff sign-in state kept server-side: web sessions and failed-login counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.types import UTCDateTime, utcnow
from callcentre.models.user import User


class StaffSession(Model):
    """One web login. The cookie carries a random id whose SHA-256 is stored here, so ending
    the row (logout) makes every copy of that cookie worthless, wherever it went."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Model):
    """Failed sign-ins of one subject: ``user:<name>`` (known or not, so a 429 reveals nothing)
    or ``ip:<client address>``; web/login_throttle.py says what each counts."""

    __tablename__ = "login_failures"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # an address's window starts here
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
