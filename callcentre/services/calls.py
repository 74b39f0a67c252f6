"""Logging calls and linking them to tickets: one row per provider call id, whoever logs it.

A Twilio call is first logged by its webhook (``messaging/voice.py``); the operator's console and
``POST /api/v1/calls`` then update that row instead of adding a second one (a second row would
count the call twice in the volume and the handling time). Which request comes first does not
matter: each makes sure the row exists with one ``INSERT … ON CONFLICT DO NOTHING`` on the unique
``provider_call_id`` and then claims it for its operator with a conditional ``UPDATE``.

The provider's times stand (it saw the call start, be answered and end); an operator's times fill
in what the provider has not said (yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.http.errors import ApiError, field_error
from callcentre.models import Call, Disposition, Ticket, User
from callcentre.models.types import utcnow
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.history import record_event

LOGGED_BY_ANOTHER = "a call with this provider_call_id is already logged by another operator"
OTHER_NUMBER = "this provider_call_id is a call from another number"


def seconds_talked(answered_at: datetime | None, ended_at: datetime | None) -> int | None:
    """Seconds from answer to end, to the nearest second (a floor would shave up to a second off
    every call's handling time)."""
    if answered_at and ended_at:
        return max(0, round((ended_at - answered_at).total_seconds()))
    return None


def duration_of(call: Call) -> int | None:
    return seconds_talked(call.answered_at, call.ended_at)


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


def _check_times(call: Call) -> None:
    if call.ended_at and call.ended_at < call.started_at:
        raise field_error("ended_at", "ends before it starts")
    if call.answered_at and call.answered_at < call.started_at:
        raise field_error("answered_at", "answered before it starts")


def claim_call(call_id: int, actor: User) -> Call | None:
    """The call, now logged by ``actor``; None if another operator has logged it already.

    One conditional UPDATE: of two operators logging one provider call at the same moment, the
    second waits for the first's row lock, sees its operator, and is refused."""
    claimed = db.session.scalar(
        update(Call).where(Call.id == call_id, or_(Call.operator_id.is_(None), Call.operator_id == actor.id))
        .values(operator_id=actor.id).returning(Call.id).execution_options(synchronize_session=False)
    )
    if claimed is None:
        return None
    return db.session.get(Call, call_id, populate_existing=True)


def merge_call(call: Call, data: dict[str, Any], actor: User) -> Call:
    """An operator's account of a call already logged: times fill the provider's blanks (an answer
    the provider has not reported yet is the console's; never earlier than the call's start), the
    operator's disposition, notes, recording and tickets are taken."""
    if call.answered_at is None and data.get("answered_at"):
        call.answered_at = max(data["answered_at"], call.started_at)
    if call.ended_at is None and data.get("ended_at"):
        call.ended_at = max(data["ended_at"], call.answered_at or call.started_at)
    for name in ("disposition", "notes", "recording_url"):
        if data.get(name) is not None:
            setattr(call, name, data[name])
    if call.answered_at is not None and call.disposition == Disposition.ABANDONED.value:
        call.disposition = None  # the provider's end came first; an operator did take the call
    if call.contact_id is None and data.get("from_number"):  # a withheld number, now known
        call.from_number, call.contact = data["from_number"], get_or_create_contact(data["from_number"])
    _check_times(call)
    call.duration_seconds = duration_of(call)
    db.session.flush()
    _attach_tickets(call, data.get("ticket_ids") or [], actor)
    db.session.flush()
    return call


def _insert_provider_call(data: dict[str, Any], contact_id: int, actor: User, now: datetime) -> int | None:
    """The new row's id, or None when the provider call id is logged already (by a webhook, or by
    another request this very moment)."""
    answered, ended = data.get("answered_at"), data.get("ended_at")
    values = {
        "provider_call_id": data["provider_call_id"], "direction": data["direction"],
        "from_number": data["from_number"], "to_number": data.get("to_number") or "1022",
        "contact_id": contact_id, "operator_id": actor.id, "started_at": data.get("started_at") or now,
        "answered_at": answered, "ended_at": ended, "duration_seconds": seconds_talked(answered, ended),
        "disposition": data.get("disposition"), "notes": data.get("notes"),
        "recording_url": data.get("recording_url"), "created_at": now,
    }
    insert = (upsert_insert(db.session.get_bind().dialect.name, Call).values(**values)
              .on_conflict_do_nothing(index_elements=["provider_call_id"]).returning(Call.id))
    return db.session.scalar(insert)


def _merge_provider_call(existing: Call, data: dict[str, Any], actor: User) -> Call:
    if existing.contact_id is not None and existing.from_number != data["from_number"]:
        raise ApiError(409, OTHER_NUMBER, {"json": {"provider_call_id": [OTHER_NUMBER]}})
    claimed = claim_call(existing.id, actor)
    if claimed is None:
        raise ApiError(409, LOGGED_BY_ANOTHER, {"json": {"provider_call_id": ["already logged"]}})
    return merge_call(claimed, data, actor)


def log_call(data: dict[str, Any], actor: User) -> tuple[Call, bool]:
    """Log a call: ``(call, True)`` for a new row, ``(call, False)`` when ``provider_call_id`` was
    logged already (by the telephony webhook, or a retry of this request) and has been updated.
    409 if another operator logged that provider call, or it is a call from another number.

    The call row is locked before the contact's (as the webhooks do), so that a webhook and this
    request never wait for each other in opposite orders."""
    sid = data.get("provider_call_id")
    if sid:
        existing = db.session.scalar(select(Call).where(Call.provider_call_id == sid))
        if existing is not None:
            return _merge_provider_call(existing, data, actor), False
    contact = get_or_create_contact(data["from_number"])
    if sid:
        new_id = _insert_provider_call(data, contact.id, actor, utcnow())
        if new_id is None:  # the webhook logged it this very moment
            existing = db.session.scalar(select(Call).where(Call.provider_call_id == sid))
            assert existing is not None  # the conflict was on this very id
            return _merge_provider_call(existing, data, actor), False
        call = db.session.get(Call, new_id)
        assert call is not None  # inserted by this statement
        _check_times(call)
    else:
        call = Call(
            direction=data["direction"], from_number=data["from_number"],
            to_number=data.get("to_number") or "1022", contact=contact, operator=actor,
            answered_at=data.get("answered_at"), ended_at=data.get("ended_at"), disposition=data.get("disposition"),
            notes=data.get("notes"), recording_url=data.get("recording_url"),
        )
        call.started_at = data.get("started_at") or utcnow()
        _check_times(call)
        call.duration_seconds = duration_of(call)
        db.session.add(call)
        db.session.flush()
    _attach_tickets(call, data.get("ticket_ids") or [], actor)
    db.session.flush()
    return call, True


def update_call(call: Call, data: dict[str, Any], actor: User) -> Call:
    for name in ("answered_at", "ended_at", "disposition", "notes", "recording_url"):
        if name in data:
            setattr(call, name, data[name])
    _check_times(call)
    call.duration_seconds = duration_of(call)
    if call.operator_id is None:
        call.operator = actor
    _attach_tickets(call, data.get("ticket_ids") or [], actor)
    db.session.flush()
    return call
