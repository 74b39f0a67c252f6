"""Reports for a chosen period (supervisor, admin): figures, charts, downloads, the archive.

The period is picked as a month, a quarter, a year or two dates (local days, both included);
the figures are services/report_summary.py's, the files formats/report_xlsx.py's and
report_csv.py's, the archive services/report_schedule.py's. docs/reports.md.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from callcentre.core.extensions import db
from callcentre.formats.limits import MAX_YEAR, MIN_YEAR
from callcentre.formats.report_csv import report_csv
from callcentre.formats.report_xlsx import CALL_COLUMNS, COLUMNS, DEFINITIONS, filename, report_workbook
from callcentre.formats.report_xlsx import CONTENT_TYPE as XLSX
from callcentre.models import ReportArchive
from callcentre.services.report_schedule import KINDS, archive_rows, schedules, set_active
from callcentre.services.report_summary import GROUPS, MAX_DAYS, Period, summary, zone
from callcentre.web.helpers import html_errors, page_roles
from workflows.roles import MANAGERS, Role

bp = Blueprint("web_reports", __name__)
html_errors(bp)

PERIOD_KINDS = {"month": _l("Tháng"), "quarter": _l("Quý"), "year": _l("Năm"), "custom": _l("Tùy chọn")}
GROUP_LABELS = {"category": _l("Lĩnh vực"), "department": _l("Đơn vị"), "channel": _l("Kênh"),
                "commune": _l("Xã, phường"), "priority": _l("Mức độ ưu tiên")}
SCHEDULE_LABELS = {"monthly": _l("Hằng tháng"), "weekly": _l("Hằng tuần")}
MONTHLY_CHART_AFTER = 92  # days: a longer period's calls are drawn per month, not per day


class ScheduleForm(FlaskForm):
    """An admin's switch of one schedule (its buttons send ``kind`` and ``active``)."""

    kind = HiddenField(validators=[DataRequired(), AnyOf(KINDS)])
    active = HiddenField(validators=[DataRequired(), AnyOf(("0", "1"))])


def _today() -> date:
    return datetime.now(UTC).astimezone(zone()).date()


def _int(name: str, low: int, high: int, errors: dict[str, str], message: str) -> int | None:
    raw = request.args.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        errors[name] = message
        return None
    if not low <= value <= high:
        errors[name] = message
        return None
    return value


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        errors[name] = _("Hãy chọn một ngày hợp lệ (từ năm %(a)d đến %(b)d)", a=MIN_YEAR, b=MAX_YEAR)
        return None
    return day


def parse_period() -> tuple[dict[str, Any], Period | None, dict[str, str]]:
    """The picker's values (to show again), the period they name, and a message per bad field."""
    today = _today()
    kind = request.args.get("period", "month")
    if kind not in PERIOD_KINDS:
        kind = "month"
    errors: dict[str, str] = {}
    form: dict[str, Any] = {"period": kind, "month": request.args.get("month", f"{today:%Y-%m}")[:7],
                            "quarter": request.args.get("quarter", str((today.month - 1) // 3 + 1))[:1],
                            "year": request.args.get("year", str(today.year))[:4],
                            "from": request.args.get("from", "")[:10], "to": request.args.get("to", "")[:10]}
    year_message = _("Năm từ %(a)d đến %(b)d", a=MIN_YEAR, b=MAX_YEAR)
    period: Period | None = None
    if kind == "month":
        raw = form["month"]
        try:
            year, month = int(raw[:4]), int(raw[5:7])
            if raw[4] != "-" or not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
                raise ValueError(raw)
            period = Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]))
        except (ValueError, IndexError):
            errors["month"] = _("Hãy chọn tháng (năm từ %(a)d đến %(b)d)", a=MIN_YEAR, b=MAX_YEAR)
    elif kind in ("quarter", "year"):
        year_value = _int("year", MIN_YEAR, MAX_YEAR, errors, year_message)
        quarter = _int("quarter", 1, 4, errors, _("Quý từ 1 đến 4")) if kind == "quarter" else 1
        if year_value is not None and quarter is not None:
            if kind == "year":
                period = Period(date(year_value, 1, 1), date(year_value, 12, 31))
            else:
                first_month = 3 * (quarter - 1) + 1
                period = Period(date(year_value, first_month, 1),
                                date(year_value, first_month + 2, monthrange(year_value, first_month + 2)[1]))
    else:
        start, end = _day("from", errors), _day("to", errors)
        if start and end and end < start:
            errors["to"] = _("Ngày kết thúc không được trước ngày bắt đầu")
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            errors["to"] = _("Một kỳ báo cáo dài tối đa 5 năm")
        elif start and end:
            period = Period(start, end)
    return form, (period if not errors else None), errors


def _group() -> str:
    group = request.args.get("group", "department")
    return group if group in GROUPS else "department"


def _calls_chart(calls: dict[str, Any], period: Period) -> dict[str, Any]:
    """Bars of inbound calls: per day, or per month for a long period."""
    if period.days <= MONTHLY_CHART_AFTER:
        bars = [(f"{r['day']:%d/%m}", r["calls"]) for r in calls["per_day"]]
    else:
        months: dict[str, int] = {}
        for r in calls["per_day"]:
            key = f"{r['day']:%m/%Y}"
            months[key] = months.get(key, 0) + r["calls"]
        bars = list(months.items())
    return {"bars": bars, "peak": max([n for _, n in bars] + [1]), "monthly": period.days > MONTHLY_CHART_AFTER}


@bp.route("/reports")
@page_roles(*MANAGERS)
def reports_page():
    form, period, errors = parse_period()
    group = _group()
    report = summary(period, group) if period else None
    # Translated here: Jinja's gettext %-formats every string, and the headers hold "(%)".
    titles = {c.key: _(c.title_vi) for c in (*COLUMNS, *CALL_COLUMNS)}
    context: dict[str, Any] = {"form": form, "errors": errors, "group": group, "report": report, "period": period,
                               "kinds": PERIOD_KINDS, "groups": GROUP_LABELS, "columns": COLUMNS,
                               "call_columns": CALL_COLUMNS, "titles": titles,
                               "definitions": [(_(term), _(text)) for term, text in DEFINITIONS]}
    if report is not None and period is not None:
        rows = report["groups"][group]
        context.update(rows=rows, chart_peak=max([r["received"] for r in rows] + [r["resolved"] for r in rows] + [1]),
                       calls_chart=_calls_chart(report["calls"], period),
                       download={"from": period.start.isoformat(), "to": period.end.isoformat()})
    return render_template("web/reports.html", **context), 422 if errors else 200


def _download_period() -> Period:
    _form, period, _errors = parse_period()
    if period is None:
        abort(422)
    return period


@bp.route("/reports/export.xlsx")
@page_roles(*MANAGERS)
def export_xlsx():
    report = summary(_download_period(), GROUPS)
    return Response(report_workbook(report), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename(report, "xlsx")}"'})


@bp.route("/reports/export.csv")
@page_roles(*MANAGERS)
def export_csv():
    group = _group()
    report = summary(_download_period(), group)
    return Response(report_csv(report, group), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="{filename(report, "csv", f"bao-cao-{group}")}"'})


@bp.route("/reports/archive")
@page_roles(*MANAGERS)
def archive_page():
    rows = schedules()
    db.session.commit()  # the schedules created when missing
    return render_template("web/reports_archive.html", archive=archive_rows(), schedules=rows,
                           labels=SCHEDULE_LABELS, form=ScheduleForm(),
                           may_edit=current_user.role == Role.ADMIN.value)


@bp.route("/reports/archive/<int:report_id>")
@page_roles(*MANAGERS)
def archive_download(report_id: int):
    row = db.session.get(ReportArchive, report_id)
    if row is None:
        abort(404)
    return Response(row.content, mimetype=row.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{row.filename}"'})


@bp.route("/reports/archive/schedules", methods=["POST"])
@page_roles(Role.ADMIN)
def schedule_update():
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash(_("Yêu cầu không hợp lệ, hãy thử lại"), "error")
        return redirect(url_for("web_reports.archive_page"))
    kind, active = str(form.kind.data), form.active.data == "1"
    if set_active(kind, active, current_user._get_current_object()):
        db.session.commit()
        label = SCHEDULE_LABELS[kind]
        flash(_("Đã bật lịch báo cáo %(kind)s", kind=label) if active
              else _("Đã tắt lịch báo cáo %(kind)s", kind=label), "success")
    return redirect(url_for("web_reports.archive_page"))
