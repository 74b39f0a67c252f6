"""The catalogue stamp: one row that changes whenever routing data changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from callcentre.core.extensions import db
from callcentre.models.types import UTCDateTime, utcnow


class CatalogStamp(db.Model):
    """Per-process caches of categories, departments, SLA policies and calendars are keyed by
    ``stamp``. It is a random value, not a counter, so a re-created or truncated database (or a
    rolled-back change) can never hand a cache an old key with new contents (see callcentre/catalog.py)."""

    __tablename__ = "catalog_stamp"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    stamp: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
