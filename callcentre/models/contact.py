"""Citizens who call or report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column

from callcentre.core.extensions import Model
from callcentre.models.types import UTCDateTime, utcnow


class Contact(Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # E.164, parsed with `phonenumbers` (region VN); unique so a caller's
    # history is one indexed lookup.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Zalo: the OA follower id once the citizen shared their phone with the OA,
    # and whether they agreed to be notified on Zalo (then Zalo first, SMS as fallback).
    zalo_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    zalo_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def can_receive_sms(self) -> bool:
        return self.sms_consent and self.sms_opted_out_at is None
