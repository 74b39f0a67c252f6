"""The operator's screen pop: a caller's earlier tickets and calls."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.http.auth import INTAKE, roles_required
from callcentre.http.errors import ApiError
from callcentre.models import Call, Contact, Ticket
from callcentre.schemas.call import CallOut
from callcentre.schemas.ticket import ContactOut, TicketSummaryOut

blp = Blueprint("contacts", __name__, url_prefix="/api/v1/contacts", description="Callers")
HISTORY_LIMIT = 50


class ContactQuery(Schema):
    phone = fields.String(required=True)


class ContactHistory(Schema):
    phone = fields.String()
    contact = fields.Nested(ContactOut, allow_none=True)
    tickets = fields.List(fields.Nested(TicketSummaryOut))
    calls = fields.List(fields.Nested(CallOut))


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
    return caller_history(phone)


def caller_history(phone: str) -> dict[str, Any]:
    """A caller's contact, earlier tickets and calls, newest first (``phone`` in E.164).

    Shared by this endpoint and the operator console's screen pop."""
    contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
    if contact is None:
        return {"phone": phone, "contact": None, "tickets": [], "calls": []}
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.contact_id == contact.id)
        .options(joinedload(Ticket.category), joinedload(Ticket.department))
        .order_by(Ticket.created_at.desc()).limit(HISTORY_LIMIT)
    ).all()
    calls = db.session.scalars(
        select(Call).where(Call.from_number == phone)
        .options(joinedload(Call.operator), selectinload(Call.tickets))
        .order_by(Call.started_at.desc()).limit(HISTORY_LIMIT)
    ).all()
    return {"phone": phone, "contact": contact, "tickets": tickets, "calls": calls}
