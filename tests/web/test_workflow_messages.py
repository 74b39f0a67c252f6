"""A refused workflow step reaches a person in the page's language — Vietnamese by default,
English when chosen — beside the field it concerns, or above the forms naming it (issue 13).
The API keeps its English ``message`` (tests/api/test_transitions.py)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from callcentre.core.extensions import db
from callcentre.models import ExtensionRequest, Ticket, TicketEvent
from tests.conftest import ticket_payload
from tests.web.conftest import login, shoot


def _fire(api, ticket_id: int, trigger: str, **fields) -> None:
    resp = api.post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json


def _ticket(api_as, *steps: tuple[str, str, dict]) -> dict:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    for user, trigger, fields in steps:
        _fire(api_as(user), ticket["id"], trigger, **fields)
    return ticket


IN_PROGRESS = (("operator", "assign", {}), ("officer", "accept", {}))


def test_a_refused_approval_is_shown_in_vietnamese_then_in_english(app, api_as, new_page) -> None:
    # The head asks for more time, then the officer answers the citizen: the request stays on the
    # supervisor's list, and approving it now is refused for the ticket's status.
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    ticket = _ticket(api_as, *IN_PROGRESS, ("head", "request_extension", {"deadline": later, "reason": "khảo sát"}),
                     ("officer", "resolve", {"answer": "Đã xử lý."}))
    page = new_page()
    login(page, "supervisor")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Duyệt").click()
    assert nav.value.status == 409
    assert page.inner_text(".flash.error[role=alert]") == \
        "Không thể thực hiện “Duyệt gia hạn” khi phiếu đang ở trạng thái “Đã trả lời”"
    shoot(page, "ticket-refused-vi")

    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    page.goto("/supervisor")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Approve").click()
    assert nav.value.status == 409
    assert page.inner_text(".flash.error[role=alert]") == "cannot 'Approve extension' a ticket in status 'Answered'"
    with app.app_context():
        assert db.session.get(Ticket, ticket["id"]).status == "resolved"
        assert db.session.query(ExtensionRequest).filter_by(ticket_id=ticket["id"]).one().status == "pending"


def test_a_missing_answer_is_shown_beside_its_field_in_either_language(app, api_as, new_page) -> None:
    ticket = _ticket(api_as, *IN_PROGRESS)
    page = new_page()
    login(page, "officer")
    page.goto(f"/tickets/{ticket['id']}")
    page.locator("#trigger-resolve summary").click()
    with page.expect_navigation() as nav:
        page.locator("#trigger-resolve button[type=submit]").click()
    assert nav.value.status == 422
    assert page.inner_text("#trigger-resolve .field.has-error .error") == \
        "Cần nhập nội dung trả lời để thực hiện “Trả lời công dân”"
    assert page.get_attribute("#resolve-answer", "aria-invalid") == "true"
    assert page.locator(".flash.error").count() == 0  # beside the field, not above the forms

    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    page.locator("#trigger-resolve summary").click()
    page.locator("#trigger-resolve button[type=submit]").click()
    page.wait_for_selector("#trigger-resolve .error")
    assert page.inner_text("#trigger-resolve .field.has-error .error") == "'Resolve' needs 'answer'"
    with app.app_context():
        assert db.session.get(Ticket, ticket["id"]).status == "in_progress"


def _login(client, username: str) -> None:
    assert client.post("/login", data={"username": username, "password": "Demo@1022"}).status_code == 302


def _page_text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


@pytest.mark.parametrize(("language", "beside", "above"), [
    ("vi", "Hạn mới phải sau thời điểm hiện tại",
     "Phiếu vừa được người khác cập nhật (phiên bản {now}, bạn đang xem phiên bản {old}); "
     "hãy tải lại trang rồi thử lại"),
    ("en", "the new deadline must be in the future",
     "the ticket changed (version {now}, you had {old}); reload and try again"),
])
def test_messages_follow_the_page_language(client, api_as, count, language, beside, above) -> None:
    ticket = _ticket(api_as, *IN_PROGRESS)
    version = api_as("head").get(f"/api/v1/tickets/{ticket['id']}").json["version"]
    _login(client, "head")
    headers = {"Accept-Language": language}
    url = f"/tickets/{ticket['id']}/fire"
    past = client.post(url, headers=headers, data={"trigger": "request_extension", "version": str(version),
                                                   "deadline": "2020-01-01T08:00", "reason": "khảo sát"})
    assert past.status_code == 422
    page = _page_text(past)
    assert f'<p class="error" role="alert">{beside}</p>' in page  # inside the deadline's field
    assert 'id="request_extension-deadline" name="deadline" type="datetime-local" value="2020-01-01T08:00" ' \
           'aria-invalid="true"' in page
    stale = client.post(url, headers=headers, data={"trigger": "request_info", "version": str(version - 1),
                                                    "note": "Địa chỉ?"})
    assert stale.status_code == 409
    above = above.format(now=version, old=version - 1)
    assert f'<p class="flash error" role="alert">{above}</p>' in _page_text(stale)
    assert count(TicketEvent, TicketEvent.kind.in_(["request_extension", "request_info"])) == 0


@pytest.mark.parametrize(("language", "message"), [
    ("vi", "Đơn vị: Không có đơn vị “NOPE”"),
    ("en", "Department: unknown department 'NOPE'"),
])
def test_a_field_the_form_does_not_show_is_named_above_the_forms(client, api_as, count, language, message) -> None:
    ticket = _ticket(api_as)
    _login(client, "operator")
    resp = client.post(f"/tickets/{ticket['id']}/fire", headers={"Accept-Language": language},
                       data={"trigger": "assign", "department": "NOPE"})  # the assign form has no department
    assert resp.status_code == 422
    assert f'<p class="flash error" role="alert">{message}</p>' in _page_text(resp)
    assert count(TicketEvent, TicketEvent.kind == "assign") == 0
