"""The triage queue page: an operator forwards tickets waiting in ``received`` in bulk."""

from __future__ import annotations

import re

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import SlaClock, Ticket
from tests.conftest import fire, ticket_payload
from tests.web.conftest import login, shoot
from tests.web.test_html_valid import _audit
from workflows import sla


def new_ticket(api_as, **kw) -> dict:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(**kw))
    assert resp.status_code == 201, resp.json
    return resp.json


def test_operator_forwards_an_sms_ticket_and_a_returned_one(app, api_as, new_page) -> None:
    sms = new_ticket(api_as, channel="sms", description="Cống thoát nước hẻm 5 bị tắc, nước tràn vào nhà")
    returned = new_ticket(api_as, channel="app", description="Rác thải đổ trộm bên kênh Bến Nghé")
    fire(api_as("operator"), returned["id"], "assign")
    fire(api_as("officer"), returned["id"], "return", reason="Việc của UBND phường, không phải của Sở")
    other = new_ticket(api_as, channel="web", description="Đèn đường hỏng trên đường Lê Lợi")

    page = new_page()
    login(page, "operator")
    page.get_by_role("link", name="Chờ chuyển xử lý").click()
    page.wait_for_url("**/operator/queue")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    sms_row = page.locator(f"#queue-{sms['id']}")
    assert "SMS" in sms_row.inner_text() and "Cống thoát nước" in sms_row.inner_text()
    assert sms_row.locator(".sla").count() == 1  # the forwarding deadline's badge
    assert re.search(r"còn \d+ (phút|giây)", sms_row.inner_text())
    back = page.locator(f"#queue-{returned['id']}")
    assert "Đơn vị trả lại" in back.inner_text()
    assert "Việc của UBND phường, không phải của Sở" in back.inner_text()
    assert "Sở Nông nghiệp" in back.inner_text()  # the department that sent it back, by name
    assert page.locator(f"#queue-{other['id']} .returned").count() == 0
    shoot(page, "triage-queue")

    # Nothing ticked: said at the top, nothing fired.
    page.get_by_role("button", name="Thực hiện").click()
    page.wait_for_selector("#form-problem")
    assert "Hãy chọn ít nhất một phiếu" in page.inner_text("#form-problem")

    # Tick three; meanwhile a supervisor rejects one of them: two go, that one is refused.
    for t in (sms, returned, other):
        page.locator(f"#pick-{t['id']}").check()
    page.get_by_label("Chuyển xử lý", exact=True).check()
    page.locator("#bulk-department").select_option("SNNMT")
    fire(api_as("supervisor"), other["id"], "reject", reason="Trùng với phản ánh đã xử lý")
    page.get_by_role("button", name="Thực hiện").click()
    page.wait_for_selector(".flash.success")
    assert "Đã thực hiện “Chuyển xử lý” cho 2 phiếu" in page.inner_text(".flash.success")
    refusals = page.inner_text("#refusals")
    assert "Không thực hiện được với 1 phiếu" in refusals
    assert other["receipt_code"][:5] in refusals and "trạng thái “Không tiếp nhận”" in refusals
    shoot(page, "triage-queue-done")
    assert page.locator("tbody tr").count() == 1 and "Không có phiếu nào" in page.inner_text("tbody")
    with app.app_context():
        for t in (sms, returned):
            ticket = db.session.get(Ticket, t["id"])
            assert ticket.status == "assigned" and ticket.department.code == "SNNMT"
            forward = db.session.scalars(sa.select(SlaClock).where(
                SlaClock.ticket_id == t["id"], SlaClock.kind == sla.FORWARD)).one()
            assert forward.stopped_at is not None and forward.stop_reason == "assigned"


def test_queue_form_errors_and_roles(app, api_as, new_page) -> None:
    first, second = new_ticket(api_as), new_ticket(api_as, channel="zalo")
    page = new_page()
    login(page, "supervisor")
    page.goto("/operator/queue")
    page.locator(f"#pick-{first['id']}").check()
    page.get_by_label("Không tiếp nhận", exact=True).check()
    page.get_by_role("button", name="Thực hiện").click()  # no reason
    page.wait_for_selector("#bulk-reason-msg")
    assert "Hãy nhập lý do từ chối" in page.inner_text("#bulk-reason-msg")
    assert page.locator(f"#pick-{first['id']}").is_checked()  # what was ticked stays ticked
    # Merge the first into the second by its receipt code, typed with a dash.
    page.get_by_label("Gộp (trùng)").check()
    code = second["receipt_code"]
    page.locator("#bulk-duplicate_of").fill(f"{code[:5]}-{code[5:]}".lower())
    page.get_by_role("button", name="Thực hiện").click()
    page.wait_for_selector(".flash.success")
    assert "cho 1 phiếu" in page.inner_text(".flash.success")
    with app.app_context():
        merged = db.session.get(Ticket, first["id"])
        assert merged.status == "duplicate" and merged.duplicate_of_id == second["id"]

    # The page is valid HTML in both languages, also re-rendered with an error; CSRF and roles hold.
    client = app.test_client()
    assert client.get("/operator/queue").status_code == 302  # to the login page
    client.post("/login", data={"username": "operator", "password": "Demo@1022"})
    _audit(client.get("/operator/queue").get_data(as_text=True), "operator /operator/queue")
    bad = client.post("/operator/queue", data={"action": "merge", "ticket": str(second["id"]),
                                               "duplicate_of": "NOTACODE"})
    assert bad.status_code == 422 and "Mã biên nhận không hợp lệ" in bad.get_data(as_text=True)
    _audit(bad.get_data(as_text=True), "operator POST /operator/queue")
    assert client.post("/operator/queue", data={"action": "explode", "ticket": "1"}).status_code == 422
    assert client.post("/operator/queue", data={"action": "assign", "ticket": "99999999999"}).status_code == 422
    nul = client.post("/operator/queue", data={"action": "reject", "ticket": str(second["id"]), "reason": "a\x00b"})
    assert nul.status_code == 422 and "NUL" in nul.get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/operator/queue").get_data(as_text=True)
    _audit(english, "operator /operator/queue (en)")
    officer = app.test_client()
    officer.post("/login", data={"username": "officer", "password": "Demo@1022"})
    assert officer.get("/operator/queue").status_code == 403
    assert officer.post("/operator/queue", data={"action": "assign", "ticket": str(second["id"])}).status_code == 403
    with app.app_context():
        assert db.session.get(Ticket, second["id"]).status == "received"  # nothing the refusals fired
