"""Department inbox (by urgency) and the staff ticket page with its workflow buttons."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
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
from callcentre.models import Category, Department, ExtensionRequest, Ticket
from callcentre.schemas.ticket import TicketDetailOut, TicketSummaryOut, clock_view
from callcentre.services.inbox import inbox_export, inbox_page
from callcentre.services.queries import load_visible_ticket
from callcentre.services.workflow import allowed_triggers, fire, lock_ticket
from callcentre.web.forms import text_error
from callcentre.web.helpers import (
    csv_response,
    html_errors,
    lang,
    page_args,
    page_roles,
    pager,
    sla_state,
    wants_csv,
)
from workflows.definition import BY_NAME, TriggerSpec, WorkflowError
from workflows.roles import INBOX, STAFF
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
        return csv_response("tickets.csv", ["receipt_code", "status", "category", "department", "priority",
                                            "created_at", "resolve_deadline", "sla_state", "remaining_seconds",
                                            "title"], _csv_rows(inbox_export(query, user)))
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


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _csv_rows(rows: Iterable[Any]) -> Iterator[list[Any]]:
    """``inbox_export`` rows as the CSV's cells (the same values as the page's ``TicketSummaryOut``)."""
    now = datetime.now(UTC)
    for code, status, category, department, priority, created_at, deadline, title, *clocks in rows:
        urgent = sla_state([clock_view(c, now) for c in clocks if c is not None]) or {}
        yield [code, status, category, department, priority, _iso(created_at), _iso(deadline),
               urgent.get("state"), urgent.get("remaining_seconds"), title]


# -- the ticket page ------------------------------------------------------------

FIELD_LABELS = {"answer": _l("Nội dung trả lời công dân"), "reason": _l("Lý do"), "note": _l("Ghi chú"),
                "deadline": _l("Hạn mới (giờ Việt Nam)"), "department": _l("Đơn vị"),
                "duplicate_of": _l("Mã biên nhận phiếu gốc")}


def form_fields(spec: TriggerSpec) -> list[str]:
    """The fields of a trigger's form: what it requires, and a note when it asks for no text."""
    fields = list(spec.required)
    return fields if {"note", "reason", "answer"} & set(fields) else [*fields, "note"]


def _failure(exc: WorkflowError, trigger: str) -> dict[str, Any]:
    """A refusal as the page shows it: in the page's language, beside its field if the form has it,
    else above the forms naming the field."""
    spec = BY_NAME.get(trigger)
    message = exc.text(lang())
    on_form = spec is not None and exc.field in form_fields(spec)
    if exc.field in FIELD_LABELS and not on_form:
        message = _("%(field)s: %(message)s", field=FIELD_LABELS[exc.field], message=message)
    return {"trigger": trigger, "field": exc.field if on_form else None, "message": message,
            "values": request.form}


def _load(ticket_id: int) -> Ticket:
    try:
        return load_visible_ticket(ticket_id, current_user._get_current_object(), detail=True)
    except ApiError as exc:
        abort(exc.status)


def _render(ticket: Ticket, failed: dict[str, Any] | None = None, status: int = 200):
    user = current_user._get_current_object()
    pending = db.session.scalar(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id,
                                                               ExtensionRequest.status == "pending"))
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    data = TicketDetailOut().dump(ticket)
    return render_template("web/ticket.html", t=data, ticket=ticket, triggers=allowed_triggers(ticket, user),
                           urgent=sla_state(data["sla"]), failed=failed or {}, pending=pending,
                           departments=departments, field_labels=FIELD_LABELS, form_fields=form_fields,
                           this_page=url_for("web_department.ticket_page", ticket_id=ticket.id)), status


@bp.route("/tickets/<int:ticket_id>")
@page_roles(*STAFF)
def ticket_page(ticket_id: int):
    return _render(_load(ticket_id))


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
    if form.get("duplicate_of"):
        try:
            code = normalize(form["duplicate_of"])
        except InvalidReceiptCode as exc:
            raise WorkflowError(422, _("Mã biên nhận không hợp lệ"), "duplicate_of") from exc
        params["duplicate_of"] = db.session.scalar(select(Ticket.id).where(Ticket.receipt_code == code))
        if params["duplicate_of"] is None:
            raise WorkflowError(422, _("Không có phiếu với mã này"), "duplicate_of")
    return params


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
