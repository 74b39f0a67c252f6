"""Workflow schemas: a trigger fired on a ticket, the triggers on offer, the result."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callcentre.formats.limits import MAX_ID, MAX_TEXT
from callcentre.schemas.common import Id, Text
from callcentre.schemas.ticket import TicketDetailOut


class TransitionIn(Schema):
    """A trigger and its fields; a note, answer or reason longer than 5,000 characters is refused."""

    trigger = Text(40, required=True)
    note = Text(MAX_TEXT, allow_none=True, metadata={
        "description": "request_info: the question texted to the citizen and shown on their page; else internal"})
    department = Text(50, allow_none=True, metadata={"description": "assign / reassign: department code"})
    answer = Text(MAX_TEXT, allow_none=True, metadata={
        "description": "resolve: the public answer (texted, published); reject: optional public answer"})
    reason = Text(MAX_TEXT, allow_none=True, metadata={
        "description": "reject, return, reopen, deny_extension: internal, never shown to the citizen"})
    deadline = Text(40, allow_none=True, metadata={
        "description": "request_extension: ISO 8601 with timezone, at most a year ahead"})
    duplicate_of = Id(allow_none=True, metadata={"description": "merge: id of the surviving ticket"})
    publish = fields.Boolean(allow_none=True, metadata={
        "description": "resolve: put the answer on the published answers page (default: the category's "
                       "publish_by_default); true for a confidential ticket is refused (422)"})
    version = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_ID),
                             metadata={"description": "the version you saw; 409 if it changed"})


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


class PublicationIn(Schema):
    """A supervisor's decision on a resolved or closed ticket."""

    published = fields.Boolean(required=True, metadata={
        "description": "whether the answer is on the published answers page; true is refused (422) for a "
                       "confidential ticket"})
    version = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_ID),
                             metadata={"description": "the version you saw; 409 if it changed"})


class PublicationResult(Schema):
    published = fields.Boolean()
    event_id = fields.Integer()
    version = fields.Integer()
