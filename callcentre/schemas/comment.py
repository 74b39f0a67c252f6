"""Internal comment schemas: free-form staff notes on a ticket, never shown to the citizen."""

from __future__ import annotations

from marshmallow import Schema

from callcentre.formats.limits import MAX_TEXT
from callcentre.schemas.common import Text, reject_blank


class CommentIn(Schema):
    text = Text(MAX_TEXT, required=True, validate=reject_blank,
                metadata={"description": "the internal comment (1..5000 characters); staff only"})
