"""Department inbox (by urgency) and the staff ticket page with its workflow buttons."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db
from callcentre.formats.limits import MAX_SHORT_TEXT, MAX_TEXT
from callcentre.formats.receipt import InvalidReceiptCode, normalize
from callcentre.http.errors import ApiError
from callcentre.http.request_guard import checks_own_text
from callcentre.messaging.outbound import PREVIEWED, preview
from callcentre.models import Category, Department, ExtensionRequest, Ticket
from callcentre.schemas.ticket import TicketDetailOut, TicketSummaryOut, clock_view
from callcentre.services import audit
from callcentre.services.comments import add_comment
from callcentre.services.inbox import inbox_export, inbox_page
from callcentre.services.publication import may_publish
from callcentre.services.queries import load_visible_ticket
from callcentre.services.workflow import allowed_triggers, fire, lock_ticket, set_publication
from callcentre.web.forms import text_error
from callcentre.web.helpers import (
    PRIORITY_LABELS,
    STATE_LABELS,
    csv_labels,
    csv_response,
    csv_times,
    html_errors,
    lang,
    page_args,
    page_roles,
    pager,
    sla_state,
    status_labels,
    wants_csv,
)
from workflows.definition import BY_NAME, TriggerSpec, WorkflowError
from workflows.roles import INBOX, MANAGERS, STAFF, Role
from workflows.states import OPEN_VALUES, Status

bp = Blueprint("web_department", __name__)
html_errors(bp)


def _inbox_query(args: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {"status": args.get("status") or ",".join(OPEN_VALUES)}
    if args.get("status") == "all":
        query.pop("status")
    for name in ("category", "department", "priority"):
        if args.get(name):
            query[name] = args[name]
    q = (args.get("q") or "").strip()
    if len(q) >= 2:
        query["q"] = q
    return query


@bp.route("/department")
@page_roles(*INBOX)
def inbox():
    """This department's tickets, most urgent first (supervisors see every department)."""
    user = current_user._get_current_object()
    page, per_page = page_args()
    query = _inbox_query(request.args)
    if wants_csv():
        return csv_response("tickets.csv", [_("Mã biên nhận"), _("Trạng thái"), _("Lĩnh vực"), _("Đơn vị"),
                                            _("Mức độ"), _("Thời điểm tạo (giờ Việt Nam)"),
                                            _("Hạn trả lời (giờ Việt Nam)"), _("Tình trạng hạn"),
                                            _("Còn lại (giây làm việc)"), _("Tiêu đề")],
                            _csv_rows(inbox_export(query, user)))
    items, total = inbox_page(query, user, page, per_page)
    rows = TicketSummaryOut(many=True).dump(items)
    for row in rows:
        row["urgent"] = sla_state(row["sla"])
    categories = db.session.scalars(select(Category).where(Category.active.is_(True))
                                    .order_by(Category.name_vi)).all()
    departments = (db.session.scalars(select(Department).where(Department.active.is_(True))
                                      .order_by(Department.name_vi)).all()
                   if not user.is_department_staff else [])
    return render_template("web/inbox.html", rows=rows, p=pager(page, per_page, total), args=request.args,
                           categories=categories, departments=departments, statuses=list(Status))


def _csv_rows(rows: Iterable[Any]) -> Iterator[list[Any]]:
    """``inbox_export`` rows as the CSV's cells (the same values as the page's ``TicketSummaryOut``),
    codes as their labels and times local."""
    now = datetime.now(UTC)
    statuses, priorities, states = status_labels(), csv_labels(PRIORITY_LABELS), csv_labels(STATE_LABELS)
    no_dept, csv_time = _("(chưa có đơn vị)"), csv_times()
    for code, status, category, department, priority, created_at, deadline, title, *clocks in rows:
        urgent = sla_state([clock_view(c, now) for c in clocks if c is not None]) or {}
        state = urgent.get("state")
        yield [code, statuses.get(status, status), category, department or no_dept, priorities.get(priority, priority),
               csv_time(created_at), csv_time(deadline), states.get(state, state) if state else None,
               urgent.get("remaining_seconds"), title]


# -- the ticket page ------------------------------------------------------------

FIELD_LABELS = {"answer": _l("Nội dung trả lời công dân"), "reason": _l("Lý do"), "note": _l("Ghi chú"),
                "deadline": _l("Hạn mới (giờ Việt Nam)"), "department": _l("Đơn vị"),
                "duplicate_of": _l("Mã biên nhận phiếu gốc"), "publish": _l("Công khai trả lời")}


# Who reads what a field holds, said beside it before it is sent: the citizen (texted, published)
# or staff only. A field of a trigger not listed here is internal.
PUBLIC_FIELDS = {
    ("resolve", "answer"): _l("Gửi SMS cho công dân và công khai trên trang tra cứu"),
    ("request_info", "note"): _l("Gửi SMS cho công dân và hiện trên trang tra cứu"),
    ("reject", "answer"): _l("Công khai trên trang tra cứu; để trống thì dùng câu trả lời chuẩn của 1022"),
}
INTERNAL = _l("Nội bộ — công dân không thấy")
# Where a trigger's field means something more precise than its generic label.
TRIGGER_FIELD_LABELS = {("request_info", "note"): _l("Câu hỏi gửi công dân"),
                        ("reject", "answer"): _l("Trả lời công dân (không bắt buộc)")}
# ``publish``: the resolve form's checkbox (the publication decision, default the category's).
OPTIONAL_FIELDS = {"reject": ("answer",), "resolve": ("publish",)}


def form_fields(spec: TriggerSpec) -> list[str]:
    """The fields of a trigger's form: what it requires or may take, and a note when it asks for no text."""
    fields = [*spec.required, *OPTIONAL_FIELDS.get(spec.name, ())]
    return fields if {"note", "reason", "answer"} & set(fields) else [*fields, "note"]


def field_label(trigger: str, field: str) -> str:
    return str(TRIGGER_FIELD_LABELS.get((trigger, field), FIELD_LABELS[field]))


def field_audience(trigger: str, field: str) -> tuple[bool, str] | None:
    """(public, what to say) for a text field; None for fields that are not text."""
    if field not in FIELD_LIMITS:
        return None
    said = PUBLIC_FIELDS.get((trigger, field))
    return (True, str(said)) if said is not None else (False, str(INTERNAL))


def _failure(exc: WorkflowError, trigger: str) -> dict[str, Any]:
    """A refusal as the page shows it: in the page's language, beside its field if the form has it,
    else above the forms naming the field."""
    spec = BY_NAME.get(trigger)
    message = exc.text(lang())
    on_form = spec is not None and exc.field in form_fields(spec)
    if exc.field in FIELD_LABELS and not on_form:
        message = _("%(field)s: %(message)s", field=field_label(trigger, exc.field), message=message)
    return {"trigger": trigger, "field": exc.field if on_form else None, "message": message,
            "values": request.form}


def _load(ticket_id: int) -> Ticket:
    try:
        return load_visible_ticket(ticket_id, current_user._get_current_object(), detail=True)
    except ApiError as exc:
        abort(exc.status)


def _render(ticket: Ticket, failed: dict[str, Any] | None = None, status: int = 200,
            comment: dict[str, str] | None = None, upload: dict[str, str] | None = None):
    user = current_user._get_current_object()
    pending = db.session.scalar(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id,
                                                               ExtensionRequest.status == "pending"))
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    data = TicketDetailOut().dump(ticket)
    publish_default = bool(ticket.category.publish_by_default) and may_publish(ticket)
    return render_template("web/ticket.html", t=data, ticket=ticket, triggers=allowed_triggers(ticket, user),
                           publish_default=publish_default, may_set_publication=user.role in MANAGERS,
                           urgent=sla_state(data["sla"]), failed=failed or {}, pending=pending,
                           departments=departments, field_label=field_label, field_audience=field_audience,
                           form_fields=form_fields, previewed=PREVIEWED, comment=comment or {}, upload=upload or {},
                           this_page=url_for("web_department.ticket_page", ticket_id=ticket.id)), status


@bp.route("/tickets/<int:ticket_id>")
@page_roles(*STAFF)
def ticket_page(ticket_id: int):
    ticket = _load(ticket_id)
    audit.record("view_personal_data", actor=current_user._get_current_object(), target_type="ticket",
                 target_id=ticket.id, details={"via": "page", "contact_id": ticket.contact_id}, commit=True)
    return _render(ticket)


# The longest value of each field (the API's TransitionIn has the same); anything else is short.
FIELD_LIMITS = {"note": MAX_TEXT, "reason": MAX_TEXT, "answer": MAX_TEXT}


def _check_text(form: Any) -> None:
    """Every field can be saved (no NUL, not too long: refused, never cut), else a 422 beside it."""
    for name, value in form.items(multi=True):
        message = text_error(value, FIELD_LIMITS.get(name, MAX_SHORT_TEXT))
        if message is not None:
            raise WorkflowError(422, message, name if name in FIELD_LABELS else None)


def _params(trigger: str, form: Any) -> dict[str, Any]:
    """The form's fields as the workflow service expects them (deadline local -> ISO, code -> id)."""
    _check_text(form)
    params: dict[str, Any] = {k: (form.get(k) or "").strip() or None
                              for k in ("note", "reason", "answer", "department")}
    if form.get("deadline"):
        try:
            local = datetime.fromisoformat(form["deadline"])
        except ValueError as exc:
            raise WorkflowError(422, _("Ngày giờ không hợp lệ"), "deadline") from exc
        tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
        params["deadline"] = (local if local.tzinfo else local.replace(tzinfo=tz)).isoformat()
    if trigger == "resolve":
        params["publish"] = _publish(form)
    if form.get("duplicate_of"):
        try:
            code = normalize(form["duplicate_of"])
        except InvalidReceiptCode as exc:
            raise WorkflowError(422, _("Mã biên nhận không hợp lệ"), "duplicate_of") from exc
        params["duplicate_of"] = db.session.scalar(select(Ticket.id).where(Ticket.receipt_code == code))
        if params["duplicate_of"] is None:
            raise WorkflowError(422, _("Không có phiếu với mã này"), "duplicate_of")
    return params


def _publish(form: Any, name: str = "publish") -> bool | None:
    """The checkbox after its hidden "0": ``["0"]`` no, ``["0", "1"]`` yes; absent: the default (None)."""
    values = form.getlist(name)
    if not values:
        return None
    if not set(values) <= {"0", "1"} or len(values) > 2:
        raise WorkflowError(422, _("Giá trị không hợp lệ"), name)
    return "1" in values


@bp.route("/tickets/<int:ticket_id>/publication", methods=["POST"])
@page_roles(Role.SUPERVISOR)
def publication(ticket_id: int):
    """A supervisor changes whether a resolved or closed ticket's answer is published."""
    user = current_user._get_current_object()
    _load(ticket_id)
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        abort(404)
    version = request.form.get("version", "")
    try:
        published = _publish(request.form, "published")
        set_publication(ticket, bool(published), user, expected_version=int(version) if version.isdigit() else None)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        failed = {"trigger": "publication", "field": "published", "values": request.form, "message": exc.text(lang())}
        return _render(_load(ticket_id), failed, exc.status)
    except StaleDataError:
        db.session.rollback()
        failed = {"trigger": "publication", "field": "published", "values": request.form,
                  "message": _("Phiếu vừa được người khác cập nhật; hãy xem lại và thử lại")}
        return _render(_load(ticket_id), failed, 409)
    flash(_("Đã công khai trả lời") if ticket.published else _("Đã thôi công khai trả lời"), "success")
    return redirect(url_for("web_department.ticket_page", ticket_id=ticket_id))


@bp.route("/tickets/<int:ticket_id>/fire", methods=["POST"])
@checks_own_text  # shown beside the field with what was typed (422), not as a 400 page
@page_roles(*STAFF)
def fire_trigger(ticket_id: int):
    """Fire one trigger from its button; errors are shown beside the fields, typed text kept."""
    user = current_user._get_current_object()
    _load(ticket_id)  # 404 / 403 before the lock
    trigger = request.form.get("trigger", "")
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        abort(404)
    version = request.form.get("version", "")
    try:
        params = _params(trigger, request.form)
        fire(ticket, trigger, params, user, expected_version=int(version) if version.isdigit() else None)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        return _render(_load(ticket_id), _failure(exc, trigger), exc.status)
    except StaleDataError:
        db.session.rollback()
        failed = {"trigger": trigger, "field": None, "values": request.form,
                  "message": _("Phiếu vừa được người khác cập nhật; hãy xem lại và thử lại")}
        return _render(_load(ticket_id), failed, 409)
    spec = BY_NAME[trigger]
    flash(_("Đã thực hiện: %(action)s", action=spec.label(lang())), "success")
    back = request.form.get("next", "")
    if back.startswith("/") and not back.startswith("//"):  # local paths only: no open redirect
        return redirect(back)
    if user.is_department_staff and not _still_visible(ticket_id, user):
        return redirect(url_for("web_department.inbox"))
    return redirect(url_for("web_department.ticket_page", ticket_id=ticket_id))


def _still_visible(ticket_id: int, user: Any) -> bool:
    try:
        load_visible_ticket(ticket_id, user)
    except ApiError:
        return False
    return True


@bp.route("/tickets/<int:ticket_id>/comments", methods=["POST"])
@checks_own_text  # an overlong or NUL comment is shown beside the field with what was typed
@page_roles(*STAFF)
def comment(ticket_id: int):
    """An internal comment from the ticket page (services/comments.py, as the API writes it)."""
    ticket = _load(ticket_id)
    text = request.form.get("text", "")
    problem = (_("Hãy nhập nội dung ghi chú") if not text.strip() else text_error(text, MAX_TEXT))
    if problem is not None:
        return _render(ticket, comment={"value": text, "message": problem}, status=422)
    add_comment(ticket, current_user._get_current_object(), text)
    db.session.commit()
    flash(_("Đã lưu ghi chú nội bộ"), "success")
    return redirect(url_for("web_department.ticket_page", ticket_id=ticket_id) + "#hist-h")


@bp.route("/tickets/<int:ticket_id>/sms-preview", methods=["POST"])
@page_roles(*STAFF)
def sms_preview(ticket_id: int):
    """The SMS that firing ``trigger`` with ``text`` would send, with its parts (the page shows it
    under the field as staff type). Writes nothing."""
    ticket = _load(ticket_id)
    trigger, text = request.form.get("trigger", ""), request.form.get("text", "")
    if trigger not in PREVIEWED or text_error(text, MAX_TEXT) is not None:
        return jsonify({"error": _("Không xem trước được nội dung này")}), 422
    found = preview(ticket, trigger, text)
    if found is None:
        return jsonify({"sent": False, "message": _("Công dân không nhận tin nhắn (không có số điện thoại, "
                                                    "chưa đồng ý hoặc đã từ chối nhận tin)")})
    encoding = _("Unicode (có dấu)") if found.count.encoding == "ucs2" else _("không dấu (GSM-7)")
    return jsonify({"sent": True, "body": found.body, "segments": found.count.segments, "units": found.count.units,
                    "message": _("%(n)d phần tin nhắn, %(units)d ký tự, %(encoding)s", n=found.count.segments,
                                 units=found.count.units, encoding=encoding)})
