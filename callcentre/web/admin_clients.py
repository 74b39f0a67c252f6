"""Open311 client applications (admin): the list, a new client with its key, revoking one.

The writes are services/api_clients.py's, as for ``/api/v1/api-clients`` (same rules, same
audit rows). A new key is shown once, in the answer to the POST that made it: never in a URL,
a flash, a log or the audit row, and the answer is ``no-store`` so no cache keeps it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from callcentre.core.extensions import db
from callcentre.http.pagination import paginate
from callcentre.http.request_guard import checks_own_text
from callcentre.models import ApiClient
from callcentre.services import api_clients
from callcentre.services.api_clients import NAME_MAX, ApiClientError
from callcentre.web.forms import REQUIRED, StorableText, add_errors
from callcentre.web.helpers import html_errors, page_args, page_roles, pager
from workflows.roles import Role

bp = Blueprint("web_admin_clients", __name__, url_prefix="/admin")
html_errors(bp)

NAME_HINT = _l("1–32 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang")


class ClientForm(FlaskForm):
    # The service checks the pattern (its reason in the page's language), as for the API.
    name = StringField(_l("Tên ứng dụng"), validators=[DataRequired(REQUIRED), StorableText(NAME_MAX)])


class ActionForm(FlaskForm):
    """A button's form: nothing but the CSRF token."""


def _page(status: int = 200, **context: Any) -> Response:
    """Every page of this screen is ``no-store``: the one with a new key must never be cached."""
    resp = make_response(render_template("web/admin_clients.html", action=ActionForm(formdata=None), **context),
                         status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _list_page(form: ClientForm, status: int = 200, created: tuple[ApiClient, str] | None = None) -> Response:
    page, per_page = page_args(50)
    rows, total = paginate(api_clients.clients_query(), page, per_page)
    g.list_endpoint = "web_admin_clients.clients"  # the pager links to the list, also after a POST
    return _page(status, rows=rows, p=pager(page, per_page, total), form=form, created=created,
                 name_hint=NAME_HINT)


@bp.route("/api-clients")
@page_roles(Role.ADMIN)
def clients():
    """Every client by name, active and revoked, and the form for a new one."""
    return _list_page(ClientForm(formdata=None))


@bp.route("/api-clients", methods=["POST"])
@checks_own_text  # a NUL or an overlong name is shown beside its field
@page_roles(Role.ADMIN)
def create_client():
    """The answer itself shows the key (no redirect: it would have to carry the key somewhere)."""
    form = ClientForm()
    if form.validate():
        try:
            row, plaintext = api_clients.create_client((form.name.data or "").strip(),
                                                       actor=current_user._get_current_object())
        except ApiClientError as exc:
            db.session.rollback()
            add_errors(form.name, str(exc))
            return _list_page(form, exc.status if exc.status in (409, 422) else 422)
        db.session.commit()  # the client and its audit row together
        return _list_page(ClientForm(formdata=None), created=(row, plaintext))
    form.name.data = (form.name.data or "").replace("\x00", "")  # kept as typed, but a NUL is no HTML
    return _list_page(form, 422)


def _client_or_404(name: str) -> ApiClient:
    try:
        return api_clients.get_client(name)
    except ApiClientError:
        abort(404)


@bp.route("/api-clients/<string:name>/revoke")
@page_roles(Role.ADMIN)
def confirm_revoke(name: str):
    row = _client_or_404(name)
    return _page(confirm=row)


@bp.route("/api-clients/<string:name>/revoke", methods=["POST"])
@page_roles(Role.ADMIN)
def revoke_client(name: str):
    row = _client_or_404(name)
    if not ActionForm().validate():
        return _page(422, confirm=row, error=_("Yêu cầu không hợp lệ, hãy tải lại trang"))
    changed = api_clients.revoke_client(row.name, actor=current_user._get_current_object())[1]
    if changed:
        db.session.commit()  # the revocation and its audit row together
        flash(_("Đã thu hồi khóa của ứng dụng %(name)s", name=row.name), "success")
    else:
        flash(_("Khóa của ứng dụng %(name)s đã được thu hồi trước đó", name=row.name), "info")
    return redirect(url_for("web_admin_clients.clients"), 303)
