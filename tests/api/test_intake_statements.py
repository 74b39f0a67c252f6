"""What one intake costs the database: a guard against per-row queries creeping back in.

Counted with SQLAlchemy's engine events, so this is behaviour (statements sent), not timing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from callcentre.extensions import db
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


def test_an_intake_is_the_auth_read_and_one_write_on_postgresql(app, api_as, services) -> None:
    api = api_as("operator")
    api.post("/api/v1/tickets", ticket_payload())  # fills the catalogue snapshot
    with statements(app) as sent:
        resp = api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.json
    if services.is_postgres:
        # The bearer-token lookup, then ticket, clock, event, contact and Idempotency-Key record at once.
        assert len(sent) == 2 and sent[0].startswith("SELECT api_tokens") and sent[1].startswith("WITH c AS"), sent
    else:
        # SQLite: one statement per row, no network to save; still no per-row reads.
        assert not any(s.startswith("SELECT categories") or s.startswith("SELECT sla_policies") for s in sent), sent
        assert len(sent) <= 8, sent
