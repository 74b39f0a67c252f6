"""Call schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from callcentre.formats.limits import MAX_TEXT
from callcentre.models import Disposition
from callcentre.schemas.common import Id, PageQuery, PhoneNumber, Text, UTCDateTime, page_envelope

DISPOSITIONS = [d.value for d in Disposition]



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
        start, end = data.get("started_at"), data.get("ended_at")
        if start and end and end < start:
            raise ValidationError("ends before it starts", field_name="ended_at")


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
