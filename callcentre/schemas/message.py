"""Schemas of messages to citizens (SMS, Zalo): what supervisors watch for failures."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callcentre.models import MessageStatus
from callcentre.schemas.common import Id, PageQuery, UTCDateTime, page_envelope


class MessageOut(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    event_id = fields.Integer(allow_none=True)
    kind = fields.String()
    channel = fields.String()
    provider = fields.String()
    to = fields.String()
    body = fields.String()
    language = fields.String()
    encoding = fields.String()
    segments = fields.Integer()
    status = fields.String()
    provider_message_id = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    scheduled_for = UTCDateTime(allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class MessageQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in MessageStatus]))
    channel = fields.String(validate=validate.OneOf(["sms", "zalo"]))
    ticket_id = Id()


MessagePage = page_envelope(MessageOut, "MessagePage")
