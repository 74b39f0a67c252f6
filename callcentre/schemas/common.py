"""Pieces shared by the API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class DepartmentRef(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class CategoryRef(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


def page_envelope(item_schema: type[Schema], name: str) -> type[Schema]:
    """``{"items", "page", "per_page", "total"}`` around ``item_schema``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )


def reject_blank(value: str) -> None:
    if not value or not value.strip():
        raise ValidationError("must not be blank")


def strip_strings(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


class UTCDateTime(fields.AwareDateTime):
    """ISO 8601 with a timezone in; UTC in the database and out (clients show local time)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {}).setdefault(
            "invalid_awareness", "give a timezone, e.g. 2026-11-23T08:00:00+07:00")
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        from datetime import UTC

        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        from datetime import UTC

        return None if value is None else super()._serialize(value.astimezone(UTC), attr, obj, **kwargs)


class PhoneNumber(fields.String):
    """A phone number in any usual Vietnamese form, loaded as E.164."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        from callcentre.formats.phone import InvalidPhone, to_e164

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return to_e164(text)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from exc
