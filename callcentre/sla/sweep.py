"""Detecting warnings and breaches: the timer job, and the periodic sweep that repairs.

``process_due(now)`` is the one place alerts are recorded. It takes every
clock whose ``next_check_at`` has passed (an indexed range scan), in
batches, locks them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL so parallel
workers share a storm), records alerts with ``INSERT .. ON CONFLICT DO
NOTHING`` against the unique (ticket, kind, level, deadline) key, raises the
escalation level and notifies people for the alerts that were new. Running
it twice, or from a timer and the sweep at once, records each alert once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, select, update

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.models import SlaAlert, SlaClock, Ticket, User
from callcentre.services import live
from callcentre.services.alerts import notify_staff
from callcentre.services.history import record_events
from callcentre.services.metrics import count_sla_alerts
from callcentre.sla import timers
from callcentre.sla.calendars import calendar_by_id
from callcentre.sla.clocks import store, to_state
from workflows import sla
from workflows.roles import Role
from workflows.states import Status

log = logging.getLogger(__name__)
BATCH = 2000


# (department -> head ids, department -> officer ids, supervisor ids)
Recipients = tuple[dict[int, list[int]], dict[int, list[int]], list[int]]
# A new alert as RETURNING gives it: (id, ticket_id, clock kind, level, deadline).
NewAlert = tuple[int, int, str, str, datetime]


@dataclass
class Outcome:
    warnings: int = 0
    breaches: int = 0
    clocks: int = 0
    timers_recreated: int = 0
    auto_closed: int = 0
    alert_ids: list[int] = field(default_factory=list)


def _recipients() -> Recipients:
    """(department -> head ids, department -> officer ids, supervisor ids), active users only."""
    heads: dict[int, list[int]] = defaultdict(list)
    officers: dict[int, list[int]] = defaultdict(list)
    supervisors: list[int] = []
    for uid, role, dept in db.session.execute(
        select(User.id, User.role, User.department_id).where(User.active.is_(True))
    ):
        if role == Role.DEPARTMENT_HEAD and dept:
            heads[dept].append(uid)
        elif role == Role.DEPARTMENT_OFFICER and dept:
            officers[dept].append(uid)
        elif role == Role.SUPERVISOR:
            supervisors.append(uid)
    return heads, officers, supervisors


_TEXT = {
    ("accept", "warning"): ("Phiếu {code} sắp quá hạn tiếp nhận", "Ticket {code} is close to its accept deadline"),
    ("accept", "breach"): ("Phiếu {code} đã quá hạn tiếp nhận", "Ticket {code} missed its accept deadline"),
    ("resolve", "warning"): ("Phiếu {code} sắp quá hạn xử lý", "Ticket {code} is close to its resolve deadline"),
    ("resolve", "breach"): ("Phiếu {code} đã quá hạn xử lý", "Ticket {code} missed its resolve deadline"),
    ("forward", "warning"): ("Phiếu {code} sắp quá hạn chuyển xử lý",
                             "Ticket {code} is close to its forwarding deadline"),
    ("forward", "breach"): ("Phiếu {code} đã quá hạn chuyển xử lý", "Ticket {code} missed its forwarding deadline"),
}


def process_due(now: datetime | None = None, batch: int = BATCH) -> Outcome:
    """Record every warning and breach owed by ``now``; commit per batch."""
    now = now or datetime.now(UTC)
    out = Outcome()
    recipients = None
    dialect = db.session.get_bind().dialect.name
    while True:
        stmt = (select(SlaClock).where(SlaClock.next_check_at <= now, SlaClock.stopped_at.is_(None))
                .order_by(SlaClock.next_check_at).limit(batch))
        if dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = db.session.scalars(stmt).all()
        if not rows:
            db.session.commit()
            return out
        recipients = recipients or _recipients()
        tickets = dict(db.session.execute(
            select(Ticket.id, Ticket.receipt_code).where(Ticket.id.in_({r.ticket_id for r in rows}))
        ).all())
        departments = dict(db.session.execute(
            select(Ticket.id, Ticket.department_id).where(Ticket.id.in_(tickets.keys()))
        ).all())
        alert_rows = []
        # One lookup per calendar, not per clock: the session's identity map holds rows
        # weakly, so calendar_by_id() per row would SELECT the calendar again each time.
        calendars = {cid: calendar_by_id(cid) for cid in {r.calendar_id for r in rows}}
        for row in rows:
            state = to_state(row)
            # A late forwarding is the call centre's, not the department's the ticket would go to:
            # its alerts belong to no department (not in a department's breach list or figures).
            department_id = None if row.kind == sla.FORWARD else departments.get(row.ticket_id)
            for alert in sla.due_alerts(state, now):
                alert_rows.append({"ticket_id": row.ticket_id, "kind": row.kind, "level": alert.level,
                                   "deadline": alert.deadline, "detected_at": now,
                                   "department_id": department_id})
            store(row, sla.after_alerts(state, calendars[row.calendar_id]))
        out.clocks += len(rows)
        if alert_rows:
            new = db.session.execute(
                upsert_insert(dialect, SlaAlert)
                .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "level", "deadline"])
                .returning(SlaAlert.id, SlaAlert.ticket_id, SlaAlert.kind, SlaAlert.level, SlaAlert.deadline),
                alert_rows,
            ).all()
            _record_effects(new, tickets, departments, recipients, now, out)
        db.session.commit()
        if len(rows) < batch:
            return out


def _record_effects(new: Iterable[NewAlert], codes: dict[int, str], departments: dict[int, int | None],
                    recipients: Recipients, now: datetime, out: Outcome) -> None:
    """History events, escalation and notices for the alerts that were actually new."""
    heads, officers, supervisors = recipients
    events: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    escalate: dict[int, int] = defaultdict(int)
    counted: list[tuple[str, str, float]] = []
    for alert_id, ticket_id, kind, level, deadline in new:
        out.alert_ids.append(alert_id)
        counted.append((kind, level, (now - deadline).total_seconds()))
        if level == "breach":
            out.breaches += 1
            escalate[ticket_id] += 1
        else:
            out.warnings += 1
        events.append({"ticket_id": ticket_id, "actor_label": "sla", "kind": f"sla_{level}", "note": None,
                       "payload": {"clock": kind, "deadline": deadline.astimezone(UTC).isoformat()},
                       "public": False, "created_at": now})
        dept = departments.get(ticket_id)
        dept_heads, dept_officers = (heads.get(dept, []), officers.get(dept, [])) if dept else ([], [])
        if kind == sla.FORWARD:
            # Waiting in the operators' queue: no department holds it yet (the category's default
            # one has not been given it), so the supervisors who run the queue hear of it.
            people = supervisors
        elif level == "warning":
            people = dept_officers + dept_heads
        else:
            # Escalation: the department head first; supervisors for a missed
            # resolve deadline (the citizen is now waiting too long).
            people = dept_heads + (supervisors if kind == "resolve" or not dept_heads else [])
        vi, en = _TEXT[(kind, level)]
        code = codes.get(ticket_id, "")
        for uid in dict.fromkeys(people):
            notices.append({"user_id": uid, "ticket_id": ticket_id, "kind": f"sla_{kind}_{level}",
                            "message_vi": vi.format(code=code), "message_en": en.format(code=code),
                            "created_at": now})
    record_events(db.session, events)
    count_sla_alerts(db.session, counted)  # counted once process_due commits the batch
    notify_staff(db.session, notices)  # and, once committed, the live badges (services/live.py)
    if events:  # the dashboard and the departments' inboxes reload
        live.sla_alerted(db.session, {departments.get(e["ticket_id"]) for e in events})
    by_step: dict[int, list[int]] = defaultdict(list)
    for ticket_id, n in escalate.items():
        by_step[n].append(ticket_id)
    for n, ids in by_step.items():
        # Not through the ORM: escalation must not bump the version that guards
        # people's concurrent edits of the ticket. One UPDATE per step, not per ticket.
        db.session.execute(update(Ticket).where(Ticket.id.in_(ids))
                           .values(escalation_level=Ticket.escalation_level + n)
                           .execution_options(synchronize_session=False))


def run_timer(epoch: int) -> dict[str, int]:
    """The job behind ``sla-check-<epoch>``: everything due by now, not just this instant."""
    out = process_due()
    if out.warnings or out.breaches:
        log.info("timer %s: %d warnings, %d breaches", epoch, out.warnings, out.breaches)
    return {"warnings": out.warnings, "breaches": out.breaches, "clocks": out.clocks}


def repair_timers(now: datetime) -> int:
    """Re-create timer jobs missing from Redis for instants within the horizon."""
    upcoming = db.session.scalars(
        select(SlaClock.next_check_at).distinct()
        .where(and_(SlaClock.next_check_at > now, SlaClock.next_check_at <= timers.horizon(now)))
    ).all()
    epochs = {timers.epoch_of(t) for t in upcoming if t is not None}  # not NULL: the range excludes it
    missing = timers.missing_epochs(epochs)
    return timers.schedule(missing)


def auto_close(now: datetime, limit: int = 500) -> int:
    """Close answered tickets nobody disputed within the configured days."""
    from callcentre.services.workflow import fire_system_trigger

    cutoff = now - timedelta(days=current_app.config["AUTO_CLOSE_AFTER_DAYS"])
    ids = db.session.scalars(
        select(Ticket.id).where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= cutoff).limit(limit)
    ).all()
    for ticket_id in ids:
        fire_system_trigger(ticket_id, "close", note="tự động đóng sau thời hạn phản hồi / auto-closed")
    return len(ids)


def sweep(now_iso: str | None = None) -> dict[str, int]:
    """The periodic repair: overdue alerts, lost timers, auto-close. Idempotent."""
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    out = process_due(now)
    out.timers_recreated = repair_timers(now)
    out.auto_closed = auto_close(now)
    db.session.commit()
    return {"warnings": out.warnings, "breaches": out.breaches, "timers_recreated": out.timers_recreated,
            "auto_closed": out.auto_closed}
