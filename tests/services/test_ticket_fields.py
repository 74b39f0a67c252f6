"""No intake field is ever dropped: every ticket column the create schema accepts is stored.

Parametrised over the model and the schema themselves, so a new column that ``TicketCreate``
accepts (at the top level or in ``location``) is covered without editing this test. Runs on
SQLite and, in CI's second run, on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from callcentre.core.extensions import db
from callcentre.models import Ticket
from callcentre.schemas.ticket import TicketCreate
from tests.conftest import ticket_payload

COLUMNS = Ticket.__table__.columns
# Values the generic rules below cannot invent (they must name real reference data).
KNOWN_VALUES: dict[str, Any] = {"commune_code": "28261"}


def accepted_columns() -> list[tuple[str | None, str]]:
    """(nested field or None, field name) for each create-schema field that is a ticket column."""
    out: list[tuple[str | None, str]] = []
    for name, field in TicketCreate().fields.items():
        if isinstance(field, fields.Nested):
            nested = field.schema
            assert isinstance(nested, Schema)
            out += [(name, sub) for sub in nested.fields if sub in COLUMNS]
        elif name in COLUMNS:
            out.append((None, name))
    return out


def probe_value(field: fields.Field, name: str) -> Any:
    """A valid value for ``field`` that differs from its default."""
    if name in KNOWN_VALUES:
        return KNOWN_VALUES[name]
    validators = field.validators
    for v in validators:
        if isinstance(v, validate.OneOf):
            choices = [c for c in v.choices if c != field.load_default]
            return choices[-1]
    if isinstance(field, fields.Float | fields.Integer):
        for v in validators:
            if isinstance(v, validate.Range):
                return type(v.min or 0)((v.min or 0) + 1.25 if isinstance(field, fields.Float) else (v.min or 0) + 1)
        return 7
    if isinstance(field, fields.Boolean):
        return not field.load_default
    return f"Thử trường {name} — đèn đường"


def _field(parent: str | None, name: str) -> fields.Field:
    schema = TicketCreate()
    if parent is None:
        return schema.fields[name]
    nested = schema.fields[parent]
    assert isinstance(nested, fields.Nested) and isinstance(nested.schema, Schema)
    return nested.schema.fields[name]


def test_the_schema_accepts_ticket_columns() -> None:
    names = {n for _, n in accepted_columns()}
    assert {"channel", "description", "priority", "title", "address", "commune_code", "lat", "lng"} <= names


@pytest.mark.parametrize(("parent", "name"), accepted_columns(), ids=lambda v: str(v))
def test_every_accepted_column_is_stored(app, api_as, parent: str | None, name: str) -> None:
    value = probe_value(_field(parent, name), name)
    payload = ticket_payload()
    if parent is None:
        payload[name] = value
    else:
        payload[parent] = {**(payload.get(parent) or {}), name: value}
    resp = api_as("operator").post("/api/v1/tickets", payload)
    assert resp.status_code == 201, resp.json
    with app.app_context():
        stored = db.session.scalar(sa.select(COLUMNS[name]).where(Ticket.id == resp.json["id"]))
    assert stored == pytest.approx(value) if isinstance(value, float) else stored == value
