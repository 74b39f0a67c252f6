"""Call schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from callcentre.formats.limits import MAX_TEXT
from callcentre.models import Disposition
from callcentre.schemas.common import Id, PageQuery, PhoneNumber, Text, UTCDateTime, page_envelope

DISPOSITIONS = [d.value for d in Disposition]
SUMMARY_MAX_DAYS = 366  # a year of local days: one CASE branch each (services/report_sql.py:day_index)



class CallUpdate(Schema):
    answered_at = UTCDateTime(allow_none=True)
    ended_at = UTCDateTime(allow_none=True)
    disposition = fields.String(allow_none=True, validate=validate.OneOf(DISPOSITIONS))
    notes = Text(MAX_TEXT, allow_none=True)
    recording_url = fields.Url(allow_none=True, validate=validate.Length(max=500))
    ticket_ids = fields.List(Id(), validate=validate.Length(max=100),
                             metadata={"description": "tickets this call is about"})


class CallCreate(CallUpdate):
    provider_call_id = Text(64, allow_none=True, validate=validate.Length(min=1), metadata={"minLength": 1})
    direction = fields.String(load_default="inbound", validate=validate.OneOf(["inbound", "outbound"]))
    from_number = PhoneNumber(required=True)
    to_number = Text(20, load_default="1022")
    started_at = UTCDateTime(allow_none=True)


    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        start, answer, end = data.get("started_at"), data.get("answered_at"), data.get("ended_at")
        if start and end and end < start:
            raise ValidationError("ends before it starts", field_name="ended_at")
        if start and answer and answer < start:
            raise ValidationError("answered before it starts", field_name="answered_at")


class CallOut(Schema):
    id = fields.Integer()
    provider_call_id = fields.String(allow_none=True)
    direction = fields.String()
    from_number = fields.String()
    to_number = fields.String()
    contact_id = fields.Integer(allow_none=True)
    operator = fields.Function(lambda c: c.operator.username if c.operator else None, allow_none=True,
                               metadata={"type": "string", "description": "the operator's username"})
    started_at = UTCDateTime()
    answered_at = UTCDateTime(allow_none=True)
    ended_at = UTCDateTime(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    disposition = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    recording_url = fields.String(allow_none=True)
    ticket_ids = fields.Function(lambda c: [t.id for t in c.tickets],
                                 metadata={"type": "array", "items": {"type": "integer"}})


class CallbackOut(CallOut):
    provider_status = fields.String(allow_none=True)


CallPage = page_envelope(CallOut, "CallPage")
CallbackPage = page_envelope(CallbackOut, "CallbackPage")


class CallQuery(PageQuery):
    phone = Text(30)
    disposition = fields.String(validate=validate.OneOf(DISPOSITIONS))
    operator = Text(80, metadata={"description": "operator username"})
    unanswered = fields.Boolean(metadata={"description": "only calls never answered"})
    started_from = UTCDateTime()
    started_to = UTCDateTime()


class CallSummaryQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=SUMMARY_MAX_DAYS), metadata={
        "description": "the last `days` local days (Asia/Ho_Chi_Minh), today included"})


class CallDayOut(Schema):
    day = fields.Date(metadata={"description": "a local day"})
    calls = fields.Integer(metadata={"description": "inbound calls that started that day"})
    answered = fields.Integer()
    abandoned = fields.Integer()
    voicemail = fields.Integer()
    callbacks = fields.Integer(metadata={"description": "call-backs operators made that day (outbound calls)"})


def _pct(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": f"{description}; null without calls"})


class CallSummaryOut(Schema):
    """Inbound calls of the period by outcome; every call counted once, whoever logged it."""

    days = fields.Integer()
    period_from = UTCDateTime(metadata={"description": "start of the first local day"})
    total = fields.Integer(metadata={"description": "inbound calls (the volume)"})
    answered = fields.Integer(metadata={"description": "inbound calls an operator answered"})
    abandoned = fields.Integer(metadata={"description": "inbound calls that ended unanswered, voicemails "
                                                        "excepted (called back or not: the caller did hang up)"})
    voicemail = fields.Integer(metadata={"description": "after-hours calls that left a voicemail, called "
                                                        "back or not"})
    waiting = fields.Integer(metadata={"description": "inbound calls still ringing or in the queue now"})
    callbacks = fields.Integer(metadata={"description": "call-backs made (outbound calls); not in `total`"})
    called_back = fields.Integer(metadata={"description": "unanswered calls of the period marked called back"})
    answered_pct = _pct("answered / total, %")
    abandoned_pct = _pct("abandoned / total, %")
    voicemail_pct = _pct("voicemail / total, %")
    aht_seconds = fields.Float(allow_none=True, metadata={
        "description": "average handling time of the answered inbound calls (answer to end), seconds"})
    asa_seconds = fields.Float(allow_none=True, metadata={
        "description": "average speed of answer of the answered inbound calls (start to answer), seconds"})
    service_level_seconds = fields.Integer(metadata={"description": "`SERVICE_LEVEL_SECONDS`"})
    service_level_pct = _pct("inbound calls answered within `service_level_seconds` / (answered + abandoned), %")
    per_day = fields.List(fields.Nested(CallDayOut))
