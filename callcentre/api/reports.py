"""Reports for a chosen period: JSON, xlsx, csv (supervisor, admin). docs/reports.md."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from callcentre.formats.report_csv import report_csv
from callcentre.formats.report_xlsx import CONTENT_TYPE as XLSX
from callcentre.formats.report_xlsx import filename, report_workbook
from callcentre.http.auth import roles_required
from callcentre.schemas.report import ReportOut, ReportQuery
from callcentre.services.report_summary import GROUPS, Period, summary
from workflows.roles import MANAGERS

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports (supervisor, admin)")


def _period(query: dict[str, Any]) -> Period:
    return Period(query["period_from"], query["period_to"])


@blp.route("/summary", methods=["GET"])
@roles_required(*MANAGERS)
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportOut)
def report_summary(query: dict[str, Any]):
    """The figures of a period (local days `from`..`to`, both included) per `group_by`, a total
    row, and the period's inbound calls per day (calls belong to no category): received,
    answered, on time, late, overdue, rejected, duplicates, median and 90th percentile of the
    working time to accept and to resolve, ratings, disputes. Definitions: docs/reports.md."""
    report = summary(_period(query), query["group_by"])
    return {**report, "group_by": query["group_by"], "rows": report["groups"][query["group_by"]]}


@blp.route("/summary.xlsx", methods=["GET"])
@roles_required(*MANAGERS)
@blp.arguments(ReportQuery, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
              description="a workbook: one sheet per grouping (`group_by` is not needed), a sheet of calls per day, "
                          "and the definitions; Vietnamese headers")
def report_xlsx(query: dict[str, Any]) -> Response:
    """The period's report as an .xlsx workbook."""
    report = summary(_period(query), GROUPS)
    return Response(report_workbook(report), mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename(report, "xlsx")}"'})


@blp.route("/summary.csv", methods=["GET"])
@roles_required(*MANAGERS)
@blp.arguments(ReportQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="the rows of `group_by` and the total; UTF-8 with BOM, Vietnamese headers, rates in "
                          "percent, durations in working hours")
def report_csv_file(query: dict[str, Any]) -> Response:
    """The period's report for one grouping as CSV."""
    group = query["group_by"]
    report = summary(_period(query), group)
    name = filename(report, "csv", f"bao-cao-{group}")
    return Response(report_csv(report, group), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
