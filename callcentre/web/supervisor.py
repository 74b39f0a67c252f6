"""Supervisor dashboard: counts, at-risk and breached lists, per-department trend, call figures,
extension approvals and breach acknowledgement; every list exports as CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, select

from callcentre.api.sla import _alert_dict, _alerts_query, acknowledge_alert, at_risk_rows
from callcentre.core.extensions import db
from callcentre.http.errors import ApiError
from callcentre.models import Call, Department, Disposition, ExtensionRequest, Role, SlaAlert, Ticket, User
from callcentre.web.forms import AckForm
from callcentre.web.helpers import csv_response, html_errors, page_args, page_roles, pager

bp = Blueprint("web_supervisor", __name__, url_prefix="/supervisor")
html_errors(bp)
MANAGERS = (Role.SUPERVISOR,)
PERIODS = (7, 14, 30)


def _days() -> int:
    try:
        days = int(request.args.get("days", 14))
    except ValueError:
        days = 14
    return days if days in PERIODS else 14


def _local_day(value: datetime) -> date:
    return value.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def status_counts(dept_code: str | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Tickets per department and status, one GROUP BY."""
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
    from workflows.states import Status

    order = [s.value for s in Status if s.value in statuses]
    return order, sorted(table.values(), key=lambda r: -r["total"])


def trend(days: int) -> dict[str, Any]:
    """Per department and local day: breaches detected and on-time rate of tickets answered."""
    today = _local_day(datetime.now(UTC))
    day_list = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    since = datetime.now(UTC) - timedelta(days=days + 1)
    codes = dict(db.session.execute(select(Department.id, Department.code)).all())
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
        cell = answered[codes.get(dept_id, "—")][_local_day(resolved_at)]
        cell[0] += 0 if was_late else 1
        cell[1] += 1
    rows = []
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
    today = _local_day(datetime.now(UTC))
    day_list = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    return {"total": total, "days": [(d, per_day[d]) for d in day_list],
            "peak": max([per_day[d] for d in day_list] + [1]),
            "answered_pct": round(100 * answered / total, 1) if total else None,
            "abandoned_pct": round(100 * abandoned / total, 1) if total else None,
            "aht_seconds": round(sum(durations) / len(durations)) if durations else None}


def pending_extensions() -> list[Any]:
    return db.session.execute(
        select(ExtensionRequest, Ticket.receipt_code, Ticket.resolve_deadline, User.username)
        .join(Ticket, Ticket.id == ExtensionRequest.ticket_id)
        .join(User, User.id == ExtensionRequest.requested_by_id)
        .where(ExtensionRequest.status == "pending").order_by(ExtensionRequest.created_at)).all()


def _breaches(dept: str | None, unacked_only: bool, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    query: dict[str, Any] = {"level": "breach", "department": dept}
    if unacked_only:
        query["acknowledged"] = False
    stmt = _alerts_query(query, current_user._get_current_object())
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return [_alert_dict(*r) for r in rows], total


@bp.route("")
@page_roles(*MANAGERS)
def dashboard():
    return _dashboard()


def _dashboard(ack_error: dict[str, Any] | None = None, status: int = 200):
    g.list_endpoint = "web_supervisor.dashboard"
    user = current_user._get_current_object()
    days, dept = _days(), request.args.get("department") or None
    unacked = request.args.get("unacked") == "1"
    export = request.args.get("csv")
    statuses, counts = status_counts(dept)
    risk = at_risk_rows({"within": "PT4H", "department": dept}, user)
    if export:
        return _export(export, days, dept, unacked, statuses, counts, risk)
    page, per_page = page_args(10)
    risk_page, _n = page_args(10, "risk_page")
    breach_rows, breach_total = _breaches(dept, unacked, page, per_page)
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    return render_template(
        "web/supervisor.html", days=days, periods=PERIODS, dept=dept, unacked=unacked, departments=departments,
        statuses=statuses, counts=counts, risk=risk[(risk_page - 1) * per_page: risk_page * per_page],
        risk_p=pager(risk_page, per_page, len(risk)), breaches=breach_rows,
        p=pager(page, per_page, breach_total), trend=trend(days), calls=call_figures(days),
        extensions=pending_extensions(), ack_error=ack_error or {}), status


def _export(name: str, days: int, dept: str | None, unacked: bool, statuses: list[str],
            counts: list[dict[str, Any]], risk: list[dict[str, Any]]):
    if name == "counts":
        return csv_response("counts.csv", ["department", *statuses, "total"],
                            ([r["code"], *[r["counts"].get(s, 0) for s in statuses], r["total"]] for r in counts))
    if name == "at_risk":
        return csv_response("at_risk.csv", ["receipt_code", "kind", "deadline", "remaining_seconds", "department",
                                            "category", "status"],
                            ([r["receipt_code"], r["kind"], r["deadline"].isoformat(), r["remaining_seconds"],
                              r["department"], r["category"], r["status"]] for r in risk))
    if name == "breaches":
        rows, _total = _breaches(dept, unacked, 1, 100000)
        return csv_response("breaches.csv", ["id", "receipt_code", "kind", "deadline", "detected_at", "department",
                                             "category", "acknowledged_at", "acknowledged_by", "comment"],
                            ([r["id"], r["receipt_code"], r["kind"], r["deadline"].isoformat(),
                              r["detected_at"].isoformat(), r["department"], r["category"],
                              r["acknowledged_at"].isoformat() if r["acknowledged_at"] else None,
                              r["acknowledged_by"], r["ack_comment"]] for r in rows))
    if name == "trend":
        data = trend(days)
        return csv_response("trend.csv", ["department", "day", "breaches", "on_time_rate"],
                            ([r["department"], d.isoformat(), b, rate] for r in data["rows"]
                             for d, b, rate in zip(data["days"], r["breaches"], r["rates"], strict=True)))
    if name == "calls":
        figures = call_figures(days)
        return csv_response("calls.csv", ["day", "calls"], ([d.isoformat(), n] for d, n in figures["days"]))
    if name == "extensions":
        return csv_response("extensions.csv", ["receipt_code", "requested_by", "requested_deadline", "reason"],
                            ([code, who, ext.requested_deadline.isoformat(), ext.reason]
                             for ext, code, _deadline, who in pending_extensions()))
    abort(404)


@bp.route("/breaches/<int:alert_id>/acknowledge", methods=["POST"])
@page_roles(*MANAGERS)
def acknowledge(alert_id: int):
    form = AckForm()
    if not form.validate():  # shown beside that breach's field, with what was typed
        return _dashboard({"id": alert_id, "value": form.comment.data or "",
                           "message": _("Hãy nhập ghi nhận trước khi xác nhận vi phạm")}, 422)
    try:
        acknowledge_alert(alert_id, current_user._get_current_object(), form.comment.data)
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(_("Vi phạm này đã được xác nhận trước đó"), "error")
        return redirect(url_for("web_supervisor.dashboard"))
    flash(_("Đã xác nhận vi phạm"), "success")
    return redirect(url_for("web_supervisor.dashboard"))
