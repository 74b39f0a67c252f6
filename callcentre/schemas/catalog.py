"""Catalog schemas: categories and departments, the routing data every client needs."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.common import DepartmentRef, PageQuery, Text, page_envelope


class CategoryOut(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    department = fields.Nested(DepartmentRef, attribute="default_department")


class DepartmentOut(DepartmentRef):
    level = fields.String()
    commune_code = fields.String(allow_none=True)


class CatalogQuery(PageQuery):
    q = Text(100, metadata={"description": "search, with or without diacritics"})


CategoryPage = page_envelope(CategoryOut, "CategoryPage")
DepartmentPage = page_envelope(DepartmentOut, "DepartmentPage")
