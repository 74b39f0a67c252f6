"""``/api/v1/docs``: Swagger UI served from this app, not a CDN (works offline, nothing to trust).

The files come from the pinned ``swagger-ui-bundle`` package; the page is ours because
flask-smorest's has an inline script, which the Content-Security-Policy forbids
(http/security.py). ``static/api-docs.js`` starts Swagger UI on ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("swagger_ui", __name__, static_folder=str(swagger_ui_path), static_url_path="/api/v1/docs/assets")


@bp.route("/api/v1/docs")
def docs_page() -> str:
    """Open, like the OpenAPI document it shows: every operation still checks its caller."""
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
