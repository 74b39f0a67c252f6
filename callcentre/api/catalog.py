"""Categories and departments: the routing data every client needs."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.core.extensions import db
from callcentre.formats.textnorm import search_key
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Category
from callcentre.schemas.catalog import (
    CatalogQuery,
    CategoryCreate,
    CategoryOut,
    CategoryPage,
    CategoryUpdate,
    DepartmentCreate,
    DepartmentOut,
    DepartmentPage,
    DepartmentUpdate,
)
from callcentre.services import org_admin
from callcentre.services.org_admin import OrgError
from workflows.roles import STAFF, Role

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Categories and departments")


@blp.route("/categories", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(CatalogQuery, location="query")
@blp.response(200, CategoryPage)
def categories(query: dict[str, Any]):
    """Active categories; ``q=moi truong`` finds "Môi trường"."""
    stmt = org_admin.categories_query(_include_inactive(query))
    if query.get("q"):
        stmt = stmt.where(Category.search_text.contains(search_key(query["q"])))
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/departments", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(CatalogQuery, location="query")
@blp.response(200, DepartmentPage)
def departments(query: dict[str, Any]):
    """Active departments."""
    # A province has a few hundred departments at most: filter in Python, then page.
    rows = db.session.scalars(org_admin.departments_query(_include_inactive(query))).all()
    if query.get("q"):
        key = search_key(query["q"])
        rows = [d for d in rows if key in search_key(f"{d.name_vi} {d.name_en} {d.code}")]
    page, per_page = query["page"], query["per_page"]
    items = rows[(page - 1) * per_page: page * per_page]
    return envelope(items, page, per_page, len(rows))


def _include_inactive(query: dict[str, Any]) -> bool:
    if query.get("include_inactive") and authenticated_user().role != Role.ADMIN:
        raise ApiError(403, "only admins see deactivated departments and categories")
    return bool(query.get("include_inactive"))


def _refused(exc: OrgError) -> ApiError:
    if exc.status == 404:
        return ApiError(404, next(iter(exc.errors.values())))
    return ApiError(exc.status, "invalid input" if exc.status == 422 else "conflict",
                    {"json": {field: [reason] for field, reason in exc.errors.items()}})


@blp.route("/departments", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(DepartmentCreate)
@blp.response(201, DepartmentOut)
@blp.alt_response(409, response="CONFLICT", description="a department with this code exists")
def create_department(data: dict[str, Any]):
    """Create a department (audited); the code cannot change afterwards."""
    try:
        row = org_admin.create_department(data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row


@blp.route("/departments/<code>", methods=["PATCH"])
@roles_required(Role.ADMIN)
@blp.arguments(DepartmentUpdate)
@blp.response(200, DepartmentOut)
@blp.alt_response(404, response="NOT_FOUND", description="no department with this code")
@blp.alt_response(409, response="CONFLICT", description="deactivating the default department of active categories")
def update_department(data: dict[str, Any], code: str):
    """Change the fields sent (audited). Deactivating one that active categories route to is refused
    (409, naming them): move those categories first."""
    try:
        row = org_admin.update_department(org_admin.get_department(code), data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row


@blp.route("/categories", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(CategoryCreate)
@blp.response(201, CategoryOut)
@blp.alt_response(409, response="CONFLICT", description="a category with this code exists")
def create_category(data: dict[str, Any]):
    """Create a category routed to an active department (audited); the next ticket may use it."""
    try:
        row = org_admin.create_category(data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row


@blp.route("/categories/<code>", methods=["PATCH"])
@roles_required(Role.ADMIN)
@blp.arguments(CategoryUpdate)
@blp.response(200, CategoryOut)
@blp.alt_response(404, response="NOT_FOUND", description="no category with this code")
def update_category(data: dict[str, Any], code: str):
    """Change the fields sent (audited); a new default department routes the next ticket."""
    try:
        row = org_admin.update_category(org_admin.get_category(code), data, authenticated_user())
    except OrgError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return row
