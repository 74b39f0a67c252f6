"""Citizen message templates (admin): list, edit one text, reset it to the default.

The rules (services/message_templates.py) are the admin page's: a refused body is a 422 naming
the field and the reason, in the request's language (Vietnamese first).
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError, field_error
from callcentre.schemas.message_template import MessageTemplateIn, MessageTemplateOut
from callcentre.services import message_templates as templates
from callcentre.services.message_templates import TemplateError
from workflows.roles import Role

blp = Blueprint("message_templates", __name__, url_prefix="/api/v1/message-templates",
                description="The SMS and Zalo texts sent to citizens (admin)")
PATH = "/<kind>/<language>/<channel>"


def _refused(exc: TemplateError) -> ApiError:
    return field_error(exc.field, str(exc), exc.status) if exc.field else ApiError(exc.status, str(exc))


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, MessageTemplateOut(many=True))
def list_templates():
    """Every kind × language for SMS (and Zalo when it is in use), with the text sent now."""
    return templates.list_templates()


@blp.route(PATH, methods=["PUT"])
@roles_required(Role.ADMIN)
@blp.arguments(MessageTemplateIn)
@blp.response(200, MessageTemplateOut)
def update_template(data: dict[str, Any], kind: str, language: str, channel: str):
    """Save a new text; the next message of that kind uses it (audited: ``template_update``)."""
    try:
        view = templates.update_template(kind, language, channel, data["body"], authenticated_user())
    except TemplateError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return view


@blp.route(PATH, methods=["DELETE"])
@roles_required(Role.ADMIN)
@blp.response(200, MessageTemplateOut)
def reset_template(kind: str, language: str, channel: str):
    """Back to the built-in default text (audited when it changes)."""
    try:
        view = templates.reset_template(kind, language, channel, authenticated_user())
    except TemplateError as exc:
        raise _refused(exc) from exc
    db.session.commit()
    return view
