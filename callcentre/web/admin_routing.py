"""Routing rules (admin): category x commune -> department."""

from __future__ import annotations

from flask import Blueprint

from callcentre.web.helpers import html_errors

bp = Blueprint("web_admin_routing", __name__)
html_errors(bp)
