"""Supervisor dashboard: counts, at-risk and breached lists, per-department trend, call figures,
extension approvals and breach acknowledgement; every list exports as CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.http.errors import ApiError
from callcentre.http.pagination import Total
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Department
from callcentre.services.alerts import acknowledge_alert
from callcentre.services.call_figures import call_figures
from callcentre.services.feedback import figures_by_department
from callcentre.services.queries import (
    alerts_export,
    alerts_page,
    at_risk_page,
    at_risk_rows,
    pending_extensions_export,
    pending_extensions_page,
)
from callcentre.services.reports import breach_trend, status_counts
from callcentre.web.forms import AckForm
from callcentre.web.helpers import (
    CLOCK_LABELS,
    csv_labels,
    csv_response,
    csv_times,
    html_errors,
    page_args,
    page_roles,
    pager,
    status_labels,
    streamed_rows,
)
from workflows.roles import MANAGERS

bp = Blueprint("web_supervisor", __name__, url_prefix="/supervisor")
html_errors(bp)
PERIODS = (7, 14, 30)
BREACH_EXPORT_LIMIT = 100_000


def _days() -> int:
    try:
        days = int(request.args.get("days", 14))
    except ValueError:
        days = 14
    return days if days in PERIODS else 14


def _breaches(dept: str | None, unacked_only: bool, page: int, per_page: int) -> tuple[list[dict[str, Any]], Total]:
    query: dict[str, Any] = {"level": "breach", "department": dept}
    if unacked_only:
        query["acknowledged"] = False
    return alerts_page(query, current_user._get_current_object(), page, per_page)


@bp.route("")
@page_roles(*MANAGERS)
def dashboard():
    return _dashboard()


def _dashboard(ack_error: dict[str, Any] | None = None, status: int = 200):
    g.list_endpoint = "web_supervisor.dashboard"
    user = current_user._get_current_object()
    days, dept = _days(), request.args.get("department") or None
    unacked = request.args.get("unacked") == "1"
    export = request.args.get("csv")
    if export:  # each export reads only what it shows
        return _export(export, days, dept, unacked)
    statuses, counts = status_counts(dept, days)
    page, per_page = page_args(10)
    risk_page, _n = page_args(10, "risk_page")
    risk, risk_total = at_risk_page(_risk_query(dept), user, risk_page, per_page)
    ext_page, _n = page_args(10, "ext_page")
    extensions, ext_total = pending_extensions_page(ext_page, per_page)
    breach_rows, breach_total = _breaches(dept, unacked, page, per_page)
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name_vi)).all()
    return render_template(
        "web/supervisor.html", days=days, periods=PERIODS, dept=dept, unacked=unacked, departments=departments,
        statuses=statuses, counts=counts, risk=risk, risk_p=pager(risk_page, per_page, risk_total),
        breaches=breach_rows, p=pager(page, per_page, breach_total), trend=breach_trend(days),
        calls=call_figures(days), extensions=extensions, ext_p=pager(ext_page, per_page, ext_total),
        ack_error=ack_error or {},
        feedback=figures_by_department(days)), status


def _risk_query(dept: str | None) -> dict[str, Any]:
    return {"within": "PT4H", "department": dept}


def _export(name: str, days: int, dept: str | None, unacked: bool):
    """One list as CSV: headers in the page's language, codes as their labels, local times."""
    user = current_user._get_current_object()
    no_dept, csv_time = _("(chưa có đơn vị)"), csv_times()
    if name == "counts":
        statuses, counts = status_counts(dept, days)
        names = status_labels()
        return csv_response("counts.csv", [_("Đơn vị"), *(names[s] for s in statuses), _("Tổng"),
                                           _("Đang mở (mọi thời gian)")],
                            ([r["code"] or no_dept, *[r["counts"].get(s, 0) for s in statuses], r["total"], r["open"]]
                             for r in counts))
    if name == "at_risk":
        risk = at_risk_rows(_risk_query(dept), user)
        kinds, names = csv_labels(CLOCK_LABELS, capitalise=True), status_labels()
        return csv_response("at_risk.csv", [_("Mã biên nhận"), _("Loại hạn"), _("Hạn (giờ Việt Nam)"),
                                            _("Còn lại (giây làm việc)"), _("Đơn vị"), _("Lĩnh vực"),
                                            _("Trạng thái")],
                            ([r["receipt_code"], kinds.get(r["kind"], r["kind"]), csv_time(r["deadline"]),
                              r["remaining_seconds"], r["department"] or no_dept, r["category"],
                              names.get(r["status"], r["status"])] for r in risk))
    if name == "breaches":
        query: dict[str, Any] = {"level": "breach", "department": dept}
        if unacked:
            query["acknowledged"] = False
        stmt = alerts_export(query, user).limit(BREACH_EXPORT_LIMIT)
        kinds = csv_labels(CLOCK_LABELS, capitalise=True)
        return csv_response("breaches.csv", [_("Mã vi phạm"), _("Mã biên nhận"), _("Loại hạn"), _("Hạn (giờ Việt Nam)"),
                                             _("Thời điểm phát hiện (giờ Việt Nam)"), _("Đơn vị"), _("Lĩnh vực"),
                                             _("Thời điểm xác nhận (giờ Việt Nam)"), _("Người xác nhận"),
                                             _("Ghi nhận")],
                            ([alert_id, code, kinds.get(kind, kind), csv_time(deadline), csv_time(detected),
                              dept_code or no_dept, cat, csv_time(acked), acker, comment]
                             for alert_id, code, kind, deadline, detected, dept_code, cat, acked, acker, comment
                             in streamed_rows(stmt)))
    if name == "trend":
        data = breach_trend(days)
        return csv_response("trend.csv", [_("Đơn vị"), _("Ngày"), _("Số vi phạm"),
                                          _("Tỷ lệ trả lời đúng hạn (%)")],
                            ([r["department"], d.isoformat(), b, None if rate is None else round(rate * 100, 1)]
                             for r in data["rows"]
                             for d, b, rate in zip(data["days"], r["breaches"], r["rates"], strict=True)))
    if name == "calls":
        columns = {"calls": _("Số cuộc gọi đến"), "answered": _("Được trả lời"), "abandoned": _("Bị bỏ nhỡ"),
                   "voicemail": _("Để lại lời nhắn"), "callbacks": _("Đã gọi lại")}
        return csv_response("calls.csv", [_("Ngày"), *columns.values()],
                            ([r["day"].isoformat(), *(r[c] for c in columns)] for r in call_figures(days)["per_day"]))
    if name == "extensions":
        return csv_response("extensions.csv", [_("Mã biên nhận"), _("Người đề nghị"),
                                               _("Hạn hiện tại (giờ Việt Nam)"), _("Hạn đề nghị (giờ Việt Nam)"),
                                               _("Lý do")],
                            ([code, who, csv_time(deadline), csv_time(ext.requested_deadline), ext.reason]
                             for ext, code, deadline, who in streamed_rows(pending_extensions_export())))
    abort(404)


@bp.route("/breaches/<int:alert_id>/acknowledge", methods=["POST"])
@checks_own_text  # a NUL or an overlong comment is shown beside the field (422)
@page_roles(*MANAGERS)
def acknowledge(alert_id: int):
    form = AckForm()
    if not form.validate():  # shown beside that breach's field, with what was typed
        blank = not (form.comment.data or "").strip()
        message = (form.comment.errors[0] if form.comment.errors and not blank
                   else _("Hãy nhập ghi nhận trước khi xác nhận vi phạm"))
        return _dashboard({"id": alert_id, "value": form.comment.data or "", "message": message}, 422)
    try:
        acknowledge_alert(alert_id, current_user._get_current_object(), form.comment.data or "")
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(_("Vi phạm này đã được xác nhận trước đó"), "error")
        return redirect(url_for("web_supervisor.dashboard"))
    flash(_("Đã xác nhận vi phạm"), "success")
    return redirect(url_for("web_supervisor.dashboard"))
