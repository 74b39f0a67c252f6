"""Reports for a chosen period (supervisor, admin): figures, charts, downloads, the archive."""

from __future__ import annotations

from flask import Blueprint

from callcentre.web.helpers import html_errors

bp = Blueprint("web_reports", __name__)
html_errors(bp)
