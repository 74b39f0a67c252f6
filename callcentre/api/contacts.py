"""The operator's screen pop: a caller's earlier tickets and calls."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.schemas.contact import ContactHistory, ContactQuery
from callcentre.services import audit
from callcentre.services.queries import caller_history
from workflows.roles import INTAKE

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/contacts", description="Callers")


@blp.route("", methods=["GET"])
@roles_required(*INTAKE)
@blp.arguments(ContactQuery, location="query")
@blp.response(200, ContactHistory)
def by_phone(query: dict[str, Any]):
    """Look a caller up by phone (any format); unknown callers give empty lists."""
    try:
        phone = to_e164(query["phone"])
    except InvalidPhone as exc:
        raise ApiError(422, "invalid input", {"query": {"phone": [str(exc)]}}) from exc
    history = caller_history(phone)
    contact = history["contact"]
    audit.record("view_personal_data", actor=authenticated_user(), target_type="contact",
                 target_id=contact.id if contact is not None else None, details={"via": "api", "phone": phone},
                 commit=True)
    return history
