"""Period reports (GET /api/v1/reports/summary, .xlsx, .csv): the query and the answer."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from callcentre.schemas.common import BoundedDate, UTCDateTime

GROUPS = ("category", "department", "channel", "commune", "priority")  # services/report_summary.py GROUPS
MAX_DAYS = 5 * 366  # five years: services/report_summary.py MAX_DAYS


class ReportQuery(Schema):
    period_from = BoundedDate(data_key="from", required=True, metadata={
        "description": "first local day (Asia/Ho_Chi_Minh) of the period, included", "example": "2025-04-01"})
    period_to = BoundedDate(data_key="to", required=True, metadata={
        "description": "last local day of the period, included; at most five years after `from`",
        "example": "2025-04-30"})
    group_by = fields.String(load_default="department", validate=validate.OneOf(GROUPS), metadata={
        "description": "the rows of the JSON and the CSV (the workbook has a sheet for each)"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("period_from"), data.get("period_to")
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError("must not be before `from`", "to")
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError(f"a period is at most {MAX_DAYS} days (five years)", "to")


def _figures() -> dict[str, fields.Field]:
    counts = ("received", "resolved", "on_time", "late", "overdue", "rejected", "duplicates", "ratings",
              "answers", "disputes")
    floats = ("on_time_rate", "dispute_rate", "average_rating", "time_to_accept_median_seconds",
              "time_to_accept_p90_seconds", "time_to_resolve_median_seconds", "time_to_resolve_p90_seconds")
    out: dict[str, fields.Field] = {name: fields.Integer() for name in counts}
    out.update({name: fields.Float(allow_none=True) for name in floats})
    out.update({"key": fields.String(allow_none=True, metadata={
                    "description": "the category, department or commune code, the channel or priority; "
                                   "null: none (a ticket with no department or commune) or the total"}),
                "name_vi": fields.String(), "name_en": fields.String()})
    return out


ReportRowOut = Schema.from_dict(_figures(), name="ReportRowOut")


class ReportCallDayOut(Schema):
    day = fields.Date(allow_none=True, metadata={"description": "the local day; null on the period's total"})
    calls = fields.Integer(metadata={"description": "inbound calls (answered + abandoned + voicemail + waiting)"})
    answered = fields.Integer()
    abandoned = fields.Integer()
    voicemail = fields.Integer()
    waiting = fields.Integer()
    callbacks = fields.Integer(metadata={"description": "outbound call-backs made (not in `calls`)"})
    answered_rate = fields.Float(allow_none=True)
    abandoned_rate = fields.Float(allow_none=True)
    asa_seconds = fields.Float(allow_none=True)
    aht_seconds = fields.Float(allow_none=True)
    service_level = fields.Float(allow_none=True, metadata={
        "description": "share of answered + abandoned calls answered within `service_level_seconds`"})


class ReportCallsOut(Schema):
    service_level_seconds = fields.Integer()
    per_day = fields.List(fields.Nested(ReportCallDayOut))
    total = fields.Nested(ReportCallDayOut)


class ReportOut(Schema):
    period_from = fields.Date()
    period_to = fields.Date()
    group_by = fields.String()
    generated_at = UTCDateTime()
    timezone = fields.String()
    calendar = fields.String(metadata={"description": "the working calendar durations are measured in"})
    rows = fields.List(fields.Nested(ReportRowOut))
    total = fields.Nested(ReportRowOut)
    calls = fields.Nested(ReportCallsOut)
