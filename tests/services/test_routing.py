"""Routing by place (services/routing.py): the commune from a code or an address, the order of
the three ways (rule, commune People's Committee, default), and every channel routed alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.formats.geo import find_commune
from callcentre.models import Category, Department, Ticket, TicketEvent
from callcentre.models.routing import RoutingRule
from callcentre.services import routing
from tests.conftest import ticket_payload
from tests.open311.conftest import BASE, form, new_key
from tests.services.routing_data import (
    DAO_THANH,
    MY_THO,
    TAN_HUONG,
    TAN_THANH,
    TAN_THANH_DOT,
    code_of,
    department,
    place_setup,
    restored_org,
    unclaim,
)


@pytest.fixture(autouse=True)
def org(app: Flask) -> Iterator[None]:
    yield from restored_org(app)


@pytest.fixture()
def place(app: Flask) -> dict[str, str]:
    with app.app_context():
        return place_setup()


# -- the commune in an address ---------------------------------------------------

@pytest.mark.parametrize(("address", "expected"), [
    ("12 Lê Lợi, phường Mỹ Tho, tỉnh Đồng Tháp", MY_THO),
    ("P. Mỹ Tho", MY_THO),
    ("số 5 đường 30/4, P.Mỹ Tho", MY_THO),
    ("PHƯỜNG MỸ THO", MY_THO),
    ("phuong my tho", MY_THO),  # typed without diacritics
    ("ấp Tân Phú, xã Tân Hương", TAN_HUONG),
    ("xa tan huong, Dong Thap", TAN_HUONG),
    ("x. Tân Hương", TAN_HUONG),
    ("Phường Đạo Thạnh", DAO_THANH),
    ("Xã Tân Thạnh", TAN_THANH_DOT),  # with its marks: not Tân Thành
    ("Xã Tân Thành", TAN_THANH),
    ("ấp 3, xã Tân Phú Đông", code_of("Xã Tân Phú Đông")),  # the longer name, not "xã Tân Phú"
    ("xã Tân Phú", code_of("Xã Tân Phú")),
    ("Phường Thanh Hoà", code_of("Phường Thanh Hòa")),  # the other tone placement
    ("xã Mỹ Thọ", code_of("Xã Mỹ Thọ")),  # not Phường Mỹ Tho: the type word tells them apart
])
def test_the_commune_is_found_in_the_address(address: str, expected: str) -> None:
    assert find_commune(address) == expected


@pytest.mark.parametrize("address", [
    "xa tan thanh",  # Tân Thành or Tân Thạnh: ambiguous without diacritics
    "phường Mỹ Tho và phường Đạo Thạnh",  # two communes
    "TP Mỹ Tho",  # the former city spans several wards now
    "Phường 1, TP Mỹ Tho, Tiền Giang",  # a pre-2025 ward: not in the data
    "cách xa Tân Hương 2 km",  # "xa" (far), not "xã"
    "xã Tân Phước 12",  # no such commune (Tân Phước 1, 2 and 3 exist)
    "Mỹ Tho",  # a name without its type word
    "", None, "   ",
])
def test_no_commune_when_none_or_several_are_named(address: str | None) -> None:
    assert find_commune(address) is None


def test_find_commune_takes_hostile_text() -> None:
    assert find_commune("p." * 250) is None
    assert find_commune("xã " * 160 + "Tân Hương") == TAN_HUONG
    assert find_commune("\x00phường Mỹ Tho\ud800") == MY_THO


# -- the decision ----------------------------------------------------------------

def _route(code: str, commune: str | None = None, address: str | None = None) -> routing.Route:
    return routing.route(db.session.scalars(sa.select(Category).where(Category.code == code)).one(),
                         commune, address)


def test_a_commune_level_category_goes_to_the_people_s_committee_of_the_commune(app, place) -> None:
    with app.app_context():
        by_code = _route("ZZ-VESINH", MY_THO)
        assert (by_code.department.code, by_code.reason, by_code.commune_found) == ("ZZ-UBND-MYTHO", "commune", False)
        by_address = _route("ZZ-VESINH", None, "Hẻm 3, xã Tân Hương")
        assert (by_address.department.code, by_address.reason) == ("ZZ-UBND-TANHUONG", "commune")
        assert (by_address.commune_code, by_address.commune_found) == (TAN_HUONG, True)
        # A code given wins over the address.
        assert _route("ZZ-VESINH", MY_THO, "xã Tân Hương").department.code == "ZZ-UBND-MYTHO"
        # No commune, or one nobody answers for: the category's default department.
        assert (_route("ZZ-VESINH").department.code, _route("ZZ-VESINH").reason) == ("ZZ-SO", "default")
        unclaim(DAO_THANH)
        orphan = _route("ZZ-VESINH", DAO_THANH)
        assert (orphan.department.code, orphan.reason, orphan.commune_code) == ("ZZ-SO", "default", DAO_THANH)
        # A province-level category stays with its department wherever it happens.
        assert (_route("ZZ-TINH", MY_THO).department.code, _route("ZZ-TINH", MY_THO).reason) == ("ZZ-SO", "default")


def test_two_committees_claiming_one_commune_route_by_default_not_by_guess(app, place) -> None:
    with app.app_context():
        department("ZZ-UBND-MYTHO-2", "UBND trùng", "commune", (MY_THO,))
        assert _route("ZZ-VESINH", MY_THO).reason == "default"
        # An inactive one claims nothing.
        db.session.scalars(sa.select(Department).where(Department.code == "ZZ-UBND-MYTHO-2")).one().active = False
        db.session.commit()
        assert _route("ZZ-VESINH", MY_THO).department.code == "ZZ-UBND-MYTHO"


def test_an_active_rule_wins_and_an_inactive_one_or_its_stopped_department_does_not(app, place) -> None:
    with app.test_request_context():  # the refusals speak the request's language
        admin = None
        rule = routing.create_rule({"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO2"}, admin)
        province_rule = routing.create_rule({"category": "ZZ-TINH", "commune_code": TAN_HUONG,
                                             "department": "ZZ-UBND-TANHUONG"}, admin)
        db.session.commit()
        found = _route("ZZ-VESINH", None, "phường Mỹ Tho")
        assert (found.department.code, found.reason, found.rule_id) == ("ZZ-SO2", "rule", rule.id)
        assert _route("ZZ-TINH", TAN_HUONG).department.code == "ZZ-UBND-TANHUONG"  # any level
        assert province_rule.id and _route("ZZ-TINH", MY_THO).reason == "default"  # another commune
        routing.update_rule(rule, {"active": False}, admin)
        db.session.commit()
        assert _route("ZZ-VESINH", MY_THO).department.code == "ZZ-UBND-MYTHO"
        routing.update_rule(rule, {"active": True}, admin)
        db.session.scalars(sa.select(Department).where(Department.code == "ZZ-SO2")).one().active = False
        db.session.commit()
        assert _route("ZZ-VESINH", MY_THO).department.code == "ZZ-UBND-MYTHO"


# -- rules: validation -------------------------------------------------------------

@pytest.mark.parametrize(("data", "field"), [
    ({"category": "NOPE"}, "category"),
    ({"category": ""}, "category"),
    ({"category": 5}, "category"),
    ({"category": "X" * 500}, "category"),
    ({"commune_code": "00001"}, "commune_code"),  # not in the province
    ({"commune_code": "4"}, "commune_code"),  # a ward of Hà Nội
    ({"commune_code": "9" * 50}, "commune_code"),
    ({"commune_code": None}, "commune_code"),
    ({"department": "NOPE"}, "department"),
    ({"department": ["ZZ-SO"]}, "department"),
    ({"active": "yes"}, "active"),
])
def test_a_rule_with_a_bad_field_is_refused_and_nothing_written(app, place, data, field) -> None:
    body = {"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO2", **data}
    with app.test_request_context():  # the refusals speak the request's language
        with pytest.raises(routing.OrgError) as refused:
            routing.create_rule(body, None)
        assert refused.value.status == 422 and set(refused.value.errors) == {field}
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == 0


def test_a_rule_needs_an_active_category_and_department_and_one_per_pair(app, place) -> None:
    with app.test_request_context():  # the refusals speak the request's language
        for code in ("ZZ-SO2",):
            db.session.scalars(sa.select(Department).where(Department.code == code)).one().active = False
        db.session.scalars(sa.select(Category).where(Category.code == "ZZ-TINH")).one().active = False
        db.session.commit()
        with pytest.raises(routing.OrgError) as refused:
            routing.create_rule({"category": "ZZ-TINH", "commune_code": MY_THO, "department": "ZZ-SO2"}, None)
        assert set(refused.value.errors) == {"category", "department"}
        db.session.rollback()
        routing.create_rule({"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO"}, None)
        db.session.commit()
        with pytest.raises(routing.OrgError) as twice:
            routing.create_rule({"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO"}, None)
        assert twice.value.status == 409 and set(twice.value.errors) == {"commune_code"}
        db.session.rollback()
        other = routing.create_rule({"category": "ZZ-VESINH", "commune_code": TAN_HUONG, "department": "ZZ-SO"},
                                    None)
        db.session.commit()
        with pytest.raises(routing.OrgError) as moved_onto:  # an edit onto a pair that has a rule
            routing.update_rule(other, {"commune_code": MY_THO}, None)
        assert moved_onto.value.status == 409
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RoutingRule)) == 2


# -- create_ticket: every channel routes the same way ------------------------------

def _ticket(app: Flask, receipt_or_id: str | int) -> Ticket:
    where = Ticket.id == receipt_or_id if isinstance(receipt_or_id, int) else Ticket.receipt_code == receipt_or_id
    ticket = db.session.scalars(sa.select(Ticket).where(where)).one()
    return ticket


def _created_event(ticket: Ticket) -> dict:
    return db.session.scalars(sa.select(TicketEvent.payload).where(TicketEvent.ticket_id == ticket.id,
                                                                  TicketEvent.kind == "created")).one()


def test_the_api_routes_by_the_address_and_keeps_the_address_as_filed(app, api_as, place) -> None:
    address = "Hẻm 12 đường Ấp Bắc, P. Mỹ Tho"
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(
        category="ZZ-VESINH", location={"address": address}))
    assert resp.status_code == 201, resp.json
    assert resp.json["department"]["code"] == "ZZ-UBND-MYTHO"
    assert resp.json["location"] == {"commune_code": MY_THO, "address": address, "lat": None, "lng": None}
    with app.app_context():
        ticket = _ticket(app, resp.json["id"])
        assert ticket.address == address and ticket.commune_code == MY_THO
        payload = _created_event(ticket)
        assert (payload["department"], payload["routed_by"], payload["commune_found"]) == \
            ("ZZ-UBND-MYTHO", "commune", True)


def test_a_staff_override_wins_and_is_recorded_as_one(app, api_as, place, count) -> None:
    body = ticket_payload(category="ZZ-VESINH", location={"commune_code": MY_THO}, department="ZZ-SO2")
    resp = api_as("operator").post("/api/v1/tickets", body)
    assert resp.status_code == 201 and resp.json["department"]["code"] == "ZZ-SO2"
    same = api_as("operator").post("/api/v1/tickets", {**body, "department": "ZZ-UBND-MYTHO"})
    with app.app_context():
        assert _created_event(_ticket(app, resp.json["id"]))["routed_by"] == "override"
        assert _created_event(_ticket(app, same.json["id"]))["routed_by"] == "commune"  # chose the suggestion
    for bad in ("NOPE", "X" * 41, 7):
        refused = api_as("operator").post("/api/v1/tickets", {**body, "department": bad})
        assert refused.status_code == 422 and "department" in refused.json["errors"]["json"], refused.json
    assert count(Ticket) == 2


def test_every_channel_routes_alike(app, api_as, client, make_app, place) -> None:
    """The API, the console, Open311 (address_id is the commune code; address_string is read too)
    and SMS (which carries no place: the category's default)."""
    by_api = api_as("operator").post("/api/v1/tickets", ticket_payload(
        category="ZZ-VESINH", location={"address": "xã Tân Hương"})).json
    key = new_key(app)
    by_open311_code = client.post(f"{BASE}/requests.json", data={
        **form(service_code="ZZ-VESINH", address_id=TAN_HUONG, address_string="ấp 1"), "api_key": key})
    by_open311_text = client.post(f"{BASE}/requests.json", data={
        **form(service_code="ZZ-VESINH", address_string="ấp 1, xa Tan Huong", lat=None, long=None), "api_key": key})
    assert by_open311_code.status_code == 201 and by_open311_text.status_code == 201, by_open311_text.json
    console = client
    assert console.post("/login", data={"username": "operator", "password": "Demo@1022"}).status_code == 302
    page = console.post("/operator", data={
        "csrf_token": "", "phone": "0912345678", "outcome": "new_ticket", "category": "ZZ-VESINH",
        "description": "Rác tồn đọng", "address": "Chợ xã Tân Hương", "department": "ZZ-SO", "department_auto": "1"})
    assert page.status_code == 302, page.get_data(as_text=True)[:500]
    sms_app = make_app(INBOUND_CATEGORY="ZZ-VESINH")
    with sms_app.app_context():
        from callcentre.messaging.inbound import handle_sms

        _, sms_id = handle_sms("+84912000111", "Rác tồn đọng ở xã Tân Hương")
        db.session.commit()
    with app.app_context():
        tickets = [_ticket(app, by_api["id"]), _ticket(app, by_open311_code.json[0]["service_request_id"]),
                   _ticket(app, by_open311_text.json[0]["service_request_id"])]
        console_ticket = db.session.scalars(sa.select(Ticket).where(Ticket.channel == "phone",
                                                                    Ticket.id != by_api["id"])).one()
        tickets.append(console_ticket)
        assert [(t.department.code, t.commune_code) for t in tickets] == [("ZZ-UBND-TANHUONG", TAN_HUONG)] * 4
        assert [_created_event(t)["routed_by"] for t in tickets] == ["commune"] * 4
        assert console_ticket.status == "assigned"  # the console routes at once, to the routed department
        sms = _ticket(app, sms_id)
        assert (sms.department.code, sms.commune_code, _created_event(sms)["routed_by"]) == ("ZZ-SO", None, "default")
