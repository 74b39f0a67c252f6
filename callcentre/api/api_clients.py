"""Open311 client applications (API keys), for admins: list, issue, revoke."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.auth import roles_required
from callcentre.http.errors import ApiError, field_error
from callcentre.models import ApiClient, utcnow
from callcentre.open311.cli import create_client
from callcentre.schemas.api_client import ApiClientCreated, ApiClientIn, ApiClientOut
from workflows.roles import Role

blp = Blueprint("api_clients", __name__, url_prefix="/api/v1/api-clients",
                description="Open311 client applications and their API keys (admin)")


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, ApiClientOut(many=True))
def list_clients():
    """Every client application, active and revoked (never the keys)."""
    return db.session.scalars(select(ApiClient).order_by(ApiClient.name)).all()


@blp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(ApiClientIn)
@blp.response(201, ApiClientCreated())
@blp.alt_response(409, response="CONFLICT", description="a client application with this name exists")
def create(data: dict[str, Any]):
    """Issue a key for a new client application; the response is the only place it appears."""
    try:
        row, plaintext = create_client(data["name"])
    except ValueError as exc:
        raise field_error("name", str(exc), 409 if "exists" in str(exc) else 422) from exc
    db.session.commit()
    fields_out = ("name", "prefix", "active", "created_at", "revoked_at", "last_used_at")
    return {**{f: getattr(row, f) for f in fields_out}, "api_key": plaintext}


@blp.route("/<string:name>", methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(204)
def revoke(name: str):
    """Revoke the client's key (kept for the record; its requests get 403)."""
    row = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
    if row is None:
        raise ApiError(404, "no such API client")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
