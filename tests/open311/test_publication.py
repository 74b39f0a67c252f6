"""The publication rules (services/publication.py) in every public view.

Listed: only tickets filed publicly (app, web). Findable by receipt code: all but confidential
ones, which answer 404 like an unknown code everywhere. Location: no house number, ~100 m.
"""

from __future__ import annotations

from typing import Any

import pytest

from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.services.tickets import create_ticket
from tests.conftest import ticket_payload
from tests.open311.conftest import BASE, xml

PRIVATE_CHANNELS = ("phone", "sms", "zalo", "walk_in")


def staff_ticket(api_as, **overrides: Any) -> dict[str, Any]:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(**overrides))
    assert resp.status_code == 201, resp.json
    return resp.json


def listed_codes(client, query: str = "") -> list[str]:
    resp = client.get(f"{BASE}/requests.json{query}")
    assert resp.status_code == 200, resp.data
    return [r["service_request_id"] for r in resp.json]


def update_codes(client, query: str = "") -> list[str]:
    resp = client.get(f"{BASE}/servicerequestupdates.json{query}")
    assert resp.status_code == 200, resp.data
    return [u["service_request_id"] for u in resp.json]


def test_the_keyless_list_and_feed_hold_only_tickets_filed_publicly(client, api_as, post) -> None:
    app_code = post().json[0]["service_request_id"]
    web_code = staff_ticket(api_as, channel="web")["receipt_code"]
    private = {ch: staff_ticket(api_as, channel=ch)["receipt_code"] for ch in PRIVATE_CHANNELS}
    assert set(listed_codes(client)) == {app_code, web_code}
    assert [r.findtext("service_request_id") for r in xml(client.get(f"{BASE}/requests.xml"))] == \
        listed_codes(client)
    assert set(update_codes(client)) == {app_code, web_code}
    # A hotline call is still followed by its own receipt code (the citizen's SMS), like /t/<code>.
    for code in private.values():
        [got] = client.get(f"{BASE}/requests/{code}.json").json
        assert got["service_request_id"] == code
        assert client.get(f"{BASE}/tokens/{code}.json").status_code == 200
        assert update_codes(client, f"?service_request_id={code}") == [code]
        assert client.get(f"/api/v1/public/tickets/{code}").status_code == 200
    asked = ",".join(private.values())
    assert set(listed_codes(client, f"?service_request_id={asked}")) == set(private.values())


@pytest.mark.parametrize("channel", ["web", "phone"])
def test_a_confidential_ticket_is_in_no_public_view(client, api_as, channel: str) -> None:
    ticket = staff_ticket(api_as, channel=channel, confidential=True)
    code, unknown = ticket["receipt_code"], new_receipt_code()  # well-formed, given to nobody
    assert ticket["confidential"] is True  # staff see the flag, and the ticket
    assert api_as("supervisor").get(f"/api/v1/tickets/{ticket['id']}").json["confidential"] is True
    assert code not in listed_codes(client) and code not in update_codes(client)
    assert listed_codes(client, f"?service_request_id={code}") == []
    assert update_codes(client, f"?service_request_id={code}") == []
    for path in (f"requests/{code}.json", f"tokens/{code}.json"):
        resp = client.get(f"{BASE}/{path}")
        assert resp.status_code == 404 and resp.json == [
            {"code": 404, "description": f"service_request_id '{code}' not found"}], path
    assert xml(client.get(f"{BASE}/requests/{code}.xml")).tag == "errors"
    # The citizen's lookup: the same 404 as a code nobody was given.
    for path in ("/api/v1/public/tickets/{}", "/api/v1/public/tickets/{}/qr.png", "/api/v1/public/tickets/{}/qr.svg"):
        hidden, absent = client.get(path.format(code)), client.get(path.format(unknown))
        assert hidden.status_code == absent.status_code == 404, path
        assert hidden.json == absent.json, path
    hidden, absent = client.get(f"/t/{code}"), client.get(f"/t/{unknown}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.get_data(as_text=True).replace(code, "*") == absent.get_data(as_text=True).replace(unknown, "*")
    assert client.get(f"/t/{code}", headers={"Accept": "application/json"}).status_code == 404


def test_without_the_flag_a_web_ticket_is_public(client, api_as) -> None:
    code = staff_ticket(api_as, channel="web")["receipt_code"]
    assert client.get(f"/api/v1/public/tickets/{code}").status_code == 200
    assert client.get(f"/t/{code}").status_code == 200
    assert listed_codes(client, f"?service_request_id={code}") == [code]


def test_public_views_show_no_house_number_and_coarse_coordinates(client, api_as, post) -> None:
    location = {"commune_code": "28261", "address": "Số 12/3 đường Lê Lợi, Phường 1", "lat": 10.367891,
                "lng": 106.361234}
    code = staff_ticket(api_as, channel="web", location=location)["receipt_code"]
    [got] = client.get(f"{BASE}/requests/{code}.json").json
    assert got["address"] == "đường Lê Lợi, Phường 1" and got["address_id"] == "28261"
    assert (got["lat"], got["long"]) == (10.368, 106.361)
    request = xml(client.get(f"{BASE}/requests/{code}.xml")).find("request")
    assert (request.findtext("address"), request.findtext("lat")) == ("đường Lê Lợi, Phường 1", "10.368")
    for url in (f"{BASE}/requests.json", f"{BASE}/requests.xml", f"{BASE}/requests/{code}.json",
                f"/api/v1/public/tickets/{code}", f"/t/{code}"):
        text = client.get(url).get_data(as_text=True)
        for exact in ("12/3", "10.367891", "106.361234", "10.3679", "106.3612"):
            assert exact not in text, (url, exact)
    # An Open311 report's own coordinates are coarsened too.
    app_code = post(lat="10.354321", long="106.365432", address_string="45/2B Trần Hưng Đạo").json[0][
        "service_request_id"]
    [got] = client.get(f"{BASE}/requests/{app_code}.json").json
    assert (got["lat"], got["long"], got["address"]) == (10.354, 106.365, "Trần Hưng Đạo")


def test_the_keyless_list_pages_at_most_100(app, client) -> None:
    with app.app_context():
        for _ in range(101):
            create_ticket({"channel": "app", "category": "TN-MT", "description": "Rác thải",
                           "contact": {"phone": "+84912345678"}, "location": {"commune_code": "28261"}}, None)
        db.session.commit()
    assert len(listed_codes(client)) == 100  # the default page is the ceiling
    assert len(listed_codes(client, "?page=2")) == 1
    assert len(listed_codes(client, "?page_size=100")) == 100
    resp = client.get(f"{BASE}/requests.json?page_size=101")
    assert resp.status_code == 400 and resp.json[0]["description"] == "page_size must be between 1 and 100"
    assert len(update_codes(client)) == 100
