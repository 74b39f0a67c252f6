"""Logging calls and linking them to tickets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.errors import ApiError, field_error
from callcentre.models import Call, Disposition, Ticket, User
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.history import record_event


def _duration(call: Call) -> int | None:
    if call.answered_at and call.ended_at:
        return max(0, int((call.ended_at - call.answered_at).total_seconds()))
    return None


def _attach_tickets(call: Call, ticket_ids: list[int], actor: User) -> None:
    if not ticket_ids:
        return
    tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).all()
    missing = sorted(set(ticket_ids) - {t.id for t in tickets})
    if missing:
        raise field_error("ticket_ids", f"no such ticket(s): {missing}")
    for ticket in tickets:
        if ticket in call.tickets:
            continue
        call.tickets.append(ticket)
        record_event(db.session, ticket, "call_attached", actor=actor, from_status=ticket.status,
                     to_status=ticket.status, payload={"call_id": call.id, "from": call.from_number})
    if call.disposition is None:
        call.disposition = Disposition.ADDED_TO_TICKET.value


def log_call(data: dict[str, Any], actor: User) -> Call:
    if data.get("provider_call_id") and db.session.scalar(
        select(Call.id).where(Call.provider_call_id == data["provider_call_id"])
    ):
        raise ApiError(409, "a call with this provider_call_id is already logged",
                       {"json": {"provider_call_id": ["already logged"]}})
    contact = get_or_create_contact(data["from_number"])
    call = Call(
        provider_call_id=data.get("provider_call_id"),
        direction=data["direction"],
        from_number=data["from_number"],
        to_number=data.get("to_number") or "1022",
        contact=contact,
        operator=actor,
        answered_at=data.get("answered_at"),
        ended_at=data.get("ended_at"),
        disposition=data.get("disposition"),
        notes=data.get("notes"),
        recording_url=data.get("recording_url"),
    )
    if data.get("started_at"):
        call.started_at = data["started_at"]
    call.duration_seconds = _duration(call)
    db.session.add(call)
    db.session.flush()
    _attach_tickets(call, data.get("ticket_ids") or [], actor)
    db.session.flush()
    return call


def update_call(call: Call, data: dict[str, Any], actor: User) -> Call:
    for name in ("answered_at", "ended_at", "disposition", "notes", "recording_url"):
        if name in data:
            setattr(call, name, data[name])
    if call.ended_at and call.ended_at < call.started_at:
        raise field_error("ended_at", "ends before it starts")
    call.duration_seconds = _duration(call)
    if call.operator_id is None:
        call.operator = actor
    _attach_tickets(call, data.get("ticket_ids") or [], actor)
    db.session.flush()
    return call
