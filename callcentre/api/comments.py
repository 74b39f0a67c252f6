"""``/api/v1/tickets/{id}/comments``: internal staff comments (history kind ``comment``, never public)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.idempotency import commit_response
from callcentre.schemas.comment import CommentIn
from callcentre.schemas.ticket import EventOut
from callcentre.services.comments import add_comment as add
from callcentre.services.queries import load_visible_ticket
from workflows.roles import STAFF

blp = Blueprint("comments", __name__, url_prefix="/api/v1/tickets", description="Internal comments")


@blp.route("/<int:ticket_id>/comments", methods=["POST"])
@roles_required(*STAFF)
@blp.arguments(CommentIn)
@blp.response(201, EventOut)
@blp.alt_response(403, description="the ticket is not in your department")
def add_comment(data: dict[str, Any], ticket_id: int):
    """Add an internal comment to the ticket's history (``public`` false: never shown to the citizen)."""
    user = authenticated_user()
    ticket = load_visible_ticket(ticket_id, user)
    event = add(ticket, user, data["text"])
    return commit_response(EventOut().dump(event), 201)

