"""Figures for the SLA summary and the supervisor dashboard: per-department SLA performance,
tickets per status, breaches and on-time rates per day, call volumes. Reads only."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, exists, func, select

from callcentre.core.extensions import db
from callcentre.models import Call, Department, Disposition, SlaAlert, SlaClock, Ticket, User
from callcentre.services.queries import department_scope
from workflows.durations import parse_duration
from workflows.states import OPEN_VALUES, Status


def _local_day(value: datetime) -> date:
    return value.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def _last_days(days: int) -> list[date]:
    """The last ``days`` local days, oldest first, today last."""
    today = _local_day(datetime.now(UTC))
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]


def sla_summary(query: dict[str, Any], user: User) -> list[dict[str, Any]]:
    """Per department: open, at risk, breached (open), resolved in the period, on-time rate, medians."""
    now = datetime.now(UTC)
    until = now + parse_duration(query["within"])
    start, end = query.get("period_from"), query.get("period_to") or now
    departments = department_scope(select(Department).where(Department.active.is_(True)), Department.id, user, None)
    depts = db.session.scalars(departments.order_by(Department.name_vi)).all()
    open_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(Ticket.status.in_(OPEN_VALUES))
        .group_by(Ticket.department_id)).all())
    running = and_(SlaClock.ticket_id == Ticket.id, SlaClock.stopped_at.is_(None))
    breached_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(Ticket.status.in_(OPEN_VALUES),
                                                         exists().where(running, SlaClock.breached.is_(True)))
        .group_by(Ticket.department_id)).all())
    at_risk_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(
            Ticket.status.in_(OPEN_VALUES),
            exists().where(running, SlaClock.breached.is_(False),
                           (SlaClock.due_at <= until) | SlaClock.warned.is_(True)),
            ~exists().where(running, SlaClock.breached.is_(True)))
        .group_by(Ticket.department_id)).all())
    resolved = select(Ticket.department_id, Ticket.created_at, Ticket.resolved_at, Ticket.assigned_at,
                      Ticket.accepted_at,
                      exists().where(SlaAlert.ticket_id == Ticket.id, SlaAlert.kind == "resolve",
                                     SlaAlert.level == "breach").label("late"))
    resolved = resolved.where(Ticket.resolved_at.is_not(None), Ticket.resolved_at <= end)
    if start:
        resolved = resolved.where(Ticket.resolved_at >= start)
    per_dept: dict[int | None, dict[str, list[float]]] = defaultdict(lambda: {"resolve": [], "accept": [], "late": []})
    for dept_id, created, resolved_at, assigned, accepted, late in db.session.execute(resolved):
        assert resolved_at is not None  # the WHERE excludes NULL
        bucket = per_dept[dept_id]
        bucket["resolve"].append((resolved_at - created).total_seconds())
        bucket["late"].append(1.0 if late else 0.0)
        if assigned and accepted:
            bucket["accept"].append((accepted - assigned).total_seconds())
    rows = []
    for dept in depts:
        b = per_dept.get(dept.id, {"resolve": [], "accept": [], "late": []})
        n = len(b["resolve"])
        rows.append({
            "department": dept.code, "name_vi": dept.name_vi, "name_en": dept.name_en,
            "open": open_counts.get(dept.id, 0), "at_risk": at_risk_counts.get(dept.id, 0),
            "breached": breached_counts.get(dept.id, 0), "resolved": n,
            "on_time_rate": round(1 - sum(b["late"]) / n, 4) if n else None,
            "median_time_to_accept_seconds": statistics.median(b["accept"]) if b["accept"] else None,
            "median_time_to_resolve_seconds": statistics.median(b["resolve"]) if b["resolve"] else None,
        })
    current_app.logger.debug("summary for %d departments", len(rows))
    return rows


def status_counts(dept_code: str | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Tickets per department and status, one GROUP BY: (statuses in workflow order, rows by total)."""
    stmt = (select(Department.code, Department.name_vi, Department.name_en, Ticket.status, func.count())
            .select_from(Ticket).outerjoin(Department, Department.id == Ticket.department_id)
            .group_by(Department.code, Department.name_vi, Department.name_en, Ticket.status))
    if dept_code:
        stmt = stmt.where(Department.code == dept_code)
    table: dict[str | None, dict[str, Any]] = {}
    statuses: set[str] = set()
    for code, name_vi, name_en, status, n in db.session.execute(stmt):
        row = table.setdefault(code, {"code": code, "name_vi": name_vi or "—", "name_en": name_en or "—",
                                      "counts": {}, "total": 0})
        row["counts"][status] = n
        row["total"] += n
        statuses.add(status)
    order: list[str] = [s.value for s in Status if s.value in statuses]
    return order, sorted(table.values(), key=lambda r: -r["total"])


def breach_trend(days: int) -> dict[str, Any]:
    """Per department and local day: breaches detected and on-time rate of tickets answered."""
    day_list = _last_days(days)
    since = datetime.now(UTC) - timedelta(days=days + 1)
    codes: dict[int | None, str] = dict(db.session.execute(select(Department.id, Department.code)).all())
    breaches: dict[str, Counter] = defaultdict(Counter)
    for dept_id, detected in db.session.execute(
            select(SlaAlert.department_id, SlaAlert.detected_at)
            .where(SlaAlert.level == "breach", SlaAlert.detected_at >= since)):
        breaches[codes.get(dept_id, "—")][_local_day(detected)] += 1
    late = exists().where(SlaAlert.ticket_id == Ticket.id, SlaAlert.kind == "resolve", SlaAlert.level == "breach")
    answered: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for dept_id, resolved_at, was_late in db.session.execute(
            select(Ticket.department_id, Ticket.resolved_at, late.label("late"))
            .where(Ticket.resolved_at.is_not(None), Ticket.resolved_at >= since)):
        assert resolved_at is not None  # the WHERE excludes NULL
        cell = answered[codes.get(dept_id, "—")][_local_day(resolved_at)]
        cell[0] += 0 if was_late else 1
        cell[1] += 1
    rows: list[dict[str, Any]] = []
    for code in sorted(set(breaches) | set(answered)):
        on_time, total = (sum(c[0] for c in answered[code].values()), sum(c[1] for c in answered[code].values()))
        rows.append({
            "department": code,
            "breaches": [breaches[code][d] for d in day_list],
            "rates": [(answered[code][d][0] / answered[code][d][1]) if answered[code].get(d) else None
                      for d in day_list],
            "breach_total": sum(breaches[code].values()),
            "on_time_rate": on_time / total if total else None,
        })
    peak = max([max(r["breaches"]) for r in rows] + [1])
    return {"days": day_list, "rows": rows, "peak": peak}


def call_figures(days: int) -> dict[str, Any]:
    """Calls per local day, answered and abandoned shares, average handling time."""
    since = datetime.now(UTC) - timedelta(days=days)
    per_day: Counter = Counter()
    answered = abandoned = 0
    durations: list[int] = []
    for started, answered_at, disposition, seconds in db.session.execute(
            select(Call.started_at, Call.answered_at, Call.disposition, Call.duration_seconds)
            .where(Call.started_at >= since)):
        per_day[_local_day(started)] += 1
        if answered_at is not None:
            answered += 1
        elif disposition in (None, Disposition.ABANDONED.value, Disposition.CALLBACK_DONE.value):
            abandoned += 1
        if seconds is not None:
            durations.append(seconds)
    total = sum(per_day.values())
    day_list = _last_days(days)
    return {"total": total, "days": [(d, per_day[d]) for d in day_list],
            "peak": max([per_day[d] for d in day_list] + [1]),
            "answered_pct": round(100 * answered / total, 1) if total else None,
            "abandoned_pct": round(100 * abandoned / total, 1) if total else None,
            "aht_seconds": round(sum(durations) / len(durations)) if durations else None}
