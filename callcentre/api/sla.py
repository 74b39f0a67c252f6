"""SLA policies, calendars, at-risk and breach review, per-department summary."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.http.auth import STAFF, authenticated_user, roles_required, visible_department_ids
from callcentre.http.errors import ApiError, field_error
from callcentre.http.idempotency import commit_response
from callcentre.http.pagination import envelope
from callcentre.models import CalendarException, Category, Department, Role, SlaAlert, SlaClock, SlaPolicy, Ticket, User
from callcentre.models.types import utcnow
from callcentre.schemas.common import page_envelope
from callcentre.schemas.sla import (
    AckIn,
    AtRiskOut,
    AtRiskQuery,
    BreachOut,
    BreachQuery,
    CalendarOut,
    ExceptionIn,
    PolicyIn,
    PolicyOut,
    SummaryQuery,
    SummaryRow,
)
from callcentre.sla.calendars import calendar_by_id, calendar_row, ensure_default_calendars
from callcentre.sla.clocks import recompute_calendar, to_state
from workflows import sla as sla_rules
from workflows.durations import parse_duration
from workflows.states import OPEN

blp = Blueprint("sla", __name__, url_prefix="/api/v1/sla", description="SLA policies and breach review")
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
OPEN_STATUSES = [s.value for s in OPEN]


def _dept_scope(stmt, column, user: User, code: str | None):
    allowed = visible_department_ids(user)
    if allowed is not None:
        stmt = stmt.where(column.in_(list(allowed)))
    if code:
        stmt = stmt.where(column.in_(select(Department.id).where(Department.code == code)))
    return stmt


# -- policies -----------------------------------------------------------------

@blp.route("/policies", methods=["GET"])
@roles_required(*STAFF)
@blp.response(200, PolicyOut(many=True))
def list_policies():
    """Every policy, by category then priority."""
    return db.session.scalars(
        select(SlaPolicy).join(Category).order_by(Category.code, SlaPolicy.priority)
    ).all()


@blp.route("/policies", methods=["PUT"])
@roles_required(*MANAGERS)
@blp.arguments(PolicyIn)
@blp.response(200, PolicyOut)
def put_policy(data: dict[str, Any]):
    """Create or replace the policy of a category and priority; new tickets use it at once."""
    user = authenticated_user()
    category = db.session.scalar(select(Category).where(Category.code == data["category"]))
    if category is None:
        raise field_error("category", f"unknown category code '{data['category']}'")
    try:
        calendar = calendar_row(data["calendar"])
    except LookupError as exc:
        raise field_error("calendar", f"unknown calendar '{data['calendar']}'") from exc
    policy = db.session.scalar(
        select(SlaPolicy).where(SlaPolicy.category_id == category.id, SlaPolicy.priority == data["priority"])
    )
    created = policy is None
    if policy is None:
        policy = SlaPolicy(category=category, priority=data["priority"])
        db.session.add(policy)
    policy.accept_within, policy.resolve_within = data["accept_within"], data["resolve_within"]
    policy.warn_at, policy.calendar, policy.updated_by_id = data["warn_at"], calendar, user.id
    policy.updated_at = utcnow()
    db.session.flush()
    return commit_response(PolicyOut().dump(policy), 201 if created else 200)


# -- calendars ----------------------------------------------------------------

@blp.route("/calendars", methods=["GET"])
@roles_required(*STAFF)
@blp.response(200, CalendarOut(many=True))
def list_calendars():
    """Working calendars with their ad-hoc exceptions."""
    from callcentre.models import WorkCalendar

    ensure_default_calendars()
    db.session.commit()
    return db.session.scalars(select(WorkCalendar).order_by(WorkCalendar.name)).all()


@blp.route("/calendars/<string:name>/exceptions", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(ExceptionIn)
@blp.response(201, CalendarOut)
def add_exception(data: dict[str, Any], name: str):
    """Add a day off (typhoon) or a worked day (swap); open tickets' deadlines are recomputed."""
    user = authenticated_user()
    try:
        calendar = calendar_row(name)
    except LookupError as exc:
        raise ApiError(404, f"no calendar named '{name}'") from exc
    existing = db.session.scalar(select(CalendarException).where(
        CalendarException.calendar_id == calendar.id, CalendarException.day == data["date"]))
    if existing is not None:
        existing.kind, existing.note = data["kind"], data["note"]
    else:
        calendar.exceptions.append(CalendarException(day=data["date"], kind=data["kind"], note=data["note"],
                                                     created_by_id=user.id))
    calendar.revision += 1
    db.session.flush()
    body = CalendarOut().dump(calendar)
    response = commit_response(body, 201)
    try:
        get_queue().enqueue("callcentre.sla.jobs.recompute_calendar_job", calendar.id,
                            job_id=f"sla-recompute-{calendar.id}-{calendar.revision}")
    except Exception:  # noqa: BLE001 - no Redis: do it now rather than leave deadlines wrong
        current_app.logger.warning("recompute not queued; running it in the request", exc_info=True)
        recompute_calendar(calendar.id)
    return response


# -- at risk, breaches ----------------------------------------------------------

@blp.route("/at-risk", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(AtRiskQuery, location="query")
@blp.response(200, AtRiskOut(many=True))
def at_risk(query: dict[str, Any]):
    """Running clocks due within the window (or already warned) and not yet breached, soonest first."""
    return at_risk_rows(query, authenticated_user())


def at_risk_rows(query: dict[str, Any], user: User) -> list[dict[str, Any]]:
    """The at-risk list (shared with the supervisor dashboard)."""
    now = datetime.now(UTC)
    until = now + parse_duration(query["within"])
    stmt = (
        select(SlaClock, Ticket.receipt_code, Ticket.status, Department.code, Category.code)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .where(SlaClock.stopped_at.is_(None), SlaClock.breached.is_(False), SlaClock.due_at.is_not(None),
               (SlaClock.due_at <= until) | SlaClock.warned.is_(True))
        .order_by(SlaClock.due_at).limit(500)
    )
    stmt = _dept_scope(stmt, Ticket.department_id, user, query.get("department"))
    if query.get("category"):
        stmt = stmt.where(Category.code == query["category"])
    if query.get("kind"):
        stmt = stmt.where(SlaClock.kind == query["kind"])
    out = []
    for clock, code, status, dept, cat in db.session.execute(stmt):
        left = sla_rules.remaining_at(to_state(clock), now, calendar_by_id(clock.calendar_id))
        out.append({"ticket_id": clock.ticket_id, "receipt_code": code, "kind": clock.kind, "deadline": clock.due_at,
                    "warned": clock.warned, "remaining_seconds": int(left.total_seconds()), "department": dept,
                    "category": cat, "status": status})
    return out


def _alerts_query(query: dict[str, Any], user: User):
    acker = aliased(User)
    stmt = (
        select(SlaAlert, Ticket.receipt_code, Department.code, Category.code, acker.username)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(Department, Department.id == SlaAlert.department_id)
        .outerjoin(acker, acker.id == SlaAlert.acknowledged_by_id)
        .where(SlaAlert.level == query.get("level", "breach"))
    )
    stmt = _dept_scope(stmt, SlaAlert.department_id, user, query.get("department"))
    if query.get("category"):
        stmt = stmt.where(Category.code == query["category"])
    if query.get("kind"):
        stmt = stmt.where(SlaAlert.kind == query["kind"])
    if query.get("detected_from"):
        stmt = stmt.where(SlaAlert.detected_at >= query["detected_from"])
    if query.get("detected_to"):
        stmt = stmt.where(SlaAlert.detected_at < query["detected_to"])
    if query.get("acknowledged") is not None:
        stmt = stmt.where(SlaAlert.acknowledged_at.is_not(None) if query["acknowledged"]
                          else SlaAlert.acknowledged_at.is_(None))
    return stmt.order_by(SlaAlert.detected_at.desc(), SlaAlert.id.desc())


def _alert_dict(alert: SlaAlert, code: str, dept: str | None, cat: str, acker: str | None) -> dict[str, Any]:
    return {"id": alert.id, "ticket_id": alert.ticket_id, "receipt_code": code, "kind": alert.kind,
            "level": alert.level, "deadline": alert.deadline, "detected_at": alert.detected_at, "department": dept,
            "category": cat, "acknowledged_at": alert.acknowledged_at, "acknowledged_by": acker,
            "ack_comment": alert.ack_comment}


@blp.route("/breaches", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(BreachQuery, location="query")
@blp.response(200, page_envelope(BreachOut, "BreachPage"))
def breaches(query: dict[str, Any]):
    """Recorded breaches (or ``level=warning``), newest first."""
    user = authenticated_user()
    stmt = _alerts_query(query, user)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page, per_page = query["page"], query["per_page"]
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return envelope([_alert_dict(*r) for r in rows], page, per_page, total)


@blp.route("/breaches/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(AckIn)
@blp.response(200, BreachOut)
def acknowledge(data: dict[str, Any], alert_id: int):
    """A supervisor acknowledges a breach with a comment (once)."""
    user = authenticated_user()
    alert = acknowledge_alert(alert_id, user, data["comment"])
    row = db.session.execute(_alerts_query({"level": alert.level}, user).where(SlaAlert.id == alert_id)).one()
    return commit_response(BreachOut().dump(_alert_dict(*row)), 200)


def acknowledge_alert(alert_id: int, user: User, comment: str) -> SlaAlert:
    """Record a supervisor's acknowledgement (once); the caller commits."""
    alert = db.session.get(SlaAlert, alert_id)
    if alert is None:
        raise ApiError(404, "no such breach")
    if alert.acknowledged_at is not None:
        raise ApiError(409, "already acknowledged")
    alert.acknowledged_at, alert.acknowledged_by_id, alert.ack_comment = utcnow(), user.id, comment.strip()
    db.session.flush()
    return alert


# -- summary --------------------------------------------------------------------

@blp.route("/summary", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(SummaryQuery, location="query")
@blp.response(200, SummaryRow(many=True))
def summary(query: dict[str, Any]):
    """Per department: open, at risk, breached (open), resolved in the period, on-time rate, medians."""
    return summary_rows(query, authenticated_user())


def summary_rows(query: dict[str, Any], user: User) -> list[dict[str, Any]]:
    """Per-department figures (shared with the supervisor dashboard)."""
    now = datetime.now(UTC)
    until = now + parse_duration(query["within"])
    start, end = query.get("period_from"), query.get("period_to") or now
    departments = _dept_scope(select(Department).where(Department.active.is_(True)), Department.id, user, None)
    depts = db.session.scalars(departments.order_by(Department.name_vi)).all()
    open_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.department_id)).all())
    running = and_(SlaClock.ticket_id == Ticket.id, SlaClock.stopped_at.is_(None))
    breached_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(Ticket.status.in_(OPEN_STATUSES),
                                                         exists().where(running, SlaClock.breached.is_(True)))
        .group_by(Ticket.department_id)).all())
    at_risk_counts = dict(db.session.execute(
        select(Ticket.department_id, func.count()).where(
            Ticket.status.in_(OPEN_STATUSES),
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
