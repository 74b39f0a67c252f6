"""The triage queue: every ticket waiting in ``received``, soonest forwarding deadline first.

A ticket waits there when it arrives (any channel) and when a department sends it back
(``return``); the ``forward`` clock (workflows/sla.py) runs until someone assigns, rejects or
merges it. The API (``GET /api/v1/queue``) and the page (``/operator/queue``) read it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, nulls_last, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from callcentre.core.extensions import db
from callcentre.http.pagination import Total, paginate
from callcentre.models import Department, SlaClock, Ticket, TicketEvent
from workflows import sla
from workflows.states import Status

FORWARD_CLOCK = aliased(SlaClock, name="forward_clock")


@dataclass(frozen=True)
class Returned:
    """The latest ``return`` of a queued ticket: which department sent it back, why, when."""

    department: Department | None  # None if the code no longer names a department
    department_code: str | None
    reason: str | None
    at: datetime


class QueueEntry:
    """A queued ticket as the list schemas read it (every attribute is the ticket's), plus
    ``forward_deadline`` and ``returned``."""

    def __init__(self, ticket: Ticket, returned: Returned | None) -> None:
        self.ticket = ticket
        self.returned = returned
        running = [c for c in ticket.clocks if c.kind == sla.FORWARD and c.stopped_at is None]
        self.forward_deadline: datetime | None = running[0].due_at if running else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ticket, name)


def queue_statement() -> Select:
    """Tickets in ``received``, by running forward deadline (none last), then oldest first."""
    running = and_(FORWARD_CLOCK.ticket_id == Ticket.id, FORWARD_CLOCK.kind == sla.FORWARD,
                   FORWARD_CLOCK.stopped_at.is_(None))
    return (select(Ticket)
            .options(joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact),
                     selectinload(Ticket.clocks))
            .outerjoin(FORWARD_CLOCK, running)  # at most one row: (ticket_id, kind) is unique
            .where(Ticket.status == Status.RECEIVED.value)
            .order_by(nulls_last(FORWARD_CLOCK.due_at.asc()), Ticket.created_at, Ticket.id))


def latest_returns(ticket_ids: Sequence[int]) -> dict[int, Returned]:
    """The latest ``return`` event of each ticket that has one, in one query for all of them.
    Only ``return`` leads back to ``received``, so for a queued ticket it is why it is queued."""
    if not ticket_ids:
        return {}
    latest = (select(func.max(TicketEvent.id))
              .where(TicketEvent.ticket_id.in_(list(ticket_ids)), TicketEvent.kind == "return")
              .group_by(TicketEvent.ticket_id))
    code = TicketEvent.payload["from_department"].as_string()
    rows = db.session.execute(
        select(TicketEvent.ticket_id, code, TicketEvent.note, TicketEvent.created_at, Department)
        .outerjoin(Department, Department.code == code)
        .where(TicketEvent.id.in_(latest))
    ).all()
    return {tid: Returned(dept, dept_code, note, at) for tid, dept_code, note, at, dept in rows}


def queue_page(page: int, per_page: int) -> tuple[list[QueueEntry], Total]:
    tickets, total = paginate(queue_statement(), page, per_page)
    returns = latest_returns([t.id for t in tickets])
    return [QueueEntry(t, returns.get(t.id)) for t in tickets], total
