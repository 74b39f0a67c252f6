"""Rows kept only for a while, and the periodic job that deletes them when their time is up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select

from callcentre.core.extensions import db
from callcentre.models import IdempotencyKey
from callcentre.models.types import utcnow


def expire_idempotency_keys(batch: int = 5000) -> int:
    """Delete stored ``Idempotency-Key`` answers older than ``IDEMPOTENCY_TTL_HOURS``; how many.

    A periodic job (core/periodic.py). Batches keep each transaction short on a large backlog;
    a retry of a request after this long is answered as a new request.
    """
    cutoff = utcnow() - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    total = 0
    while True:
        old = select(IdempotencyKey.id).where(IdempotencyKey.created_at < cutoff).limit(batch).scalar_subquery()
        # A DELETE gives a CursorResult; Session.execute is typed as Result.
        done = cast(CursorResult[Any], db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(old)))
                    ).rowcount
        db.session.commit()
        total += done
        if done < batch:
            return total
