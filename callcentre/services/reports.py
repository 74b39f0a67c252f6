"""Figures for the SLA summary and the supervisor dashboard: per-department SLA performance,
tickets per status, breaches and on-time rates per day (call figures: services/call_figures.py).
Reads only.

Every figure is an aggregate computed by the database from indexed columns, one row per
department or day coming back: never the tickets themselves (the summary once loaded every
resolved ticket ever to take medians in Python: 54 s at 1M tickets). The figures about a period
default to the last ``DEFAULT_WINDOW``; the counts of open and at-risk work are of now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Subquery, and_, case, func, select

from callcentre.core.extensions import db
from callcentre.models import Department, SlaAlert, SlaClock, Ticket, User
from callcentre.services.queries import department_scope
from callcentre.services.report_sql import (
    day_index,
    day_starts,
    has_median_aggregate,
    median,
    medians,
    seconds_between,
)
from workflows.durations import parse_duration
from workflows.states import OPEN_VALUES, Status

DEFAULT_WINDOW = timedelta(days=30)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def _last_days(days: int) -> list[date]:
    """The last ``days`` local days, oldest first, today last."""
    today = datetime.now(UTC).astimezone(_zone()).date()
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]


def late_tickets() -> Subquery:
    """The tickets whose resolve deadline was breached (an alert was recorded), each once (a
    deadline extended and missed again has two alerts): outer-join it to tickets, and
    ``count(late.c.ticket_id)`` counts the late ones. Read from the partial index
    ix_sla_alerts_resolve_breach in ticket order, so PostgreSQL dedups and hashes it cheaply.
    Not ``Ticket.id IN (SELECT …)`` in a CASE: PostgreSQL hashes that subquery only when every
    resolve breach ever fits in work_mem, and at 1M tickets (100k breaches, the default 4 MB)
    searched them linearly for each ticket (130 ms for 30 days); a correlated EXISTS probes the
    index once per ticket, 1.5-2x slower than the hash over a period of a month or a year."""
    return (select(SlaAlert.ticket_id).where(SlaAlert.kind == "resolve", SlaAlert.level == "breach")
            .distinct().subquery("late"))


def summary_window(query: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The period of the resolved-ticket figures: ``from``/``to``, by default the last 30 days."""
    end = query.get("period_to") or now
    return query.get("period_from") or end - DEFAULT_WINDOW, end


def sla_summary(query: dict[str, Any], user: User) -> list[dict[str, Any]]:
    """Per department: open, at risk, breached (open, now); resolved in the period, its on-time
    rate and median times to accept and to resolve (exact medians)."""
    now = datetime.now(UTC)
    until = now + parse_duration(query["within"])
    start, end = summary_window(query, now)
    departments = department_scope(select(Department).where(Department.active.is_(True)), Department.id, user, None)
    depts = db.session.scalars(departments.order_by(Department.name_vi)).all()

    is_open = Ticket.status.in_(OPEN_VALUES)
    open_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(is_open).group_by(Ticket.department_id)).all())
    # Running clocks only (the partial index ix_sla_clocks_running_due): one row per open ticket
    # with its flags, then per department.
    per_ticket = (
        select(Ticket.department_id.label("dept"),
               func.max(case((SlaClock.breached.is_(True), 1), else_=0)).label("breached"),
               func.max(case((and_(SlaClock.breached.is_(False),
                                   (SlaClock.due_at <= until) | SlaClock.warned.is_(True)), 1), else_=0))
               .label("risky"))
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .where(SlaClock.stopped_at.is_(None), is_open)
        .group_by(Ticket.id, Ticket.department_id)
        .subquery()
    )
    risk_counts = {dept: (int(b or 0), int(r or 0)) for dept, b, r in db.session.execute(
        select(per_ticket.c.dept, func.sum(per_ticket.c.breached),
               func.sum(case((and_(per_ticket.c.breached == 0, per_ticket.c.risky == 1), 1), else_=0)))
        .group_by(per_ticket.c.dept))}

    resolved_counts, to_accept, to_resolve = _resolved_figures(start, end)

    rows = []
    for dept in depts:
        breached, at_risk = risk_counts.get(dept.id, (0, 0))
        n, late = resolved_counts.get(dept.id, (0, 0))
        accept, resolve = to_accept.get(dept.id), to_resolve.get(dept.id)
        rows.append({
            "department": dept.code, "name_vi": dept.name_vi, "name_en": dept.name_en,
            "open": open_counts.get(dept.id, 0), "at_risk": at_risk, "breached": breached, "resolved": n,
            "on_time_rate": round(1 - late / n, 4) if n else None,
            "median_time_to_accept_seconds": float(accept) if accept is not None else None,
            "median_time_to_resolve_seconds": float(resolve) if resolve is not None else None,
            "period_from": start, "period_to": end,
        })
    return rows


def _resolved_figures(start: datetime, end: datetime) -> tuple[dict[Any, tuple[int, int]], dict[Any, Any],
                                                                dict[Any, Any]]:
    """Per department, of the tickets resolved in ``[start, end]``: (count, late), the median time
    to accept, the median time to resolve (exact: ``statistics.median``'s definition).

    PostgreSQL: one pass over the period, read from ix_tickets_resolved_at alone (it includes
    these columns), ``percentile_cont(0.5)`` taking the medians. Elsewhere: the count, then each
    median by ranking the rows (``report_sql.medians``)."""
    in_period = (Ticket.resolved_at.is_not(None), Ticket.resolved_at >= start, Ticket.resolved_at <= end)
    to_resolve_s = seconds_between(Ticket.resolved_at, Ticket.created_at)
    to_accept_s = seconds_between(Ticket.accepted_at, Ticket.assigned_at)  # NULL unless both are set
    late = late_tickets()
    per_department = (select(Ticket.department_id, func.count(), func.count(late.c.ticket_id))
                      .outerjoin(late, late.c.ticket_id == Ticket.id).where(*in_period)
                      .group_by(Ticket.department_id))
    if has_median_aggregate(db.session.get_bind().dialect.name):
        counts: dict[Any, tuple[int, int]] = {}
        to_accept: dict[Any, Any] = {}
        to_resolve: dict[Any, Any] = {}
        for dept, n, n_late, accept, resolve in db.session.execute(
                per_department.add_columns(median(to_accept_s), median(to_resolve_s))):
            counts[dept] = (n, n_late)
            to_accept[dept], to_resolve[dept] = accept, resolve
        return counts, to_accept, to_resolve
    counts = {dept: (n, n_late) for dept, n, n_late in db.session.execute(per_department)}
    return (counts,
            dict(db.session.execute(medians(to_accept_s, Ticket.department_id, *in_period)).all()),
            dict(db.session.execute(medians(to_resolve_s, Ticket.department_id, *in_period)).all()))


def status_counts(dept_code: str | None, days: int) -> tuple[list[str], list[dict[str, Any]]]:
    """Tickets received in the last ``days`` local days per department and current status, and
    each department's open tickets of any age: (statuses in workflow order, rows by total)."""
    since = day_starts(_last_days(days)[:1], _zone())[0]
    stmt = (select(Department.code, Department.name_vi, Department.name_en, Ticket.status, func.count())
            .select_from(Ticket).outerjoin(Department, Department.id == Ticket.department_id)
            .where(Ticket.created_at >= since)
            .group_by(Department.code, Department.name_vi, Department.name_en, Ticket.status))
    backlog = (select(Department.code, Department.name_vi, Department.name_en, func.count())
               .select_from(Ticket).outerjoin(Department, Department.id == Ticket.department_id)
               .where(Ticket.status.in_(OPEN_VALUES))
               .group_by(Department.code, Department.name_vi, Department.name_en))
    if dept_code:
        stmt, backlog = stmt.where(Department.code == dept_code), backlog.where(Department.code == dept_code)
    table: dict[str | None, dict[str, Any]] = {}

    def row(code: str | None, name_vi: str | None, name_en: str | None) -> dict[str, Any]:
        return table.setdefault(code, {"code": code, "name_vi": name_vi or "—", "name_en": name_en or "—",
                                       "counts": {}, "total": 0, "open": 0})

    statuses: set[str] = set()
    for code, name_vi, name_en, status, n in db.session.execute(stmt):
        r = row(code, name_vi, name_en)
        r["counts"][status] = n
        r["total"] += n
        statuses.add(status)
    for code, name_vi, name_en, n in db.session.execute(backlog):
        row(code, name_vi, name_en)["open"] = n
    order: list[str] = [s.value for s in Status if s.value in statuses]
    return order, sorted(table.values(), key=lambda r: (-r["total"], -r["open"]))


def breach_trend(days: int) -> dict[str, Any]:
    """Per department and local day of the last ``days``: breaches detected, and the on-time rate
    of the tickets answered that day (and over the whole period)."""
    day_list = _last_days(days)
    starts = day_starts(day_list, _zone())
    codes: dict[int | None, str] = dict(db.session.execute(select(Department.id, Department.code)).all())
    breaches: dict[str, list[int]] = {}
    detected_day = day_index(SlaAlert.detected_at, starts)
    for dept_id, i, n in db.session.execute(
            select(SlaAlert.department_id, detected_day, func.count())
            .where(SlaAlert.level == "breach", SlaAlert.detected_at >= starts[0])
            .group_by(SlaAlert.department_id, detected_day)):
        breaches.setdefault(codes.get(dept_id, "—"), [0] * days)[i] += n
    answered: dict[str, list[list[int]]] = {}  # per day: [on time, all]
    resolved_day = day_index(Ticket.resolved_at, starts)
    late = late_tickets()
    for dept_id, i, n, n_late in db.session.execute(
            select(Ticket.department_id, resolved_day, func.count(), func.count(late.c.ticket_id))
            .outerjoin(late, late.c.ticket_id == Ticket.id)
            .where(Ticket.resolved_at.is_not(None), Ticket.resolved_at >= starts[0])
            .group_by(Ticket.department_id, resolved_day)):
        cell = answered.setdefault(codes.get(dept_id, "—"), [[0, 0] for _ in day_list])[i]
        cell[0] += n - n_late
        cell[1] += n
    rows: list[dict[str, Any]] = []
    for code in sorted(set(breaches) | set(answered)):
        counts = breaches.get(code, [0] * days)
        cells = answered.get(code, [[0, 0] for _ in day_list])
        on_time, total = sum(c[0] for c in cells), sum(c[1] for c in cells)
        rows.append({
            "department": code,
            "breaches": counts,
            "rates": [(c[0] / c[1]) if c[1] else None for c in cells],
            "breach_total": sum(counts),
            "on_time_rate": on_time / total if total else None,
        })
    peak = max([max(r["breaches"]) for r in rows] + [1])
    return {"days": day_list, "rows": rows, "peak": peak}

