"""Routing reference data: every change reaches the next ticket, whoever made it.

Categories and departments are session-wide reference data (see conftest): each test that
changes one puts it back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.models import Category, Department, SlaClock, Ticket, TicketEvent
from tests.conftest import ticket_payload


@contextmanager
def routed_to(app: Flask, department_code: str) -> Iterator[None]:
    """Route TN-MT to another department by plain SQL, as another process or a DBA would."""
    with app.app_context():
        before = db.session.scalar(sa.select(Category.default_department_id).where(Category.code == "TN-MT"))
        target = db.session.scalar(sa.select(Department.id).where(Department.code == department_code))
    try:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.update(Category).where(Category.code == "TN-MT").values(default_department_id=target))
        yield
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.update(Category).where(Category.code == "TN-MT").values(default_department_id=before))


def department_of_new_ticket(api, headers: dict[str, str] | None = None) -> str:
    resp = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["department"]["code"]


# With a key the ticket's transaction also writes its Idempotency-Key record: both must behave alike.
KEYED = pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "idempotency-key"])


def key_headers(keyed: bool) -> dict[str, str] | None:
    return {"Idempotency-Key": uuid.uuid4().hex} if keyed else None


def test_a_change_through_the_orm_reaches_the_next_ticket(app, api_as) -> None:
    api = api_as("operator")
    assert department_of_new_ticket(api) == "SNNMT"  # the snapshot is now cached
    with app.app_context():
        category = db.session.scalars(sa.select(Category).where(Category.code == "TN-MT")).one()
        original = category.default_department_id
        category.default_department_id = db.session.scalar(sa.select(Department.id).where(Department.code == "SCT"))
        db.session.commit()
    try:
        assert department_of_new_ticket(api) == "SCT"
    finally:
        with app.app_context():
            category = db.session.scalars(sa.select(Category).where(Category.code == "TN-MT")).one()
            category.default_department_id = original
            db.session.commit()
    assert department_of_new_ticket(api) == "SNNMT"


def test_deactivating_a_category_rejects_it_at_once(app, api_as) -> None:
    api = api_as("operator")
    assert department_of_new_ticket(api) == "SNNMT"
    with app.app_context():
        db.session.scalars(sa.select(Category).where(Category.code == "TN-MT")).one().active = False
        db.session.commit()
    try:
        resp = api.post("/api/v1/tickets", ticket_payload())
        assert resp.status_code == 422
        assert resp.json["errors"]["json"] == {"category": ["unknown category code 'TN-MT'"]}
    finally:
        with app.app_context():
            db.session.scalars(sa.select(Category).where(Category.code == "TN-MT")).one().active = True
            db.session.commit()
    assert department_of_new_ticket(api) == "SNNMT"


@KEYED
def test_a_change_committed_by_another_process_is_seen_before_the_write(app, api_as, count, keyed) -> None:
    """A route changed by plain SQL elsewhere applies to the very next ticket: one ticket each."""
    from callcentre.models import IdempotencyKey

    api = api_as("operator")
    assert department_of_new_ticket(api, key_headers(keyed)) == "SNNMT"
    with routed_to(app, "SCT"):
        assert department_of_new_ticket(api, key_headers(keyed)) == "SCT"
    assert count(Ticket) == count(TicketEvent) == 2 and count(SlaClock) == 4  # resolve and forward each
    assert count(IdempotencyKey) == (2 if keyed else 0)


@KEYED
def test_a_taken_receipt_code_gets_another(app, api_as, count, monkeypatch, keyed) -> None:
    from callcentre.formats.receipt import new_receipt_code
    from callcentre.models import IdempotencyKey
    from callcentre.services import tickets

    api = api_as("operator")
    first = api.post("/api/v1/tickets", ticket_payload(), headers=key_headers(keyed)).json["receipt_code"]
    taken = [first]  # handed out once, then fresh codes again
    monkeypatch.setattr(tickets, "new_receipt_code", lambda: taken.pop() if taken else new_receipt_code())
    headers = key_headers(keyed)
    second = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    assert second.status_code == 201, second.json
    assert second.json["receipt_code"] != first
    assert count(Ticket) == count(TicketEvent) == 2 and count(SlaClock) == 4  # resolve and forward each
    assert count(IdempotencyKey) == (2 if keyed else 0)
    if keyed:  # the stored answer is the one sent, ids and all
        again = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
        assert again.headers.get("Idempotent-Replayed") == "true" and again.json == second.json
