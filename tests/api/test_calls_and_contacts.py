"""Calls and the operator's screen pop."""

from __future__ import annotations

from callcentre.models import Call, TicketEvent
from tests.conftest import ticket_payload


def test_log_call_then_end_it_with_a_disposition(api_as) -> None:
    op = api_as("operator")
    resp = op.post("/api/v1/calls", {
        "provider_call_id": "CA123", "from_number": "0912 345 678",
        "started_at": "2026-11-23T08:00:00+07:00", "answered_at": "2026-11-23T08:00:05+07:00",
    })
    assert resp.status_code == 201, resp.json
    call = resp.json
    assert call["from_number"] == "+84912345678" and call["operator"] == "operator"
    assert call["started_at"] == "2026-11-23T01:00:00+00:00"  # stored and shown in UTC
    assert call["disposition"] is None and call["duration_seconds"] is None
    end = {"ended_at": "2026-11-23T08:03:05+07:00", "disposition": "info_only"}
    resp = op.patch(f"/api/v1/calls/{call['id']}", end)
    assert resp.status_code == 200, resp.json
    assert resp.json["duration_seconds"] == 180 and resp.json["disposition"] == "info_only"


def test_call_validation_and_duplicates(api_as, count) -> None:
    op = api_as("operator")
    bad = op.post("/api/v1/calls", {"from_number": "abc", "disposition": "lost", "started_at": "2026-11-23T08:00:00"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"from_number", "disposition", "started_at"}
    backwards = op.post("/api/v1/calls", {"from_number": "0912345678", "started_at": "2026-11-23T08:00:00+07:00",
                                          "ended_at": "2026-11-23T07:00:00+07:00"})
    assert backwards.status_code == 422 and "ended_at" in backwards.json["errors"]["json"]
    first = op.post("/api/v1/calls", {"provider_call_id": "CA1", "from_number": "0912345678"})
    assert first.status_code == 201
    # The same operator again (a retry without Idempotency-Key, or the end of the call): that row, updated.
    again = op.post("/api/v1/calls", {"provider_call_id": "CA1", "from_number": "0912345678", "notes": "gọi lại"})
    assert again.status_code == 200 and (again.json["id"], again.json["notes"]) == (first.json["id"], "gọi lại")
    # Another operator, or another number, cannot take that provider call over.
    other = api_as("supervisor").post("/api/v1/calls", {"provider_call_id": "CA1", "from_number": "0912345678"})
    assert other.status_code == 409 and "provider_call_id" in other.json["errors"]["json"]
    assert op.post("/api/v1/calls", {"provider_call_id": "CA1", "from_number": "0987654321"}).status_code == 409
    early = op.post("/api/v1/calls", {"from_number": "0912345678", "started_at": "2026-11-23T08:00:00+07:00",
                                      "answered_at": "2026-11-23T07:59:00+07:00"})
    assert early.status_code == 422 and "answered_at" in early.json["errors"]["json"]
    assert count(Call) == 1
    assert op.patch("/api/v1/calls/9999", {"notes": "x"}).status_code == 404
    assert api_as("officer").post("/api/v1/calls", {"from_number": "0912345678"}).status_code == 403


def test_ticket_from_a_call_links_both_and_a_second_call_attaches(api_as, count) -> None:
    op = api_as("operator")
    call = op.post("/api/v1/calls", {"from_number": "0912345678"}).json
    ticket = op.post("/api/v1/tickets", ticket_payload(call_id=call["id"])).json
    assert ticket["call_ids"] == [call["id"]]
    listed = op.get("/api/v1/calls").json["items"][0]
    assert listed["disposition"] == "new_ticket" and listed["ticket_ids"] == [ticket["id"]]
    # The citizen calls again about the same case.
    again = op.post("/api/v1/calls", {"from_number": "0912345678", "ticket_ids": [ticket["id"]]}).json
    assert again["disposition"] == "added_to_ticket"
    kinds = [e["kind"] for e in op.get(f"/api/v1/tickets/{ticket['id']}").json["events"]]
    assert kinds == ["created", "call_attached"]
    missing = op.patch(f"/api/v1/calls/{again['id']}", {"ticket_ids": [777]})
    assert missing.status_code == 422
    assert count(TicketEvent) == 2


def test_call_list_filters(api_as) -> None:
    op = api_as("operator")
    op.post("/api/v1/calls", {"from_number": "0912345678", "answered_at": "2026-11-23T08:00:05+07:00",
                              "started_at": "2026-11-23T08:00:00+07:00"})
    op.post("/api/v1/calls", {"from_number": "0987654321", "disposition": "abandoned",
                              "started_at": "2026-11-22T08:00:00+07:00"})
    assert op.get("/api/v1/calls?unanswered=true").json["total"] == 1
    assert op.get("/api/v1/calls?disposition=abandoned").json["items"][0]["from_number"] == "+84987654321"
    assert op.get("/api/v1/calls?phone=0912345678").json["total"] == 1
    assert op.get("/api/v1/calls?operator=operator").json["total"] == 2
    assert op.get("/api/v1/calls", query_string={"started_from": "2026-11-23T00:00:00+07:00"}).json["total"] == 1
    assert api_as("officer").get("/api/v1/calls").status_code == 403


def test_screen_pop_by_phone(api_as) -> None:
    op = api_as("operator")
    op.post("/api/v1/calls", {"from_number": "0912345678"})
    first = op.post("/api/v1/tickets", ticket_payload()).json
    second = op.post("/api/v1/tickets", ticket_payload(category="DIEN")).json
    op.post("/api/v1/tickets", ticket_payload(contact={"phone": "0987654321"}))
    pop = op.get("/api/v1/contacts?phone=+84 912 345 678").json
    assert pop["phone"] == "+84912345678"
    assert pop["contact"]["name"] == "Nguyễn Văn An"
    assert [t["id"] for t in pop["tickets"]] == [second["id"], first["id"]]
    assert len(pop["calls"]) == 1
    unknown = op.get("/api/v1/contacts?phone=0909000111").json
    assert unknown == {"phone": "+84909000111", "contact": None, "tickets": [], "calls": []}
    assert op.get("/api/v1/contacts?phone=xyz").status_code == 422
    assert op.get("/api/v1/contacts").status_code == 422
    assert api_as("officer").get("/api/v1/contacts?phone=0912345678").status_code == 403
