"""Staff accounts and API tokens, for admins (``/api/v1/users``)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from callcentre.schemas.common import DepartmentRef, PageQuery, Text, UTCDateTime, page_envelope
from workflows.roles import Role

ROLES = [r.value for r in Role]


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    department = fields.Nested(DepartmentRef, allow_none=True)
    active = fields.Boolean(metadata={"description": "false: the user's tokens and web sessions are refused"})
    created_at = UTCDateTime()


class UserQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


UserPage = page_envelope(UserOut, "UserPage")


class PasswordField(Text):
    """Write-only; the policy (at least 10 characters, not all digits, not the username, not a
    common password) is applied by the service, whose reason is Vietnamese first, English after."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(200, required=True, load_only=True, **kwargs)


class UserCreate(Schema):
    username = Text(80, required=True, metadata={"description": "2-80 of a-z 0-9 . _ -"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    department = Text(50, load_default=None, allow_none=True,
                      metadata={"description": "department code (department roles)"})
    full_name = Text(200, load_default="")
    password = PasswordField()


class UserUpdate(Schema):
    """Only the fields given change."""

    role = fields.String(validate=validate.OneOf(ROLES))
    department = Text(50, allow_none=True, metadata={"description": "department code; null: none"})
    full_name = Text(200)


class PasswordIn(Schema):
    password = PasswordField()


class TokenOut(Schema):
    id = fields.Integer()
    prefix = fields.String(metadata={"description": "the token's first characters, to recognise it"})
    created_at = UTCDateTime()
    last_used_at = UTCDateTime(allow_none=True, metadata={"description": "to within a few minutes"})
    expires_at = UTCDateTime()
    revoked_at = UTCDateTime(allow_none=True)
    state = fields.String(metadata={"description": "active, expired or revoked"})


class TokenCreated(TokenOut):
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})
