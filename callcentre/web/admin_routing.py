"""Routing rules (admin): category x commune -> department; list, filter, add, edit, delete.

The same service as ``/api/v1/routing/rules`` (services/routing.py): a refused field is shown
beside it (422, or 409 for a pair that has a rule already), the typed values kept and nothing
written. Deleting asks first, on a page of its own (no script needed).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField

from callcentre.core.extensions import db
from callcentre.formats.geo import commune_name
from callcentre.formats.limits import id_in_range
from callcentre.http.pagination import paginate
from callcentre.models import Category, User
from callcentre.models.routing import RoutingRule
from callcentre.services import org_admin, routing
from callcentre.services.org_admin import OrgError
from callcentre.web.forms import add_errors
from callcentre.web.helpers import html_errors, page_args, page_roles, pager
from workflows.roles import Role

bp = Blueprint("web_admin_routing", __name__)
html_errors(bp)


class RuleForm(FlaskForm):
    category = SelectField(_l("Lĩnh vực"), validate_choice=False)
    commune_code = SelectField(_l("Xã/phường"), validate_choice=False)
    department = SelectField(_l("Đơn vị xử lý"), validate_choice=False)
    active = BooleanField(_l("Đang áp dụng"), default=True)


class DeleteForm(FlaskForm):
    """The CSRF token of the confirmation."""


def _actor() -> User:
    return current_user._get_current_object()  # the proxy's User


def _categories() -> list[Category]:
    return list(db.session.scalars(org_admin.categories_query()))


def _fill(form: RuleForm, editing: RoutingRule | None, active: list[Category]) -> None:
    """The forms' lists: active categories and departments (and the rule's own while inactive)."""
    categories = list(active)
    departments = list(org_admin.active_departments())
    if editing is not None:
        if not editing.category.active:
            categories.insert(0, editing.category)
        if not editing.department.active:
            departments.insert(0, editing.department)
    form.category.choices = [("", "—")] + [(c.code, f"{c.name_vi} ({c.code})") for c in categories]
    form.commune_code.choices = [("", "—")] + [(code, f"{name} ({code})") for code, name in routing.commune_choices()]
    form.department.choices = [("", "—")] + [(d.code, f"{d.name_vi} ({d.code})") for d in departments]


def _filters(categories: list[Category]) -> dict[str, Any]:
    """``?category=&commune_code=`` as typed into the URL: a value that names nothing filters nothing."""
    filters: dict[str, Any] = {}
    category = request.args.get("category", "")
    if category and any(c.code == category for c in categories):
        filters["category"] = category
    commune = request.args.get("commune_code", "")
    if len(commune) <= 10 and commune_name(commune) is not None:
        filters["commune_code"] = commune
    return filters


def _page(form: RuleForm, editing: RoutingRule | None = None, status: int = 200):
    categories = _categories()
    _fill(form, editing, categories)
    filters = _filters(categories)
    page, per_page = page_args(50)
    rows, total = paginate(routing.rules_query(filters), page, per_page)
    return render_template("web/admin_routing.html", rows=rows, p=pager(page, per_page, total), form=form,
                           editing=editing, filters=filters, categories=categories,
                           communes=routing.commune_choices(), commune_name=commune_name), status


def _data(form: RuleForm) -> dict[str, Any]:
    return {"category": form.category.data or "", "commune_code": form.commune_code.data or "",
            "department": form.department.data or "", "active": bool(form.active.data)}


def _show_errors(form: RuleForm, exc: OrgError) -> None:
    for name, reason in exc.errors.items():
        field: Field | None = getattr(form, name, None)
        add_errors(field if field is not None else form.category, reason)


def _rule_or_404(rule_id: int) -> RoutingRule:
    row = db.session.get(RoutingRule, rule_id) if id_in_range(rule_id) else None
    if row is None:
        abort(404)
    return row


@bp.route("/admin/routing", methods=["GET"])
@page_roles(Role.ADMIN)
def rules():
    return _page(RuleForm())


@bp.route("/admin/routing", methods=["POST"])
@page_roles(Role.ADMIN)
def create_rule():
    form = RuleForm()
    if not form.validate_on_submit():  # the CSRF token only: the service checks the fields
        return _page(form, status=400)
    try:
        routing.create_rule(_data(form), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _page(form, status=exc.status)
    db.session.commit()
    flash(_("Đã thêm quy tắc phân công"), "success")
    return redirect(url_for(".rules"))


@bp.route("/admin/routing/<int:rule_id>", methods=["GET"])
@page_roles(Role.ADMIN)
def edit_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    form = RuleForm(formdata=None, data={"category": row.category.code, "commune_code": row.commune_code,
                                         "department": row.department.code, "active": row.active})
    return _page(form, editing=row)


@bp.route("/admin/routing/<int:rule_id>", methods=["POST"])
@page_roles(Role.ADMIN)
def update_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    form = RuleForm()
    if not form.validate_on_submit():
        return _page(form, editing=row, status=400)
    try:
        routing.update_rule(row, _data(form), _actor())
    except OrgError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return _page(form, editing=_rule_or_404(rule_id), status=exc.status)
    db.session.commit()
    flash(_("Đã lưu quy tắc phân công"), "success")
    return redirect(url_for(".rules"))


@bp.route("/admin/routing/<int:rule_id>/delete", methods=["GET"])
@page_roles(Role.ADMIN)
def confirm_delete(rule_id: int):
    row = _rule_or_404(rule_id)
    return render_template("web/admin_routing_delete.html", rule=row, form=DeleteForm(),
                           commune=commune_name(row.commune_code))


@bp.route("/admin/routing/<int:rule_id>/delete", methods=["POST"])
@page_roles(Role.ADMIN)
def delete_rule(rule_id: int):
    row = _rule_or_404(rule_id)
    if not DeleteForm().validate_on_submit():
        return render_template("web/admin_routing_delete.html", rule=row, form=DeleteForm(),
                               commune=commune_name(row.commune_code)), 400
    routing.delete_rule(row, _actor())
    db.session.commit()
    flash(_("Đã xóa quy tắc phân công"), "success")
    return redirect(url_for(".rules"))

