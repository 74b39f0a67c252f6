"""servicerequestupdates: the public status changes, by date range, without personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Ticket
from tests.open311.conftest import BASE, xml


def _lifecycle(app, api_as, code: str) -> None:
    with app.app_context():
        tid = db.session.scalar(sa.select(Ticket.id).where(Ticket.receipt_code == code))
    steps = [("operator", "assign", {}), ("officer", "accept", {}),
             ("officer", "request_info", {"note": "Gọi 0912345678 hỏi số nhà"}),
             ("operator", "info_received", {}),
             ("head", "request_extension", {"deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                                            "reason": "nội bộ"}),
             ("officer", "resolve", {"answer": "Đã xử phạt cơ sở lò gạch."})]
    for user, trigger, fields in steps:
        resp = api_as(user).post(f"/api/v1/tickets/{tid}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, (trigger, resp.json)


def test_updates_feed_lists_public_status_changes_only(app, client, post, api_as) -> None:
    code = post().json[0]["service_request_id"]
    other = post(service_code="CONG-THUONG").json[0]["service_request_id"]
    _lifecycle(app, api_as, code)
    resp = client.get(f"{BASE}/servicerequestupdates.json?service_request_id={code}")
    assert resp.status_code == 200
    updates = resp.json
    kinds = [u["extended_attributes"]["kind"] for u in updates]
    # The extension request is internal; the note with a phone number never leaves.
    assert kinds == ["created", "assign", "accept", "request_info", "info_received", "resolve"]
    assert [u["status"] for u in updates] == ["open"] * 5 + ["closed"]
    assert updates[-1]["description"] == "Đã xử phạt cơ sở lò gạch."
    assert updates[-1]["extended_attributes"]["detailed_status"] == "resolved"
    assert updates[1]["description"] == "Chuyển xử lý"
    assert all(u["service_request_id"] == code and u["updated_datetime"].endswith("+07:00") for u in updates)
    assert "0912345678" not in resp.get_data(as_text=True)
    ids = [int(u["update_id"]) for u in updates]
    assert ids == sorted(ids)

    root = xml(client.get(f"{BASE}/servicerequestupdates.xml?lang=en&service_code=TN-MT"))
    assert root.tag == "service_request_updates"
    assert {u.findtext("service_request_id") for u in root.iter("request_update")} == {code}
    assert root.find("request_update[2]/description").text == "Assign"
    # Everything in range, oldest first, paginated.
    everything = client.get(f"{BASE}/servicerequestupdates.json").json
    assert len(everything) == 7 and {u["service_request_id"] for u in everything} == {code, other}
    page = client.get(f"{BASE}/servicerequestupdates.json?page_size=3&page=3").json
    assert [u["update_id"] for u in page] == [everything[6]["update_id"]]


def test_updates_by_date_range(app, client, post) -> None:
    post()
    now = datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    before = client.get(f"{BASE}/servicerequestupdates.json?end_date={(now - timedelta(hours=1)).strftime(fmt)}")
    assert before.status_code == 200 and before.json == []
    after = client.get(f"{BASE}/servicerequestupdates.json?start_date={(now - timedelta(hours=1)).strftime(fmt)}")
    assert len(after.json) == 1
    bad = client.get(f"{BASE}/servicerequestupdates.xml?start_date=2026-01-01T00:00:00")
    assert bad.status_code == 400 and xml(bad).find("error/description").text.startswith("start_date needs")
