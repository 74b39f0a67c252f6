"""SLA policies, calendars, at-risk and breach review, per-department summary."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError, field_error
from callcentre.http.idempotency import commit_response
from callcentre.http.pagination import envelope
from callcentre.models import CalendarException, Category, SlaPolicy
from callcentre.models.types import utcnow
from callcentre.schemas.sla import (
    AckIn,
    AtRiskOut,
    AtRiskQuery,
    BreachOut,
    BreachPage,
    BreachQuery,
    CalendarOut,
    ExceptionIn,
    PolicyIn,
    PolicyOut,
    SummaryQuery,
    SummaryRow,
)
from callcentre.services.alerts import acknowledge_alert
from callcentre.services.queries import alert_view, alerts_page, at_risk_rows
from callcentre.services.reports import sla_summary
from callcentre.sla.calendars import calendar_row, ensure_default_calendars
from callcentre.sla.clocks import recompute_calendar
from workflows.roles import MANAGERS, STAFF

blp = Blueprint("sla", __name__, url_prefix="/api/v1/sla", description="SLA policies and breach review")


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
    policy.forward_within = data["forward_within"]  # omitted: NULL, the default applies
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


@blp.route("/breaches", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(BreachQuery, location="query")
@blp.response(200, BreachPage)
def breaches(query: dict[str, Any]):
    """Recorded breaches (or ``level=warning``), newest first."""
    page, per_page = query["page"], query["per_page"]
    items, total = alerts_page(query, authenticated_user(), page, per_page)
    return envelope(items, page, per_page, total)


@blp.route("/breaches/<int:alert_id>/acknowledge", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(AckIn)
@blp.response(200, BreachOut)
@blp.alt_response(409, response="CONFLICT", description="already acknowledged")
def acknowledge(data: dict[str, Any], alert_id: int):
    """A supervisor acknowledges a breach with a comment (once)."""
    user = authenticated_user()
    alert = acknowledge_alert(alert_id, user, data["comment"])
    return commit_response(BreachOut().dump(alert_view(alert, user)), 200)


# -- summary --------------------------------------------------------------------

@blp.route("/summary", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(SummaryQuery, location="query")
@blp.response(200, SummaryRow(many=True))
def summary(query: dict[str, Any]):
    """Per department: open, at risk, breached (open), resolved in the period, on-time rate, medians."""
    return sla_summary(query, authenticated_user())
