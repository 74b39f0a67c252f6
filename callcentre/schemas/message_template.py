"""Citizen message templates, for admins (``/api/v1/message-templates``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.common import Text, UTCDateTime

MAX_BODY = 1000  # services/message_templates.py refuses longer bodies with the same limit


class MessageTemplateOut(Schema):
    kind = fields.String(metadata={"description": "the message: created, resolve, status_reply..."})
    language = fields.String(metadata={"description": "vi or en"})
    channel = fields.String(metadata={"description": "sms or zalo"})
    body = fields.String(metadata={"description": "the text sent now: the saved one, else the default"})
    default_body = fields.String()
    customised = fields.Boolean(metadata={"description": "false: the body is the default"})
    placeholders = fields.List(fields.String(), metadata={"description": "the placeholders this kind may use"})
    required = fields.List(fields.String(), metadata={"description": "those it must keep (its default's)"})
    updated_at = UTCDateTime(allow_none=True, metadata={"description": "null: never saved"})


class MessageTemplateIn(Schema):
    body = Text(MAX_BODY, required=True, metadata={
        "description": "str.format placeholders such as {code}, {link}; every placeholder of the default is "
                       "required, others must be among the kind's placeholders"})
