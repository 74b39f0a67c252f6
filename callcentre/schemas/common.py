"""Pieces shared by the API schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from callcentre.formats.limits import (
    MAX_DATETIME,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_SHORT_TEXT,
    MAX_YEAR,
    MIN_DATETIME,
    MIN_YEAR,
    NO_NUL_PATTERN,
    PROBLEM_TEXT,
    YEARS_PATTERN,
    date_in_range,
    datetime_in_range,
    text_problem,
)


class Text(fields.String):
    """A string that can be stored: no NUL, no lone surrogate, at most ``max_length`` characters
    (refused with a 422, never cut). The OpenAPI document shows the limit and the pattern."""

    def __init__(self, max_length: int = MAX_SHORT_TEXT, **kwargs: Any) -> None:
        self.max_length = max_length
        metadata = kwargs.pop("metadata", None) or {}
        metadata = {"maxLength": max_length, "pattern": NO_NUL_PATTERN, **metadata}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, self.max_length)
        if problem is not None:
            raise ValidationError(PROBLEM_TEXT[problem].format(max=self.max_length))
        return text


class Id(fields.Integer):
    """A row id: 1 .. 2**31-1 (PostgreSQL ``integer``); a larger one can name no row."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class DepartmentRef(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class CategoryRef(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


def page_envelope(item_schema: type[Schema], name: str) -> type[Schema]:
    """``{"items", "page", "per_page", "total", "total_is_estimate"}`` around ``item_schema``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(metadata={"description": "matching rows, counted up to 10,000"}),
            "total_is_estimate": fields.Boolean(metadata={
                "description": "true: more than 10,000 rows match, and ``total`` is a lower bound"}),
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
        kwargs["metadata"] = {"pattern": YEARS_PATTERN, **(kwargs.get("metadata") or {})}
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        from datetime import UTC

        loaded = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = loaded.astimezone(UTC)  # year 1 at +07:00 is before year 1 in UTC
        except OverflowError:
            in_utc = None
        if in_utc is None or not datetime_in_range(in_utc):
            raise ValidationError(f"must be between {MIN_DATETIME.isoformat()} and {MAX_DATETIME.isoformat()}")
        return in_utc

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        from datetime import UTC

        return None if value is None else super()._serialize(value.astimezone(UTC), attr, obj, **kwargs)


class PhoneNumber(Text):
    """A phone number in any usual Vietnamese form, loaded as E.164."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=30, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        from callcentre.formats.phone import InvalidPhone, to_e164

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return to_e164(text)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from exc


class BoundedDate(fields.Date):
    """An ISO 8601 day between 2000 and 2100."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": YEARS_PATTERN, **(kwargs.get("metadata") or {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not date_in_range(day):
            raise ValidationError(f"must be a day of the years {MIN_YEAR} to {MAX_YEAR}")
        return day
