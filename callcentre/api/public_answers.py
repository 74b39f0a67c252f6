"""The published answers (no login): ``GET /api/v1/public/answers``."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from callcentre.core.extensions import limiter
from callcentre.http.errors import ApiError
from callcentre.http.pagination import envelope
from callcentre.schemas.public_answer import PublicAnswerPage, PublicAnswerQuery
from callcentre.services.public_answers import Filters, PublicAnswersError, answers_page

blp = Blueprint("public_answers", __name__, url_prefix="/api/v1/public/answers",
                description="Published answers (no login)")


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@blp.route("", methods=["GET"])
@limiter.limit(_public_limit)
@blp.doc(security=[])  # no login: published answers are public (Decision 31/2021/QĐ-TTg)
@blp.arguments(PublicAnswerQuery, location="query")
@blp.response(200, PublicAnswerPage)
def list_answers(query: dict[str, Any]):
    """Answers the departments published, newest answer first; by category, commune and words.
    Never the citizen's name, phone, description, exact address or photos; never a confidential case."""
    filters = Filters(category=query.get("category"), commune=query.get("commune"), q=query.get("q"))
    try:
        rows, total = answers_page(filters, query["page"], query["per_page"])
    except PublicAnswersError as exc:
        raise ApiError(422, "invalid filter", {"query": {exc.field: [exc.en]}}) from exc
    return envelope(rows, query["page"], query["per_page"], total)


# Read by the route audit (tests/api/test_platform.py): published answers need no login.
list_answers._roles = frozenset({"public"})  # a mark on a function
