"""User administration pages (admin): the list with a create form, and one account's page (edit,
deactivate/activate, reset password, its API tokens). Every write goes through services/accounts.py
(the same rules as ``/api/v1/users``) and is audited in its own transaction, as the API does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Optional, Regexp

from callcentre.core.extensions import db
from callcentre.http.pagination import paginate
from callcentre.http.request_guard import checks_own_text
from callcentre.models import ApiToken, Department, User
from callcentre.services import accounts, audit
from callcentre.services.accounts import USERNAME, AccountError
from callcentre.web.forms import REQUIRED, StorableText, add_errors
from callcentre.web.helpers import html_errors, page_args, page_roles, pager
from workflows.roles import Role

bp = Blueprint("web_admin_users", __name__, url_prefix="/admin")
html_errors(bp)

ROLE_LABELS = {Role.OPERATOR.value: _l("Tổng đài viên"), Role.DEPARTMENT_OFFICER.value: _l("Cán bộ đơn vị"),
               Role.DEPARTMENT_HEAD.value: _l("Lãnh đạo đơn vị"), Role.SUPERVISOR.value: _l("Giám sát viên"),
               Role.ADMIN.value: _l("Quản trị viên")}
TOKEN_STATE_LABELS = {"active": _l("Đang dùng"), "expired": _l("Đã hết hạn"), "revoked": _l("Đã thu hồi")}
ACTIVE_CHOICES = {"1": _l("Đang hoạt động"), "0": _l("Đã khóa")}


class _AccountFields(FlaskForm):
    full_name = StringField(_l("Họ tên"), validators=[Optional(), StorableText(200)])
    # The service checks the role and department (its reason is Vietnamese first), as for the API.
    role = SelectField(_l("Vai trò"), choices=list(ROLE_LABELS.items()), validate_choice=False)
    department = SelectField(_l("Đơn vị (bắt buộc với cán bộ, lãnh đạo đơn vị)"), validate_choice=False)


class UserCreateForm(_AccountFields):
    username = StringField(_l("Tên đăng nhập"), validators=[
        DataRequired(REQUIRED), StorableText(80),
        Regexp(USERNAME, message=_l("2–80 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang"))])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(REQUIRED), StorableText(200)])


class UserEditForm(_AccountFields):
    pass


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED), StorableText(200)])


class ActionForm(FlaskForm):
    """A button's form: nothing but the CSRF token."""


def _department_choices(current: Department | None = None) -> list[tuple[str, str]]:
    """Active departments (and the user's own, even if deactivated since), "none" first."""
    rows = db.session.scalars(select(Department).order_by(Department.name_vi)).all()
    shown = [d for d in rows if d.active or (current is not None and d.id == current.id)]
    return [("", _("— Không thuộc đơn vị —")), *((d.code, f"{d.name_vi} ({d.code})") for d in shown)]


def _refused(form: FlaskForm, exc: AccountError) -> str | None:
    """Show a service refusal beside its field; a refusal of no field is returned for the page."""
    field = {"department": "department", "role": "role", "password": "password",
             "username": "username", "full_name": "full_name"}.get(exc.field or "")
    if field is not None and field in form:
        add_errors(form[field], str(exc))
        return None
    return str(exc)


def _audit_user(action: str, user: User, before: dict[str, Any] | None, **extra: Any) -> None:
    audit.record(action, actor=current_user._get_current_object(), target_type="user", target_id=user.id,
                 details={**audit.changes(before, audit.user_state(user)), **extra})


def _filters() -> tuple[dict[str, Any], dict[str, str]]:
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    role = request.args.get("role", "")
    if role and role not in ROLE_LABELS:
        errors["role"] = _("Giá trị không hợp lệ")
    elif role:
        filters["role"] = role
    active = request.args.get("active", "")
    if active and active not in ACTIVE_CHOICES:
        errors["active"] = _("Giá trị không hợp lệ")
    elif active:
        filters["active"] = active == "1"
    return filters, errors


def _list_page(form: UserCreateForm, status: int = 200) -> Any:
    page, per_page = page_args(50)
    filters, errors = _filters()
    rows, total = paginate(accounts.users_query(**filters), page, per_page) if not errors else ([], 0)
    g.list_endpoint = "web_admin_users.users"  # the pager links to the list, also after a refused POST
    return render_template("web/admin_users.html", rows=rows, p=pager(page, per_page, total), args=request.args,
                           errors=errors, form=form, roles=ROLE_LABELS, actives=ACTIVE_CHOICES,
                           this_page=url_for("web_admin_users.users")), 422 if errors else status


@bp.route("/users")
@page_roles(Role.ADMIN)
def users():
    """Every account by username (filters ``role``, ``active``), and the form for a new one."""
    form = UserCreateForm(formdata=None)
    form.department.choices = _department_choices()
    return _list_page(form)


@bp.route("/users", methods=["POST"])
@checks_own_text  # a NUL or an overlong text is shown beside its field
@page_roles(Role.ADMIN)
def create_user():
    form = UserCreateForm()
    form.department.choices = _department_choices()
    if form.validate():
        try:
            user = accounts.create_user((form.username.data or "").strip(), form.role.data or "",
                                        form.password.data or "", department_code=form.department.data or None,
                                        full_name=(form.full_name.data or "").strip())
        except AccountError as exc:
            db.session.rollback()
            message = _refused(form, exc)
            if message:
                flash(message, "error")
        else:
            _audit_user("user_create", user, None)
            db.session.commit()
            flash(_("Đã tạo tài khoản %(name)s", name=user.username), "success")
            return redirect(url_for("web_admin_users.user_page", user_id=user.id), 303)
    return _list_page(form, 422)


def _user_or_404(user_id: int) -> User:
    try:
        return accounts.get_user(user_id)
    except AccountError:
        abort(404)


def _user_page(user: User, edit: UserEditForm | None = None, password: PasswordForm | None = None,
               error: str | None = None, status: int = 200) -> Any:
    if edit is None:
        edit = UserEditForm(formdata=None, full_name=user.full_name, role=user.role,
                            department=user.department.code if user.department else "")
        edit.department.choices = _department_choices(user.department)
    tokens: list[ApiToken] = list(accounts.tokens_of(user))
    return render_template("web/admin_user.html", user=user, edit=edit,
                           password=password or PasswordForm(formdata=None), action=ActionForm(formdata=None),
                           tokens=tokens, roles=ROLE_LABELS, token_states=TOKEN_STATE_LABELS, error=error,
                           is_self=user.id == current_user.id,
                           this_page=url_for("web_admin_users.user_page", user_id=user.id)), status


@bp.route("/users/<int:user_id>")
@page_roles(Role.ADMIN)
def user_page(user_id: int):
    return _user_page(_user_or_404(user_id))


@bp.route("/users/<int:user_id>", methods=["POST"])
@checks_own_text  # a NUL or an overlong text is shown beside its field
@page_roles(Role.ADMIN)
def update_user(user_id: int):
    """Full name, role and department; a non-department role may keep no department."""
    user = _user_or_404(user_id)
    form = UserEditForm()
    form.department.choices = _department_choices(user.department)
    if form.validate():
        before = audit.user_state(user)
        try:
            accounts.update_user(user, role=form.role.data, department_code=form.department.data or None,
                                 full_name=(form.full_name.data or "").strip(),
                                 actor=current_user._get_current_object())
        except AccountError as exc:
            db.session.rollback()
            return _user_page(user, edit=form, error=_refused(form, exc), status=422)
        if audit.user_state(user) != before:
            _audit_user("user_update", user, before)
            db.session.commit()
            flash(_("Đã lưu thay đổi"), "success")
        else:
            flash(_("Không có gì thay đổi"), "info")
        return redirect(url_for("web_admin_users.user_page", user_id=user.id), 303)
    return _user_page(user, edit=form, status=422)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@page_roles(Role.ADMIN)
def set_active(user_id: int):
    """``active=0`` deactivates (their web sessions end, tokens refused), ``active=1`` restores."""
    user = _user_or_404(user_id)
    form = ActionForm()
    value = request.form.get("active", "")
    if not form.validate() or value not in ("0", "1"):
        return _user_page(user, error=_("Yêu cầu không hợp lệ, hãy tải lại trang"), status=422)
    before = audit.user_state(user)
    try:
        accounts.set_active(user, value == "1", actor=current_user._get_current_object())
    except AccountError as exc:
        db.session.rollback()
        return _user_page(user, error=str(exc), status=exc.status)
    _audit_user("user_update", user, before)
    db.session.commit()
    flash(_("Đã mở khóa tài khoản") if user.active else _("Đã khóa tài khoản; các phiên đăng nhập đã kết thúc"),
          "success")
    return redirect(url_for("web_admin_users.user_page", user_id=user.id), 303)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@checks_own_text  # a NUL or an overlong text is shown beside its field
@page_roles(Role.ADMIN)
def reset_password(user_id: int):
    """A new password (the policy of a new account); the user's other web sessions end."""
    user = _user_or_404(user_id)
    form = PasswordForm()
    if form.validate():
        keep = g.get("staff_session_id") if user.id == current_user.id else None
        try:
            ended = accounts.reset_password(user, form.password.data or "", keep_session=keep)
        except AccountError as exc:
            db.session.rollback()
            return _user_page(user, password=form, error=_refused(form, exc), status=422)
        _audit_user("user_update", user, audit.user_state(user), changed=["password"])  # as the API: never the password
        db.session.commit()
        flash(_("Đã đặt mật khẩu mới; %(n)d phiên đăng nhập đã kết thúc", n=ended), "success")
        return redirect(url_for("web_admin_users.user_page", user_id=user.id), 303)
    return _user_page(user, password=form, status=422)


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@page_roles(Role.ADMIN)
def revoke_token(user_id: int, token_id: int):
    user = _user_or_404(user_id)
    token = accounts.token_of(user, token_id)
    if token is None:
        abort(404)
    if not ActionForm().validate():
        return _user_page(user, error=_("Yêu cầu không hợp lệ, hãy tải lại trang"), status=422)
    accounts.revoke_token(token)
    audit.record("token_revoke", actor=current_user._get_current_object(), target_type="token",
                 target_id=token.id, details=audit.token_state(token))
    db.session.commit()
    flash(_("Đã thu hồi token %(prefix)s…", prefix=token.prefix), "success")
    return redirect(url_for("web_admin_users.user_page", user_id=user.id), 303)

