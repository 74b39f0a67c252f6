"""What one intake costs the database: a guard against per-row queries creeping back in.

Counted with SQLAlchemy's engine events, so this is behaviour (statements sent), not timing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from callcentre.core.extensions import db
from callcentre.services.intake_sql import pg_intake_statement
from tests.conftest import ticket_payload


@contextmanager
def statements(app) -> Iterator[list[str]]:
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args) -> None:
        sent.append(" ".join(statement.split())[:60])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_an_intake_is_one_write_on_postgresql(app, api_as, services) -> None:
    api = api_as("operator")
    api.post("/api/v1/tickets", ticket_payload())  # fills the catalogue snapshot and the caller cache
    with statements(app) as sent:
        resp = api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.json
    if services.is_postgres:
        # Ticket, clock, event, contact and Idempotency-Key record at once; the statement also
        # re-checks the cached caller, so no token lookup (test_cached_callers.py).
        assert len(sent) == 1 and sent[0].startswith("WITH ok AS"), sent
    else:
        # SQLite: one statement per row, no network to save; still no per-row reads.
        assert not any(s.startswith("SELECT categories") or s.startswith("SELECT sla_policies") for s in sent), sent
        assert len(sent) <= 8, sent


@pytest.mark.parametrize("answer", [False, True])
def test_the_intake_statement_fits_psycopgs_parse_cache(answer: bool) -> None:
    """Longer than 4096 bytes or with more than 50 parameters, psycopg parses the statement again
    on every call (8% of a worker's CPU when it happened)."""
    from psycopg import _queries

    compiled = pg_intake_statement(answer=answer).compile(dialect=postgresql.psycopg.dialect())
    assert len(str(compiled).encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
