"""Starting, pausing, moving and stopping a ticket's SLA clocks.

Every change goes through here so that the clock rows, the deadlines
mirrored on the ticket, and the timers scheduled after commit agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from callcentre.core.extensions import db
from callcentre.models import SlaClock, Ticket
from callcentre.sla import timers
from callcentre.sla.calendars import calendar_by_id
from callcentre.sla.policies import Terms, budget, terms_for
from workflows import sla
from workflows.calendar import WorkingCalendar


def to_state(row: SlaClock) -> sla.ClockState:
    return sla.ClockState(
        budget=timedelta(seconds=row.budget_seconds), warn_fraction=row.warn_fraction, anchor_at=row.anchor_at,
        remaining=timedelta(seconds=row.remaining_seconds), warned=row.warned, breached=row.breached,
        due_at=row.due_at, warn_at=row.warn_at, next_check_at=row.next_check_at,
    )


def store(row: SlaClock, state: sla.ClockState) -> None:
    """Copy the state back and schedule its next timer once the transaction commits."""
    previous = row.next_check_at
    row.anchor_at = state.anchor_at
    row.remaining_seconds = state.remaining.total_seconds()
    row.due_at, row.warn_at, row.next_check_at = state.due_at, state.warn_at, state.next_check_at
    row.warned, row.breached = state.warned, state.breached
    if previous != row.next_check_at:
        timers.after_commit_reschedule(db.session, new=row.next_check_at, old=previous)


def _mirror(ticket: Ticket, row: SlaClock) -> None:
    if row.due_at is None and row.stopped_at is None:
        return  # paused: the ticket keeps showing the last deadline; the clock says paused
    if row.kind == sla.ACCEPT:
        ticket.accept_deadline = row.due_at
    elif row.kind == sla.RESOLVE:
        ticket.resolve_deadline = row.due_at
    # The forward clock has no ticket column: its deadline is the clock's own ``due_at``.


def clocks_of(ticket: Ticket) -> dict[str, SlaClock]:
    rows = db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id)).all()
    return {r.kind: r for r in rows}


class TermsLike(Protocol):
    # Read-only: ``Terms`` is a frozen dataclass.
    @property
    def accept_within(self) -> str: ...

    @property
    def resolve_within(self) -> str: ...

    @property
    def forward_within(self) -> str: ...

    @property
    def warn_at(self) -> float: ...

    @property
    def calendar(self) -> WorkingCalendar: ...


def initial_state(kind: str, at: datetime, terms: TermsLike) -> sla.ClockState:
    """A clock of ``kind`` started at ``at`` with the full budget of ``terms``."""
    cal = terms.calendar
    within = {sla.ACCEPT: terms.accept_within, sla.RESOLVE: terms.resolve_within,
              sla.FORWARD: terms.forward_within}[kind]
    total = budget(within, cal)
    return sla.start(total, terms.warn_at, at, cal)


def start(ticket: Ticket, kind: str, at: datetime, terms: Terms | None = None) -> SlaClock:
    """(Re)start a clock with the full budget of the ticket's policy."""
    terms = terms or terms_for(ticket.category_id, ticket.priority)
    state = initial_state(kind, at, terms)
    total = state.budget
    row = clocks_of(ticket).get(kind) if ticket.id else None
    if row is None:
        row = SlaClock(ticket=ticket, kind=kind, started_at=at)
        db.session.add(row)
        if ticket.id is None:  # a new ticket: its clocks are the ones started here, no need to read them back
            # In the relationship's order (by kind), as a later read gives them.
            started = [*ticket.__dict__.get("clocks", ()), row]
            set_committed_value(ticket, "clocks", sorted(started, key=lambda c: c.kind))
    row.calendar = terms.calendar_row  # keeps the row in the identity map for this request
    row.calendar_id, row.policy_id = terms.calendar_row.id, terms.policy_id  # the id too: read before any flush
    row.budget_seconds, row.warn_fraction = total.total_seconds(), terms.warn_at
    row.started_at, row.stopped_at, row.stop_reason = at, None, None
    row.warned = row.breached = False
    store(row, state)
    _mirror(ticket, row)
    return row


def stop(ticket: Ticket, kinds: tuple[str, ...], at: datetime, reason: str) -> None:
    for kind, row in clocks_of(ticket).items():
        if kind in kinds and row.stopped_at is None:
            row.stopped_at, row.stop_reason = at, reason
            state = to_state(row)
            state.anchor_at = None  # a stopped clock owes nothing
            store(row, sla._refresh(state, calendar_by_id(row.calendar_id)))


def _apply(ticket: Ticket, kinds: tuple[str, ...],
           fn: Callable[[sla.ClockState, WorkingCalendar], sla.ClockState]) -> None:
    for kind, row in clocks_of(ticket).items():
        if kind in kinds and row.stopped_at is None:
            cal: WorkingCalendar = calendar_by_id(row.calendar_id)
            store(row, fn(to_state(row), cal))
            _mirror(ticket, row)


def pause(ticket: Ticket, at: datetime) -> None:
    _apply(ticket, (sla.ACCEPT, sla.RESOLVE), lambda s, cal: sla.pause(s, at, cal))


def resume(ticket: Ticket, at: datetime) -> None:
    _apply(ticket, (sla.ACCEPT, sla.RESOLVE), lambda s, cal: sla.resume(s, at, cal))


def extend_resolve(ticket: Ticket, deadline: datetime, at: datetime) -> None:
    _apply(ticket, (sla.RESOLVE,), lambda s, cal: sla.extend_to(s, deadline, at, cal))


def recompute_calendar(calendar_id: int, batch: int = 1000) -> int:
    """After a holiday or exception changed: same working time left, new instants."""
    cal = calendar_by_id(calendar_id)
    count = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(SlaClock).where(SlaClock.calendar_id == calendar_id, SlaClock.stopped_at.is_(None),
                                   SlaClock.anchor_at.is_not(None), SlaClock.id > last_id)
            .order_by(SlaClock.id).limit(batch)
        ).all()
        if not rows:
            return count
        ids = [r.ticket_id for r in rows]
        tickets = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
        for row in rows:
            store(row, sla.recompute(to_state(row), cal))
            _mirror(tickets[row.ticket_id], row)
        count += len(rows)
        last_id = rows[-1].id
        db.session.commit()
