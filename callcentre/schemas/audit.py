"""The audit log, for admins (``GET /api/v1/audit``)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from callcentre.models.audit import ACTIONS, TARGET_TYPES
from callcentre.schemas.common import PageQuery, Text, UTCDateTime, page_envelope


class AuditQuery(PageQuery):
    action = fields.String(validate=validate.OneOf(ACTIONS))
    actor = Text(100, metadata={"description": "username (as typed, for a failed login; 'cli': the command line)"})
    target_type = fields.String(validate=validate.OneOf(TARGET_TYPES))
    target_id = Text(64)
    # Loaded under these keys, as services/audit.events_query takes them.
    period_from = UTCDateTime(data_key="from", attribute="from", metadata={"description": "ISO 8601, inclusive"})
    period_to = UTCDateTime(data_key="to", attribute="to", metadata={"description": "ISO 8601, exclusive"})

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("from") is not None and data.get("to") is not None and data["from"] >= data["to"]:
            raise ValidationError("must be after 'from'", "to")


class AuditEventOut(Schema):
    id = fields.Integer()
    at = UTCDateTime()
    actor_id = fields.Integer(allow_none=True, metadata={"description": "null: nobody signed in, or the command line"})
    actor = fields.String(attribute="actor_label", metadata={"description": "username (as typed, for a failed login)"})
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    client_ip = fields.String(allow_none=True)
    details = fields.Dict(metadata={"description": "before/after of a change; phone numbers masked, "
                                                   "never a password or a token"})


AuditPage = page_envelope(AuditEventOut, "AuditPage")
