"""Open311 client application schemas (API keys, for admins)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callcentre.models.open311 import CLIENT_NAME
from callcentre.schemas.common import UTCDateTime


class ApiClientIn(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        CLIENT_NAME, error="1-32 lower-case letters, digits, '.', '_' or '-'"))


class ApiClientOut(Schema):
    name = fields.String()
    prefix = fields.String(metadata={"description": "the key's first characters, to recognise it"})
    active = fields.Boolean()
    created_at = UTCDateTime()
    revoked_at = UTCDateTime(allow_none=True)
    last_used_at = UTCDateTime(allow_none=True)


class ApiClientCreated(ApiClientOut):
    api_key = fields.String(metadata={"description": "shown once; only its hash is stored"})
