"""The console shows the routing's suggestion beside the department field, preselects it until
the operator picks one by hand, and the saved ticket goes where the suggestion (or the hand
choice) said: a real browser against the real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.models import Ticket, TicketEvent
from tests.services.routing_data import MY_THO, TAN_HUONG, place_setup, restored_org
from tests.web.conftest import login, shoot

SUGGESTION = "#route-suggestion"


@pytest.fixture(autouse=True)
def org(app: Flask) -> Iterator[None]:
    yield from restored_org(app)


@pytest.fixture()
def place(app: Flask) -> dict[str, str]:
    with app.app_context():
        return place_setup()


def _suggested(page, text: str) -> None:
    page.wait_for_function("([sel, text]) => document.querySelector(sel).textContent.includes(text)",
                           arg=[SUGGESTION, text])


def _saved(app: Flask, page) -> tuple[Ticket, dict, dict]:
    page.wait_for_selector("#receipt-code")
    code = page.inner_text("#receipt-code").replace("-", "")
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket).where(Ticket.receipt_code == code)).one()
        events = {e.kind: e.payload for e in db.session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))}
        db.session.expunge(ticket)
        return ticket, events["created"], events.get("assign", {})


def _start_call(page) -> None:
    page.keyboard.type("0912 345 678")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_suggestion_follows_the_address_and_the_commune_and_routes_the_ticket(app, new_page, place) -> None:
    page = new_page()
    login(page, "operator")
    _start_call(page)
    page.select_option("#category", "ZZ-VESINH")
    _suggested(page, "Đề xuất: Sở thử nghiệm — mặc định của lĩnh vực")
    assert page.locator("#department").input_value() == "ZZ-SO"
    page.fill("#description", "Rác tồn đọng trước chợ")
    page.locator("#address").press_sequentially("12 Lê Lợi, P. Mỹ Tho")
    _suggested(page, "Đề xuất: UBND phường Mỹ Tho (thử) — theo xã/phường của địa chỉ (Phường Mỹ Tho)")
    assert page.locator("#department").input_value() == "ZZ-UBND-MYTHO"
    shoot(page, "console-routing-suggestion")
    # The commune chosen in the list wins over the address.
    page.select_option("#commune_code", TAN_HUONG)
    _suggested(page, "Đề xuất: UBND xã Tân Hương (thử) — theo xã/phường của địa chỉ")
    assert page.locator("#department").input_value() == "ZZ-UBND-TANHUONG"
    page.select_option("#commune_code", "")
    _suggested(page, "UBND phường Mỹ Tho (thử)")
    page.keyboard.press("Control+Enter")
    ticket, created, assigned = _saved(app, page)
    assert (ticket.department_id is not None, ticket.commune_code, ticket.address) == \
        (True, MY_THO, "12 Lê Lợi, P. Mỹ Tho")
    assert (created["department"], created["routed_by"], assigned["department"]) == \
        ("ZZ-UBND-MYTHO", "commune", "ZZ-UBND-MYTHO")
    assert ticket.status == "assigned"
    assert "UBND phường Mỹ Tho (thử)" in page.inner_text("#receipt")


def test_a_hand_choice_stays_and_wins(app, new_page, place) -> None:
    page = new_page()
    login(page, "operator")
    _start_call(page)
    page.select_option("#category", "ZZ-VESINH")
    page.select_option("#commune_code", MY_THO)
    _suggested(page, "UBND phường Mỹ Tho (thử)")
    page.select_option("#department", "ZZ-SO2")  # by hand
    page.fill("#address", "xã Tân Hương")
    page.select_option("#commune_code", "")
    _suggested(page, "UBND xã Tân Hương (thử)")  # still shown, no longer preselected
    assert page.locator("#department").input_value() == "ZZ-SO2"
    page.fill("#description", "Đường ngập nước")
    shoot(page, "console-routing-hand-choice")
    page.keyboard.press("Control+Enter")
    ticket, created, assigned = _saved(app, page)
    assert (created["department"], created["routed_by"], assigned["department"]) == ("ZZ-SO2", "override", "ZZ-SO2")
    assert ticket.commune_code == TAN_HUONG


def test_a_refused_save_keeps_the_hand_choice_and_the_rule_is_named(app, new_page, api_as, place) -> None:
    assert api_as("admin").post("/api/v1/routing/rules", {
        "category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO2"}).status_code == 201
    page = new_page()
    login(page, "operator")
    _start_call(page)
    page.select_option("#category", "ZZ-VESINH")
    page.fill("#address", "phường Mỹ Tho")
    _suggested(page, "Đề xuất: Sở thử nghiệm 2 — theo quy tắc phân công theo địa bàn")
    assert page.locator("#department").input_value() == "ZZ-SO2"
    page.select_option("#department", "ZZ-SO")  # by hand
    page.fill("#pop-phone", "")
    page.fill("#phone", "not a phone")
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu cuộc gọi").click()
    assert "Số điện thoại không hợp lệ" in page.inner_text("main")
    _suggested(page, "Sở thử nghiệm 2")
    assert page.locator("#department").input_value() == "ZZ-SO"  # the hand choice came back and stays
    page.fill("#phone", "0912345678")
    page.fill("#description", "Rác")
    page.keyboard.press("Control+Enter")
    _, created, _ = _saved(app, page)
    assert (created["department"], created["routed_by"]) == ("ZZ-SO", "override")
