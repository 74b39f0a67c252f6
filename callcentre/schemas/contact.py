"""Caller schemas: the operator's screen pop by phone number."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.call import CallOut
from callcentre.schemas.common import Text
from callcentre.schemas.ticket import ContactOut, TicketSummaryOut


class ContactQuery(Schema):
    phone = Text(30, required=True)


class ContactHistory(Schema):
    phone = fields.String()
    contact = fields.Nested(ContactOut, allow_none=True)
    tickets = fields.List(fields.Nested(TicketSummaryOut))
    calls = fields.List(fields.Nested(CallOut))
