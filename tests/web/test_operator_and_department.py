"""Operator logs a call into a ticket with the keyboard; the department accepts and resolves it."""

from __future__ import annotations

import time

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call, Ticket
from tests.conftest import ticket_payload
from tests.web.conftest import login, shoot


def test_operator_logs_a_call_into_a_ticket_by_keyboard_and_the_department_resolves_it(
        app, api_as, new_page) -> None:
    earlier = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post("/api/v1/calls", {"direction": "inbound", "from_number": "0987654321"})  # missed
    page = new_page()
    login(page, "operator")
    started = time.monotonic()
    # The screen pop: the caller's number brings up their earlier tickets.
    page.keyboard.type("0912 345 678")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert earlier["receipt_code"][:5] in page.inner_text("#hist-h + p + h3 + ul, main")
    assert page.locator("#name").input_value() == "Nguyễn Văn An"  # the caller's known name, prefilled
    shoot(page, "operator-screen-pop")
    # Focus is on the category search: no diacritics finds "Tài nguyên và môi trường".
    assert page.evaluate("document.activeElement.id") == "category-search"
    page.keyboard.type("moi truong")
    assert page.locator("#category").input_value() == "TN-MT"
    assert page.locator("#department").input_value() == "SNNMT"  # default from the category
    page.keyboard.press("Enter")  # -> the category list
    for _ in range(3):  # department, priority, description
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "description"
    page.keyboard.type("Nước thải từ cơ sở chế biến chảy ra kênh")
    page.keyboard.press("Control+Enter")  # submits from the field being typed in
    page.wait_for_selector("#receipt-code")
    assert time.monotonic() - started < 30
    code = page.inner_text("#receipt-code").replace("-", "")
    shoot(page, "operator-receipt")
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.receipt_code == code))
        assert ticket.status == "assigned" and ticket.department.code == "SNNMT"
        assert ticket.contact.phone == "+84912345678" and len(ticket.calls) == 1
        assert ticket.calls[0].duration_seconds is not None
    # The missed call is on the call-back list; marking it done takes it off.
    assert "+84987654321" in page.inner_text("#cb-h + table")
    page.get_by_role("button", name="Đã gọi lại").click()
    page.wait_for_selector("text=Không có cuộc gọi nhỡ nào cần gọi lại")
    with app.app_context():
        assert db.session.scalar(sa.select(Call.disposition).where(Call.from_number == "+84987654321")) \
            == "callback_done"

    # The department: the ticket is in its inbox; accept, then resolve (answer required).
    dept = new_page()
    login(dept, "officer")
    assert dept.url.endswith("/department")
    shoot(dept, "department-inbox")
    dept.get_by_role("link", name=code[:5]).click()
    dept.wait_for_selector("#act-h")
    shoot(dept, "ticket-page")
    dept.locator("#trigger-accept button[type=submit]").click()
    dept.wait_for_selector(".flash.success")
    assert "Đang xử lý" in dept.inner_text("h1")
    dept.locator("#trigger-resolve summary").click()
    dept.locator("#trigger-resolve button[type=submit]").click()  # empty answer
    assert dept.locator("#trigger-resolve .error").is_visible()
    dept.fill("#resolve-answer", "Đã kiểm tra và yêu cầu cơ sở khắc phục.")
    dept.locator("#trigger-resolve button[type=submit]").click()
    dept.wait_for_selector(".flash.success")
    assert "Đã trả lời" in dept.inner_text("h1")
    assert "Đã kiểm tra" in dept.inner_text(".answer")
    history = dept.inner_text(".timeline")
    assert "Tiếp nhận xử lý" in history and "Trả lời công dân" in history

    # The citizen sees the answer.
    citizen = new_page()
    citizen.goto(f"/t/{code}")
    assert "Đã kiểm tra và yêu cầu cơ sở khắc phục." in citizen.inner_text(".answer")


def test_operator_form_keeps_what_was_typed_and_shows_errors_in_place(new_page) -> None:
    page = new_page()
    login(page, "operator")
    page.fill("#phone", "12ab")
    page.fill("#description", "Đèn đường hỏng")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".has-error")
    assert "không hợp lệ" in page.inner_text("#phone-msg")
    assert page.locator("#category").evaluate("e => e.closest('.field').classList.contains('has-error')")
    assert page.input_value("#description") == "Đèn đường hỏng"
    assert page.input_value("#phone") == "12ab"


def test_department_cannot_open_another_departments_ticket(api_as, new_page) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json  # SNNMT
    page = new_page()
    login(page, "officer_ct")  # SCT
    resp = page.goto(f"/tickets/{ticket['id']}")
    assert resp.status == 403
    assert ticket["receipt_code"] not in page.content()
    page.goto("/department")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(f"/tickets/{ticket['id']}/fire", form={"trigger": "accept", "csrf_token": token})
    assert forged.status == 403
    assert page.request.post(f"/tickets/{ticket['id']}/fire", form={"trigger": "accept"}).status == 400  # no CSRF
    resp = page.goto("/supervisor")
    assert resp.status == 403
    page.goto("/department")
    assert ticket["receipt_code"][:5] not in page.inner_text("main")
