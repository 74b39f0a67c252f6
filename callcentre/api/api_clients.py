"""Open311 client applications (API keys), for admins: list, issue, revoke."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError, field_error
from callcentre.schemas.api_client import ApiClientCreated, ApiClientIn, ApiClientOut
from callcentre.services import api_clients
from callcentre.services.api_clients import ApiClientError
from workflows.roles import Role

blp = Blueprint("api_clients", __name__, url_prefix="/api/v1/api-clients",
                description="Open311 client applications and their API keys (admin)")


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, ApiClientOut(many=True))
def list_clients():
    """Every client application, active and revoked (never the keys)."""
    return db.session.scalars(api_clients.clients_query()).all()


@blp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(ApiClientIn)
@blp.response(201, ApiClientCreated())
@blp.alt_response(409, response="CONFLICT", description="a client application with this name exists")
def create(data: dict[str, Any]):
    """Issue a key for a new client application; the response is the only place it appears."""
    try:
        row, plaintext = api_clients.create_client(data["name"], actor=authenticated_user())
    except ApiClientError as exc:
        raise field_error(exc.field, str(exc), exc.status) from exc
    db.session.commit()  # the client and its audit row together
    fields_out = ("name", "prefix", "active", "created_at", "revoked_at", "last_used_at")
    return {**{f: getattr(row, f) for f in fields_out}, "api_key": plaintext}


@blp.route("/<string:name>", methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(204)
def revoke(name: str):
    """Revoke the client's key (kept for the record; its requests get 403)."""
    try:
        _, changed = api_clients.revoke_client(name, actor=authenticated_user())
    except ApiClientError as exc:
        raise ApiError(exc.status, str(exc)) from exc
    if changed:
        db.session.commit()  # the revocation and its audit row together
