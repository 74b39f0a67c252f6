"""The operator's whole call in one transaction: log the call, create or attach its ticket, route
it, and close the call-back it answered. The console (web/operator.py) maps its form to a
:class:`ConsoleCall` and calls ``log_console_call``; nothing is half-written if any step refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.errors import field_error
from callcentre.models import Call, Disposition, Ticket, User
from callcentre.services.calls import log_call, update_call
from callcentre.services.tickets import create_ticket
from callcentre.services.workflow import fire

Outcome = Literal["new_ticket", "attach", "info_only"]


@dataclass(frozen=True)
class ConsoleCall:
    phone: str  # E.164
    started_at: datetime
    ended_at: datetime
    outcome: Outcome
    notes: str | None = None
    ticket: dict[str, Any] | None = None  # TicketCreate data, for a new ticket
    department: str | None = None  # the operator's routing override (a department code)
    attach_to: Ticket | None = None  # the earlier ticket this call is about
    callback_of: int | None = None  # the unanswered call this one returns


def find_ticket_by_code(code: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.receipt_code == code))


def log_console_call(entry: ConsoleCall, user: User) -> Ticket | None:
    """Write the call and its outcome; the ticket it created or joined, if any. The caller commits
    (or rolls back on ``ApiError``/``WorkflowError``)."""
    if entry.outcome == "new_ticket" and entry.ticket is None:
        raise field_error("description", "a new ticket needs its fields")
    call = log_call({"direction": "inbound", "from_number": entry.phone, "started_at": entry.started_at,
                     "answered_at": entry.started_at, "ended_at": entry.ended_at, "notes": entry.notes,
                     "disposition": Disposition.INFO_ONLY.value if entry.outcome == "info_only" else None,
                     "ticket_ids": [entry.attach_to.id] if entry.outcome == "attach" and entry.attach_to else []},
                    user)
    ticket = entry.attach_to if entry.outcome == "attach" else None
    if entry.outcome == "new_ticket" and entry.ticket is not None:
        ticket = create_ticket({**entry.ticket, "call_id": call.id}, user)
        # Route at once: the department's clock starts now (default department or the override).
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
