"""On the ticket page in Chromium, staff see before sending who will read each text: the answer
and the question are texted to the citizen (with a preview of the SMS and its parts), reasons
and internal comments are for staff only and are marked so in the history."""

from __future__ import annotations

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.messaging.outbound import notify_event
from callcentre.models import OutboundMessage, TicketEvent
from tests.conftest import fire, ticket_payload
from tests.web.conftest import login, shoot


def test_the_answer_shows_its_sms_before_it_goes_and_comments_stay_internal(app, api_as, new_page) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    fire(api_as("operator"), ticket["id"], "assign")
    fire(api_as("officer"), ticket["id"], "accept")
    page = new_page()
    login(page, "officer")
    page.goto(f"/tickets/{ticket['id']}")

    # An internal comment: saved, shown in the history as internal.
    page.get_by_label("Ghi chú nội bộ").fill("Đã gọi chủ lò gạch, hẹn kiểm tra sáng thứ Hai")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu ghi chú").click()
    entry = page.locator(".timeline li", has_text="hẹn kiểm tra sáng thứ Hai")
    assert "Ghi chú nội bộ" in entry.inner_text() and entry.locator(".tag.internal").inner_text() == "Nội bộ"

    # The request-info field is the citizen's question; the return reason is internal.
    page.locator("#trigger-request_info summary").click()
    assert page.get_by_label("Câu hỏi gửi công dân").is_visible()
    assert "Gửi SMS cho công dân" in page.inner_text("#request_info-note-hint")
    page.locator("#trigger-return summary").click()
    assert page.inner_text("#return-reason-hint") == "Nội bộ — công dân không thấy"

    # The answer: typed, its SMS appears under it with the parts it will cost.
    answer = "Đoàn kiểm tra đã lập biên bản, lò gạch cam kết ngừng đốt trước ngày 15 tháng này."
    page.locator("#trigger-resolve summary").click()
    assert "công khai trên trang tra cứu" in page.inner_text("#resolve-answer-hint")
    page.locator("#resolve-answer").fill(answer)
    preview = page.locator("#trigger-resolve .sms-preview")
    preview.wait_for(state="visible", timeout=5000)
    body = preview.locator(".sms-body").inner_text()
    count = preview.locator(".sms-count").inner_text()
    assert "lò gạch cam kết ngừng đốt" in body and "phần tin nhắn" in count
    shoot(page, "ticket-sms-preview")
    with page.expect_navigation():
        page.locator("#trigger-resolve button[type=submit]").click()

    # What went is what was shown: the same text, the same number of parts.
    with app.app_context():
        event_id = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == ticket["id"],
                                                                     TicketEvent.kind == "resolve"))
        [message_id] = notify_event(event_id)
        sent = db.session.get(OutboundMessage, message_id)
        assert sent.body == body and count.startswith(f"{sent.segments} phần tin nhắn")
    public = page.context.new_page()
    public.goto(f"/t/{ticket['receipt_code']}")
    assert "hẹn kiểm tra sáng thứ Hai" not in public.content()
