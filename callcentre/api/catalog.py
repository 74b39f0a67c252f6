"""Categories and departments: the routing data every client needs."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.textnorm import search_key
from callcentre.http.auth import roles_required
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Category, Department
from callcentre.schemas.catalog import CatalogQuery, CategoryPage, DepartmentPage
from workflows.roles import STAFF

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Categories and departments")


@blp.route("/categories", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(CatalogQuery, location="query")
@blp.response(200, CategoryPage)
def categories(query: dict[str, Any]):
    """Active categories; ``q=moi truong`` finds "Môi trường"."""
    stmt = select(Category).where(Category.active.is_(True)).order_by(Category.name_vi)
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
    rows = db.session.scalars(
        select(Department).where(Department.active.is_(True))
        .order_by(Department.level.desc(), Department.name_vi)
    ).all()
    if query.get("q"):
        key = search_key(query["q"])
        rows = [d for d in rows if key in search_key(f"{d.name_vi} {d.name_en} {d.code}")]
    page, per_page = query["page"], query["per_page"]
    items = rows[(page - 1) * per_page: page * per_page]
    return envelope(items, page, per_page, len(rows))
