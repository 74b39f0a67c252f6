"""``/api/v1/tickets/{id}/transitions``: list and fire workflow triggers."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import HEADER_DOC as IDEMPOTENCY_HEADER
from callcentre.http.idempotency import check_replay, commit_response
from callcentre.schemas.transition import PublicationIn, PublicationResult, TransitionIn, TransitionResult, TriggerOut
from callcentre.services.queries import load_visible_ticket
from callcentre.services.workflow import allowed_triggers, fire, lock_ticket, set_publication
from workflows.definition import WorkflowError
from workflows.roles import STAFF, Role

blp = Blueprint("transitions", __name__, url_prefix="/api/v1/tickets", description="Ticket workflow")


@blp.route("/<int:ticket_id>/transitions", methods=["GET"])
@roles_required(*STAFF)
@blp.response(200, TriggerOut(many=True))
def list_triggers(ticket_id: int):
    """The triggers this user may fire on this ticket now."""
    user = authenticated_user()
    return allowed_triggers(load_visible_ticket(ticket_id, user), user)


@blp.route("/<int:ticket_id>/transitions", methods=["POST"])
@roles_required(*STAFF)
@blp.arguments(TransitionIn)
@blp.response(200, TransitionResult)
@blp.alt_response(403, description="not allowed for your role or department")
@blp.alt_response(409, description="not possible in the ticket's state, or it changed meanwhile")
@blp.doc(parameters=[IDEMPOTENCY_HEADER, {"in": "header", "name": "If-Match", "required": False,
                                          "description": "the version you saw (or ``version`` in the body)",
                                          "schema": {"type": "string", "maxLength": 20}}])
def fire_trigger(data: dict[str, Any], ticket_id: int):
    """Fire one trigger: the state change and its history event commit together, or nothing does."""
    replay = check_replay()
    if replay is not None:
        return replay
    user = authenticated_user()
    load_visible_ticket(ticket_id, user)  # 404 / 403 before taking the lock
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        raise ApiError(404, "no such ticket")
    expected = data.get("version")
    if expected is None and request.headers.get("If-Match", "").strip('"').isdigit():
        expected = int(request.headers["If-Match"].strip('"'))
    try:
        event = fire(ticket, data["trigger"], data, user, expected_version=expected)
    except WorkflowError as exc:
        errors = {"json": {exc.field: [exc.message]}} if exc.field and exc.status == 422 else None
        raise ApiError(exc.status, exc.message, errors) from exc
    except StaleDataError as exc:
        raise ApiError(409, "the ticket was changed by someone else; reload and try again") from exc
    body = TransitionResult().dump({"ticket": ticket, "event_id": event.id, "allowed": allowed_triggers(ticket, user)})
    try:
        return commit_response(body, 200)
    except StaleDataError as exc:
        db.session.rollback()
        raise ApiError(409, "the ticket was changed by someone else; reload and try again") from exc


@blp.route("/<int:ticket_id>/publication", methods=["PUT"])
@roles_required(Role.SUPERVISOR)
@blp.arguments(PublicationIn)
@blp.response(200, PublicationResult)
@blp.alt_response(403, description="not a supervisor")
@blp.alt_response(409, description="the ticket is not resolved or closed, or it changed meanwhile")
def put_publication(data: dict[str, Any], ticket_id: int):
    """Change whether a resolved or closed ticket's answer is published (``/cong-khai``); the
    history gets a ``publication`` event. The decision is first taken when resolving (``publish``)."""
    user = authenticated_user()
    load_visible_ticket(ticket_id, user)
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        raise ApiError(404, "no such ticket")
    try:
        event = set_publication(ticket, data["published"], user, expected_version=data.get("version"))
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        errors = {"json": {exc.field: [exc.message]}} if exc.field and exc.status == 422 else None
        raise ApiError(exc.status, exc.message, errors) from exc
    except StaleDataError as exc:
        db.session.rollback()
        raise ApiError(409, "the ticket was changed by someone else; reload and try again") from exc
    return {"published": ticket.published, "event_id": event.id, "version": ticket.version}
