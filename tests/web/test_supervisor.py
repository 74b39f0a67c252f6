"""The supervisor sees a PT2S ticket breach, acknowledges it, approves an extension, exports CSV."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import ExtensionRequest, SlaAlert
from callcentre.sla.sweep import sweep
from tests.conftest import ticket_payload
from tests.web.conftest import login, shoot


def test_supervisor_sees_the_breach_acknowledges_it_and_approves_an_extension(app, api_as, new_page) -> None:
    policy = {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H", "resolve_within": "PT2S",
              "warn_at": 0.5, "calendar": "24x7"}
    assert api_as("admin").put("/api/v1/sla/policies", policy).status_code in (200, 201)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    code = ticket["receipt_code"]
    assert api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                                   {"trigger": "assign"}).status_code == 200

    # The department head accepts and asks for more time, from the ticket page.
    head = new_page()
    login(head, "head")
    head.goto(f"/tickets/{ticket['id']}")
    head.locator("#trigger-accept button[type=submit]").click()
    head.wait_for_selector(".flash.success")
    head.locator("#trigger-request_extension summary").click()
    tomorrow = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    head.fill("#request_extension-deadline", tomorrow)
    head.fill("#request_extension-reason", "Cần khảo sát hiện trường cùng UBND phường")
    head.locator("#trigger-request_extension button[type=submit]").click()
    head.wait_for_selector(".flash.success")

    # Until just past the ticket's own deadline (its created_at may be later than `created`).
    deadline = datetime.fromisoformat(ticket["resolve_deadline"])
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds() + 0.2))
    with app.app_context():
        assert sweep()["breaches"] >= 1

    page = new_page()
    login(page, "supervisor")
    assert page.url.endswith("/supervisor")
    row = page.locator("tr.breached", has_text=code[:5])
    assert row.count() == 1
    assert "SNNMT" in page.inner_text("#counts-h + div")
    assert page.locator(".trend svg rect").count() >= 1  # the breach is on the chart
    shoot(page, "supervisor-dashboard")

    # Acknowledge with a comment (keyboard: type, Enter); an empty one is refused in place.
    with page.expect_navigation():
        row.get_by_label("Ghi nhận").press("Enter")
    assert page.locator("tr.breached .error").is_visible()
    row = page.locator("tr.breached", has_text=code[:5])
    row.get_by_label("Ghi nhận").fill("Đã nhắc Sở NN&MT")
    with page.expect_navigation():
        row.get_by_label("Ghi nhận").press("Enter")
    assert "Đã xác nhận vi phạm" in page.inner_text(".flash")
    assert "Đã nhắc Sở NN&MT" in page.inner_text("tr.breached")
    with app.app_context():
        assert db.session.scalar(sa.select(SlaAlert.ack_comment).where(SlaAlert.level == "breach")) \
            == "Đã nhắc Sở NN&MT"

    # Approve the extension from the dashboard.
    ext_row = page.locator("#ext-h + table tbody tr", has_text=code[:5])
    with page.expect_navigation():
        ext_row.get_by_role("button", name="Duyệt").click()
    assert page.url.endswith("/supervisor")
    with app.app_context():
        assert db.session.scalar(sa.select(ExtensionRequest.status)) == "approved"

    # CSV export of the breach list.
    resp = page.request.get("/supervisor?csv=breaches")
    assert resp.status == 200 and resp.headers["content-type"].startswith("text/csv")
    assert code in resp.text() and "Đã nhắc Sở NN&MT" in resp.text()
