"""A citizen's data: the export of everything held about them, and what an erasure touched."""

from __future__ import annotations

from marshmallow import Schema, fields


class ContactExportOut(Schema):
    contact = fields.Dict(metadata={"description": "phone, name, language, consents"})
    tickets = fields.List(fields.Dict(), metadata={
        "description": "their tickets with text, place, answer, the history they can see, photos (metadata), rating"})
    calls = fields.List(fields.Dict())
    messages = fields.List(fields.Dict(), metadata={"description": "SMS/Zalo messages sent to them"})


class ErasureOut(Schema):
    contact_id = fields.Integer()
    tickets = fields.Integer(metadata={"description": "tickets scrubbed (kept for the statistics)"})
    calls = fields.Integer()
    messages = fields.Integer()
    photos = fields.Integer(metadata={"description": "the citizen's photos deleted"})
