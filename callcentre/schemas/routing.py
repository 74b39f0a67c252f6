"""Routing schemas: rules ``category x commune -> department`` and the routing's suggestion."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load

from callcentre.formats.geo import commune_name
from callcentre.schemas.common import (
    CategoryRef,
    DepartmentRef,
    PageQuery,
    Text,
    UTCDateTime,
    page_envelope,
    strip_strings,
)

CODE = {"description": "code of an active one"}
COMMUNE = {"description": "commune/ward code of the province (formats/geo.py, from vietnam-provinces)"}


class _Stripped(Schema):
    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        return strip_strings(data) if isinstance(data, dict) else data


class CommuneOut(Schema):
    code = fields.String()
    name = fields.String()


def _commune(code: str | None) -> dict[str, Any] | None:
    return {"code": code, "name": commune_name(code)} if code else None


class RoutingRuleOut(Schema):
    id = fields.Integer()
    category = fields.Nested(CategoryRef)
    commune = fields.Function(lambda r: _commune(r.commune_code), metadata={
        "type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}})
    commune_code = fields.String()
    department = fields.Nested(DepartmentRef)
    active = fields.Boolean()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class RoutingRuleUpdate(_Stripped):
    """Only the fields sent change."""

    category = Text(40, metadata=CODE)
    commune_code = Text(10, metadata=COMMUNE)
    department = Text(40, metadata=CODE)
    active = fields.Boolean(metadata={"description": "false: kept but not routed on"})


class RoutingRuleCreate(RoutingRuleUpdate):
    category = Text(40, required=True, metadata=CODE)
    commune_code = Text(10, required=True, metadata=COMMUNE)
    department = Text(40, required=True, metadata=CODE)
    active = fields.Boolean(load_default=True)


class RoutingRuleQuery(PageQuery):
    category = Text(40, metadata={"description": "category code"})
    commune_code = Text(10, metadata={"description": "commune/ward code"})
    department = Text(40, metadata={"description": "department code"})
    active = fields.Boolean()


class SuggestQuery(_Stripped):
    category = Text(40, required=True, metadata={"description": "category code"})
    commune_code = Text(10, load_default=None, metadata=COMMUNE)
    address = Text(500, load_default=None, metadata={
        "description": "the address as typed; read for a commune when commune_code is not given"})


class ReasonLabel(Schema):
    vi = fields.String()
    en = fields.String()


class SuggestOut(Schema):
    department = fields.Nested(DepartmentRef)
    reason = fields.String(metadata={"description": "rule | commune | default", "enum": ["rule", "commune", "default"]})
    reason_label = fields.Nested(ReasonLabel)
    commune = fields.Nested(CommuneOut, allow_none=True, metadata={"description": "the commune routed on"})
    commune_found = fields.Boolean(metadata={"description": "true: read from the address, not given"})
    rule_id = fields.Integer(allow_none=True)


RoutingRulePage = page_envelope(RoutingRuleOut, "RoutingRulePage")
