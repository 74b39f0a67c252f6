"""/phan-anh: a citizen files a report on the web, verified by an SMS code."""

from __future__ import annotations

from flask import Blueprint

from callcentre.web.helpers import html_errors

bp = Blueprint("web_citizen_report", __name__)
html_errors(bp)
