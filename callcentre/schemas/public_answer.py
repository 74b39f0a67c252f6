"""The published answers (no login): the filters and a row. Never a name, phone, description,
exact address, coordinates or photo (services/public_answers.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from callcentre.schemas.common import PageQuery, Text, page_envelope


class PublicAnswerQuery(PageQuery):
    category = Text(40, metadata={"description": "category code (an active category)"})
    commune = Text(10, metadata={"description": "commune/ward code of the province"})
    q = Text(100, metadata={"description": "words of the category, commune, answer or street, with or without "
                                           "diacritics; digits are not searched (at least 2 letters)"})


class _Names(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class _Commune(Schema):
    code = fields.String()
    name = fields.String()


class _Label(Schema):
    vi = fields.String()
    en = fields.String()


class PublicAnswerOut(Schema):
    receipt_code = fields.String(metadata={"description": "the case's page is /t/{receipt_code}"})
    receipt_code_display = fields.String()
    category = fields.Nested(_Names)
    department = fields.Nested(_Names, allow_none=True, metadata={"description": "who answered"})
    commune = fields.Nested(_Commune, allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "without house numbers"})
    received_at = fields.DateTime(metadata={"description": "local time (+07:00)"})
    answered_at = fields.DateTime(metadata={"description": "local time (+07:00)"})
    status = fields.String(metadata={"description": "resolved | closed"})
    status_label = fields.Nested(_Label)
    answer = fields.String(metadata={"description": "the public answer (the citizen's name and phone masked)"})


PublicAnswerPage = page_envelope(PublicAnswerOut, "PublicAnswerPage")
