"""Catalog schemas: categories and departments, the routing data every client needs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callcentre.schemas.common import DepartmentRef, PageQuery, Text, page_envelope


class CategoryOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    department = fields.Nested(DepartmentRef, attribute="default_department")
    level = fields.String(metadata={"description": "province | commune"})
    active = fields.Boolean()
    publish_by_default = fields.Boolean(metadata={
        "description": "a resolved ticket's answer is published (/cong-khai) unless the resolver says otherwise"})


class DepartmentOut(DepartmentRef):
    level = fields.String()
    commune_code = fields.String(allow_none=True)
    commune_codes = fields.List(fields.String(), metadata={"description": "communes a commune People's Committee "
                                                                        "answers for"})
    active = fields.Boolean()


class CatalogQuery(PageQuery):
    q = Text(100, metadata={"description": "search, with or without diacritics"})
    include_inactive = fields.Boolean(load_default=False, metadata={
        "description": "admins only: deactivated ones too"})


LEVELS = ["province", "commune"]
CODE_DOC = "2-40 of A-Z 0-9 - _; not editable after creation"


class DepartmentUpdate(Schema):
    """Only the fields sent change."""

    name_vi = Text(200)
    name_en = Text(200)
    level = fields.String(validate=validate.OneOf(LEVELS))
    commune_codes = fields.List(Text(10), validate=validate.Length(max=200),
                                metadata={"description": "commune codes of the province"})
    active = fields.Boolean(metadata={"description": "false: refused (409) while an active category routes here"})


class DepartmentCreate(DepartmentUpdate):
    code = Text(40, required=True, metadata={"description": CODE_DOC})
    name_vi = Text(200, required=True)
    name_en = Text(200, load_default="")


class CategoryUpdate(Schema):
    """Only the fields sent change."""

    name_vi = Text(200)
    name_en = Text(200)
    default_department = Text(40, metadata={"description": "code of an active department"})
    level = fields.String(validate=validate.OneOf(LEVELS))
    active = fields.Boolean()
    publish_by_default = fields.Boolean(metadata={
        "description": "the resolve form's default for publishing the answer; new categories: false"})


class CategoryCreate(CategoryUpdate):
    code = Text(40, required=True, metadata={"description": CODE_DOC})
    name_vi = Text(200, required=True)
    name_en = Text(200, load_default="")
    default_department = Text(40, required=True, metadata={"description": "code of an active department"})


CategoryPage = page_envelope(CategoryOut, "CategoryPage")
DepartmentPage = page_envelope(DepartmentOut, "DepartmentPage")
