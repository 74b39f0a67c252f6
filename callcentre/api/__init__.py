"""The JSON API under /api/v1 (flask-smorest: marshmallow + OpenAPI 3)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint

from callcentre.core.extensions import api, csrf


def register_api(app: Flask) -> None:
    from callcentre.api import (
        api_clients,
        audit,
        calls,
        catalog,
        comments,
        contacts,
        docs,
        message_templates,
        messages,
        notifications,
        personal_data,
        public,
        public_answers,
        public_reports,
        queue,
        reports,
        routing,
        sla,
        tickets,
        transitions,
        users,
    )
    from callcentre.api.openapi_errors import ErrorResponses

    # An unknown query parameter (a misspelt filter: ``?stauts=closed``) is a 422 naming it, not
    # silently ignored: the schemas' own ``unknown=RAISE`` for every location, not webargs' EXCLUDE.
    Blueprint.ARGUMENTS_PARSER.unknown = None
    api.init_app(app, spec_kwargs={"extra_plugins": [ErrorResponses()]})  # the shared error answers
    app.register_blueprint(docs.bp)  # /api/v1/docs, with Swagger UI's files from swagger-ui-bundle
    modules = (tickets, transitions, comments, calls, contacts, catalog, public, sla, notifications, messages,
               api_clients, users, queue, audit, personal_data, message_templates, routing, reports, public_answers,
               public_reports)
    for module in modules:
        # Bearer-token callers carry no cookie to forge; session callers get
        # CSRF checked in auth.authenticated_user().
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
