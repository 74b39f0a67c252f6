"""The server-rendered web UI (Vietnamese first): one blueprint per area."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_login import current_user

from callcentre.web import helpers


def register_web(app: Flask) -> None:
    from callcentre.web.admin_audit import bp as admin_audit_bp
    from callcentre.web.admin_clients import bp as admin_clients_bp
    from callcentre.web.admin_home import bp as admin_home_bp
    from callcentre.web.admin_org import bp as admin_org_bp
    from callcentre.web.admin_routing import bp as admin_routing_bp
    from callcentre.web.admin_sla import bp as admin_sla_bp
    from callcentre.web.admin_templates import bp as admin_templates_bp
    from callcentre.web.admin_users import bp as admin_users_bp
    from callcentre.web.attachments import bp as attachments_bp
    from callcentre.web.auth_views import bp as auth_bp
    from callcentre.web.citizen_report import bp as citizen_report_bp
    from callcentre.web.department import bp as department_bp
    from callcentre.web.ioc import bp as ioc_bp
    from callcentre.web.operator import bp as operator_bp
    from callcentre.web.public_answers import bp as public_answers_bp
    from callcentre.web.queue import bp as queue_bp
    from callcentre.web.reports import bp as reports_bp
    from callcentre.web.supervisor import bp as supervisor_bp

    for bp in (auth_bp, operator_bp, queue_bp, department_bp, attachments_bp, supervisor_bp, admin_audit_bp,
               admin_templates_bp):
        app.register_blueprint(bp)
    app.register_blueprint(admin_home_bp)
    app.register_blueprint(admin_users_bp)
    app.register_blueprint(admin_org_bp)
    app.register_blueprint(admin_sla_bp)
    app.register_blueprint(admin_clients_bp)
    for bp in (admin_routing_bp, reports_bp, ioc_bp, public_answers_bp, citizen_report_bp):
        app.register_blueprint(bp)
    helpers.install(app)

    @app.route("/")
    @helpers.page_roles("*")
    def home():
        return redirect(url_for(helpers.home_endpoint(current_user)))
