"""In-app notice schemas (SLA warnings and breaches, escalations)."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.common import PageQuery, UTCDateTime, page_envelope


class NotificationOut(Schema):
    id = fields.Integer()
    ticket_id = fields.Integer(allow_none=True)
    kind = fields.String()
    message_vi = fields.String()
    message_en = fields.String()
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True)


class NotificationQuery(PageQuery):
    unread = fields.Boolean()


NotificationPage = page_envelope(NotificationOut, "NotificationPage")
