"""Live screens in Chromium, over the one SSE stream: a ringing Twilio call pops its caller on the
operator's console, a breach notice raises the badge on another page and mark-as-read clears it,
an assignment shows up in the department's inbox and in the supervisor's figures.

The webhook and the SLA sweep run in the test process (another app on the same database and
Redis), as Twilio and the worker would: only the stream connects them to the browser.
Screenshots: tests/web/screenshots/ (looked at by people, not compared).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Notification, User
from tests.conftest import ticket_payload
from tests.integrations.conftest import TELEPHONY_CONFIG
from tests.integrations.test_twilio_webhooks import CALLER, call_params, post
from tests.web.conftest import login, shoot


def _stream_open(page) -> None:
    """The page's EventSource is connected: its position is fixed, events from now on arrive."""
    page.wait_for_selector("#notices[data-live=open]", state="attached", timeout=5000)


def test_a_ringing_call_pops_its_caller_on_the_operators_console(app, api_as, make_app, new_page) -> None:
    earlier = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    page = new_page()
    login(page, "operator")
    assert page.url.endswith("/operator")
    _stream_open(page)
    twilio = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    sent = time.monotonic()
    assert post(twilio, "/webhooks/twilio/voice", call_params()).status_code == 200
    pop = page.wait_for_selector(".call-pop", timeout=2000)  # within 2 s of Twilio's request
    took = time.monotonic() - sent
    assert took < 2.0, took
    text = pop.inner_text()
    code = earlier["receipt_code"]
    assert CALLER in text and f"{code[:5]}-{code[5:]}" in text and "Nguyễn Văn An" in text
    assert page.evaluate("document.activeElement.id") == "pop-phone"  # the pop-up took no focus
    shoot(page, "live-call-pop")
    # Taking the call fills the log form with this very call (its number, start and CallSid).
    page.get_by_role("button", name="Ghi nhận cuộc gọi này").click()
    assert page.locator("#phone").input_value() == CALLER
    assert page.locator("input[name=provider_call_id]").input_value() == call_params()["CallSid"]
    assert page.evaluate("document.activeElement.id") == "category-search"
    page.get_by_role("button", name="Đóng").click()
    assert page.locator(".call-pop").count() == 0


def test_a_breach_raises_the_badge_on_another_page_and_mark_as_read_clears_it(app, api_as, new_page) -> None:
    from callcentre.sla.sweep import process_due

    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    page = new_page()
    login(page, "head")
    page.goto(f"/tickets/{ticket['id']}")  # the ticket's page, not an inbox or a dashboard
    assert page.locator("#notices-count").is_hidden()
    _stream_open(page)
    sent = time.monotonic()
    with app.app_context():  # what the worker's SLA timer does
        assert process_due(datetime.now(UTC) + timedelta(days=60)).breaches >= 1
    page.wait_for_selector("#notices-count:not([hidden])", timeout=2000)
    assert time.monotonic() - sent < 2.0
    with app.app_context():
        head = db.session.scalar(sa.select(User.id).where(User.username == "head"))
        unread = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                   .where(Notification.user_id == head, Notification.read_at.is_(None)))
    assert unread >= 1 and page.inner_text("#notices-count") == str(unread)
    page.get_by_role("button", name="Thông báo").click()
    assert page.get_attribute("#notices-toggle", "aria-expanded") == "true"
    first = page.locator("#notices-list li").first
    assert "quá hạn" in first.inner_text() and ticket["receipt_code"] in first.inner_text()
    assert first.locator("a").get_attribute("href") == f"/tickets/{ticket['id']}"
    shoot(page, "live-notices")
    for n in range(unread, 0, -1):
        page.locator("#notices-list .notice-read").first.click()
        page.wait_for_function(f"() => document.getElementById('notices-count').textContent === '{n - 1}'")
    assert page.locator("#notices-count").is_hidden()
    assert "Không có thông báo mới" in page.inner_text("#notices-panel")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.user_id == head, Notification.read_at.is_(None))) == 0
    page.keyboard.press("Escape")
    assert page.locator("#notices-panel").is_hidden()
    shoot(page, "live-notices-read")


def test_an_assignment_refreshes_the_inbox_and_the_supervisors_figures(app, api_as, new_page) -> None:
    inbox = new_page()
    login(inbox, "officer")
    assert inbox.url.endswith("/department") and "Không có phiếu nào" in inbox.inner_text("table")
    board = new_page()
    login(board, "supervisor")
    assert board.url.endswith("/supervisor")
    before = board.inner_text("[data-live-refresh=counts]")
    _stream_open(inbox)
    _stream_open(board)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    code = ticket["receipt_code"]
    inbox.wait_for_selector(f"text={code[:5]}-{code[5:]}", timeout=4000)  # no reload by anyone
    assert inbox.locator("[data-live-refresh=inbox].live-updated").count() == 1
    board.wait_for_function("() => document.querySelector('[data-live-refresh=counts]').innerText.includes('SNNMT')",
                            timeout=4000)
    assert board.inner_text("[data-live-refresh=counts]") != before
    shoot(inbox, "live-inbox")
    shoot(board, "live-dashboard")
