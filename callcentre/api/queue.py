"""The triage queue: tickets waiting in ``received``, soonest forwarding deadline first.

Acting on them (assign, reject, merge) is ``POST /api/v1/tickets/{id}/transitions``.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.http.auth import roles_required
from callcentre.http.pagination import envelope
from callcentre.schemas.queue import QueuePage, QueueQuery
from callcentre.services.queue import queue_page
from workflows.roles import INTAKE

blp = Blueprint("queue", __name__, url_prefix="/api/v1/queue", description="Triage queue (chờ chuyển xử lý)")


@blp.route("", methods=["GET"])
@roles_required(*INTAKE)
@blp.arguments(QueueQuery, location="query")
@blp.response(200, QueuePage)
def list_queue(query: dict[str, Any]):
    """Tickets in ``received`` from every channel, and those a department returned, by forwarding
    deadline (earliest first; none last), then oldest first; paginated like the ticket list."""
    items, total = queue_page(query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)
