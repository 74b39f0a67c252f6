"""The citizen rates and disputes an answer on their phone (390x844), from the link of the
resolution SMS, in headless Chromium; the staff page and the supervisor's figures show it.
Screenshots go to tests/web/screenshots/ for people to look at."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.messaging.outbound import notify_event
from callcentre.models import OutboundMessage, Ticket, TicketEvent
from callcentre.services.feedback import reveal
from tests.conftest import ticket_payload
from tests.web.conftest import PHONE, SHOTS, login, shoot

LINK = re.compile(r"https?://[^ ]+/t/(?P<code>[0-9A-Z]{10})\?k=(?P<token>[A-Za-z0-9_-]{16})")


def _fire(api_as, user: str, ticket_id: int, trigger: str, **fields) -> None:
    resp = api_as(user).post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json


def _answer_sms_path(app, ticket_id: int) -> str:
    """What the worker does for the answer's event; the path of the link the SMS carries."""
    with app.app_context():
        event_id = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id,
                                                                     TicketEvent.kind == "resolve"))
        [message_id] = notify_event(event_id)
        row = db.session.get(OutboundMessage, message_id)
        text = reveal(row.body, row.ticket_id, row.event_id)  # as send_message hands it to the provider
    found = LINK.search(text)
    assert found, text
    return f"/t/{found['code']}?k={found['token']}"


def _screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_citizen_rates_then_disputes_the_answer_on_a_phone(app, api_as, new_page) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    _fire(api_as, "operator", ticket["id"], "assign")
    _fire(api_as, "officer", ticket["id"], "accept")
    _fire(api_as, "officer", ticket["id"], "resolve", answer="Đoàn kiểm tra đã lập biên bản, lò gạch ngừng đốt.")
    path = _answer_sms_path(app, ticket["id"])
    page = new_page(viewport=PHONE)
    page.goto(path)
    main = page.inner_text("main")
    assert "lò gạch ngừng đốt" in main and "Đánh giá kết quả giải quyết" in main
    for secret in ("Nguyễn Văn An", "912345678", "Khói bụi", "12 Lê Lợi"):
        assert secret not in page.content()
    _screenshot(page, "feedback-form-phone")
    # Sent without a choice: the reason beside the choices, nothing recorded.
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.wait_for_load_state()
    assert page.locator("#rating-msg").inner_text().startswith("Hãy chọn điểm đánh giá")
    page.get_by_label("4 — Hài lòng").check()
    page.get_by_label("Góp ý (không bắt buộc)").fill("Đã đỡ khói nhưng tối vẫn còn mùi")
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").click()
    assert "Cảm ơn quý vị đã đánh giá 4/5." in page.locator(".flash.success").inner_text()
    assert "Quý vị đã đánh giá 4/5" in page.inner_text("#feedback")
    assert page.get_by_label("4 — Hài lòng").is_checked()  # the form shows the rating given
    assert "tối vẫn còn mùi" not in page.content()  # the comment is for staff only
    shoot(page, "feedback-rated")  # and nothing scrolls sideways at phone or desktop width
    _screenshot(page, "feedback-rated-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="Báo chưa được giải quyết").click()
    assert "Phiếu đã được mở lại" in page.locator(".flash.success").inner_text()
    assert page.locator(".status-now").inner_text() == "Trạng thái: Đang xử lý"
    assert page.get_by_role("button", name="Gửi đánh giá").count() == 0
    assert "đang được xử lý lại" in page.inner_text("#feedback")
    steps = page.locator(".timeline li span").all_inner_texts()
    assert steps[-2:] == ["Đã trả lời", "Đang xử lý"]  # the reopening is on the public timeline
    _screenshot(page, "feedback-disputed-phone")
    # Staff see the rating and the dispute on the ticket page; the supervisor in the figures.
    staff = new_page(viewport=PHONE)
    login(staff, "officer")
    staff.goto(f"/tickets/{ticket['id']}")
    facts = staff.inner_text("section.feedback")
    assert "4/5" in facts and "1 lần" in facts and "tối vẫn còn mùi" in facts
    history = staff.inner_text("#hist-h + .timeline")
    assert history.count("Công dân đánh giá 4/5") == 1  # the dispute did not rate again
    assert "Công dân báo chưa được giải quyết" in history
    _screenshot(staff, "feedback-staff-ticket-phone")
    boss = new_page()
    login(boss, "supervisor")
    figures = boss.locator("section[aria-labelledby=fbk-h] tbody tr").first.inner_text()
    assert "Sở Nông nghiệp" in figures or "SNNMT" in figures
    assert re.search(r"4(\.0)?\s+1\s+1\s+1\s+100(\.0)?%", figures), figures


def test_the_question_shows_while_the_ticket_waits_for_the_citizen(app, api_as, new_page) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    _fire(api_as, "operator", ticket["id"], "assign")
    _fire(api_as, "officer", ticket["id"], "accept")
    _fire(api_as, "officer", ticket["id"], "request_info", note="Xin cho biết lò gạch ở ấp nào?")
    page = new_page(viewport=PHONE)
    page.goto(f"/t/{ticket['receipt_code']}")
    assert page.get_by_role("heading", name="Cơ quan chức năng cần quý vị bổ sung thông tin").is_visible()
    assert "Xin cho biết lò gạch ở ấp nào?" in page.inner_text("main")
    _screenshot(page, "feedback-question-phone")
    # A wrong token says so, and offers no form.
    page.goto(f"/t/{ticket['receipt_code']}?k={'A' * 16}")
    assert "Đường dẫn đánh giá không đúng" in page.inner_text("#feedback")
    assert page.get_by_role("button", name="Gửi đánh giá").count() == 0


def _answered_path(app, api_as) -> tuple[dict, str]:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    _fire(api_as, "operator", ticket["id"], "assign")
    _fire(api_as, "officer", ticket["id"], "accept")
    _fire(api_as, "officer", ticket["id"], "resolve", answer="Đã xử lý.")
    return ticket, _answer_sms_path(app, ticket["id"])


def test_the_form_page_is_valid_html_and_refuses_in_place(app, api_as, client, count) -> None:
    from tests.web.test_html_valid import _audit

    ticket, path = _answered_path(app, api_as)
    code, token = ticket["receipt_code"], path.rsplit("=", 1)[1]
    for lang in ("vi", "en"):
        _audit(client.get(f"{path}&lang={lang}").get_data(as_text=True), f"{path} {lang}")
    post = f"/t/{code}/feedback"
    # Too long a comment: 422, the reason beside it, what was typed kept, nothing recorded.
    resp = client.post(post, data={"k": token, "action": "rate", "rating": "3", "comment": "x" * 1001})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Không được dài quá 1000 ký tự (hiện có 1001)" in html
    assert 'value="3" checked' in html and "x" * 1001 in html
    _audit(html, "422 page")
    resp = client.post(post, data={"k": token, "action": "rate", "rating": "3", "comment": "a\x00b"})
    assert resp.status_code == 422 and "ký tự không hợp lệ" in resp.get_data(as_text=True)
    # A wrong token: 403, said in place.
    resp = client.post(post, data={"k": "B" * 16, "action": "dispute"})
    assert resp.status_code == 403 and "Đường dẫn đánh giá không đúng" in resp.get_data(as_text=True)
    assert count(TicketEvent, TicketEvent.kind.in_(("citizen_feedback", "citizen_dispute"))) == 0
    # Rated: 303 back to the page with the token; the page then shows the rating.
    resp = client.post(post, data={"k": token, "action": "rate", "rating": "5"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(path)
    assert "Quý vị đã đánh giá 5/5" in client.get(path).get_data(as_text=True)
    # Past the window: 410 and no form.
    with app.app_context():
        db.session.execute(sa.update(Ticket).values(resolved_at=datetime.now(UTC) - timedelta(days=8)))
        db.session.commit()
    resp = client.post(post, data={"k": token, "action": "dispute"})
    assert resp.status_code == 410 and "Đã quá 7 ngày" in resp.get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)
    assert "Đã quá 7 ngày" in page and "Gửi đánh giá" not in page
    assert count(TicketEvent, TicketEvent.kind == "citizen_dispute") == 0
