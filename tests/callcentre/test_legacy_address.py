"""Addresses written with the units before 2025 find the commune they are in now (real Đồng Tháp and
Tiền Giang units; formats/legacy_address.py), and a ticket filed with one is routed there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from callcentre.formats.legacy_address import find_old_commune, names_old_district
from tests.conftest import ticket_payload
from tests.services.routing_data import DAO_THANH, MY_THO, TAN_HUONG, code_of, place_setup, restored_org


@pytest.mark.parametrize(("address", "expected"), [
    # Mỹ Tho's numbered wards went into the new wards: 1 -> Mỹ Tho, 4 -> Đạo Thạnh.
    ("Phường 4, thành phố Mỹ Tho, tỉnh Tiền Giang", DAO_THANH),
    ("12 Lê Lợi, P.4, TP Mỹ Tho", DAO_THANH),
    ("12 Lê Lợi, phường 4 thành phố Mỹ Tho", DAO_THANH),  # ward and city in one part
    ("Phường 01, TP. Mỹ Tho", MY_THO),
    ("phuong 1, tp my tho", MY_THO),  # without diacritics
    ("P1, TP Mỹ Tho", MY_THO),
    ("xã Tân Hương, huyện Châu Thành, Tiền Giang", TAN_HUONG),
    ("ấp 3, xã Mỹ Hiệp, huyện Cao Lãnh, tỉnh Đồng Tháp", code_of("Xã Mỹ Hiệp")),  # the old Đồng Tháp
    ("Phường 1, TP Cao Lãnh", code_of("Phường Cao Lãnh")),  # Phường 1 of another city: another ward
    ("xã Cẩm Sơn, huyện Cai Lậy", code_of("Xã Bình Phú")),  # merged under another name
])
def test_an_old_ward_and_district_find_the_commune_of_today(address: str, expected: str) -> None:
    assert find_old_commune(address) == expected
    assert names_old_district(address) == ("huyện" in address.lower() or "tp" in address.lower()
                                           or "thành phố" in address.lower())


@pytest.mark.parametrize("address", [
    "Phường 1",  # every old city had one: which?
    "xã Mỹ Hiệp, huyện Cao Lãnh, tỉnh Long An",  # another province
    "12 Lê Lợi", "", "Phan Bội Châu, xa lộ Hà Nội", "phường 99, TP Mỹ Tho", "x" * 501, "P., TP.",
])
def test_no_commune_when_the_old_address_does_not_say_which(address: str) -> None:
    assert find_old_commune(address) is None


@pytest.fixture()
def place(app: Flask) -> Iterator[dict[str, str]]:
    for _ in restored_org(app):
        with app.app_context():
            yield place_setup()


def test_a_ticket_with_an_old_address_goes_to_the_committee_of_today(app, api_as, place) -> None:
    address = "Hẻm 5 Lê Lợi, phường 1, TP Mỹ Tho, Tiền Giang"  # Phường 1 of Mỹ Tho is Phường Mỹ Tho now
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(category="ZZ-VESINH",
                                                                      location={"address": address}))
    assert resp.status_code == 201, resp.json
    assert resp.json["location"]["commune_code"] == MY_THO and resp.json["location"]["address"] == address
    assert resp.json["department"]["code"] == "ZZ-UBND-MYTHO"
    suggested = api_as("operator").get("/api/v1/routing/suggest", query_string={
        "category": "ZZ-VESINH", "address": address}).json
    assert suggested["department"]["code"] == "ZZ-UBND-MYTHO", suggested
