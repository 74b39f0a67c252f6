"""Internal comments: staff write them through the API; the citizen never sees them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.messaging.outbound import notify_event
from callcentre.models import OutboundMessage, TicketEvent
from callcentre.services.workflow import REJECTED_ANSWER
from tests.conftest import ticket_payload
from tests.web.conftest import PASSWORD


def _ticket(api_as: Any) -> dict[str, Any]:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload())
    assert resp.status_code == 201, resp.json
    return resp.json


def test_comment_is_stored_internal_and_never_public(app, api_as) -> None:
    ticket = _ticket(api_as)
    resp = api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/comments",
                                   {"text": "  Gọi lại lúc 15h, người dân nghe máy chậm  "})
    assert resp.status_code == 201, resp.json
    assert resp.json["kind"] == "comment" and resp.json["public"] is False
    assert resp.json["note"] == "Gọi lại lúc 15h, người dân nghe máy chậm"
    assert resp.json["actor"] == "operator"
    with app.app_context():
        row = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.id == resp.json["id"])).one()
        assert row.kind == "comment" and not row.public
    public = api_as(None).get(f"/api/v1/public/tickets/{ticket['receipt_code']}")
    assert "Gọi lại lúc 15h" not in public.get_data(as_text=True)
    page = api_as(None).get(f"/t/{ticket['receipt_code']}")
    assert "Gọi lại lúc 15h" not in page.get_data(as_text=True)


def test_comment_validation_and_scope(app, api_as) -> None:
    ticket = _ticket(api_as)
    url = f"/api/v1/tickets/{ticket['id']}/comments"
    op = api_as("operator")
    assert op.post(url, {"text": "   "}).status_code == 422
    assert op.post(url, {"text": "x" * 5001}).status_code == 422
    assert op.post(url, {}).status_code == 422
    assert op.post(url, {"text": "ok", "extra": 1}).status_code == 422
    assert op.post(url, {"text": "x" * 5000}).status_code == 201
    assert op.post("/api/v1/tickets/999999/comments", {"text": "ok"}).status_code == 404
    assert api_as(None).post(url, {"text": "ok"}).status_code == 401
    # an officer of a department the ticket is not assigned to may not comment
    assert api_as("officer_ct").post(url, {"text": "ok"}).status_code == 403


def test_comment_endpoint_in_openapi(app, client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/tickets/{ticket_id}/comments" in spec["paths"]


def _signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _advance(api_as, ticket_id: int, *steps: tuple[str, str, dict[str, Any]]) -> None:
    for user, trigger, fields in steps:
        resp = api_as(user).post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json


def test_the_ticket_page_saves_a_comment_and_refuses_a_blank_or_overlong_one(app, api_as) -> None:
    ticket = _ticket(api_as)
    officer = _signed_in(app, "operator")
    url = f"/tickets/{ticket['id']}/comments"
    blank = officer.post(url, data={"text": "  \n "})
    assert blank.status_code == 422 and "Hãy nhập nội dung ghi chú" in blank.get_data(as_text=True)
    long = officer.post(url, data={"text": "x" * 5001})
    assert long.status_code == 422 and "Không được dài quá 5000 ký tự (hiện có 5001)" in long.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)
                                 .where(TicketEvent.kind == "comment")) == 0
    saved = officer.post(url, data={"text": "Đã gọi, hẹn khảo sát thứ Hai"})
    assert saved.status_code == 302
    page = officer.get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "Ghi chú nội bộ" in page and "Đã gọi, hẹn khảo sát thứ Hai" in page
    assert "Đã gọi, hẹn" not in api_as(None).get(f"/t/{ticket['receipt_code']}").get_data(as_text=True)
    # another department's officer cannot reach the ticket, so cannot comment on it
    assert _signed_in(app, "officer_ct").post(url, data={"text": "x"}).status_code == 403


def test_a_rejection_reason_stays_internal_and_the_citizen_reads_a_standard_answer(app, api_as) -> None:
    plain, answered = _ticket(api_as), _ticket(api_as)
    _advance(api_as, plain["id"], ("operator", "reject", {"reason": "Số máy quấy rối nhiều lần"}))
    _advance(api_as, answered["id"], ("operator", "reject", {"reason": "Ngoài địa bàn tỉnh",
                                                             "answer": "Vui lòng gửi UBND tỉnh Long An."}))
    first = api_as(None).get(f"/api/v1/public/tickets/{plain['receipt_code']}")
    assert first.json["public_answer"] == REJECTED_ANSWER and "quấy rối" not in first.get_data(as_text=True)
    second = api_as(None).get(f"/api/v1/public/tickets/{answered['receipt_code']}")
    assert second.json["public_answer"] == "Vui lòng gửi UBND tỉnh Long An."
    assert "Ngoài địa bàn" not in second.get_data(as_text=True)
    # staff still see the reason in the history
    detail = api_as("operator").get(f"/api/v1/tickets/{plain['id']}").json
    assert [e["note"] for e in detail["events"] if e["kind"] == "reject"] == ["Số máy quấy rối nhiều lần"]


def test_the_sms_preview_is_the_message_that_goes(app, api_as) -> None:
    ticket = _ticket(api_as)
    _advance(api_as, ticket["id"], ("operator", "assign", {}), ("officer", "accept", {}))
    officer = _signed_in(app, "officer")
    answer = "Đoàn kiểm tra đã lập biên bản, cơ sở lò gạch cam kết ngừng đốt trước ngày 15. " * 2
    shown = officer.post(f"/tickets/{ticket['id']}/sms-preview", data={"trigger": "resolve", "text": answer})
    assert shown.status_code == 200 and shown.json["sent"] is True
    assert "Đoàn kiểm tra đã lập biên bản" in shown.json["body"] and shown.json["segments"] >= 2
    assert f"{shown.json['segments']} phần tin nhắn" in shown.json["message"] and "Unicode" in shown.json["message"]
    # a trigger that texts nothing, or hostile input: a clear 422, nothing written
    assert officer.post(f"/tickets/{ticket['id']}/sms-preview", data={"trigger": "return", "text": "x"}).status_code \
        == 422
    assert officer.post(f"/tickets/{ticket['id']}/sms-preview",
                        data={"trigger": "resolve", "text": "x" * 5001}).status_code == 422
    _advance(api_as, ticket["id"], ("officer", "resolve", {"answer": answer}))
    with app.app_context():
        event_id = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == ticket["id"],
                                                                     TicketEvent.kind == "resolve"))
        [message_id] = notify_event(event_id)
        sent = db.session.get(OutboundMessage, message_id)
        assert (sent.body, sent.segments) == (shown.json["body"], shown.json["segments"])
