"""Routing by place: rules ``category x commune -> department`` (admin) and the suggestion (front desk)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.geo import commune_exists, commune_name
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Category
from callcentre.schemas.routing import (
    RoutingRuleCreate,
    RoutingRuleOut,
    RoutingRulePage,
    RoutingRuleQuery,
    RoutingRuleUpdate,
    SuggestOut,
    SuggestQuery,
)
from callcentre.services import routing
from callcentre.services.org_admin import OrgError
from workflows.roles import INTAKE, Role

blp = Blueprint("routing", __name__, url_prefix="/api/v1/routing", description="Routing by place")


def _refused(exc: OrgError) -> ApiError:
    if exc.status == 404:
        return ApiError(404, next(iter(exc.errors.values())))
    return ApiError(exc.status, "invalid input" if exc.status == 422 else "conflict",
                    {"json": {field: [reason] for field, reason in exc.errors.items()}})


def _rule(rule_id: int):
    try:
        return routing.get_rule(rule_id)
    except OrgError as exc:
        raise _refused(exc) from exc


@blp.route("/rules", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(RoutingRuleQuery, location="query")
@blp.response(200, RoutingRulePage)
def list_rules(query: dict[str, Any]):
    """Rules by category code, then commune code; filter by category, commune, department, active."""
    items, total = paginate(routing.rules_query(query), query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/rules", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(RoutingRuleCreate)
@blp.response(201, RoutingRuleOut)
@blp.alt_response(409, response="CONFLICT", description="the category has a rule in this commune already")
def create_rule(data: dict[str, Any]):
    """Route a category filed in one commune to a department (audited); the next ticket follows it."""
    try:
        row = routing.create_rule(data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row


@blp.route("/rules/<int:rule_id>", methods=["PATCH"])
@roles_required(Role.ADMIN)
@blp.arguments(RoutingRuleUpdate)
@blp.response(200, RoutingRuleOut)
@blp.alt_response(409, response="CONFLICT", description="the category has a rule in this commune already")
def update_rule(data: dict[str, Any], rule_id: int):
    """Change the fields sent (audited)."""
    try:
        row = routing.update_rule(_rule(rule_id), data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row


@blp.route("/rules/<int:rule_id>", methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(204)
def delete_rule(rule_id: int):
    """Remove the rule (audited): the commune's tickets of the category are routed without it."""
    routing.delete_rule(_rule(rule_id), authenticated_user())
    db.session.commit()


@blp.route("/suggest", methods=["GET"])
@roles_required(*INTAKE)
@blp.arguments(SuggestQuery, location="query")
@blp.response(200, SuggestOut)
def suggest(query: dict[str, Any]):
    """The department a ticket of ``category`` would be routed to, the commune routed on (given, or
    found in ``address``) and why: what the console shows beside its department field."""
    errors: dict[str, list[str]] = {}
    category = db.session.scalar(select(Category).where(Category.code == query["category"],
                                                        Category.active.is_(True)))
    if category is None:
        errors["category"] = ["unknown category code"]
    if query.get("commune_code") and not commune_exists(query["commune_code"]):
        errors["commune_code"] = ["unknown commune code"]
    if errors or category is None:
        raise ApiError(422, "invalid input", {"query": errors})
    found = routing.route(category, query.get("commune_code"), query.get("address"))
    return {"department": found.department, "reason": found.reason, "reason_label": routing.reason_label(found.reason),
            "commune": {"code": found.commune_code, "name": commune_name(found.commune_code)}
            if found.commune_code else None,
            "commune_found": found.commune_found, "rule_id": found.rule_id}
