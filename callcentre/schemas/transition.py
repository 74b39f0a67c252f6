"""Workflow schemas: a trigger fired on a ticket, the triggers on offer, the result."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.ticket import TicketDetailOut


class TransitionIn(Schema):
    trigger = fields.String(required=True)
    note = fields.String(allow_none=True)
    department = fields.String(allow_none=True, metadata={"description": "assign / reassign: department code"})
    answer = fields.String(allow_none=True, metadata={"description": "resolve: the public answer"})
    reason = fields.String(allow_none=True, metadata={"description": "reject, return, reopen, deny_extension"})
    deadline = fields.String(allow_none=True, metadata={"description": "request_extension: ISO 8601 with timezone"})
    duplicate_of = fields.Integer(allow_none=True, metadata={"description": "merge: id of the surviving ticket"})
    version = fields.Integer(allow_none=True, metadata={"description": "the version you saw; 409 if it changed"})


class TriggerOut(Schema):
    trigger = fields.String(attribute="name")
    label_vi = fields.String()
    label_en = fields.String()
    requires = fields.List(fields.String(), attribute="required")
    to_status = fields.Function(lambda s: s.dest.value if s.dest else None)


class TransitionResult(Schema):
    ticket = fields.Nested(TicketDetailOut)
    event_id = fields.Integer()
    allowed = fields.List(fields.Nested(TriggerOut))
