"""Writes on SLA alerts: a supervisor's acknowledgement of a breach."""

from __future__ import annotations

from callcentre.core.extensions import db
from callcentre.http.errors import ApiError
from callcentre.models import SlaAlert, User
from callcentre.models.types import utcnow


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
