"""Reports for a chosen period: JSON, xlsx, csv (supervisor, admin)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports (supervisor, admin)")
