"""SLA schemas: policies, calendars, alerts, summaries."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from callcentre.models import Priority
from callcentre.schemas.common import BoundedDate, PageQuery, Text, UTCDateTime, page_envelope
from workflows.durations import parse_duration_parts

DURATION_DOC = "ISO 8601, day-based (PnDTnHnMnS or PnW; days are working days), at most 365 days"


def _iso_duration(value: str) -> None:
    """An SLA budget or a look-ahead window: positive, day-based, at most ``MAX_DAYS`` days."""
    try:
        parse_duration_parts(value)
    except (ValueError, TypeError) as exc:
        raise ValidationError(str(exc)) from exc


class PolicyIn(Schema):
    category = Text(50, required=True, metadata={"description": "category code"})
    priority = fields.String(required=True, validate=validate.OneOf([p.value for p in Priority]))
    accept_within = Text(40, required=True, validate=_iso_duration, metadata={
        "example": "PT4H", "description": DURATION_DOC})
    resolve_within = Text(40, required=True, validate=_iso_duration, metadata={
        "example": "P5D", "description": DURATION_DOC})
    forward_within = Text(40, load_default=None, allow_none=True, validate=_iso_duration, metadata={
        "example": "PT5M", "description": DURATION_DOC + "; received -> assigned; null: SLA_DEFAULT_FORWARD"})
    warn_at = fields.Float(load_default=0.75, validate=validate.Range(min=0.01, max=0.99, max_inclusive=True))
    calendar = Text(40, load_default="working_hours", metadata={"description": '"working_hours" or "24x7"'})


class PolicyOut(Schema):
    id = fields.Integer()
    category = fields.Function(lambda p: p.category.code)
    priority = fields.String()
    accept_within = fields.String()
    resolve_within = fields.String()
    forward_within = fields.String(allow_none=True)
    warn_at = fields.Float()
    calendar = fields.Function(lambda p: p.calendar.name)
    updated_at = UTCDateTime()


class ExceptionIn(Schema):
    date = BoundedDate(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["day_off", "working_day"]))
    note = Text(200, load_default=None, allow_none=True)


class ExceptionOut(Schema):
    id = fields.Integer(metadata={"description": "for DELETE /calendars/{name}/exceptions/{id}"})
    date = fields.Date(attribute="day")
    kind = fields.String()
    note = fields.String(allow_none=True)


class CalendarOut(Schema):
    name = fields.String()
    tz = fields.String()
    hours = fields.Dict()
    holidays_country = fields.String(allow_none=True)
    always_open = fields.Boolean()
    revision = fields.Integer()
    exceptions = fields.List(fields.Nested(ExceptionOut))


class AtRiskQuery(Schema):
    within = Text(40, load_default="PT4H", validate=_iso_duration,
                  metadata={"description": "ISO 8601 window ahead of now (wall-clock), at most 365 days"})
    department = Text(50)
    category = Text(50)
    kind = fields.String(validate=validate.OneOf(["accept", "resolve", "forward"]))


class AtRiskOut(Schema):
    ticket_id = fields.Integer()
    receipt_code = fields.String()
    kind = fields.String()
    deadline = UTCDateTime()
    warned = fields.Boolean()
    remaining_seconds = fields.Integer()
    department = fields.String(allow_none=True)
    category = fields.String()
    status = fields.String()


class BreachQuery(PageQuery):
    department = Text(50)
    category = Text(50)
    kind = fields.String(validate=validate.OneOf(["accept", "resolve", "forward"]))
    detected_from = UTCDateTime()
    detected_to = UTCDateTime()
    acknowledged = fields.Boolean()
    level = fields.String(load_default="breach", validate=validate.OneOf(["breach", "warning"]))


class BreachOut(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer()
    receipt_code = fields.String()
    kind = fields.String()
    level = fields.String()
    deadline = UTCDateTime()
    detected_at = UTCDateTime()
    department = fields.String(allow_none=True)
    category = fields.String()
    acknowledged_at = UTCDateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    ack_comment = fields.String(allow_none=True)


BreachPage = page_envelope(BreachOut, "BreachPage")


class AckIn(Schema):
    comment = Text(2000, required=True, validate=validate.Length(min=1), metadata={"minLength": 1})

    @validates("comment")
    def _not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("must not be blank")


class SummaryQuery(Schema):
    period_from = UTCDateTime(data_key="from", metadata={
        "description": "start of the period of the resolved-ticket figures; default: 30 days before ``to``"})
    period_to = UTCDateTime(data_key="to", metadata={"description": "end of that period; default: now"})
    within = Text(40, load_default="PT4H", validate=_iso_duration)


class SummaryRow(Schema):
    department = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    open = fields.Integer()
    at_risk = fields.Integer()
    breached = fields.Integer()
    resolved = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    median_time_to_accept_seconds = fields.Float(allow_none=True)
    median_time_to_resolve_seconds = fields.Float(allow_none=True)
    # The period of ``resolved``, ``on_time_rate`` and the medians (open, at risk, breached: now).
    period_from = UTCDateTime()
    period_to = UTCDateTime()
