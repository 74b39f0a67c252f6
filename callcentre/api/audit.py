"""The audit log (admin): sign-ins, views of citizens' personal data, account and token changes."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.http.auth import roles_required
from callcentre.http.pagination import envelope, paginate
from callcentre.schemas.audit import AuditPage, AuditQuery
from callcentre.services.audit import events_query
from workflows.roles import Role

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="The audit log (admin)")


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPage)
def list_events(query: dict[str, Any]):
    """Audited acts, newest first, filtered (``action``, ``actor``, ``target_type``, ``target_id``,
    ``from``, ``to``) and paginated. Reading the log is not itself audited."""
    items, total = paginate(events_query(query), query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)
