"""POST/GET /api/v1/tickets/{id}/transitions: the workflow over HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import SlaClock, Ticket, TicketEvent
from tests.conftest import ticket_payload


def new_ticket(api_as, **kw) -> dict:
    return api_as("operator").post("/api/v1/tickets", ticket_payload(**kw)).json


def fire(api, ticket_id: int, trigger: str, **fields):
    return api.post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})


def test_full_lifecycle_records_every_step(api_as, app) -> None:
    op, officer, head, sup = api_as("operator"), api_as("officer"), api_as("head"), api_as("supervisor")
    t = new_ticket(api_as)
    tid = t["id"]
    steps = [
        (op, "assign", {}, "assigned"),
        (officer, "accept", {}, "in_progress"),
        (head, "request_extension", {"deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                                     "reason": "cần khảo sát hiện trường"}, "in_progress"),
        (sup, "approve_extension", {"note": "đồng ý"}, "in_progress"),
        (officer, "request_info", {"note": "Xin địa chỉ cụ thể"}, "awaiting_citizen"),
        (op, "info_received", {"note": "Công dân gọi lại bổ sung"}, "in_progress"),
        (officer, "resolve", {"answer": "Đã kiểm tra và xử phạt cơ sở vi phạm."}, "resolved"),
        (op, "close", {}, "closed"),
    ]
    for api, trigger, fields, status in steps:
        resp = fire(api, tid, trigger, **fields)
        assert resp.status_code == 200, (trigger, resp.json)
        assert resp.json["ticket"]["status"] == status
    detail = sup.get(f"/api/v1/tickets/{tid}").json
    kinds = [(e["kind"], e["from_status"], e["to_status"], e["actor"]) for e in detail["events"]]
    assert kinds == [
        ("created", None, "received", "operator"),
        ("assign", "received", "assigned", "operator"),
        ("accept", "assigned", "in_progress", "officer"),
        ("request_extension", "in_progress", "in_progress", "head"),
        ("approve_extension", "in_progress", "in_progress", "supervisor"),
        ("request_info", "in_progress", "awaiting_citizen", "officer"),
        ("info_received", "awaiting_citizen", "in_progress", "operator"),
        ("resolve", "in_progress", "resolved", "officer"),
        ("close", "resolved", "closed", "operator"),
    ]
    assert detail["events"][5]["note"] == "Xin địa chỉ cụ thể"
    assert detail["department"]["code"] == "SNNMT"
    assert detail["public_answer"] == "Đã kiểm tra và xử phạt cơ sở vi phạm."
    # The citizen sees the answer and the public steps, not the internal ones.
    public = api_as(None).get(f"/api/v1/public/tickets/{t['receipt_code']}").json
    assert public["status"] == "closed" and public["status_label"]["vi"] == "Đóng"
    assert public["public_answer"] == detail["public_answer"]
    assert "request_extension" not in [e["kind"] for e in public["public_events"]]
    with app.app_context():
        clocks = db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == tid)).all()
        assert {c.kind: c.stop_reason for c in clocks} == {"accept": "accepted", "resolve": "resolved",
                                                             "forward": "assigned"}
        assert all(c.next_check_at is None for c in clocks)


def test_refusals_change_nothing(api_as, count) -> None:
    op, officer = api_as("operator"), api_as("officer")
    tid = new_ticket(api_as)["id"]
    assert fire(op, tid, "assign").status_code == 200
    resp = fire(op, tid, "accept")
    assert resp.status_code == 403 and resp.json["message"] == "role 'operator' may not 'accept'"  # not a department
    resp = fire(api_as("officer_ct"), tid, "accept")
    assert resp.status_code == 403  # another department's ticket: not even visible
    resp = fire(officer, tid, "resolve", answer="x")
    # The API speaks English with codes; the pages show the labels in the page's language.
    assert resp.status_code == 409 and resp.json["message"] == "cannot 'resolve' a ticket in status 'assigned'"
    assert fire(officer, tid, "accept").status_code == 200
    assert fire(officer, tid, "accept").status_code == 409
    resp = fire(officer, tid, "resolve")
    assert resp.status_code == 422 and resp.json["errors"]["json"] == {"answer": ["'resolve' needs 'answer'"]}
    resp = fire(officer, tid, "teleport")
    assert resp.status_code == 422 and "trigger" in resp.json["errors"]["json"]
    resp = fire(api_as("head"), tid, "request_extension", deadline="2020-01-01T00:00:00+07:00", reason="r")
    assert resp.status_code == 422 and "deadline" in resp.json["errors"]["json"]
    resp = fire(api_as("head"), tid, "request_extension", deadline="next week", reason="r")
    assert resp.status_code == 422
    resp = fire(api_as("supervisor"), tid, "approve_extension")
    assert resp.status_code == 409 and resp.json["message"] == "there is no pending extension request"
    assert api_as(None).post(f"/api/v1/tickets/{tid}/transitions", {"trigger": "accept"}).status_code == 401
    assert count(TicketEvent, TicketEvent.ticket_id == tid) == 3  # created, assign, accept


def test_allowed_triggers_depend_on_role_state_and_department(api_as) -> None:
    tid = new_ticket(api_as)["id"]

    def names(user: str) -> set[str]:
        resp = api_as(user).get(f"/api/v1/tickets/{tid}/transitions")
        return {t["trigger"] for t in resp.json} if resp.status_code == 200 else {resp.status_code}

    assert names("operator") == {"assign", "reject", "merge"}
    assert names("officer") == {403}  # received: not the department's to see until assigned
    fire(api_as("operator"), tid, "assign")
    assert names("officer") == {"accept", "return"}
    assert names("officer_ct") == {403}
    fire(api_as("officer"), tid, "accept")
    assert names("head") == {"return", "request_info", "request_extension", "resolve"}
    listing = api_as("head").get(f"/api/v1/tickets/{tid}/transitions").json
    resolve = next(t for t in listing if t["trigger"] == "resolve")
    assert resolve["label_vi"] == "Trả lời công dân" and resolve["requires"] == ["answer"]


def test_assign_to_another_department_then_return(api_as) -> None:
    tid = new_ticket(api_as)["id"]
    resp = fire(api_as("operator"), tid, "assign", department="SCT")
    assert resp.json["ticket"]["department"]["code"] == "SCT"
    assert fire(api_as("officer"), tid, "accept").status_code == 403
    assert fire(api_as("operator"), tid, "assign", department="NOPE").status_code == 409  # already assigned
    resp = fire(api_as("officer_ct"), tid, "return")
    assert resp.status_code == 422 and "reason" in resp.json["errors"]["json"]
    resp = fire(api_as("officer_ct"), tid, "return", reason="Không thuộc thẩm quyền Sở Công Thương")
    assert resp.json["ticket"]["status"] == "received" and resp.json["ticket"]["department"] is None
    assert api_as("officer_ct").get(f"/api/v1/tickets/{tid}").status_code == 403
    resp = fire(api_as("operator"), tid, "assign", department="NOPE")
    assert resp.status_code == 422 and "department" in resp.json["errors"]["json"]
    assert fire(api_as("operator"), tid, "assign", department="SNNMT").status_code == 200
    detail = api_as("officer").get(f"/api/v1/tickets/{tid}").json
    assert [e["kind"] for e in detail["events"]] == ["created", "assign", "return", "assign"]
    assert detail["events"][2]["payload"]["from_department"] == "SCT"


def test_reject_and_merge_keep_both_histories(api_as) -> None:
    op = api_as("operator")
    a, b, c = (new_ticket(api_as)["id"] for _ in range(3))
    resp = fire(op, c, "reject", reason="Nội dung không thuộc phạm vi tiếp nhận")
    assert resp.json["ticket"]["status"] == "rejected"
    assert fire(op, b, "merge", duplicate_of=b).status_code == 422
    assert fire(op, b, "merge", duplicate_of=c).status_code == 409  # cannot merge into a rejected ticket
    resp = fire(op, b, "merge", duplicate_of=a)
    assert resp.status_code == 200 and resp.json["ticket"]["duplicate_of_id"] == a
    assert [e["kind"] for e in op.get(f"/api/v1/tickets/{a}").json["events"]] == ["created", "merged_in"]
    assert [e["kind"] for e in op.get(f"/api/v1/tickets/{b}").json["events"]] == ["created", "merge"]


def test_reopen_by_operator_within_window_and_by_supervisor_after(api_as, app) -> None:
    tid = new_ticket(api_as)["id"]
    for user, trigger, fields in (("operator", "assign", {}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "Đã xử lý"})):
        assert fire(api_as(user), tid, trigger, **fields).status_code == 200
    resp = fire(api_as("operator"), tid, "reopen", reason="Công dân phản hồi chưa được xử lý")
    assert resp.status_code == 200 and resp.json["ticket"]["status"] == "in_progress"
    fire(api_as("officer"), tid, "resolve", answer="Đã xử lý lần 2")
    with app.app_context():
        db.session.get(Ticket, tid).resolved_at = datetime.now(UTC) - timedelta(days=30)
        db.session.commit()
    resp = fire(api_as("operator"), tid, "reopen", reason="quá hạn")
    days = app.config["REOPEN_WINDOW_DAYS"]
    assert resp.status_code == 409
    assert resp.json["message"] == f"the citizen's dispute window ({days} days) has passed; ask a supervisor"
    assert fire(api_as("supervisor"), tid, "reopen", reason="Giám sát mở lại").status_code == 200


def test_stale_version_is_refused(api_as) -> None:
    t = new_ticket(api_as)
    resp = fire(api_as("operator"), t["id"], "assign", version=t["version"] + 5)
    assert resp.status_code == 409 and "version" in resp.json["message"]
    resp = api_as("operator").post(f"/api/v1/tickets/{t['id']}/transitions", {"trigger": "assign"},
                                   headers={"If-Match": str(t["version"])})
    assert resp.status_code == 200


def test_concurrent_triggers_exactly_one_wins(app, api_as, tokens, count) -> None:
    """Real concurrent requests (one thread and one DB session each): one 200, the rest 409."""
    tid = new_ticket(api_as)["id"]
    fire(api_as("operator"), tid, "assign")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def accept(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(f"/api/v1/tickets/{tid}/transitions", json={"trigger": "accept"},
                           headers={"Authorization": f"Bearer {token}"})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=accept, args=(tokens["officer" if i % 2 else "head"],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert count(TicketEvent, TicketEvent.ticket_id == tid, TicketEvent.kind == "accept") == 1


def test_concurrent_reassign_with_the_same_version_one_wins(app, api_as, tokens, count) -> None:
    t = new_ticket(api_as)
    version = fire(api_as("operator"), t["id"], "assign").json["ticket"]["version"]
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    departments = ["SCT", "SXD", "SYT", "CAT", "SKHCN", "SGDDT"]

    def reassign(dept: str) -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(f"/api/v1/tickets/{t['id']}/transitions",
                           json={"trigger": "reassign", "department": dept, "version": version},
                           headers={"Authorization": f"Bearer {tokens['supervisor']}"})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=reassign, args=(d,)) for d in departments]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(statuses) == [200] + [409] * 5
    assert count(TicketEvent, TicketEvent.ticket_id == t["id"], TicketEvent.kind == "reassign") == 1
