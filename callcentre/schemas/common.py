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
