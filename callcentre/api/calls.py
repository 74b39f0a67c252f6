"""Hotline calls: log, update, list, and the call-centre figures."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import HEADER_DOC as IDEMPOTENCY_HEADER
from callcentre.http.idempotency import check_replay, commit_response
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Call, User
from callcentre.schemas.call import (
    CallCreate,
    CallOut,
    CallPage,
    CallQuery,
    CallSummaryOut,
    CallSummaryQuery,
    CallUpdate,
)
from callcentre.services.call_figures import call_figures
from callcentre.services.calls import log_call, update_call
from workflows.roles import INTAKE, MANAGERS

blp = Blueprint("calls", __name__, url_prefix="/api/v1/calls", description="Hotline calls")


@blp.route("", methods=["POST"])
@roles_required(*INTAKE)
@blp.arguments(CallCreate)
@blp.response(201, CallOut, description="a new call")
@blp.alt_response(200, schema=CallOut, description="the call with this `provider_call_id` was logged already "
                  "(by the telephony webhook, or by this operator before) and has been updated", success=True)
@blp.alt_response(409, response="CONFLICT", description="another operator logged the call with this "
                  "`provider_call_id`, or it is a call from another number")
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
def create(data: dict[str, Any]):
    """Log a call (the operator is the caller of this endpoint). One call per `provider_call_id`:
    a call the telephony webhook logged is updated, not logged twice (its times stand; the
    operator's fill what the provider has not reported)."""
    replay = check_replay()
    if replay is not None:
        return replay
    call, created = log_call(data, authenticated_user())
    return commit_response(CallOut().dump(call), 201 if created else 200)


@blp.route("/summary", methods=["GET"])
@roles_required(*MANAGERS)
@blp.arguments(CallSummaryQuery, location="query")
@blp.response(200, CallSummaryOut)
def summary(query: dict[str, Any]):
    """Call-centre figures of the last `days` local days (today included): volume, answered,
    abandoned and voicemail shares, call-backs, average handling time and speed of answer in
    seconds, and the service level (answered within `SERVICE_LEVEL_SECONDS`)."""
    return call_figures(query["days"])


@blp.route("/<int:call_id>", methods=["PATCH"])
@roles_required(*INTAKE)
@blp.arguments(CallUpdate, required=False)  # every field optional: an empty PATCH changes nothing
@blp.response(200, CallOut)
def patch(data: dict[str, Any], call_id: int):
    """Set the disposition, the end, notes, or link tickets."""
    call = db.session.get(Call, call_id)
    if call is None:
        raise ApiError(404, "no such call")
    update_call(call, data, authenticated_user())
    return commit_response(CallOut().dump(call), 200)


@blp.route("", methods=["GET"])
@roles_required(*INTAKE)
@blp.arguments(CallQuery, location="query")
@blp.response(200, CallPage)
def list_calls(query: dict[str, Any]):
    """Calls, newest first."""
    stmt = select(Call).options(joinedload(Call.operator), selectinload(Call.tickets))
    if query.get("phone"):
        try:
            stmt = stmt.where(Call.from_number == to_e164(query["phone"]))
        except InvalidPhone as exc:
            raise ApiError(422, "invalid input", {"query": {"phone": [str(exc)]}}) from exc
    if query.get("disposition"):
        stmt = stmt.where(Call.disposition == query["disposition"])
    if query.get("operator"):
        stmt = stmt.where(Call.operator_id.in_(select(User.id).where(User.username == query["operator"])))
    if query.get("unanswered"):
        stmt = stmt.where(Call.answered_at.is_(None))
    if query.get("started_from"):
        stmt = stmt.where(Call.started_at >= query["started_from"])
    if query.get("started_to"):
        stmt = stmt.where(Call.started_at < query["started_to"])
    stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc())
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)
