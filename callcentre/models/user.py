"""Staff accounts and API tokens (the roles are in ``workflows.roles``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from callcentre.core.extensions import Model
from callcentre.models.org import Department
from callcentre.models.types import UTCDateTime, utcnow
from workflows.roles import DEPARTMENT_ROLES


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_session_id(self) -> str:
        """What the session cookie carries (Flask-Login's ``id_attribute``, see http/staff_sessions.py):
        this web login's random id, never the user id, so ending the login server-side ends it."""
        token: str | None = getattr(self, "web_session_token", None)
        if not token:
            raise RuntimeError("sign staff in with callcentre.http.staff_sessions.sign_in")
        return token

    @property
    def is_department_staff(self) -> bool:
        return self.role in DEPARTMENT_ROLES


def hash_token(token: str) -> str:
    """API tokens are random, so a fast hash is enough (no per-request bcrypt)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters only, so a token can be recognised in a list without storing it.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set at issue (API_TOKEN_DAYS); the bearer lookup refuses the token from then on.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")

    @classmethod
    def issue(cls, user: User, valid_for: timedelta) -> tuple[ApiToken, str]:
        """Create a token row; the plaintext is returned once and never stored."""
        plaintext = "cc_" + secrets.token_urlsafe(32)
        now = utcnow()
        return cls(user=user, token_hash=hash_token(plaintext), prefix=plaintext[:10], created_at=now,
                   expires_at=now + valid_for), plaintext

    def usable_at(self, now: datetime) -> bool:
        """Not revoked and not expired (the user's ``active`` is checked beside it)."""
        return self.revoked_at is None and now < self.expires_at

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.usable_at(utcnow()) else "expired"
