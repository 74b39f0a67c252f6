"""The JSON API under /api/v1 (flask-smorest: marshmallow + OpenAPI 3)."""

from __future__ import annotations

from flask import Flask

from callcentre.core.extensions import api, csrf


def register_api(app: Flask) -> None:
    from callcentre.api import (
        api_clients,
        calls,
        catalog,
        contacts,
        docs,
        messages,
        notifications,
        public,
        sla,
        tickets,
        transitions,
        users,
    )

    api.init_app(app)
    app.register_blueprint(docs.bp)  # /api/v1/docs, with Swagger UI's files from swagger-ui-bundle
    modules = (tickets, transitions, calls, contacts, catalog, public, sla, notifications, messages, api_clients,
               users)
    for module in modules:
        # Bearer-token callers carry no cookie to forge; session callers get
        # CSRF checked in auth.authenticated_user().
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
