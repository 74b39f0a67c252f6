"""The triage queue page: every ticket waiting in ``received``, soonest forwarding deadline first,
and one form that assigns, rejects or merges the ones ticked (each in its own transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db
from callcentre.formats.limits import MAX_PER_PAGE, MAX_SHORT_TEXT, MAX_TEXT, id_in_range
from callcentre.formats.receipt import CODE_LENGTH, InvalidReceiptCode, normalize
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Department, Ticket
from callcentre.schemas.queue import QueueItemOut
from callcentre.services.queue import queue_page
from callcentre.services.workflow import fire, lock_ticket
from callcentre.web.forms import text_error
from callcentre.web.helpers import html_errors, lang, page_args, page_roles, pager
from workflows import sla
from workflows.definition import BY_NAME, WorkflowError
from workflows.roles import INTAKE

bp = Blueprint("web_queue", __name__, url_prefix="/operator")
html_errors(bp)

ACTIONS = ("assign", "reject", "merge")  # named on the page as the ticket page names them (their specs' labels)
_ITEMS = QueueItemOut(many=True)


@dataclass
class Outcome:
    """What a bulk action did: how many tickets moved, and each refusal (receipt code, why)."""

    action: str
    done: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


class FormProblem(Exception):
    """The form as a whole cannot be acted on (nothing ticked, a bad field): nothing is fired."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field_name


def _forward_state(row: dict[str, Any]) -> dict[str, Any] | None:
    """The running forward clock as the ``sla_badge`` macro shows a clock."""
    return next((c for c in row["sla"] if c["kind"] == sla.FORWARD and c["state"] != "stopped"
                 and c["remaining_seconds"] is not None), None)


def _render(status: int = 200, outcome: Outcome | None = None, problem: FormProblem | None = None):
    page, per_page = page_args()
    entries, total = queue_page(page, per_page)
    rows = _ITEMS.dump(entries)
    for row in rows:
        row["forward"] = _forward_state(row)
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    g.list_endpoint = "web_queue.queue"  # after a POST the pager links the GET page
    ticked = set(request.form.getlist("ticket")) if problem is not None else set()
    actions = {name: BY_NAME[name].label(lang()) for name in ACTIONS}
    args: dict[str, Any] = request.args.to_dict()
    return render_template("web/queue.html", rows=rows, p=pager(page, per_page, total), departments=departments,
                           actions=actions, outcome=outcome, problem=problem, ticked=ticked,
                           values=request.form if problem is not None else {},
                           this_page=url_for("web_queue.queue", **args)), status


@bp.route("/queue")
@page_roles(*INTAKE)
def queue():
    return _render()


def _ticket_ids(form: Any) -> list[int]:
    values = form.getlist("ticket")
    if not values:
        raise FormProblem(_("Hãy chọn ít nhất một phiếu"), "ticket")
    if len(values) > MAX_PER_PAGE:
        raise FormProblem(_("Chọn nhiều nhất %(n)d phiếu mỗi lần", n=MAX_PER_PAGE), "ticket")
    ids = []
    for value in values:
        if not value.isdigit() or not id_in_range(int(value)):
            raise FormProblem(_("Phiếu đã chọn không hợp lệ"), "ticket")
        ids.append(int(value))
    return list(dict.fromkeys(ids))  # ticked twice (a crafted form): once


def _target_id(text: str) -> int:
    """The ticket to merge into, by receipt code (any usual spelling) or by id."""
    text = text.strip()
    if not text:
        raise FormProblem(_("Hãy nhập mã biên nhận hoặc số phiếu gốc"), "duplicate_of")
    if text.isdigit() and len(text) < CODE_LENGTH:
        if not id_in_range(int(text)):
            raise FormProblem(_("Không có phiếu với mã này"), "duplicate_of")
        target = db.session.get(Ticket, int(text))
        if target is None:
            raise FormProblem(_("Không có phiếu với mã này"), "duplicate_of")
        return target.id
    try:
        code = normalize(text)
    except InvalidReceiptCode as exc:
        raise FormProblem(_("Mã biên nhận không hợp lệ"), "duplicate_of") from exc
    target_id = db.session.scalar(select(Ticket.id).where(Ticket.receipt_code == code))
    if target_id is None:
        raise FormProblem(_("Không có phiếu với mã này"), "duplicate_of")
    return target_id


def _params(action: str, form: Any) -> dict[str, Any]:
    for name, limit in (("department", MAX_SHORT_TEXT), ("reason", MAX_TEXT), ("duplicate_of", MAX_SHORT_TEXT),
                        ("action", MAX_SHORT_TEXT)):
        message = text_error(form.get(name, ""), limit)
        if message is not None:
            raise FormProblem(message, name)
    if action == "assign":
        department = form.get("department", "").strip()
        return {"department": department} if department else {}  # empty: the category's own department
    if action == "reject":
        reason = form.get("reason", "").strip()
        if not reason:
            raise FormProblem(_("Hãy nhập lý do từ chối"), "reason")
        return {"reason": reason}
    return {"duplicate_of": _target_id(form.get("duplicate_of", ""))}


def _fire_each(action: str, ids: list[int], params: dict[str, Any]) -> Outcome:
    """Fire ``action`` on each ticket in its own transaction: one refusal stops no other."""
    user = current_user._get_current_object()
    outcome = Outcome(action)
    for ticket_id in ids:
        ticket = lock_ticket(ticket_id)
        if ticket is None:
            db.session.rollback()
            outcome.refused.append((f"#{ticket_id}", _("Không tìm thấy phiếu")))
            continue
        code = ticket.receipt_code
        try:
            fire(ticket, action, dict(params), user)
            db.session.commit()
        except WorkflowError as exc:
            db.session.rollback()
            outcome.refused.append((code, exc.text(lang())))
            continue
        except StaleDataError:
            db.session.rollback()
            outcome.refused.append((code, _("Phiếu vừa được người khác cập nhật; hãy xem lại và thử lại")))
            continue
        outcome.done += 1
    return outcome


@bp.route("/queue", methods=["POST"])
@checks_own_text  # a NUL or an overlong reason is shown beside its field (422), typed text kept
@page_roles(*INTAKE)
def act():
    """Assign, reject or merge the ticked tickets; the page then says what happened to each."""
    action = request.form.get("action", "")
    try:
        if action not in ACTIONS:
            raise FormProblem(_("Hãy chọn thao tác"), "action")
        ids = _ticket_ids(request.form)
        params = _params(action, request.form)
    except FormProblem as problem:
        db.session.rollback()
        return _render(422, problem=problem)
    outcome = _fire_each(action, ids, params)
    return _render(200 if outcome.done else 422, outcome=outcome)
