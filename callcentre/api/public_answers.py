"""The published answers (no login)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("public_answers", __name__, url_prefix="/api/v1/public/answers",
                description="Published answers (no login)")
