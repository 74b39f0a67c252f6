"""POST/GET /api/v1/tickets: intake, validation, idempotency, filters, isolation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.receipt import normalize
from callcentre.models import Contact, Ticket, TicketEvent
from tests.conftest import ticket_payload


def test_operator_creates_ticket_with_default_department_and_history(api_as) -> None:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(priority="high"))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert {"id", "receipt_code", "status", "category", "department"} <= body.keys()
    assert body["status"] == "received"
    assert body["category"]["code"] == "TN-MT"
    assert body["department"]["code"] == "SNNMT"  # the category's default department
    assert body["priority"] == "high"
    assert body["title"].startswith("Khói bụi")
    assert normalize(body["receipt_code"]) == body["receipt_code"]
    assert body["contact"]["phone"] == "+84912345678"
    assert body["location"] == {"commune_code": "28261", "address": "12 Lê Lợi", "lat": None, "lng": None}
    [event] = body["events"]
    assert event["kind"] == "created" and event["to_status"] == "received" and event["actor"] == "operator"
    # UTF-8 end to end: the raw body carries the characters, not \\u escapes.
    assert "Tài nguyên và môi trường".encode() in resp.data


def test_invalid_input_gets_422_with_fields_and_writes_nothing(api_as, count) -> None:
    resp = api_as("operator").post(
        "/api/v1/tickets",
        {"channel": "fax", "category": "TN-MT", "description": "  ", "priority": "meh",
         "contact": {"phone": "123"}, "location": {"commune_code": "99999", "lat": 200}},
    )
    assert resp.status_code == 422
    errors = resp.json["errors"]["json"]
    assert set(errors) == {"channel", "description", "priority", "contact", "location"}
    assert "phone" in errors["contact"]
    assert set(errors["location"]) == {"commune_code", "lat"}
    assert count(Ticket) == 0 and count(Contact) == 0


def test_unknown_category_or_call_is_422_and_nothing_is_half_written(api_as, count) -> None:
    api = api_as("operator")
    resp = api.post("/api/v1/tickets", ticket_payload(category="NOPE"))
    assert resp.status_code == 422
    assert resp.json["errors"]["json"] == {"category": ["unknown category code 'NOPE'"]}
    resp = api.post("/api/v1/tickets", ticket_payload(call_id=424242))
    assert resp.status_code == 422
    assert resp.json["errors"]["json"] == {"call_id": ["no such call"]}
    # The contact insert ran before the call check failed: it must be rolled back too.
    assert count(Ticket) == 0 and count(Contact) == 0 and count(TicketEvent) == 0


def test_missing_json_body_is_422(api_as) -> None:
    resp = api_as("operator").post("/api/v1/tickets", data="not json", content_type="text/plain")
    assert resp.status_code == 422


def test_idempotency_key_retry_creates_one_ticket(api_as, count) -> None:
    api = api_as("operator")
    headers = {"Idempotency-Key": "app-7f3c"}
    first = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    again = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.data == first.data  # byte for byte
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(Ticket) == 1
    other = api.post("/api/v1/tickets", ticket_payload(description="khác"), headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]["headers"]
    # Another client may use the same key string for its own request.
    assert api_as("supervisor").post("/api/v1/tickets", ticket_payload(), headers=headers).status_code == 201
    assert count(Ticket) == 2


def test_concurrent_retries_with_one_key_create_one_ticket(app, tokens, count) -> None:
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/tickets", json=ticket_payload(),
                           headers={"Authorization": f"Bearer {tokens['operator']}", "Idempotency-Key": "race-1"})
        results.append((resp.status_code, resp.json))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 6
    assert len({body["id"] for _, body in results}) == 1
    assert count(Ticket) == 1


def test_auth_and_roles(api_as, count) -> None:
    assert api_as(None).get("/api/v1/tickets").status_code == 401
    assert api_as(None).post("/api/v1/tickets", ticket_payload()).status_code == 401
    resp = api_as(None).get("/api/v1/tickets", headers={"Authorization": "Bearer cc_wrong"})
    assert resp.status_code == 401 and resp.json["code"] == 401
    # Department staff work tickets; they do not take calls.
    resp = api_as("officer").post("/api/v1/tickets", ticket_payload())
    assert resp.status_code == 403 and "department_officer" in resp.json["message"]
    assert count(Ticket) == 0


def test_department_staff_see_only_their_department(api_as) -> None:
    op = api_as("operator")
    env = op.post("/api/v1/tickets", ticket_payload()).json  # SNNMT
    trade = op.post("/api/v1/tickets", ticket_payload(category="CONG-THUONG")).json  # SCT
    for ticket in (env, trade):  # department staff see a ticket once it is assigned (test_ticket_visibility.py)
        assert op.post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"}).status_code == 200
    officer = api_as("officer")  # SNNMT
    listed = officer.get("/api/v1/tickets").json
    assert [t["id"] for t in listed["items"]] == [env["id"]]
    assert officer.get(f"/api/v1/tickets/{env['id']}").status_code == 200
    resp = officer.get(f"/api/v1/tickets/{trade['id']}")
    assert resp.status_code == 403
    # Even asking for the other department by filter shows nothing.
    assert officer.get("/api/v1/tickets?department=SCT").json["total"] == 0
    assert api_as("supervisor").get("/api/v1/tickets").json["total"] == 2


def test_list_filters_and_pagination(app, api_as) -> None:
    op = api_as("operator")
    made = []
    for i in range(7):
        made.append(op.post("/api/v1/tickets", ticket_payload(
            channel="app" if i % 2 else "phone",
            category="TN-MT" if i < 4 else "DIEN",
            priority="urgent" if i == 6 else "normal",
            description=f"Sự cố số {i} mất điện" if i >= 4 else f"Ô nhiễm số {i}",
            contact={"phone": f"09123450{i:02d}"},
        )).json)
    sup = api_as("supervisor")
    page1 = sup.get("/api/v1/tickets?per_page=3").json
    assert (page1["page"], page1["per_page"], page1["total"]) == (1, 3, 7)
    assert [t["id"] for t in page1["items"]] == [m["id"] for m in made[::-1][:3]]  # newest first
    page3 = sup.get("/api/v1/tickets?per_page=3&page=3").json
    assert [t["id"] for t in page3["items"]] == [made[0]["id"]]
    assert sup.get("/api/v1/tickets?channel=app").json["total"] == 3
    assert sup.get("/api/v1/tickets?category=DIEN").json["total"] == 3
    assert sup.get("/api/v1/tickets?department=PCDT").json["total"] == 3
    assert sup.get("/api/v1/tickets?priority=urgent").json["total"] == 1
    assert sup.get("/api/v1/tickets?status=received,assigned").json["total"] == 7
    assert sup.get("/api/v1/tickets?status=closed").json["total"] == 0
    assert sup.get("/api/v1/tickets?q=mất điện").json["total"] == 3
    assert sup.get(f"/api/v1/tickets?q={made[2]['receipt_code']}").json["items"][0]["id"] == made[2]["id"]
    assert sup.get("/api/v1/tickets?phone=0912345003").json["total"] == 1
    # Date range, with timezone: move one ticket into last week.
    with app.app_context():
        db.session.get(Ticket, made[0]["id"]).created_at = datetime.now(UTC) - timedelta(days=7)
        db.session.commit()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    resp = sup.get("/api/v1/tickets", query_string={"created_from": since})
    assert resp.json["total"] == 6
    resp = sup.get("/api/v1/tickets", query_string={"created_to": since})
    assert [t["id"] for t in resp.json["items"]] == [made[0]["id"]]
    bad = sup.get("/api/v1/tickets?per_page=1000&channel=fax&created_from=yesterday")
    assert bad.status_code == 422
    assert set(bad.json["errors"]["query"]) == {"per_page", "channel", "created_from"}


def test_ticket_detail_has_history_and_no_edit_or_delete(api_as, app) -> None:
    op = api_as("operator")
    ticket = op.post("/api/v1/tickets", ticket_payload()).json
    detail = op.get(f"/api/v1/tickets/{ticket['id']}").json
    assert [e["kind"] for e in detail["events"]] == ["created"]
    assert op.get("/api/v1/tickets/999999").status_code == 404
    for method in ("PUT", "PATCH", "DELETE"):
        assert op._call(method, f"/api/v1/tickets/{ticket['id']}").status_code == 405
    with app.app_context():
        event = db.session.scalars(sa.select(TicketEvent)).one()
        event.note = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(event)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
