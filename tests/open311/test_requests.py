"""POST and GET requests, request by id, tokens: round trip, filters, errors, API keys, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import ApiClient, Contact, IdempotencyKey, Ticket, TicketEvent
from tests.open311.conftest import BASE, new_key, xml


def ticket_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Ticket.id).where(Ticket.receipt_code == code))


def test_post_then_get_round_trip_in_both_formats(app, client, post) -> None:
    resp = post()
    assert resp.status_code == 201, resp.json
    [created] = resp.json
    code = created["service_request_id"]
    assert created["token"] == code and "Sở Nông nghiệp và Môi trường" in created["service_notice"]

    [got] = client.get(f"{BASE}/requests/{code}.json").json
    assert got["service_request_id"] == code and got["service_code"] == "TN-MT"
    assert got["status"] == "open" and got["extended_attributes"]["detailed_status"] == "received"
    assert got["agency_responsible"] == "Sở Nông nghiệp và Môi trường"
    # The public location: no house number, coordinates to ~100 m (services/publication.py).
    assert got["address"] == "Lê Lợi, Mỹ Tho" and (got["lat"], got["long"]) == (10.36, 106.36)
    assert got["extended_attributes"]["channel"] == "app"
    # Times carry the local offset; expected_datetime is the SLA resolve deadline.
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert got[name].endswith("+07:00"), name
    assert datetime.fromisoformat(got["expected_datetime"]) > datetime.fromisoformat(got["requested_datetime"])

    root = xml(client.get(f"{BASE}/requests/{code.lower()[:5]}-{code[5:]}.xml"))  # any typed form
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request.findtext("service_request_id") == code and request.findtext("status") == "open"
    assert request.findtext("agency_responsible") == "Sở Nông nghiệp và Môi trường"

    # Same ticket as any other channel: receipt code, contact, history, public lookup.
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket).where(Ticket.receipt_code == code)).one()
        assert ticket.channel == "app" and ticket.created_by_id is None
        assert ticket.contact.phone == "+84912345678" and ticket.contact.name == "Nguyễn Văn An"
        assert ticket.description.startswith("Khói bụi")
        [event] = ticket.events
        assert event.kind == "created" and event.actor_label == "open311:app-dongthap"
        client_row = db.session.scalars(sa.select(ApiClient)).one()
        assert client_row.last_used_at is not None
    assert client.get(f"/api/v1/public/tickets/{code}").json["status"] == "received"


def test_public_views_carry_no_personal_data(client, post) -> None:
    code = post().json[0]["service_request_id"]
    for url in (f"{BASE}/requests/{code}.json", f"{BASE}/requests.xml", f"{BASE}/servicerequestupdates.json"):
        text = client.get(url).get_data(as_text=True)
        assert code in text
        for private in ("912345678", "Nguyễn Văn", "an@example.vn", "Khói bụi"):
            assert private not in text, (url, private)


def test_post_in_xml_answers_in_xml(post) -> None:
    root = xml(post(fmt="xml"))
    assert root.tag == "service_requests"
    assert len(root.find("request").findtext("service_request_id")) == 10


def test_attributes_are_checked_and_kept_on_the_ticket(app, post, count) -> None:
    resp = post(service_code="DIEN")
    assert resp.status_code == 400
    assert resp.json == [{"code": 400, "description": "attribute[loai_su_co] is required (Kind of fault)"}]
    resp = post(service_code="DIEN", **{"attribute[loai_su_co]": "sao_hoa", "attribute[so_ho_anh_huong]": "ba"})
    assert resp.status_code == 400
    assert {e["description"].split(" ")[0] for e in resp.json} == {
        "attribute[loai_su_co]", "attribute[so_ho_anh_huong]"}
    assert count(Ticket) == 0
    resp = post(service_code="DIEN", description=None,
                **{"attribute[loai_su_co]": "mat_dien", "attribute[so_ho_anh_huong]": "40"})
    assert resp.status_code == 201, resp.json
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket)).one()
        assert ticket.description == "Điện\nLoại sự cố: Mất điện\nSố hộ bị ảnh hưởng: 40"
        assert ticket.department.code == "PCDT"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"service_code": None}, "service_code is required"),
    ({"service_code": "NOPE"}, "service_code 'NOPE' is not a known service"),
    ({"lat": None, "long": None, "address_string": None}, "a location is required"),
    ({"lat": "abc"}, "lat must be a number"),
    ({"long": "200"}, "long must be between -180 and 180"),
    ({"long": None}, "lat and long go together"),
    ({"address_id": "99999"}, "address_id '99999' is not a known commune/ward code"),
    ({"phone": None}, "phone is required"),
    ({"phone": "123"}, "phone: "),
    ({"media_url": "javascript:alert(1)"}, "media_url must be an https URL"),
    ({"description": "x" * 5001}, "description is longer than 5000"),
])
def test_bad_parameters_are_400_with_the_reason_and_write_nothing(post, count, overrides, message) -> None:
    resp = post(**overrides)
    assert resp.status_code == 400
    assert resp.json[0]["code"] == 400 and resp.json[0]["description"].startswith(message), resp.json
    assert count(Ticket) == 0 and count(Contact) == 0 and count(TicketEvent) == 0


def test_address_id_alone_is_a_location(app, post) -> None:
    resp = post(lat=None, long=None, address_string=None, address_id="28261")
    assert resp.status_code == 201, resp.json
    with app.app_context():
        assert db.session.scalars(sa.select(Ticket)).one().commune_code == "28261"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_unknown_or_revoked_api_key_is_403(app, client, post, count, fmt) -> None:
    assert post(fmt=fmt, key=None).status_code == 403
    assert post(fmt=fmt, key="o311_not-a-key").status_code == 403
    key = new_key(app, "revoked-app")
    assert post(fmt=fmt, key=key).status_code == 201
    result = app.test_cli_runner().invoke(args=["apikeys", "revoke", "revoked-app"])
    assert result.exit_code == 0, result.output
    resp = post(fmt=fmt, key=key)
    assert resp.status_code == 403
    if fmt == "json":
        assert resp.json == [{"code": 403, "description": "api_key is not valid (unknown or revoked)"}]
    else:
        assert xml(resp).find("error/code").text == "403"
    assert count(Ticket) == 1
    # GETs need no key, but a bad one is refused rather than ignored.
    assert client.get(f"{BASE}/requests.json?api_key={key}").status_code == 403


def test_idempotency_key_replays_the_first_answer(post, count) -> None:
    headers = {"Idempotency-Key": "fms-report-4711"}
    first = post(headers=headers)
    again = post(headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(Ticket) == 1 and count(IdempotencyKey) == 1
    # The same key with another report is refused, not silently replayed.
    other = post(headers=headers, description="Một phản ánh khác")
    assert other.status_code == 400 and "Idempotency-Key" in other.json[0]["description"]
    # The replay follows the requested format.
    root = xml(post(fmt="xml", headers=headers))
    assert root.find("request/service_request_id").text == first.json[0]["service_request_id"]
    assert count(Ticket) == 1


def test_keys_of_different_clients_do_not_collide(app, post, count) -> None:
    headers = {"Idempotency-Key": "same-string"}
    assert post(headers=headers).status_code == 201
    assert post(headers=headers, key=new_key(app, "other-app")).status_code == 201
    assert count(Ticket) == 2


def test_a_repeated_post_without_a_key_is_a_new_report(post, count) -> None:
    # Without Idempotency-Key the server cannot tell a retry from a second report (documented).
    assert post().status_code == post().status_code == 201
    assert count(Ticket) == 2


def test_posts_are_rate_limited_per_api_key(make_app, app) -> None:
    limited = make_app(OPEN311_RATELIMIT="2 per minute")
    client = limited.test_client()
    key, other = new_key(app, "busy-app"), new_key(app, "quiet-app")
    form = {"service_code": "TN-MT", "description": "Rác thải", "address_string": "Chợ Mỹ Tho",
            "phone": "0912345678"}
    statuses = [client.post(f"{BASE}/requests.json", data={**form, "api_key": key}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    resp = client.post(f"{BASE}/requests.xml", data={**form, "api_key": key})
    assert resp.status_code == 429 and xml(resp).find("error/code").text == "429"
    assert "Retry-After" in resp.headers
    # Another client's key has its own budget.
    assert client.post(f"{BASE}/requests.json", data={**form, "api_key": other}).status_code == 201


def _three_requests(app, post) -> dict[str, str]:
    codes = {
        "old": post(service_code="CONG-THUONG").json[0]["service_request_id"],
        "open": post().json[0]["service_request_id"],
        "closed": post().json[0]["service_request_id"],
    }
    with app.app_context():
        db.session.execute(sa.update(Ticket).where(Ticket.receipt_code == codes["old"])
                           .values(created_at=datetime.now(UTC) - timedelta(days=40)))
        db.session.commit()
    return codes


def test_get_requests_filters(app, client, post, api_as) -> None:
    codes = _three_requests(app, post)
    resp = api_as("operator").post(f"/api/v1/tickets/{ticket_id(app, codes['closed'])}/transitions",
                                   {"trigger": "reject", "reason": "Trùng nội dung quảng cáo, số máy quấy rối",
                                    "answer": "Không thuộc thẩm quyền giải quyết"})
    assert resp.status_code == 200, resp.json

    def ids(query: str = "", fmt: str = "json") -> list[str]:
        resp = client.get(f"{BASE}/requests.{fmt}{query}")
        assert resp.status_code == 200, resp.data
        if fmt == "xml":
            return [r.findtext("service_request_id") for r in xml(resp)]
        return [r["service_request_id"] for r in resp.json]

    # Default: the last 90 days, newest first.
    assert ids() == [codes["closed"], codes["open"], codes["old"]]
    assert ids(fmt="xml") == ids()
    assert ids("?status=open") == [codes["open"], codes["old"]]
    assert ids("?status=closed") == [codes["closed"]]
    assert ids("?status=open,closed") == ids()
    assert ids("?service_code=CONG-THUONG") == [codes["old"]]
    assert ids("?service_code=TN-MT,CONG-THUONG&status=open") == [codes["open"], codes["old"]]
    week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"?start_date={week_ago}") == [codes["closed"], codes["open"]]
    assert ids(f"?end_date={week_ago}") == [codes["old"]]
    assert ids("?start_date=2020-01-01&end_date=2020-02-01") == []
    assert ids("?page_size=2") == [codes["closed"], codes["open"]]
    assert ids("?page_size=2&page=2") == [codes["old"]]
    # service_request_id overrides every other filter; unknown ids are skipped.
    assert ids(f"?service_request_id={codes['old']},{codes['closed']},0000000000&status=open") == [
        codes["closed"], codes["old"]]
    [closed] = client.get(f"{BASE}/requests/{codes['closed']}.json").json
    assert closed["status"] == "closed" and closed["extended_attributes"]["detailed_status"] == "rejected"
    # What the citizen reads is the answer given with the rejection; the reason stays internal.
    assert closed["status_notes"] == "Không thuộc thẩm quyền giải quyết"
    assert "quấy rối" not in client.get(f"{BASE}/requests/{codes['closed']}.json").get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ("status=pending", "status must be open and/or closed"),
    ("start_date=yesterday", "start_date must be a W3C date/time"),
    ("end_date=2026-01-01T10:00:00", "end_date needs a timezone"),
    ("start_date=2026-03-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date is before start_date"),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "start_date and end_date may not span"),
    ("page=0", "page must be 1 or more"),
    ("page_size=5000", "page_size must be between 1 and 100"),
    ("page_size=ten", "page_size must be a whole number"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_400(client, query, message, fmt) -> None:
    resp = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert resp.status_code == 400
    description = resp.json[0]["description"] if fmt == "json" else xml(resp).find("error/description").text
    assert description.startswith(message), description


def test_unknown_request_and_token_are_404(client) -> None:
    for url in ("requests/ABCDEFGHJK.json", "requests/not-a-code.json", "tokens/ABCDEFGHJK.json"):
        resp = client.get(f"{BASE}/{url}")
        assert resp.status_code == 404 and resp.json[0]["code"] == 404, url
    assert xml(client.get(f"{BASE}/requests/ABCDEFGHJK.xml")).tag == "errors"


def test_token_resolves_to_the_service_request_id(client, post) -> None:
    token = post().json[0]["token"]
    assert client.get(f"{BASE}/tokens/{token}.json").json == [{"service_request_id": token, "token": token}]
    root = xml(client.get(f"{BASE}/tokens/{token}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == token


def test_the_new_ticket_is_in_history_and_the_outbox_like_every_channel(app, post) -> None:
    """The one history writer records the created event and queues the receipt SMS in the outbox;
    a refused request writes neither."""
    import sqlalchemy as sa

    from callcentre.core.extensions import db
    from callcentre.models import NotificationOutbox, TicketEvent

    code = post().json[0]["service_request_id"]
    assert post(phone=None).status_code == 400
    with app.app_context():
        events = db.session.execute(sa.select(TicketEvent.id, TicketEvent.kind, TicketEvent.to_status)).all()
        outbox = db.session.scalars(sa.select(NotificationOutbox.event_id)).all()
    [(event_id, kind, to_status)] = events
    assert (kind, to_status) == ("created", "received") and outbox == [event_id]
    assert ticket_id(app, code) is not None
