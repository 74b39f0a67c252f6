"""The operator console and the department form refuse text they cannot save: a 422 page with
a Vietnamese message beside the field and the typed text kept, and nothing written (issue 13)."""

from __future__ import annotations

import pytest

from callcentre.formats.limits import MAX_TEXT
from callcentre.models import Call, Ticket, TicketEvent
from tests.conftest import ticket_payload

NUL = "Ghi chú\x00lạ"
LONG = "x" * 6000
NUL_MESSAGE = "Có ký tự không hợp lệ"
LONG_MESSAGE = f"Không được dài quá {MAX_TEXT} ký tự"


def _login(client, username: str) -> None:
    assert client.post("/login", data={"username": username, "password": "Demo@1022"}).status_code == 302


@pytest.mark.parametrize(("fields", "message"), [
    ({"outcome": "info_only", "notes": NUL}, NUL_MESSAGE),
    ({"outcome": "info_only", "notes": LONG}, LONG_MESSAGE),
    ({"outcome": "new_ticket", "category": "TN-MT", "description": NUL}, NUL_MESSAGE),
    ({"outcome": "new_ticket", "category": "TN-MT", "description": "Khói bụi", "address": "x" * 501},
     "Không được dài quá 500 ký tự"),
    ({"outcome": "info_only", "name": NUL}, NUL_MESSAGE),
])
def test_console_refuses_unsavable_text_beside_the_field(client, count, fields, message) -> None:
    _login(client, "operator")
    resp = client.post("/operator", data={"phone": "0912345678", **fields})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    assert count(Call) == 0 and count(Ticket) == 0


def test_console_ignores_a_callback_id_or_created_id_past_the_integer_range(client, count) -> None:
    _login(client, "operator")
    huge = "9" * 30
    assert client.get(f"/operator?created={huge}&page={huge}").status_code == 200
    resp = client.post("/operator", data={"phone": "0912345678", "outcome": "info_only", "callback_of": huge})
    assert resp.status_code == 302 and count(Call) == 1


@pytest.fixture()
def in_progress(api_as) -> dict:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    api_as("officer").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "accept"})
    return ticket


@pytest.mark.parametrize(("user", "fields", "message"), [
    ("officer", {"trigger": "resolve", "answer": LONG}, LONG_MESSAGE),
    ("officer", {"trigger": "resolve", "answer": NUL}, NUL_MESSAGE),
    ("officer", {"trigger": "request_info", "note": NUL}, NUL_MESSAGE),
    ("head", {"trigger": "request_extension", "reason": LONG, "deadline": "2099-12-31T17:00"}, LONG_MESSAGE),
    ("head", {"trigger": "request_extension", "reason": "khảo sát", "deadline": "9999-12-31T17:00"},
     "Hạn mới phải trong vòng một năm kể từ bây giờ"),
])
def test_department_form_refuses_unsavable_text_beside_the_field(client, app, count, in_progress, user, fields,
                                                                  message) -> None:
    _login(client, user)
    resp = client.post(f"/tickets/{in_progress['id']}/fire", data=fields)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        from callcentre.core.extensions import db

        ticket = db.session.get(Ticket, in_progress["id"])
        assert ticket.status == "in_progress" and ticket.public_answer is None
    assert count(TicketEvent, TicketEvent.kind == fields["trigger"]) == 0


def test_pages_answer_a_nul_in_the_address_bar_with_a_400_page(client) -> None:
    _login(client, "officer")
    for url in ("/department?q=ab%00", "/department?category=%00", "/t?code=%00"):
        resp = client.get(url)
        assert resp.status_code == 400 and resp.mimetype == "text/html", url
        assert "Yêu cầu có ký tự không hợp lệ" in resp.get_data(as_text=True)
    assert client.get("/tickets/" + "9" * 30).status_code == 404
    assert client.get("/department?page=" + "9" * 30).status_code == 200
