"""Which SLA terms apply to a ticket: the policy for its category and priority."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from callcentre.core.extensions import db
from callcentre.models import SlaPolicy, WorkCalendar
from callcentre.sla.calendars import TWENTY_FOUR_SEVEN, WORKING_HOURS, calendar_row, to_working_calendar
from workflows.calendar import WorkingCalendar
from workflows.durations import parse_duration_parts

log = logging.getLogger(__name__)
# Unusable policies already logged, by id and durations: one warning each per process, not one per ticket.
_warned: set[tuple[int, str, str, str | None]] = set()


@dataclass(frozen=True)
class Terms:
    policy_id: int | None
    accept_within: str
    resolve_within: str
    warn_at: float
    # The row, not just its id: a clock that references it keeps it in the session's identity
    # map, so reading the calendar again in the same request costs no query.
    calendar_row: WorkCalendar
    forward_within: str  # received -> assigned (the ``forward`` clock)

    @property
    def calendar(self) -> WorkingCalendar:
        return to_working_calendar(self.calendar_row)  # cached per (id, revision, updated_at)


def budget(iso_duration: str, cal: WorkingCalendar) -> timedelta:
    """Days in a policy are working days of the calendar (8 h office days, 24 h on 24x7)."""
    days, rest = parse_duration_parts(iso_duration)
    return cal.standard_day * days + rest


def _usable(policy: SlaPolicy) -> bool:
    """Whether intake can count the policy's durations.

    A row stored before the 365-day bound (or written by hand, e.g. "P99999999D") would make
    every ticket of its category fail; such a ticket gets the defaults and the policy one warning.
    """
    try:
        parse_duration_parts(policy.accept_within)
        parse_duration_parts(policy.resolve_within)
        if policy.forward_within is not None:
            parse_duration_parts(policy.forward_within)
    except (ValueError, TypeError) as exc:
        key = (policy.id, str(policy.accept_within), str(policy.resolve_within), policy.forward_within)
        if key not in _warned:
            _warned.add(key)
            log.warning("SLA policy %s (category %s, priority %s) is unusable, the defaults apply: %s",
                        policy.id, policy.category_id, policy.priority, exc)
        return False
    return True


def terms_for(category_id: int, priority: str) -> Terms:
    """The category's policy for this priority, else its "normal" one, else the defaults
    (also for a policy whose durations cannot be counted, rather than another priority's terms)."""
    rows = db.session.scalars(
        select(SlaPolicy).options(joinedload(SlaPolicy.calendar))
        .where(SlaPolicy.category_id == category_id, SlaPolicy.priority.in_([priority, "normal"]))
    ).all()
    policy = next((p for p in rows if p.priority == priority), None) or next(iter(rows), None)
    cfg = current_app.config
    if policy is not None and _usable(policy):
        return Terms(policy.id, policy.accept_within, policy.resolve_within, policy.warn_at,
                     policy.calendar, policy.forward_within or cfg["SLA_DEFAULT_FORWARD"])
    row = calendar_row(TWENTY_FOUR_SEVEN if priority == "urgent" else WORKING_HOURS)
    return Terms(None, cfg["SLA_DEFAULT_ACCEPT"], cfg["SLA_DEFAULT_RESOLVE"], cfg["SLA_DEFAULT_WARN_AT"],
                 row, cfg["SLA_DEFAULT_FORWARD"])
