"""SLA policies and working calendars (admin): the same schemas and service as ``/api/v1/sla``.

A refused field is shown beside it (422), the typed values kept and nothing written. Changing a
calendar's exceptions recomputes its open deadlines in the request, so the page can say how many.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import Field, SelectField, StringField

from callcentre.core.extensions import db
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Category, Priority, SlaPolicy, User, WorkCalendar
from callcentre.schemas.sla import ExceptionIn, PolicyIn
from callcentre.services import sla_admin
from callcentre.services.sla_admin import SlaAdminError
from callcentre.sla.calendars import ensure_default_calendars
from callcentre.web.forms import add_errors
from callcentre.web.helpers import html_errors, page_roles
from workflows.durations import parse_duration_parts
from workflows.roles import Role

bp = Blueprint("web_admin_sla", __name__, url_prefix="/admin")
html_errors(bp)

PRIORITY_LABELS = {"normal": _l("Thường"), "high": _l("Cao"), "urgent": _l("Khẩn")}
KIND_LABELS = {"day_off": _l("Ngày nghỉ (bão, lũ...)"), "working_day": _l("Ngày làm bù")}
CALENDAR_LABELS = {"working_hours": _l("Giờ hành chính"), "24x7": _l("Cả ngày, mọi ngày (24/7)")}
WEEKDAYS = (_l("Thứ Hai"), _l("Thứ Ba"), _l("Thứ Tư"), _l("Thứ Năm"), _l("Thứ Sáu"), _l("Thứ Bảy"), _l("Chủ Nhật"))
DURATION_HINT = _l("Dạng ISO 8601: PT4H là 4 giờ, P5D là 5 ngày làm việc, P1DT4H là 1 ngày 4 giờ; tối đa 365 ngày")
# Per field, the page's message for whatever the schema refused (its own reasons are English).
FIELD_MESSAGES = {
    "category": _l("Chọn một lĩnh vực"), "priority": _l("Chọn một mức ưu tiên"),
    "accept_within": DURATION_HINT, "resolve_within": DURATION_HINT, "forward_within": DURATION_HINT,
    "warn_at": _l("Một số từ 0,01 đến 0,99, ví dụ 0,75 (cảnh báo khi đã dùng 75% thời hạn)"),
    "calendar": _l("Chọn một lịch làm việc"),
    "date": _l("Chọn một ngày hợp lệ"), "kind": _l("Chọn loại ngày"),
    "note": _l("Ghi chú không quá 200 ký tự, không có ký tự điều khiển"),
}


class PolicyForm(FlaskForm):
    # Limits are the schema's (one validation for the API and this form); maxlength only guides typing.
    category = SelectField(_l("Lĩnh vực"), validate_choice=False)
    priority = SelectField(_l("Mức ưu tiên"), choices=list(PRIORITY_LABELS.items()), validate_choice=False)
    accept_within = StringField(_l("Thời hạn tiếp nhận"), render_kw={"maxlength": 40, "placeholder": "PT4H"})
    resolve_within = StringField(_l("Thời hạn giải quyết"), render_kw={"maxlength": 40, "placeholder": "P5D"})
    forward_within = StringField(_l("Thời hạn chuyển đơn vị (để trống: mặc định)"),
                                 render_kw={"maxlength": 40, "placeholder": "PT30M"})
    warn_at = StringField(_l("Cảnh báo khi đã dùng (tỉ lệ)"), default="0.75",
                          render_kw={"maxlength": 10, "inputmode": "decimal"})
    calendar = SelectField(_l("Lịch làm việc"), choices=list(CALENDAR_LABELS.items()), validate_choice=False)


class ExceptionForm(FlaskForm):
    date = StringField(_l("Ngày"), render_kw={"type": "date", "maxlength": 10})
    kind = SelectField(_l("Loại"), choices=list(KIND_LABELS.items()), validate_choice=False)
    note = StringField(_l("Ghi chú (không bắt buộc)"), render_kw={"maxlength": 200})


class DeleteForm(FlaskForm):
    """The CSRF token of a delete button."""


def duration_words(value: str | None) -> str:
    """``P1DT4H`` as "1 ngày làm việc 4 giờ" (days are working days on the policy's calendar)."""
    if not value:
        return ""
    try:
        days, rest = parse_duration_parts(value)
    except (ValueError, TypeError):
        return value
    seconds = int(rest.total_seconds())
    parts = [_("%(n)d ngày làm việc", n=days)] if days else []
    for amount, unit in ((seconds // 3600, _("giờ")), (seconds % 3600 // 60, _("phút")), (seconds % 60, _("giây"))):
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts)


def _actor() -> User:
    return current_user._get_current_object()  # the proxy's User


def _show(form: FlaskForm, fields: dict[str, Any]) -> None:
    for name in fields:
        field: Field | None = getattr(form, name, None)
        if field is not None:
            add_errors(field, str(FIELD_MESSAGES.get(name, _("Giá trị không hợp lệ"))))


def _policies_page(form: PolicyForm, status: int = 200):
    policies = db.session.scalars(select(SlaPolicy).join(Category).order_by(Category.code, SlaPolicy.priority)).all()
    categories = db.session.scalars(select(Category).order_by(Category.name_vi)).all()
    have = {(p.category.code, p.priority) for p in policies}
    # Per active category, the priorities without a policy: links that fill the form to create one.
    missing = [(c, todo) for c in categories if c.active
               if (todo := [p.value for p in Priority if (c.code, p.value) not in have])]
    form.category.choices = [("", "—")] + [(c.code, f"{c.name_vi} ({c.code})") for c in categories]
    return render_template("web/admin_policies.html", policies=policies, missing=missing, form=form,
                           priorities=PRIORITY_LABELS, calendars=CALENDAR_LABELS, words=duration_words), status


@bp.route("/policies", methods=["GET"])
@page_roles(Role.ADMIN)
def policies():
    """The table; ``?category=&priority=`` fills the form with that policy (or that pair, to create)."""
    form = PolicyForm(formdata=None)
    code, priority = request.args.get("category", "")[:50], request.args.get("priority", "")[:10]
    if code:
        form.category.data, form.priority.data = code, priority or "normal"
        row = db.session.scalar(select(SlaPolicy).join(Category).where(
            Category.code == code, SlaPolicy.priority == form.priority.data))
        if row is not None:
            form.accept_within.data, form.resolve_within.data = row.accept_within, row.resolve_within
            form.forward_within.data, form.warn_at.data = row.forward_within or "", str(row.warn_at)
            form.calendar.data = row.calendar.name
    return _policies_page(form)


@bp.route("/policies", methods=["POST"])
@checks_own_text  # a NUL or an overlong text is shown beside its field (422)
@page_roles(Role.ADMIN)
def save_policy():
    form = PolicyForm()
    if not form.validate_on_submit():  # the CSRF token only: the schema checks the fields
        return _policies_page(form, 400)
    warn = (form.warn_at.data or "").strip().replace(",", ".")
    raw = {"category": form.category.data or "", "priority": form.priority.data or "",
           "accept_within": (form.accept_within.data or "").strip(),
           "resolve_within": (form.resolve_within.data or "").strip(),
           "forward_within": (form.forward_within.data or "").strip() or None,
           "warn_at": warn or "0.75", "calendar": form.calendar.data or ""}
    try:
        data = PolicyIn().load(raw)
        policy, created = sla_admin.put_policy(data, _actor())
    except ValidationError as exc:
        refused = exc.normalized_messages()
        # The service's check too, so every refused field shows at once (the API answers it in a second round).
        if "category" not in refused and db.session.scalar(
                select(Category.id).where(Category.code == raw["category"])) is None:
            refused["category"] = ["unknown"]
        _show(form, refused)
        return _policies_page(form, 422)
    except SlaAdminError as exc:
        db.session.rollback()
        _show(form, exc.errors)
        return _policies_page(form, exc.status)
    db.session.commit()
    label = f"{policy.category.code} / {PRIORITY_LABELS.get(policy.priority, policy.priority)}"
    flash(_("Đã tạo chính sách %(p)s", p=label) if created else _("Đã lưu chính sách %(p)s", p=label), "success")
    return redirect(url_for(".policies"))


def _calendars_page(form: ExceptionForm, target: str | None = None, status: int = 200):
    ensure_default_calendars()
    rows = db.session.scalars(select(WorkCalendar).order_by(WorkCalendar.name)).all()
    return render_template("web/admin_calendars.html", calendars=rows, form=form, target=target,
                           kinds=KIND_LABELS, labels=CALENDAR_LABELS,
                           weekdays=WEEKDAYS, open_count=sla_admin.open_clock_count), status


@bp.route("/calendars", methods=["GET"])
@page_roles(Role.ADMIN)
def calendars():
    return _calendars_page(ExceptionForm(formdata=None))


def _recomputed(calendar: WorkCalendar) -> int:
    count = sla_admin.refresh_deadlines(calendar, inline=True)
    return count or 0


@bp.route("/calendars/<name>/exceptions", methods=["POST"])
@checks_own_text  # a NUL or an overlong note is shown beside its field (422)
@page_roles(Role.ADMIN)
def add_exception(name: str):
    form = ExceptionForm()
    if not form.validate_on_submit():
        return _calendars_page(form, name, 400)
    raw = {"date": (form.date.data or "").strip(), "kind": form.kind.data or "",
           "note": (form.note.data or "").strip() or None}
    try:
        calendar = sla_admin.add_exception(name, ExceptionIn().load(raw), _actor())
    except ValidationError as exc:
        _show(form, exc.normalized_messages())
        return _calendars_page(form, name, 422)
    except SlaAdminError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    count = _recomputed(calendar)
    flash(_("Đã thêm ngày %(day)s; đã tính lại %(n)d thời hạn đang chạy",
            day=ExceptionIn().load(raw)["date"].strftime("%d/%m/%Y"), n=count), "success")
    return redirect(url_for(".calendars"))


@bp.route("/calendars/<name>/exceptions/<int:exception_id>/delete", methods=["POST"])
@page_roles(Role.ADMIN)
def delete_exception(name: str, exception_id: int):
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        calendar = sla_admin.delete_exception(name, exception_id, _actor())
    except SlaAdminError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    count = _recomputed(calendar)
    flash(_("Đã xóa ngày ngoại lệ; đã tính lại %(n)d thời hạn đang chạy", n=count), "success")
    return redirect(url_for(".calendars"))
