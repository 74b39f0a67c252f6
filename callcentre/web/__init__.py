"""The server-rendered web UI (Vietnamese first): one blueprint per area."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import current_user

from . import helpers


def register_web(app: Flask) -> None:
    from .auth_views import bp as auth_bp
    from .department import bp as department_bp
    from .operator import bp as operator_bp
    from .supervisor import bp as supervisor_bp

    for bp in (auth_bp, operator_bp, department_bp, supervisor_bp):
        app.register_blueprint(bp)
    helpers.install(app)

    @app.route("/")
    @helpers.page_roles("*")
    def home():
        return redirect(url_for(helpers.home_endpoint(current_user)))
