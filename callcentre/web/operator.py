"""Operator console: screen pop by phone number, log a call into a ticket, the call-back list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import HiddenField, SelectField
from wtforms.validators import Optional

from callcentre.core.extensions import db
from callcentre.formats.geo import commune_exists
from callcentre.formats.limits import MIN_DATETIME, id_in_range
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.receipt import InvalidReceiptCode, normalize
from callcentre.formats.textnorm import search_key
from callcentre.http.errors import ApiError
from callcentre.http.pagination import paginate
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Call, Category, Department, Disposition, Ticket
from callcentre.schemas.ticket import TicketCreate, TicketSummaryOut
from callcentre.services import audit, routing
from callcentre.services.call_log import ConsoleCall, find_ticket_by_code, log_console_call
from callcentre.services.calls import LOGGED_BY_ANOTHER, OTHER_NUMBER, update_call
from callcentre.services.queries import caller_history
from callcentre.web.forms import CallForm, add_errors
from callcentre.web.helpers import (
    DISPOSITION_LABELS,
    csv_labels,
    csv_response,
    csv_times,
    html_errors,
    lang,
    page_args,
    page_roles,
    pager,
    streamed_rows,
    wants_csv,
)
from workflows.definition import WorkflowError
from workflows.roles import INTAKE

bp = Blueprint("web_operator", __name__, url_prefix="/operator")
html_errors(bp)
# Calls still owed a call-back: never answered, not yet called back, not a prank.
CALLBACK_DONE = (Disposition.CALLBACK_DONE.value, Disposition.PRANK.value)
_CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # calls.provider_call_id holds 64


class ConsoleForm(CallForm):
    """The call form, with the place a new ticket is about (routing by place, services/routing.py)."""

    commune_code = SelectField(_l("Xã/phường nơi xảy ra sự việc"), validators=[Optional()], validate_choice=False)
    # "1" while the department shown is the routing's suggestion (static/console_routing.js), not a
    # hand choice: the ticket is then routed at saving, as it would be with the field left empty.
    department_auto = HiddenField()


def _choices(form: ConsoleForm) -> tuple[Sequence[Category], Sequence[Department]]:
    categories = db.session.scalars(select(Category).where(Category.active.is_(True))
                                    .order_by(Category.name_vi)).all()
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    form.category.choices = [("", "—")] + [(c.code, c.name_vi) for c in categories]
    form.department.choices = [("", "—")] + [(d.code, d.name_vi) for d in departments]
    form.commune_code.choices = [("", "—")] + routing.commune_choices()
    return categories, departments


def _callbacks_stmt():
    return (select(Call).where(Call.answered_at.is_(None),
                               (Call.disposition.is_(None)) | (Call.disposition.not_in(CALLBACK_DONE)))
            .order_by(Call.started_at.desc(), Call.id.desc()))


def _call_sid(text: str | None) -> str | None:
    """The provider's call id (Twilio's CallSid) a screen pop passed, if it can be one."""
    text = (text or "").strip()
    return text if _CALL_SID.fullmatch(text) else None


def _page(form: ConsoleForm, status: int = 200, created: Ticket | None = None, call_sid: str | None = None,
          prefill: bool = False):
    """The console; ``prefill``: a fresh screen pop, whose name field starts with the caller's known name."""
    categories, departments = _choices(form)
    history, phone_error = None, None
    phone = (form.phone.data or "").strip()
    if phone:
        try:
            history = caller_history(to_e164(phone))
            history["tickets"] = TicketSummaryOut(many=True).dump(history["tickets"])
            if prefill and history["contact"] is not None and not form.name.data:
                form.name.data = history["contact"].name
        except InvalidPhone:
            phone_error = _("Số điện thoại không hợp lệ")
            if phone_error not in form.phone.errors:
                form.phone.errors = [*form.phone.errors, phone_error]
    page, per_page = page_args(10)
    callbacks, total = paginate(_callbacks_stmt(), page, per_page)
    if history is not None:  # the caller's history is on screen: a view of personal data
        _audit_view(history, "screen_pop")
    return render_template("web/operator.html", form=form, categories=categories, history=history,
                           created=created, callbacks=callbacks, p=pager(page, per_page, total),
                           search_key=search_key, call_sid=call_sid), status


def _audit_view(history: dict[str, Any], via: str) -> None:
    contact = history["contact"]
    audit.record("view_personal_data", actor=current_user._get_current_object(), target_type="contact",
                 target_id=contact.id if contact is not None else None,
                 details={"via": via, "phone": history["phone"]}, commit=True)


@bp.route("")
@page_roles(*INTAKE)
def console():
    """The console. ``?phone=`` is the screen pop a telephony client opens for an incoming call
    (with ``&call=`` its CallSid, if it knows it: the call is then logged into that very row)."""
    form = ConsoleForm(formdata=None)
    form.phone.data = request.args.get("phone", "")
    form.callback_of.data = request.args.get("callback", "")
    if form.phone.data:
        form.started_at.data = datetime.now(UTC).isoformat()  # the call started when it popped up
    created = None
    if _row_id(request.args.get("created", "")) is not None:
        created = db.session.get(Ticket, int(request.args["created"]))
    return _page(form, created=created, call_sid=_call_sid(request.args.get("call")), prefill=True)


def _started(form: ConsoleForm) -> datetime:
    try:
        value = datetime.fromisoformat(form.started_at.data or "")
    except ValueError:
        return datetime.now(UTC)
    now = datetime.now(UTC)
    return value if value.tzinfo and MIN_DATETIME <= value <= now else now


def _form_errors(form: ConsoleForm, messages: dict[str, Any]) -> None:
    """marshmallow's (possibly nested) messages -> the form's fields."""
    mapping = {"contact": "phone", "location": "address", "channel": "notes", "title": "description",
               "call_id": "notes"}
    for key, value in messages.items():
        if isinstance(value, dict):
            inner = ("phone" if key == "contact" and "phone" in value
                     else "commune_code" if key == "location" and "commune_code" in value else mapping.get(key, key))
            text = "; ".join(str(m) for v in value.values() for m in (v if isinstance(v, list) else [v]))
            add_errors(getattr(form, inner, form.notes), text)
            continue
        target = getattr(form, mapping.get(key, key), form.notes)
        add_errors(target, *(str(m) for m in (value if isinstance(value, list) else [value])))


def _ticket_data(form: ConsoleForm, phone: str | None) -> dict[str, Any] | None:
    """The form's ticket fields through the API's own schema; errors go onto the form. Without a
    valid phone the other fields are still checked (the contact is left out, not invented)."""
    raw: dict[str, Any] = {
        "channel": "phone", "category": form.category.data or "", "priority": form.priority.data,
        "description": form.description.data or "",
        "location": {"address": form.address.data or None, "commune_code": form.commune_code.data or None}
        if form.address.data or form.commune_code.data else None,
        "department": _hand_department(form),
    }
    if phone is not None:
        raw["contact"] = {"phone": phone, "name": form.name.data or None}
    try:
        return TicketCreate(partial=() if phone is not None else ("contact",)).load(raw)
    except ValidationError as exc:
        _form_errors(form, exc.messages_dict)
        return None


def _hand_department(form: ConsoleForm) -> str | None:
    """The department the operator chose by hand; None lets the routing decide."""
    if form.department_auto.data == "1":
        return None
    return form.department.data or None


def _check_place(form: ConsoleForm, departments: Sequence[Department]) -> None:
    """A commune or department the lists do not hold (a forged form): refused beside the field, in
    the page's language, and then left out of the ticket's data (not refused twice)."""
    hand = _hand_department(form)
    if hand and hand not in {d.code for d in departments}:
        add_errors(form.department, _("Không có đơn vị “%(code)s”", code=hand[:40]))
        form.department.data = ""
    commune = form.commune_code.data or ""
    if commune and (len(commune) > 10 or not commune_exists(commune)):
        add_errors(form.commune_code, _("Không có xã/phường mã %(code)s trong tỉnh", code=commune[:10]))
        form.commune_code.data = ""


def _row_id(text: str) -> int | None:
    """A row id typed into a URL or a hidden field; None unless it can name a row (1..2**31-1)."""
    return int(text) if text.isdigit() and id_in_range(int(text)) else None


@bp.route("", methods=["POST"])
@checks_own_text  # a NUL or an overlong note is shown beside its field (422), not as a 400 page
@page_roles(*INTAKE)
def log():
    """Log the call and its outcome in one transaction: nothing is half-written."""
    form = ConsoleForm()
    departments = _choices(form)[1]
    user = current_user._get_current_object()
    form.validate()  # collect every error, so all are shown at once
    _check_place(form, departments)
    phone: str | None = None
    try:
        phone = to_e164(form.phone.data or "")
    except InvalidPhone:
        if not form.phone.errors:
            form.phone.errors = [_("Số điện thoại không hợp lệ")]
    outcome = form.outcome.data
    target: Ticket | None = None
    if outcome == "attach":
        try:
            target = find_ticket_by_code(normalize(form.attach_code.data or ""))
        except InvalidReceiptCode:
            target = None
        if target is None:
            add_errors(form.attach_code, _("Không có phiếu với mã biên nhận này"))
    ticket_data = _ticket_data(form, phone) if outcome == "new_ticket" else None
    call_sid = _call_sid(request.form.get("provider_call_id"))
    if any(f.errors for f in form) or phone is None:
        return _page(form, 422, call_sid=call_sid)
    callback = form.callback_of.data
    entry = ConsoleCall(phone=phone, started_at=_started(form), ended_at=datetime.now(UTC), outcome=outcome,
                        notes=form.notes.data or None, ticket=ticket_data, department=_hand_department(form),
                        attach_to=target, callback_of=_row_id(callback or ""), provider_call_id=call_sid)
    try:
        ticket = log_console_call(entry, user)
        db.session.commit()
    except (ApiError, WorkflowError) as exc:
        db.session.rollback()
        field = getattr(exc, "field", None) or "notes"
        if isinstance(exc, ApiError) and exc.message in (LOGGED_BY_ANOTHER, OTHER_NUMBER):
            add_errors(form.notes, _("Cuộc gọi này đã được một tổng đài viên khác ghi nhận")
                       if exc.message == LOGGED_BY_ANOTHER else _("Mã cuộc gọi này thuộc một số điện thoại khác"))
        elif isinstance(exc, ApiError) and exc.errors:
            _form_errors(form, exc.errors.get("json", {}))
        else:
            # A workflow refusal in the page's language; the service's other errors are already Vietnamese.
            said = exc.text(lang()) if isinstance(exc, WorkflowError) else exc.message
            add_errors(getattr(form, field, form.notes), said)
        return _page(form, 422, call_sid=call_sid)
    if ticket is not None and outcome == "new_ticket":
        return redirect(url_for("web_operator.console", created=ticket.id))
    flash(_("Đã ghi nhận cuộc gọi") + (f" — {ticket.receipt_code}" if ticket else ""), "success")
    return redirect(url_for("web_operator.console"))


@bp.route("/calls/<int:call_id>/pop")
@page_roles(*INTAKE)
def call_pop(call_id: int):
    """The pop-up of a call just offered (a ``call`` event of GET /api/v1/events): the caller's
    history, as an HTML fragment the console inserts; 204 once the call has ended."""
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    if call.ended_at is not None:
        return "", 204
    history = caller_history(call.from_number)
    history["tickets"] = TicketSummaryOut(many=True).dump(history["tickets"])
    history["calls"] = [c for c in history["calls"] if c.id != call.id]  # earlier calls, not this one
    _audit_view(history, "call_pop")
    return render_template("web/call_pop.html", call=call, history=history)


@bp.route("/callbacks/<int:call_id>/done", methods=["POST"])
@page_roles(*INTAKE)
def callback_done(call_id: int):
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    update_call(call, {"disposition": Disposition.CALLBACK_DONE.value}, current_user._get_current_object())
    db.session.commit()
    flash(_("Đã đánh dấu đã gọi lại"), "success")
    return redirect(url_for("web_operator.console"))


@bp.route("/callbacks")
@page_roles(*INTAKE)
def callbacks_csv():
    """The call-back list as CSV."""
    if not wants_csv():
        return redirect(url_for("web_operator.console"))
    stmt = (_callbacks_stmt().with_only_columns(Call.id, Call.from_number, Call.started_at, Call.disposition)
            .limit(10000))
    outcomes, unclassified, csv_time = csv_labels(DISPOSITION_LABELS), _("(chưa phân loại)"), csv_times()
    audit.record("export_personal_data", actor=current_user._get_current_object(), target_type="export",
                 target_id="callbacks.csv", commit=True)
    return csv_response("callbacks.csv", [_("Mã cuộc gọi"), _("Số gọi"), _("Thời điểm gọi (giờ Việt Nam)"),
                                          _("Kết quả cuộc gọi")],
                        ([call_id, number, csv_time(started),
                          outcomes.get(disposition, disposition) if disposition else unclassified]
                         for call_id, number, started, disposition in streamed_rows(stmt)))
