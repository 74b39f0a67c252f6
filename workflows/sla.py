"""SLA clocks in working time, as pure functions over a small state record.

A clock has a budget (the policy's duration, in working time of its
calendar). While it runs it has an ``anchor_at`` and the working time
``remaining`` at that anchor, so its deadline is ``add_working_time(anchor,
remaining)``: recomputing after a holiday is added needs nothing else.
Pausing folds the elapsed working time into ``remaining`` and clears the
anchor; resuming sets a new anchor. An approved extension sets ``remaining``
so that the deadline lands on the approved instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workflows.calendar import WorkingCalendar

ACCEPT = "accept"
RESOLVE = "resolve"
# Received -> assigned: the operators' time to forward a ticket (HCMC: 5 minutes; Decree 92/2017:
# a petition outside the receiver's competence within 5 working days).
FORWARD = "forward"
KINDS = (ACCEPT, RESOLVE, FORWARD)


@dataclass
class ClockState:
    budget: timedelta
    warn_fraction: float
    anchor_at: datetime | None
    remaining: timedelta
    warned: bool = False
    breached: bool = False
    due_at: datetime | None = None
    warn_at: datetime | None = None
    next_check_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.anchor_at is None


def _refresh(clock: ClockState, cal: WorkingCalendar) -> ClockState:
    """Recompute due/warn/next-check instants from anchor and remaining."""
    if clock.anchor_at is None:
        clock.due_at = clock.warn_at = clock.next_check_at = None
        return clock
    clock.due_at = cal.add_working_time(clock.anchor_at, max(clock.remaining, timedelta(0)))
    # Warn when the remaining time falls to (1 - warn_fraction) of the budget.
    lead = clock.remaining - clock.budget * (1 - clock.warn_fraction)
    clock.warn_at = cal.add_working_time(clock.anchor_at, lead) if lead > timedelta(0) else clock.anchor_at
    if not clock.warned:
        clock.next_check_at = min(clock.warn_at, clock.due_at)
    elif not clock.breached:
        clock.next_check_at = clock.due_at
    else:
        clock.next_check_at = None
    return clock


def start(budget: timedelta, warn_fraction: float, at: datetime, cal: WorkingCalendar) -> ClockState:
    return _refresh(ClockState(budget, warn_fraction, at, budget), cal)


def pause(clock: ClockState, at: datetime, cal: WorkingCalendar) -> ClockState:
    if clock.anchor_at is not None:
        clock.remaining -= cal.working_time_between(clock.anchor_at, max(at, clock.anchor_at))
        clock.anchor_at = None
    return _refresh(clock, cal)


def resume(clock: ClockState, at: datetime, cal: WorkingCalendar) -> ClockState:
    if clock.anchor_at is None:
        clock.anchor_at = at
    return _refresh(clock, cal)


def extend_to(clock: ClockState, deadline: datetime, at: datetime, cal: WorkingCalendar) -> ClockState:
    """Move the deadline to ``deadline``: a new deadline earns a new warning and breach."""
    anchor = clock.anchor_at or at
    clock.remaining = cal.working_time_between(anchor, deadline)
    if clock.anchor_at is None:  # paused: remaining counts from the resume
        clock.remaining = cal.working_time_between(at, deadline)
    clock.warned = clock.breached = False
    return _refresh(clock, cal)


def recompute(clock: ClockState, cal: WorkingCalendar) -> ClockState:
    """After the calendar changed (a holiday added): same working time, new instants."""
    return _refresh(clock, cal)


def remaining_at(clock: ClockState, now: datetime, cal: WorkingCalendar) -> timedelta:
    """Working time left at ``now`` (negative once overdue)."""
    if clock.anchor_at is None:
        return clock.remaining
    if clock.due_at is not None and now > clock.due_at:
        return -cal.working_time_between(clock.due_at, now)
    return clock.remaining - cal.working_time_between(clock.anchor_at, max(now, clock.anchor_at))


@dataclass(frozen=True)
class Alert:
    level: str  # "warning" | "breach"
    deadline: datetime


def due_alerts(clock: ClockState, now: datetime) -> list[Alert]:
    """Alerts owed at ``now`` (both, if a worker was down past the deadline); marks them."""
    out: list[Alert] = []
    if clock.anchor_at is None or clock.due_at is None:
        return out
    if not clock.warned and clock.warn_at is not None and clock.warn_at <= now:
        out.append(Alert("warning", clock.due_at))
        clock.warned = True
    if not clock.breached and clock.due_at <= now:
        if not clock.warned:
            clock.warned = True
        out.append(Alert("breach", clock.due_at))
        clock.breached = True
    return out


def after_alerts(clock: ClockState, cal: WorkingCalendar) -> ClockState:
    return _refresh(clock, cal)
