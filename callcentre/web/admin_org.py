"""Departments and categories (admin): list, create, edit; the same service as ``/api/v1``.

A refused field is shown beside it (422, or 409 for a taken code or a department still routed
to), the typed values kept and nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField

from callcentre.core.extensions import db
from callcentre.http.pagination import paginate
from callcentre.models import Category, Department, User
from callcentre.services import org_admin
from callcentre.services.org_admin import OrgError
from callcentre.web.forms import add_errors
from callcentre.web.helpers import html_errors, page_args, page_roles, pager
from workflows.roles import Role

bp = Blueprint("web_admin_org", __name__, url_prefix="/admin")
html_errors(bp)

LEVEL_LABELS = {"province": _l("Cấp tỉnh (sở, ngành)"), "commune": _l("Cấp xã (UBND xã, phường)")}
MAX_CODE_INPUT = 2000  # a longer comma list cannot be 200 commune codes


class DepartmentForm(FlaskForm):
    # Limits are the service's (one validation for the API and this form); maxlength only guides typing.
    code = StringField(_l("Mã đơn vị"), render_kw={"maxlength": 40, "autocapitalize": "characters"})
    name_vi = StringField(_l("Tên tiếng Việt"), render_kw={"maxlength": 200})
    name_en = StringField(_l("Tên tiếng Anh (không bắt buộc)"), render_kw={"maxlength": 200})
    level = SelectField(_l("Cấp"), choices=list(LEVEL_LABELS.items()), default="province", validate_choice=False)
    commune_codes = TextAreaField(_l("Mã các xã/phường phụ trách (UBND xã, phường)"),
                                  render_kw={"maxlength": MAX_CODE_INPUT, "rows": 2})
    active = BooleanField(_l("Đang hoạt động"), default=True)


class CategoryForm(FlaskForm):
    code = StringField(_l("Mã lĩnh vực"), render_kw={"maxlength": 40, "autocapitalize": "characters"})
    name_vi = StringField(_l("Tên tiếng Việt"), render_kw={"maxlength": 200})
    name_en = StringField(_l("Tên tiếng Anh (không bắt buộc)"), render_kw={"maxlength": 200})
    default_department = SelectField(_l("Đơn vị xử lý mặc định"), validate_choice=False)
    level = SelectField(_l("Cấp"), choices=list(LEVEL_LABELS.items()), default="province", validate_choice=False)
    active = BooleanField(_l("Đang hoạt động"), default=True)
    publish_by_default = BooleanField(_l("Mặc định công khai trả lời"), default=False)


def _actor() -> User:
    return current_user._get_current_object()  # the proxy's User


def _show_errors(form: FlaskForm, exc: OrgError) -> None:
    for name, reason in exc.errors.items():
        field: Field | None = getattr(form, name, None)
        add_errors(field if field is not None else form.code, reason)


def _department_data(form: DepartmentForm, with_code: bool) -> dict[str, Any]:
    raw = form.commune_codes.data or ""
    data: dict[str, Any] = {"name_vi": form.name_vi.data, "name_en": form.name_en.data, "level": form.level.data,
                            "active": bool(form.active.data)}
    if len(raw) > MAX_CODE_INPUT:
        data["commune_codes"] = "x"  # refused by the service as not a list, with its message
    else:
        data["commune_codes"] = [c for c in raw.replace(";", ",").replace("\n", ",").split(",") if c.strip()]
    if with_code:
        data["code"] = (form.code.data or "").strip().upper()
    return data


def _category_data(form: CategoryForm, with_code: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"name_vi": form.name_vi.data, "name_en": form.name_en.data,
                            "default_department": form.default_department.data, "level": form.level.data,
                            "active": bool(form.active.data), "publish_by_default": bool(form.publish_by_default.data)}
    if with_code:
        data["code"] = (form.code.data or "").strip().upper()
    return data


def _departments_page(form: DepartmentForm, editing: Department | None = None, status: int = 200):
    page, per_page = page_args(50)
    rows, total = paginate(org_admin.departments_query(include_inactive=True), page, per_page)
    return render_template("web/admin_departments.html", rows=rows, p=pager(page, per_page, total), form=form,
                           editing=editing, levels=LEVEL_LABELS), status


def _categories_page(form: CategoryForm, editing: Category | None = None, status: int = 200):
    page, per_page = page_args(50)
    rows, total = paginate(org_admin.categories_query(include_inactive=True), page, per_page)
    # The current department stays offered while it is inactive, so an edit form shows it.
    departments = list(org_admin.active_departments())
    if editing is not None and not editing.default_department.active:
        departments.insert(0, editing.default_department)
    form.default_department.choices = [("", "—")] + [(d.code, f"{d.name_vi} ({d.code})") for d in departments]
    return render_template("web/admin_categories.html", rows=rows, p=pager(page, per_page, total), form=form,
                           editing=editing, levels=LEVEL_LABELS), status


def _department_or_404(code: str) -> Department:
    try:
        return org_admin.get_department(code)
    except OrgError:
        abort(404)


# -- departments --------------------------------------------------------------

@bp.route("/departments", methods=["GET"])
@page_roles(Role.ADMIN)
def departments():
    return _departments_page(DepartmentForm())


@bp.route("/departments", methods=["POST"])
@page_roles(Role.ADMIN)
def create_department():
    form = DepartmentForm()
    if not form.validate_on_submit():  # the CSRF token only: the service checks the fields
        return _departments_page(form, status=400)
    try:
        row = org_admin.create_department(_department_data(form, True), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _departments_page(form, status=exc.status)
    db.session.commit()
    flash(_("Đã tạo đơn vị %(code)s", code=row.code), "success")
    return redirect(url_for(".departments"))


@bp.route("/departments/<code>", methods=["GET"])
@page_roles(Role.ADMIN)
def edit_department(code: str):
    row = _department_or_404(code)
    form = DepartmentForm(obj=row, formdata=None)
    form.commune_codes.data = ", ".join(row.commune_codes or [])
    return _departments_page(form, editing=row)


@bp.route("/departments/<code>", methods=["POST"])
@page_roles(Role.ADMIN)
def update_department(code: str):
    row = _department_or_404(code)
    form = DepartmentForm()
    if not form.validate_on_submit():
        return _departments_page(form, editing=row, status=400)
    try:
        org_admin.update_department(row, _department_data(form, False), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _departments_page(form, editing=org_admin.get_department(code), status=exc.status)
    db.session.commit()
    flash(_("Đã lưu đơn vị %(code)s", code=code), "success")
    return redirect(url_for(".departments"))


# -- categories ---------------------------------------------------------------

def _category_or_404(code: str) -> Category:
    try:
        return org_admin.get_category(code)
    except OrgError:
        abort(404)


@bp.route("/categories", methods=["GET"])
@page_roles(Role.ADMIN)
def categories():
    return _categories_page(CategoryForm())


@bp.route("/categories", methods=["POST"])
@page_roles(Role.ADMIN)
def create_category():
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form, status=400)
    try:
        row = org_admin.create_category(_category_data(form, True), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _categories_page(form, status=exc.status)
    db.session.commit()
    flash(_("Đã tạo lĩnh vực %(code)s", code=row.code), "success")
    return redirect(url_for(".categories"))


@bp.route("/categories/<code>", methods=["GET"])
@page_roles(Role.ADMIN)
def edit_category(code: str):
    row = _category_or_404(code)
    form = CategoryForm(obj=row, formdata=None)
    form.default_department.data = row.default_department.code
    return _categories_page(form, editing=row)


@bp.route("/categories/<code>", methods=["POST"])
@page_roles(Role.ADMIN)
def update_category(code: str):
    row = _category_or_404(code)
    form = CategoryForm()
    if not form.validate_on_submit():
        return _categories_page(form, editing=row, status=400)
    try:
        org_admin.update_category(row, _category_data(form, False), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _categories_page(form, editing=org_admin.get_category(code), status=exc.status)
    db.session.commit()
    flash(_("Đã lưu lĩnh vực %(code)s", code=code), "success")
    return redirect(url_for(".categories"))
