"""Supervisor dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..models import Role
from .helpers import html_errors, page_roles

bp = Blueprint("web_supervisor", __name__, url_prefix="/supervisor")
html_errors(bp)


@bp.route("")
@page_roles(Role.SUPERVISOR)
def dashboard():
    return render_template("web/supervisor.html")
