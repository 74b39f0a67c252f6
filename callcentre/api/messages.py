"""Citizen messages (supervisors watch failures) and the operators' call-back list."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from callcentre.http.auth import INTAKE, roles_required
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Call, Disposition, MessageStatus, OutboundMessage, Role
from callcentre.schemas.call import CallOut
from callcentre.schemas.common import PageQuery, UTCDateTime, page_envelope

blp = Blueprint("telephony", __name__, url_prefix="/api/v1", description="Citizen messages and call-backs")
# Calls that still need an operator to ring the citizen back.
CALLBACK_DISPOSITIONS = (Disposition.ABANDONED.value, Disposition.VOICEMAIL.value)


class MessageOut(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    kind = fields.String()
    channel = fields.String()
    provider = fields.String()
    to = fields.String()
    body = fields.String()
    language = fields.String()
    encoding = fields.String()
    segments = fields.Integer()
    status = fields.String()
    provider_message_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    scheduled_for = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class MessageQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in MessageStatus]))
    channel = fields.String(validate=validate.OneOf(["sms", "zalo"]))
    ticket_id = fields.Integer()


class CallbackOut(CallOut):
    provider_status = fields.String(allow_none=True)


@blp.route("/messages", methods=["GET"])
@roles_required(Role.SUPERVISOR)
@blp.arguments(MessageQuery, location="query")
@blp.response(200, page_envelope(MessageOut, "MessagePage"))
def list_messages(query: dict[str, Any]):
    """Messages to citizens, newest first (``?status=failed`` for the ones that need a look)."""
    stmt = select(OutboundMessage)
    for name in ("status", "channel", "ticket_id"):
        if query.get(name) is not None:
            stmt = stmt.where(getattr(OutboundMessage, name) == query[name])
    stmt = stmt.order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/calls/callbacks", methods=["GET"])
@roles_required(*INTAKE)
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_envelope(CallbackOut, "CallbackPage"))
def callbacks(query: dict[str, Any]):
    """Abandoned calls and voicemails to call back, oldest first; PATCH a call's disposition
    to ``callback_done`` (or link a ticket) to take it off the list."""
    stmt = (select(Call).options(joinedload(Call.operator), selectinload(Call.tickets))
            .where(Call.disposition.in_(CALLBACK_DISPOSITIONS))
            .order_by(Call.started_at, Call.id))
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)

