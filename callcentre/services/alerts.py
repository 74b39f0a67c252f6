"""Writes on SLA alerts: a supervisor's acknowledgement of a breach; staff's in-app notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert

from callcentre.core.extensions import SessionLike, db
from callcentre.http.errors import ApiError
from callcentre.models import Notification, SlaAlert, User
from callcentre.models.types import utcnow
from callcentre.services import live


def notify_staff(session: SessionLike, notices: Sequence[dict[str, Any]]) -> None:
    """Insert in-app notices (rows of ``Notification``: user_id, ticket_id, kind, message_vi,
    message_en, created_at) in one statement; once committed, their readers' badges reload live."""
    if not notices:
        return
    session.execute(insert(Notification), list(notices))
    live.notices_added(session, {n["user_id"] for n in notices})


def acknowledge_alert(alert_id: int, user: User, comment: str) -> SlaAlert:
    """Record a supervisor's acknowledgement (once): 404 if no such alert, 409 if already
    acknowledged. The caller commits."""
    alert = db.session.get(SlaAlert, alert_id)
    if alert is None:
        raise ApiError(404, "no such breach")
    if alert.acknowledged_at is not None:
        raise ApiError(409, "already acknowledged")
    alert.acknowledged_at, alert.acknowledged_by_id, alert.ack_comment = utcnow(), user.id, comment.strip()
    db.session.flush()
    return alert
