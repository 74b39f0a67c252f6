"""Routing rules: category x commune -> department (admin)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("routing", __name__, url_prefix="/api/v1/routing", description="Routing rules (admin)")
