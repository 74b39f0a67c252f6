"""A citizen's own web report, verified by an SMS code (no login)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("public_reports", __name__, url_prefix="/api/v1/public/reports",
                description="Citizen web reports (no login)")
