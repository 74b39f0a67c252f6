"""A token's caller is remembered per process for intake, and every intake re-checks it.

On PostgreSQL the intake statement itself verifies a cached caller (callcentre/principals.py);
these tests change the token or its user between two requests and expect the same answers as if
the token were looked up each time. They run on SQLite too, where nothing is cached.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.models import ApiToken, Contact, IdempotencyKey, Ticket, User
from callcentre.models.types import utcnow
from tests.api.test_intake_statements import statements
from tests.conftest import Api, ticket_payload


@pytest.fixture()
def own_operator(app: Flask, client) -> tuple[Api, Callable[..., None]]:
    """A fresh operator with its own token (the shared demo users must stay as they are), and a
    function that changes that user or token in the database."""
    with app.app_context():
        user = User(username=f"op-{uuid.uuid4().hex[:8]}", role="operator", full_name="Trực tổng đài",
                    password_hash="x")
        token, plaintext = ApiToken.issue(user)
        db.session.add_all([user, token])
        db.session.commit()
        user_id, token_id = user.id, token.id

    def change(**values: Any) -> None:
        with app.app_context():
            if "revoked_at" in values:
                db.session.get(ApiToken, token_id).revoked_at = values.pop("revoked_at")
            user = db.session.get(User, user_id)
            for name, value in values.items():
                setattr(user, name, value)
            db.session.commit()

    return Api(client, plaintext), change


def phone_rows(count, phone: str) -> int:
    return count(Contact, Contact.phone == phone)


def test_a_revoked_token_is_refused_at_once_and_writes_nothing(own_operator, count) -> None:
    api, change = own_operator
    key = uuid.uuid4().hex
    first = api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.json
    change(revoked_at=utcnow())
    resp = api.post("/api/v1/tickets", ticket_payload(contact={"phone": "0987000111"}))
    assert resp.status_code == 401, resp.json
    assert count(Ticket) == 1 and phone_rows(count, "+84987000111") == 0
    # Not even a retry of its own earlier request is answered.
    retry = api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": key})
    assert retry.status_code == 401 and "Idempotent-Replayed" not in retry.headers
    assert count(IdempotencyKey) == 1


def test_a_revoked_token_is_not_told_what_is_wrong_with_its_input(own_operator) -> None:
    api, change = own_operator
    assert api.post("/api/v1/tickets", ticket_payload()).status_code == 201
    # While the token is valid, the cached caller gets the reasons like anyone.
    refused = api.post("/api/v1/tickets", ticket_payload(category="NO-SUCH"))
    assert refused.status_code == 422 and "category" in refused.json["errors"]["json"]
    change(revoked_at=utcnow())
    assert api.post("/api/v1/tickets", {"channel": "phone"}).status_code == 401
    assert api.post("/api/v1/tickets", ticket_payload(category="NO-SUCH")).status_code == 401


def test_a_demoted_or_deactivated_user_is_refused_at_once(own_operator, count) -> None:
    api, change = own_operator
    assert api.post("/api/v1/tickets", ticket_payload()).status_code == 201
    change(role="department_officer")
    resp = api.post("/api/v1/tickets", ticket_payload(contact={"phone": "0987000222"}))
    assert resp.status_code == 403 and "department_officer" in resp.json["message"]
    assert count(Ticket) == 1 and phone_rows(count, "+84987000222") == 0
    change(role="supervisor")  # promoted: allowed again, as the new role
    assert api.post("/api/v1/tickets", ticket_payload()).status_code == 201
    change(active=False)
    assert api.post("/api/v1/tickets", ticket_payload(contact={"phone": "0987000333"})).status_code == 401
    assert count(Ticket) == 2 and phone_rows(count, "+84987000333") == 0


def test_a_renamed_user_is_named_as_they_are_now(own_operator, app: Flask) -> None:
    api, change = own_operator
    assert api.post("/api/v1/tickets", ticket_payload()).status_code == 201
    new_name = f"op-{uuid.uuid4().hex[:8]}"
    change(username=new_name)
    resp = api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.json
    assert resp.json["events"][0]["actor"] == new_name
    again = api.get(f"/api/v1/tickets/{resp.json['id']}")
    assert again.json["events"][0]["actor"] == new_name


def test_a_known_token_costs_intake_one_statement_on_postgresql(own_operator, api_as, app: Flask,
                                                                services) -> None:
    if not services.is_postgres:
        pytest.skip("the one-statement intake (and so the caller cache) is PostgreSQL's")
    api, change = own_operator
    api_as("supervisor").post("/api/v1/tickets", ticket_payload())  # fills the catalogue snapshot
    with statements(app) as first:
        assert api.post("/api/v1/tickets", ticket_payload()).status_code == 201
    with statements(app) as second:
        assert api.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": "k1"}).status_code == 201
    assert [s.split()[0] for s in first] == ["SELECT", "WITH"], first
    assert len(second) == 1 and second[0].startswith("WITH ok AS"), second
    change(revoked_at=utcnow())
    with statements(app) as refused:
        assert api.post("/api/v1/tickets", ticket_payload()).status_code == 401
    # The statement wrote nothing, then the lookup found the revocation.
    assert [s.split()[0] for s in refused] == ["WITH", "SELECT"], refused
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 3
