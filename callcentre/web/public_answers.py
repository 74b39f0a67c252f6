"""/cong-khai: the published answers (no login)."""

from __future__ import annotations

from flask import Blueprint

from callcentre.web.helpers import html_errors

bp = Blueprint("web_public_answers", __name__)
html_errors(bp)
