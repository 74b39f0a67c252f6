"""In-app notices for staff (SLA warnings and breaches, escalations)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import commit_response
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Notification
from callcentre.models.types import utcnow
from callcentre.schemas.notification import NotificationOut, NotificationPage, NotificationQuery
from workflows.roles import STAFF

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="In-app notices")


@blp.route("", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(NotificationQuery, location="query")
@blp.response(200, NotificationPage)
def mine(query: dict[str, Any]):
    """My notices, newest first."""
    user = authenticated_user()
    stmt = select(Notification).where(Notification.user_id == user.id)
    if query.get("unread"):
        stmt = stmt.where(Notification.read_at.is_(None))
    items, total = paginate(stmt.order_by(Notification.id.desc()), query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/<int:notification_id>/read", methods=["POST"])
@roles_required(*STAFF)
@blp.response(200, NotificationOut)
def mark_read(notification_id: int):
    """Mark one of my notices read."""
    user = authenticated_user()
    notice = db.session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        raise ApiError(404, "no such notice")
    if notice.read_at is None:
        notice.read_at = utcnow()
    db.session.flush()
    return commit_response(NotificationOut().dump(notice), 200)
