"""The citizen rates or disputes an answer with the token of the resolution SMS's link:
``POST /api/v1/public/tickets/{code}/feedback`` (real SDK -> fake Twilio, real worker, database)."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Notification, OutboundMessage, Ticket, TicketEvent, TicketFeedback
from integrations.sms import count_segments

from .citizen import answered_ticket, api, feedback_token, fire, rows, sent_to
from .conftest import TELEPHONY_CONFIG


def _post(app, code: str, body: dict, **headers: str):
    return app.test_client().post(f"/api/v1/public/tickets/{code}/feedback", json=body, headers=headers)


def _answered(app, tokens, fake, run_jobs, **payload) -> tuple[dict, str]:
    ticket = answered_ticket(app, tokens, **payload)
    run_jobs(app)
    return ticket, feedback_token(fake, ticket["receipt_code"])


def test_the_answer_sms_links_to_the_page_with_a_token_stored_only_as_a_hash(tel_app, tokens, fake_twilio,
                                                                             run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    code = ticket["receipt_code"]
    [created, answer] = sent_to(fake_twilio)
    assert f"/t/{code}?k=" not in created  # the receipt SMS links to the page only
    assert f"https://1022.example.vn/t/{code}?k={token}" in answer
    assert "Nhắn 1-5 để đánh giá" in answer and "KHONG" in answer and "lò gạch đã ngừng đốt" in answer
    [row] = rows(tel_app, OutboundMessage, OutboundMessage.kind == "resolve")
    # The stored copy keeps a mask of the same length: supervisors reading messages cannot rate.
    assert token not in row.body and f"/t/{code}?k={'*' * 16}" in row.body
    assert row.body.replace("*" * 16, token) == answer
    assert row.segments == count_segments(answer).segments and row.status == "sent"
    [fb] = rows(tel_app, TicketFeedback)
    assert fb.token_hash == hashlib.sha256(token.encode()).hexdigest() and fb.rating is None
    with tel_app.app_context():  # the token itself is nowhere in the database
        dump = "\n".join(str(r) for t in ("outbound_messages", "ticket_feedback", "ticket_events", "notifications")
                         for r in db.session.execute(sa.text(f"SELECT * FROM {t}")))
    assert token not in dump


def test_a_rating_is_recorded_shown_to_staff_and_never_published(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    code = ticket["receipt_code"]
    resp = _post(tel_app, code, {"token": token, "rating": 4, "comment": "  Cảm ơn, nhưng còn mùi khói nhẹ  "})
    assert resp.status_code == 200, resp.json
    assert (resp.json["rating"], resp.json["disputed"], resp.json["status"]) == (4, False, "resolved")
    assert resp.json["open_until"] and resp.json["rated_at"]
    detail = api(tel_app, tokens, "officer").get(f"/api/v1/tickets/{ticket['id']}").json
    assert detail["feedback"] == {"rating": 4, "comment": "Cảm ơn, nhưng còn mùi khói nhẹ",
                                  "at": resp.json["rated_at"], "disputes": 0}
    [event] = [e for e in detail["events"] if e["kind"] == "citizen_feedback"]
    assert (event["actor"], event["public"], event["payload"]["rating"]) == ("citizen", False, 4)
    # Rating again replaces the rating; the comment stays unless a new one is given.
    assert _post(tel_app, code, {"token": token, "rating": 5}).json["rating"] == 5
    again = api(tel_app, tokens, "officer").get(f"/api/v1/tickets/{ticket['id']}").json["feedback"]
    assert (again["rating"], again["comment"]) == (5, "Cảm ơn, nhưng còn mùi khói nhẹ")
    public = api(tel_app, tokens, None).get(f"/api/v1/public/tickets/{code}")
    assert "feedback" not in public.json and "khói nhẹ" not in public.get_data(as_text=True)
    assert "citizen_feedback" not in [e["kind"] for e in public.json["public_events"]]
    # The staff page shows it; the citizen's lookup page does not without the token.
    page = tel_app.test_client()
    page.post("/login", data={"username": "officer", "password": "Demo@1022"})
    html = page.get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "5/5" in html and "còn mùi khói nhẹ" in html and "Công dân đánh giá 4/5" in html
    assert "khói nhẹ" not in tel_app.test_client().get(f"/t/{code}").get_data(as_text=True)


def test_a_dispute_reopens_the_ticket_and_alerts_its_department(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    code = ticket["receipt_code"]
    resp = _post(tel_app, code, {"token": token, "dispute": True, "comment": "Lò gạch vẫn đốt ban đêm"})
    assert resp.status_code == 200, resp.json
    assert (resp.json["status"], resp.json["disputed"], resp.json["open_until"]) == ("in_progress", True, None)
    detail = api(tel_app, tokens, "head").get(f"/api/v1/tickets/{ticket['id']}").json
    assert detail["status"] == "in_progress" and detail["resolved_at"] is None
    [event] = [e for e in detail["events"] if e["kind"] == "citizen_dispute"]
    assert (event["from_status"], event["to_status"], event["actor"], event["public"]) == (
        "resolved", "in_progress", "citizen", True)
    assert event["note"] == "Lò gạch vẫn đốt ban đêm" and event["payload"]["via"] == "api"
    assert detail["feedback"]["disputes"] == 1 and detail["feedback"]["comment"] == "Lò gạch vẫn đốt ban đêm"
    assert [c["state"] for c in detail["sla"] if c["kind"] == "resolve"] == ["on_time"]  # a fresh budget
    # The department's staff get the in-app notice (as SLA warnings reach them); nobody else.
    notices = rows(tel_app, Notification, Notification.kind == "citizen_dispute")
    with tel_app.app_context():
        from callcentre.models import User

        names = {db.session.get(User, n.user_id).username for n in notices}
    assert names == {"officer", "head"}
    assert all(code in n.message_vi and n.ticket_id == ticket["id"] for n in notices)
    mine = api(tel_app, tokens, "officer").get("/api/v1/notifications?unread=true").json["items"]
    assert [n["kind"] for n in mine] == ["citizen_dispute"]
    # The public timeline shows the reopening; the old link is refused while it is being worked on.
    public = api(tel_app, tokens, None).get(f"/api/v1/public/tickets/{code}").json
    assert public["public_events"][-1]["kind"] == "citizen_dispute" and "vẫn đốt" not in str(public)
    again = _post(tel_app, code, {"token": token, "rating": 1})
    assert again.status_code == 409 and "xử lý lại" in again.json["errors"]["json"]["token"][0]
    # A new answer sends a new token; the old one stops working.
    fire(tel_app, tokens, "officer", ticket["id"], "resolve", answer="Đã niêm phong lò gạch.")
    run_jobs(tel_app)
    new = feedback_token(fake_twilio, code)
    assert new != token
    assert _post(tel_app, code, {"token": token, "rating": 3}).status_code == 403
    assert _post(tel_app, code, {"token": new, "rating": 3}).status_code == 200


def test_refusals_are_json_naming_the_field_and_the_reason(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    code = ticket["receipt_code"]

    def refused(body: dict, status: int, field: str, words: str, **headers: str) -> None:
        resp = _post(tel_app, code, body, **headers)
        assert resp.status_code == status, resp.json
        assert words in resp.json["errors"]["json"][field][0], resp.json

    refused({"token": "x" * 16, "rating": 5}, 403, "token", "Đường dẫn đánh giá không đúng")
    refused({"token": token, "rating": 6}, 422, "rating", "từ 1 đến 5")
    refused({"token": token, "rating": "5"}, 422, "rating", "từ 1 đến 5")  # a number, not a string
    refused({"token": token}, 422, "rating", "Hãy chọn điểm đánh giá")
    refused({"token": token, "rating": 5, "comment": "x" * 1001}, 422, "comment", "Không được dài quá 1000 ký tự")
    refused({"token": token, "rating": 5, "comment": "a\x00b"}, 422, "comment", "ký tự không hợp lệ")
    refused({"rating": 5}, 422, "token", "Thiếu mã đánh giá")
    refused({"token": token, "rating": 5, "stars": 5}, 422, "stars", "chỉ token, rating, comment, dispute")
    refused({"token": token, "rating": 7}, 422, "rating", "from 1 to 5", **{"Accept-Language": "en"})
    assert _post(tel_app, "NOTACODE1", {"token": token, "rating": 5}).status_code == 422
    # Past the window: refused with 410; nothing was recorded by any of these.
    with tel_app.app_context():
        db.session.execute(sa.update(Ticket).values(resolved_at=datetime.now(UTC) - timedelta(days=7, minutes=1)))
        db.session.commit()
    refused({"token": token, "rating": 5}, 410, "token", "Đã quá 7 ngày")
    refused({"token": token, "dispute": True}, 410, "token", "Đã quá 7 ngày")
    assert rows(tel_app, TicketEvent, TicketEvent.kind.in_(("citizen_feedback", "citizen_dispute"))) == []
    assert rows(tel_app, TicketFeedback)[0].rating is None


def test_a_confidential_ticket_has_no_token_and_no_page(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket = answered_ticket(tel_app, tokens, confidential=True)
    run_jobs(tel_app)
    answer = sent_to(fake_twilio)[-1]
    assert "?k=" not in answer and "đã được trả lời" in answer
    assert rows(tel_app, TicketFeedback) == []
    assert _post(tel_app, ticket["receipt_code"], {"token": "A" * 16, "rating": 5}).status_code == 404


def test_an_idempotency_key_makes_a_retry_rate_once(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    body = {"token": token, "rating": 2}
    first = _post(tel_app, ticket["receipt_code"], body, **{"Idempotency-Key": "app-rate-1"})
    again = _post(tel_app, ticket["receipt_code"], body, **{"Idempotency-Key": "app-rate-1"})
    assert first.status_code == again.status_code == 200 and again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(rows(tel_app, TicketEvent, TicketEvent.kind == "citizen_feedback")) == 1


def test_rate_limited_like_the_other_public_endpoints(tel_app, tokens, fake_twilio, run_jobs, make_app) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    limited = make_app(**TELEPHONY_CONFIG, RATELIMIT_PUBLIC="2 per minute")
    codes = [_post(limited, ticket["receipt_code"], {"token": token, "rating": 5}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_openapi_document_describes_the_endpoint(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/public/tickets/{receipt_code}/feedback"]["post"]
    assert op["security"] == [] and {"200", "403", "404", "409", "410", "422", "429"} <= set(op["responses"])
    body = spec["components"]["schemas"]["FeedbackIn"]
    assert body["required"] == ["token"] and set(body["properties"]) == {"token", "rating", "comment", "dispute"}
    assert (body["properties"]["rating"]["minimum"], body["properties"]["rating"]["maximum"]) == (1, 5)
    assert body["properties"]["comment"]["maxLength"] == 1000
    assert "Idempotency-Key" in [p["name"] for p in op["parameters"] if p["in"] == "header"]
    detail = spec["components"]["schemas"]["TicketDetailOut"]["properties"]["feedback"]
    assert set(detail["properties"]) == {"rating", "comment", "at", "disputes"}


def test_english_second_for_the_sms_the_page_and_the_refusals(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs,
                              contact={"phone": "0912345678", "name": "John Smith", "language": "en"})
    code = ticket["receipt_code"]
    answer = sent_to(fake_twilio)[-1]
    assert answer.startswith(f"1022: report {code} was answered:") and "Reply 1-5 to rate it" in answer
    page = tel_app.test_client().get(f"/t/{code}?k={token}&lang=en").get_data(as_text=True)
    assert "Rate the result" in page and "Send rating" in page and "Report not solved" in page
    assert "4 — Happy" in page.replace("<strong>4</strong>", "4").replace("<span>", "").replace("</span>", "")
    vi = tel_app.test_client().get(f"/t/{code}?k={token}").get_data(as_text=True)
    assert "Đánh giá kết quả giải quyết" in vi and "Gửi đánh giá" in vi
    resp = _post(tel_app, code, {"token": "x" * 16, "rating": 5}, **{"Accept-Language": "en"})
    assert resp.status_code == 403 and "newer message replaced it" in resp.json["errors"]["json"]["token"][0]


def test_disputes_at_once_reopen_once(tel_app, tokens, fake_twilio, run_jobs) -> None:
    """The page, the app and an SMS at the same moment: one reopening, the others told it is reopened."""
    ticket, token = _answered(tel_app, tokens, fake_twilio, run_jobs)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def dispute() -> None:
        client = tel_app.test_client()
        barrier.wait()
        resp = client.post(f"/api/v1/public/tickets/{ticket['receipt_code']}/feedback",
                           json={"token": token, "dispute": True})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=dispute) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 5
    assert len(rows(tel_app, TicketEvent, TicketEvent.kind == "citizen_dispute")) == 1
    assert len(rows(tel_app, Notification, Notification.kind == "citizen_dispute")) == 2
