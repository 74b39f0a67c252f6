"""/ioc: the operations-centre wall (supervisor)."""

from __future__ import annotations

from flask import Blueprint

from callcentre.web.helpers import html_errors

bp = Blueprint("web_ioc", __name__)
html_errors(bp)
