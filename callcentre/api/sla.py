"""SLA policies, calendars, at-risk and breach review, per-department summary."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import commit_response
from callcentre.http.pagination import envelope
from callcentre.models import Category, SlaPolicy
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
from callcentre.services import sla_admin
from callcentre.services.alerts import acknowledge_alert
from callcentre.services.queries import alert_view, alerts_page, at_risk_rows
from callcentre.services.reports import sla_summary
from callcentre.services.sla_admin import SlaAdminError
from callcentre.sla.calendars import ensure_default_calendars
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
    try:
        policy, created = sla_admin.put_policy(data, authenticated_user())
    except SlaAdminError as exc:
        raise _refused(exc) from exc
    return commit_response(PolicyOut().dump(policy), 201 if created else 200)


def _refused(exc: SlaAdminError) -> ApiError:
    if exc.status == 404:
        return ApiError(404, next(iter(exc.errors.values())))
    return ApiError(exc.status, "invalid input", {"json": {field: [reason] for field, reason in exc.errors.items()}})


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
    try:
        calendar = sla_admin.add_exception(name, data, authenticated_user())
    except SlaAdminError as exc:
        raise _refused(exc) from exc
    response = commit_response(CalendarOut().dump(calendar), 201)
    sla_admin.refresh_deadlines(calendar)
    return response


@blp.route("/calendars/<string:name>/exceptions/<int:exception_id>", methods=["DELETE"])
@roles_required(*MANAGERS)
@blp.response(200, CalendarOut)
def delete_exception(name: str, exception_id: int):
    """Remove an exception (its ``id`` from ``GET /calendars``); open tickets' deadlines are recomputed."""
    try:
        calendar = sla_admin.delete_exception(name, exception_id, authenticated_user())
    except SlaAdminError as exc:
        raise _refused(exc) from exc
    response = commit_response(CalendarOut().dump(calendar), 200)
    sla_admin.refresh_deadlines(calendar)
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
