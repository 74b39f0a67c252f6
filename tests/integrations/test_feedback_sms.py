"""The citizen answers by SMS from the ticket's own phone: 1–5 rates, KHONG disputes, other text
answers a request for information; each MessageSid is acted on once. Webhooks signed with the
twilio SDK's RequestValidator, replies read from the TwiML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Notification, OutboundMessage, Ticket, TicketEvent, TicketFeedback, WebhookReceipt

from .citizen import CALLER, answered_ticket, api, fire, rows, sent_to, text_in

STRANGER = "+84987654321"


def _sid(n: int) -> str:
    return f"SM{n:032d}"


def _ticket(app, ticket_id: int) -> Ticket:
    [row] = rows(app, Ticket, Ticket.id == ticket_id)
    return row


def _events(app, ticket_id: int, *kinds: str) -> list[TicketEvent]:
    return rows(app, TicketEvent, TicketEvent.ticket_id == ticket_id, TicketEvent.kind.in_(kinds))


def test_a_digit_rates_the_latest_answer_once_per_message_sid(tel_app, tokens) -> None:
    older = answered_ticket(tel_app, tokens)
    newer = answered_ticket(tel_app, tokens, description="Rác thải đổ trộm ở bờ sông Tiền")
    client = tel_app.test_client()
    reply = text_in(client, _sid(1), "4")
    assert reply == f"1022: Cảm ơn quý vị đã đánh giá 4/5 cho trả lời phản ánh {newer['receipt_code']}."
    # Twilio retries the same message: the same reply, and no second rating.
    assert text_in(client, _sid(1), "4") == reply
    assert len(_events(tel_app, newer["id"], "citizen_feedback")) == 1
    assert _events(tel_app, older["id"], "citizen_feedback") == []
    [fb] = rows(tel_app, TicketFeedback, TicketFeedback.ticket_id == newer["id"])
    assert (fb.rating, fb.rated_via) == (4, "sms")
    [receipt] = rows(tel_app, WebhookReceipt, WebhookReceipt.external_id == _sid(1))
    assert receipt.ticket_id == newer["id"]
    # Starting with the receipt code names the older one (any usual spelling of the code).
    code = older["receipt_code"]
    assert "5/5" in text_in(client, _sid(2), f"{code[:5].lower()}-{code[5:]} 5.")
    assert [e.payload["rating"] for e in _events(tel_app, older["id"], "citizen_feedback")] == [5]
    assert len(rows(tel_app, Ticket)) == 2  # no reply became a ticket


def test_khong_disputes_in_any_case_and_reopens_for_the_department(tel_app, tokens, fake_twilio,
                                                                    run_jobs) -> None:
    ticket = answered_ticket(tel_app, tokens)
    run_jobs(tel_app)
    client = tel_app.test_client()
    reply = text_in(client, _sid(1), "khÔng")
    assert reply.startswith(f"1022: Đã ghi nhận phản ánh {ticket['receipt_code']} chưa được giải quyết")
    assert _ticket(tel_app, ticket["id"]).status == "in_progress"
    [event] = _events(tel_app, ticket["id"], "citizen_dispute")
    assert (event.actor_label, event.from_status, event.payload["via"]) == ("citizen", "resolved", "sms")
    assert len(rows(tel_app, Notification, Notification.kind == "citizen_dispute")) == 2  # officer, head
    assert text_in(client, _sid(1), "khÔng") == reply  # a retried webhook: no second dispute
    assert len(_events(tel_app, ticket["id"], "citizen_dispute")) == 1
    # With the answer reopened there is nothing in the window to dispute any more: not a new ticket.
    assert "không có phản ánh nào được trả lời" in text_in(client, _sid(2), "KHONG")
    assert len(rows(tel_app, Ticket)) == 1
    # Named by its code, the reopened ticket says so.
    code = ticket["receipt_code"]
    assert "đang được xử lý lại" in text_in(client, _sid(3), f"{code} KHÔNG")
    run_jobs(tel_app)
    assert len(sent_to(fake_twilio)) == 2  # the receipt and the answer: replies are TwiML, not new SMS


def test_only_the_tickets_own_phone_and_only_within_the_window(tel_app, tokens) -> None:
    ticket = answered_ticket(tel_app, tokens)
    code = ticket["receipt_code"]
    client = tel_app.test_client()
    # Another phone: the code proves nothing; a bare digit from an unknown number files nothing.
    assert "Không tìm thấy phản ánh" in text_in(client, _sid(1), f"{code} 1", sender=STRANGER)
    assert "không có phản ánh nào" in text_in(client, _sid(2), "1", sender=STRANGER)
    assert rows(tel_app, TicketFeedback) == [] and len(rows(tel_app, Ticket)) == 1
    # A ticket not answered yet, named by its code: its status, no rating.
    open_one = api(tel_app, tokens, "operator").post("/api/v1/tickets", {
        "channel": "phone", "category": "TN-MT", "description": "Nước thải chảy ra đường",
        "contact": {"phone": "0912345678"}}).json
    assert "Tiếp nhận" in text_in(client, _sid(3), f"{open_one['receipt_code']} 5")
    # Past REOPEN_WINDOW_DAYS: refused, nothing changes.
    with tel_app.app_context():
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket["id"])
                           .values(resolved_at=datetime.now(UTC) - timedelta(days=8)))
        db.session.commit()
    assert "quá 7 ngày" in text_in(client, _sid(4), f"{code} KHONG")
    assert _ticket(tel_app, ticket["id"]).status == "resolved"
    assert "không có phản ánh nào được trả lời trong 7 ngày" in text_in(client, _sid(5), "2")
    assert rows(tel_app, TicketFeedback) == [] and _events(tel_app, ticket["id"], "citizen_feedback") == []


def test_a_reply_while_awaiting_the_citizen_answers_the_open_ticket(tel_app, tokens, fake_twilio,
                                                                     run_jobs) -> None:
    ticket = api(tel_app, tokens, "operator").post("/api/v1/tickets", {
        "channel": "phone", "category": "TN-MT", "description": "Khói lò gạch", "contact": {"phone": "0912345678"},
    }).json
    fire(tel_app, tokens, "operator", ticket["id"], "assign")
    fire(tel_app, tokens, "officer", ticket["id"], "accept")
    fire(tel_app, tokens, "officer", ticket["id"], "request_info", note="Lò gạch ở ấp nào, gần cột mốc nào?")
    run_jobs(tel_app)
    asked = sent_to(fake_twilio)[-1]
    assert "Lò gạch ở ấp nào, gần cột mốc nào?" in asked and "trả lời tin nhắn này" in asked
    # The public page shows the same question.
    page = tel_app.test_client().get(f"/t/{ticket['receipt_code']}").get_data(as_text=True)
    assert "Cơ quan chức năng cần quý vị bổ sung thông tin" in page and "gần cột mốc nào?" in page
    client = tel_app.test_client()
    text = "Ấp Bình Hòa, gần cầu Rạch Miễu 200m"
    reply = text_in(client, _sid(1), text)
    assert reply.startswith(f"1022: Đã bổ sung thông tin của quý vị vào phản ánh {ticket['receipt_code']}")
    assert text_in(client, _sid(1), text) == reply  # retried: once
    assert len(rows(tel_app, Ticket)) == 1
    [event] = _events(tel_app, ticket["id"], "info_received")
    assert (event.note, event.actor_label, event.from_status, event.to_status) == (
        text, "citizen", "awaiting_citizen", "in_progress")
    assert _ticket(tel_app, ticket["id"]).status == "in_progress"
    page = tel_app.test_client().get(f"/t/{ticket['receipt_code']}").get_data(as_text=True)
    assert "cần quý vị bổ sung thông tin" not in page and "gần cột mốc nào?" not in page  # answered
    # Now that nothing waits for them, the next text is a new report.
    text_in(client, _sid(2), "Đèn đường hỏng ở phường 5")
    assert [t.channel for t in rows(tel_app, Ticket)] == ["phone", "sms"]


def test_a_digit_while_awaiting_with_nothing_to_rate_is_information(tel_app, tokens) -> None:
    ticket = api(tel_app, tokens, "operator").post("/api/v1/tickets", {
        "channel": "phone", "category": "TN-MT", "description": "Khói", "contact": {"phone": "0912345678"}}).json
    fire(tel_app, tokens, "operator", ticket["id"], "assign")
    fire(tel_app, tokens, "officer", ticket["id"], "accept")
    fire(tel_app, tokens, "officer", ticket["id"], "request_info", note="Có bao nhiêu hộ bị ảnh hưởng?")
    assert "Đã bổ sung thông tin" in text_in(tel_app.test_client(), _sid(1), "3")
    assert [e.note for e in _events(tel_app, ticket["id"], "info_received")] == ["3"]
    assert rows(tel_app, TicketFeedback) == []


def test_reporters_of_merged_duplicates_get_the_answer_too(tel_app, tokens, fake_twilio, run_jobs) -> None:
    op = api(tel_app, tokens, "operator")
    main = op.post("/api/v1/tickets", {"channel": "phone", "category": "TN-MT", "description": "Khói lò gạch",
                                       "contact": {"phone": "0912345678"}}).json
    other = op.post("/api/v1/tickets", {"channel": "phone", "category": "TN-MT", "description": "Lò gạch xả khói",
                                        "contact": {"phone": "0987654321"}}).json
    again = op.post("/api/v1/tickets", {"channel": "phone", "category": "TN-MT", "description": "Khói nữa",
                                        "contact": {"phone": "0912345678"}}).json  # the same person twice
    for dup in (other, again):
        fire(tel_app, tokens, "operator", dup["id"], "merge", duplicate_of=main["id"])
    fire(tel_app, tokens, "operator", main["id"], "assign")
    fire(tel_app, tokens, "officer", main["id"], "accept")
    fire(tel_app, tokens, "officer", main["id"], "resolve", answer="Đã đình chỉ lò gạch.")
    run_jobs(tel_app)
    [told] = [b for b in sent_to(fake_twilio, STRANGER) if "trả lời" in b]
    code = main["receipt_code"]
    assert f"Phản ánh {other['receipt_code']} của quý vị trùng với phản ánh {code[:5]}-{code[5:]}" in told
    assert "Đã đình chỉ lò gạch." in told and f"https://1022.example.vn/t/{code}" in told and "?k=" not in told
    # The main reporter (who also filed the second duplicate) gets one answer, with the rating link.
    answers = [b for b in sent_to(fake_twilio, CALLER) if "đã được trả lời" in b]
    assert len(answers) == 1 and f"/t/{code}?k=" in answers[0]
    [dup_row] = rows(tel_app, OutboundMessage, OutboundMessage.kind == "resolve_duplicate")
    assert (dup_row.ticket_id, dup_row.status) == (other["id"], "sent")
    assert dup_row.idempotency_key.endswith(f":sms:dup{other['id']}")
    run_jobs(tel_app)  # a repeated job sends nothing more
    assert len([b for b in sent_to(fake_twilio, STRANGER) if "trả lời" in b]) == 1


def test_a_text_starting_with_a_code_is_about_that_ticket_only(tel_app, tokens) -> None:
    answered = answered_ticket(tel_app, tokens)
    waiting = api(tel_app, tokens, "operator").post("/api/v1/tickets", {
        "channel": "phone", "category": "TN-MT", "description": "Nước thải", "contact": {"phone": "0912345678"}}).json
    fire(tel_app, tokens, "operator", waiting["id"], "assign")
    fire(tel_app, tokens, "officer", waiting["id"], "accept")
    fire(tel_app, tokens, "officer", waiting["id"], "request_info", note="Cống nào?")
    client = tel_app.test_client()
    # Named: the answered ticket, which asks nothing: not added to the waiting one, a new report.
    assert "Mã biên nhận" in text_in(client, _sid(1), f"{answered['receipt_code']} lò gạch lại đốt đêm qua")
    assert _events(tel_app, waiting["id"], "info_received") == []
    assert len(rows(tel_app, Ticket)) == 3
    # Named: the waiting one; the code is not part of the information.
    code = waiting["receipt_code"]
    assert "Đã bổ sung thông tin" in text_in(client, _sid(2), f"{code[:5]}-{code[5:]}: cống số 3 đường 30/4")
    assert [e.note for e in _events(tel_app, waiting["id"], "info_received")] == ["cống số 3 đường 30/4"]
