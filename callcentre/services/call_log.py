"""The operator's whole call in one transaction: log the call, create or attach its ticket, route
it, and close the call-back it answered. The console (web/operator.py) maps its form to a
:class:`ConsoleCall` and calls ``log_console_call``; nothing is half-written if any step refuses.

A call that came in through Twilio is already a row (its webhook logged it ringing): the console
updates that row, never adds a second. It finds it by the CallSid when the telephony client's
screen pop passed one (``/operator?phone=…&call=CA…``), otherwise as the call offered to this
operator: the newest provider call from the same number that no operator has logged yet, that
started before the screen pop (at most ``QUEUE_WAIT_MAX`` before it) and had not ended unanswered
before it. A call-back the operator makes is an outbound call of its own, not an inbound one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select

from callcentre.core.extensions import db
from callcentre.http.errors import field_error
from callcentre.models import Call, Disposition, Ticket, User
from callcentre.services.calls import claim_call, log_call, merge_call, update_call
from callcentre.services.tickets import create_ticket
from callcentre.services.workflow import fire

Outcome = Literal["new_ticket", "attach", "info_only"]
# The longest a caller waits in the queue before an operator takes the call: an older unlogged
# call from the same number is another call (one still owed a call-back), not this one.
QUEUE_WAIT_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class ConsoleCall:
    phone: str  # E.164
    started_at: datetime  # the screen pop: when the operator took the call
    ended_at: datetime
    outcome: Outcome
    notes: str | None = None
    ticket: dict[str, Any] | None = None  # TicketCreate data, for a new ticket
    department: str | None = None  # the operator's routing override (a department code)
    attach_to: Ticket | None = None  # the earlier ticket this call is about
    callback_of: int | None = None  # the unanswered call this one returns
    provider_call_id: str | None = None  # the CallSid, when the screen pop knew it


def find_ticket_by_code(code: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.receipt_code == code))


def offered_call(phone: str, popped_at: datetime, user: User) -> Call | None:
    """The provider's call from ``phone`` that this operator took at ``popped_at``, claimed for
    them; None if there is none (a call the telephony provider never saw, or one already logged)."""
    candidates = (
        select(Call.id)
        .where(Call.from_number == phone, Call.direction == "inbound", Call.provider_call_id.is_not(None),
               Call.operator_id.is_(None), Call.started_at <= popped_at,
               Call.started_at >= popped_at - QUEUE_WAIT_MAX,
               or_(Call.disposition.is_(None), Call.disposition == Disposition.ABANDONED.value),
               # Not one that had ended unanswered before the pop: no operator took that one.
               or_(Call.ended_at.is_(None), Call.answered_at.is_not(None), Call.ended_at >= popped_at))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(2)
    )
    for call_id in db.session.scalars(candidates):
        call = claim_call(call_id, user)  # another operator may have claimed it a moment ago
        if call is not None:
            return call
    return None


def _log(entry: ConsoleCall, user: User, disposition: str | None, ticket_ids: list[int]) -> Call:
    data: dict[str, Any] = {
        "direction": "outbound" if entry.callback_of is not None else "inbound",
        "from_number": entry.phone, "started_at": entry.started_at, "answered_at": entry.started_at,
        "ended_at": entry.ended_at, "notes": entry.notes, "disposition": disposition, "ticket_ids": ticket_ids,
    }
    if entry.callback_of is None:
        if entry.provider_call_id:
            return log_call({**data, "provider_call_id": entry.provider_call_id}, user)[0]
        offered = offered_call(entry.phone, entry.started_at, user)
        if offered is not None:
            return merge_call(offered, data, user)
    return log_call(data, user)[0]


def log_console_call(entry: ConsoleCall, user: User) -> Ticket | None:
    """Write the call and its outcome; the ticket it created or joined, if any. The caller commits
    (or rolls back on ``ApiError``/``WorkflowError``)."""
    if entry.outcome == "new_ticket" and entry.ticket is None:
        raise field_error("description", "a new ticket needs its fields")
    call = _log(entry, user, Disposition.INFO_ONLY.value if entry.outcome == "info_only" else None,
                [entry.attach_to.id] if entry.outcome == "attach" and entry.attach_to else [])
    ticket = entry.attach_to if entry.outcome == "attach" else None
    if entry.outcome == "new_ticket" and entry.ticket is not None:
        ticket = create_ticket({**entry.ticket, "call_id": call.id}, user)
        # Route at once: the department's clock starts now (the routed department or the override).
        fire(ticket, "assign", {"department": entry.department or None}, user)
    close_callback(entry.callback_of, user)
    return ticket


def close_callback(call_id: int | None, user: User) -> None:
    """Mark an unanswered call as called back (a call that was answered needs none)."""
    if call_id is None:
        return
    earlier = db.session.get(Call, call_id)
    if earlier is not None and earlier.answered_at is None:
        update_call(earlier, {"disposition": Disposition.CALLBACK_DONE.value}, user)
