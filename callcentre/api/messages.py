"""Citizen messages (supervisors watch failures) and the operators' call-back list."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from callcentre.http.auth import roles_required
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Call, Disposition, OutboundMessage
from callcentre.schemas.call import CallbackPage
from callcentre.schemas.common import PageQuery
from callcentre.schemas.message import MessagePage, MessageQuery
from workflows.roles import INTAKE, MANAGERS

blp = Blueprint("telephony", __name__, url_prefix="/api/v1", description="Citizen messages and call-backs")
# Calls that still need an operator to ring the citizen back.
CALLBACK_DISPOSITIONS = (Disposition.ABANDONED.value, Disposition.VOICEMAIL.value)


@blp.route("/messages", methods=["GET"])
@roles_required(*MANAGERS)
@blp.arguments(MessageQuery, location="query")
@blp.response(200, MessagePage)
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
@blp.response(200, CallbackPage)
def callbacks(query: dict[str, Any]):
    """Abandoned calls and voicemails to call back, oldest first; PATCH a call's disposition
    to ``callback_done`` (or link a ticket) to take it off the list."""
    stmt = (select(Call).options(joinedload(Call.operator), selectinload(Call.tickets))
            .where(Call.disposition.in_(CALLBACK_DISPOSITIONS))
            .order_by(Call.started_at, Call.id))
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)

