"""POST /api/v1/public/reports/otp, POST /api/v1/public/reports, GET .../nearby: the citizen's web
report, through the real twilio SDK to a local stand-in for Twilio (tests/integrations/conftest.py)."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update

from callcentre.core.extensions import db
from callcentre.core.storage import get_storage
from callcentre.formats.geo import communes
from callcentre.models import Category, Contact, Department, OneTimeCode, Ticket, TicketMedia
from callcentre.models.types import utcnow
from tests.conftest import fire
from tests.integrations.conftest import TELEPHONY_CONFIG, fake_twilio, run_jobs  # noqa: F401  (fixtures)
from tests.open311.test_photo_privacy import gps_jpeg

OTP = "/api/v1/public/reports/otp"
REPORTS = "/api/v1/public/reports"
NEARBY = "/api/v1/public/reports/nearby"
PHONE, OTHER = "0912345678", "0987654321"
E164, OTHER_E164 = "+84912345678", "+84987654321"
CATEGORY, OTHER_CATEGORY = "H6-DEN-DUONG", "H6-RAC"
COMMUNE, OTHER_COMMUNE = sorted(communes())[:2]
POINT = (10.3600, 106.3600)  # Mỹ Tho


def ensure_categories(app) -> None:
    """Two categories of Sở Công Thương for these tests (the seed's may change): kept for the session."""
    with app.app_context():
        department = db.session.scalars(select(Department).where(Department.code == "SCT")).one()
        for code, name in ((CATEGORY, "Đèn đường hỏng"), (OTHER_CATEGORY, "Rác thải")):
            if db.session.scalar(select(Category).where(Category.code == code)) is None:
                db.session.add(Category(code=code, name_vi=name, name_en=name, search_text=name.lower(),
                                        default_department=department, active=True))
        db.session.commit()


@pytest.fixture()
def tel(app, make_app, fake_twilio):  # noqa: F811
    ensure_categories(app)

    def build(**overrides: Any):
        return make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, **overrides})
    return build


def code_for(fake, phone: str = E164) -> str:
    bodies = [m["Body"] for m in fake.messages if m["To"] == phone and "Mã xác minh" in m["Body"]]
    assert bodies, f"no code reached {phone}"
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)  # type: ignore[union-attr]


def report(**overrides: Any) -> dict[str, Any]:
    body = {"phone": PHONE, "category": CATEGORY, "description": "Đèn đường trước chợ hỏng ba ngày nay",
            "commune_code": COMMUNE, "address": "12 Lê Lợi", "name": "Nguyễn Văn An"}
    body.update(overrides)
    return body


def ask(client, phone: str = PHONE, **kw: Any):
    return client.post(OTP, json={"phone": phone}, **kw)


def nothing_written(count) -> None:
    assert count(Ticket) == 0 and count(Contact) == 0 and count(TicketMedia) == 0


def test_code_then_report_files_a_web_ticket_and_the_receipt_sms(tel, fake_twilio, run_jobs, count) -> None:  # noqa: F811
    app = tel()
    client = app.test_client()
    asked = ask(client)
    assert asked.status_code == 202, asked.json
    assert asked.json["phone"] == "+8491*****78" and asked.json["expires_at"] and asked.json["resend_at"]
    resp = client.post(REPORTS, json=report(otp=code_for(fake_twilio)))
    assert resp.status_code == 201, resp.json
    code = resp.json["receipt_code"]
    assert resp.json["lookup_url"] == f"https://1022.example.vn/t/{code}" and resp.json["followed"] is None
    assert resp.json["qr_svg"] == f"/api/v1/public/tickets/{code}/qr.svg"
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert (ticket.channel, ticket.category.code, ticket.commune_code, ticket.contact.phone,
                ticket.contact.name) == ("web", CATEGORY, COMMUNE, E164, "Nguyễn Văn An")
        assert db.session.scalars(select(OneTimeCode)).one().used_at is not None
    run_jobs(app)
    receipts = [m["Body"] for m in fake_twilio.messages if m["To"] == E164 and code in m["Body"]]
    assert len(receipts) == 1 and "đã tiếp nhận" in receipts[0]
    # The public lookup shows the case, not the citizen's words.
    public = client.get(f"/api/v1/public/tickets/{code}").json
    assert public["status"] == "received" and "description" not in public


def test_a_wrong_code_is_422_writes_nothing_and_the_right_one_still_works(tel, fake_twilio, count) -> None:  # noqa: F811
    client = tel().test_client()
    ask(client)
    code = code_for(fake_twilio)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    resp = client.post(REPORTS, json=report(otp=wrong))
    assert resp.status_code == 422 and "còn 4 lần thử" in resp.json["errors"]["json"]["otp"][0]
    nothing_written(count)
    english = client.post(REPORTS, json=report(otp=wrong), headers={"Accept-Language": "en"})
    assert english.status_code == 422 and english.json["errors"]["json"]["otp"] == ["Wrong code; 3 tries left."]
    assert client.post(REPORTS, json=report(otp=code)).status_code == 201


def test_an_expired_code_is_410_and_writes_nothing(tel, fake_twilio, count) -> None:  # noqa: F811
    app = tel()
    client = app.test_client()
    ask(client)
    with app.app_context():
        db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    resp = client.post(REPORTS, json=report(otp=code_for(fake_twilio)))
    assert resp.status_code == 410 and "hết hạn" in resp.json["errors"]["json"]["otp"][0]
    nothing_written(count)


def test_a_reused_code_is_409_and_makes_no_second_ticket(tel, fake_twilio, count) -> None:  # noqa: F811
    client = tel().test_client()
    ask(client)
    code = code_for(fake_twilio)
    assert client.post(REPORTS, json=report(otp=code)).status_code == 201
    again = client.post(REPORTS, json=report(otp=code, description="Lần nữa"))
    assert again.status_code == 409 and "đã được dùng" in again.json["errors"]["json"]["otp"][0]
    assert count(Ticket) == 1


def test_no_code_and_too_many_tries(tel, fake_twilio, count) -> None:  # noqa: F811
    client = tel().test_client()
    none = client.post(REPORTS, json=report(otp="123456"))
    assert none.status_code == 422 and "Chưa có mã" in none.json["errors"]["json"]["otp"][0]
    ask(client)
    code = code_for(fake_twilio)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    statuses = [client.post(REPORTS, json=report(otp=wrong)).status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    late = client.post(REPORTS, json=report(otp=code))
    assert late.status_code == 429 and "mã mới" in late.json["errors"]["json"]["otp"][0]
    nothing_written(count)


def test_resend_too_soon_is_429_with_retry_after(tel, fake_twilio, count) -> None:  # noqa: F811
    client = tel().test_client()
    assert ask(client).status_code == 202
    again = ask(client, "+84 912 345 678")  # the same phone, written otherwise
    assert again.status_code == 429 and 55 <= int(again.headers["Retry-After"]) <= 60
    assert "đợi" in again.json["errors"]["json"]["phone"][0]
    assert len(fake_twilio.messages) == 1 and count(OneTimeCode) == 1


def test_codes_per_client_address_are_limited(tel, fake_twilio, count) -> None:  # noqa: F811
    client = tel(OTP_ADDRESS_HOURLY=2).test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert [ask(client, p).status_code for p in ("0912000001", "0912000002", "0912000003")] == [202, 202, 429]
    assert count(OneTimeCode) == 2 and len(fake_twilio.messages) == 2
    client.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert ask(client, "0912000003").status_code == 202


def test_an_opted_out_phone_still_gets_the_code_and_can_report(tel, fake_twilio, count) -> None:  # noqa: F811
    app = tel()
    with app.app_context():
        db.session.add(Contact(phone=E164, sms_opted_out_at=utcnow()))
        db.session.commit()
    client = app.test_client()
    assert ask(client).status_code == 202
    assert client.post(REPORTS, json=report(otp=code_for(fake_twilio))).status_code == 201


def png(color: tuple[int, int, int] = (0, 128, 0)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, "PNG")
    return buf.getvalue()


def test_multipart_photos_are_checked_and_stored_without_metadata(tel, fake_twilio, count) -> None:  # noqa: F811
    app = tel()
    client = app.test_client()
    ask(client)
    code = code_for(fake_twilio)
    fake = client.post(REPORTS, data={**report(otp=code), "media": [(io.BytesIO(b"not an image"), "anh.jpg")]},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "JPEG, PNG or WebP" in fake.json["errors"]["files"]["media"][0]
    four = client.post(REPORTS, data={**report(otp=code), "media": [(io.BytesIO(png()), f"{i}.png") for i in range(4)]},
                       content_type="multipart/form-data")
    assert four.status_code == 422 and "at most 3" in four.json["errors"]["files"]["media"][0]
    nothing_written(count)
    with app.app_context():
        assert db.session.scalars(select(OneTimeCode)).one().attempts == 0  # refused before the code was tried
    ok = client.post(REPORTS, data={**report(otp=code), "media": [(io.BytesIO(gps_jpeg()), "a.jpg"),
                                                                 (io.BytesIO(png()), "b.png")]},
                     content_type="multipart/form-data")
    assert ok.status_code == 201, ok.json
    with app.app_context():
        rows = db.session.scalars(select(TicketMedia).order_by(TicketMedia.id)).all()
        assert [m.content_type for m in rows] == ["image/jpeg", "image/png"]
        with get_storage().open(rows[0].storage_key or "") as stored:
            picture = Image.open(io.BytesIO(stored.read()))
            assert not picture.getexif() and "comment" not in picture.info


@pytest.mark.parametrize("overrides, location, field", [
    ({"description": "a\x00b"}, "json", "description"),
    ({"description": "x" * 5001}, "json", "description"),
    ({"description": "   "}, "json", "description"),
    ({"lat": 10.4}, "json", "lng"),
    ({"lat": 21.0, "lng": 105.8}, "json", "lat"),  # Hà Nội: not this province
    ({"lat": "NaN", "lng": 106.0}, "json", "lat"),
    ({"commune_code": "99999"}, "json", "commune_code"),
    ({"category": "NO-SUCH"}, "json", "category"),
    ({"otp": "12345a"}, "json", "otp"),
    ({"otp": "1234567"}, "json", "otp"),
    ({"phone": "12"}, "json", "phone"),
    ({"name": "n" * 201}, "json", "name"),
    ({"follow": "NOTACODE"}, "json", "follow"),
    ({"follow": "C32HFM3Y0T"}, "json", "follow"),  # well formed, names nothing
    ({"commune_code": None, "address": None}, "json", "commune_code"),
    ({"unexpected": "x"}, "json", "unexpected"),
])
def test_hostile_fields_get_a_4xx_naming_the_field_and_write_nothing(tel, fake_twilio, count, overrides, location,  # noqa: F811
                                                                     field) -> None:
    client = tel().test_client()
    ask(client)
    resp = client.post(REPORTS, json={**report(otp=code_for(fake_twilio)), **overrides})
    assert resp.status_code in (404, 422), resp.json
    assert field in resp.json["errors"][location], resp.json
    nothing_written(count)


def test_a_body_that_is_no_object_is_422(tel, count) -> None:
    client = tel().test_client()
    assert client.post(REPORTS, json=[1, 2]).status_code == 422
    assert client.post(OTP, json={"phone": "số của tôi"}).status_code == 422
    nothing_written(count)


def test_two_simultaneous_submissions_with_one_code_make_one_ticket(tel, fake_twilio, count) -> None:  # noqa: F811
    app = tel()
    ask(app.test_client())
    code = code_for(fake_twilio)
    start, statuses = threading.Barrier(2), []

    def submit() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post(REPORTS, json=report(otp=code)).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [201, 409]
    assert count(Ticket) == 1


def _file(client, fake, phone: str, **overrides: Any) -> dict[str, Any]:
    assert ask(client, phone).status_code == 202
    e164 = "+84" + phone[1:]
    resp = client.post(REPORTS, json=report(phone=phone, otp=code_for(fake, e164), **overrides))
    assert resp.status_code == 201, resp.json
    return resp.json


def test_nearby_lists_open_public_reports_like_it_with_public_fields_only(tel, fake_twilio, api_as) -> None:  # noqa: F811
    app = tel(OTP_RESEND_SECONDS=0)
    client = app.test_client()
    near = _file(client, fake_twilio, "0912000011", commune_code=OTHER_COMMUNE, lat=POINT[0], lng=POINT[1])
    same_commune = _file(client, fake_twilio, "0912000012")
    _file(client, fake_twilio, "0912000013", category=OTHER_CATEGORY)  # another category
    _file(client, fake_twilio, "0912000014", commune_code=OTHER_COMMUNE, lat=10.3700, lng=106.3600)  # 1.1 km off
    phoned = api_as("operator").post("/api/v1/tickets", {  # a call: private, never listed
        "channel": "phone", "category": CATEGORY, "description": "Gọi điện", "contact": {"phone": "0912000015"},
        "location": {"commune_code": COMMUNE}}).json
    old = _file(client, fake_twilio, "0912000016")
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.receipt_code == old["receipt_code"])
                           .values(created_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    found = client.get(NEARBY, query_string={"category": CATEGORY, "commune_code": COMMUNE,
                                             "lat": POINT[0] + 0.001, "lng": POINT[1]})
    assert found.status_code == 200
    items = found.json["items"]
    assert {i["receipt_code"] for i in items} == {near["receipt_code"], same_commune["receipt_code"]}
    assert phoned["receipt_code"] not in {i["receipt_code"] for i in items}
    item = next(i for i in items if i["receipt_code"] == same_commune["receipt_code"])
    assert item["address"] == "Lê Lợi" and item["commune_name"] == communes()[COMMUNE]  # no house number
    assert set(item) == {"receipt_code", "receipt_code_display", "category", "commune_code", "commune_name",
                         "address", "status", "status_label", "created_at"}
    assert "Đèn đường trước chợ" not in found.get_data(as_text=True)  # never the words
    assert client.get(NEARBY, query_string={"category": CATEGORY}).status_code == 422
    assert client.get(NEARBY, query_string={"category": CATEGORY, "lat": 10.3}).status_code == 422


def test_plus_one_follows_a_report_and_hears_its_answer(tel, fake_twilio, run_jobs, api_as) -> None:  # noqa: F811
    app = tel(OTP_RESEND_SECONDS=0)
    client = app.test_client()
    first = _file(client, fake_twilio, PHONE)
    ask(client, OTHER)
    follow = client.post(REPORTS, json={"phone": OTHER, "otp": code_for(fake_twilio, OTHER_E164),
                                        "follow": first["receipt_code_display"]})
    assert follow.status_code == 201, follow.json
    assert follow.json["followed"] == first["receipt_code"] and follow.json["receipt_code"] != first["receipt_code"]
    with app.app_context():
        mine = db.session.scalars(select(Ticket).where(Ticket.receipt_code == follow.json["receipt_code"])).one()
        main = db.session.scalars(select(Ticket).where(Ticket.receipt_code == first["receipt_code"])).one()
        assert (mine.status, mine.duplicate_of_id, mine.category.code, mine.commune_code) == \
            ("duplicate", main.id, CATEGORY, COMMUNE)
        main_id = main.id
    run_jobs(app)
    assert any(follow.json["receipt_code"] in m["Body"] for m in fake_twilio.messages if m["To"] == OTHER_E164)
    operator, officer = api_as("operator"), api_as("officer_ct")
    fire(operator, main_id, "assign")
    fire(officer, main_id, "accept")
    fire(officer, main_id, "resolve", answer="Đã thay bóng đèn.")
    run_jobs(app)
    told = [m["Body"] for m in fake_twilio.messages if m["To"] == OTHER_E164 and "Đã thay bóng đèn" in m["Body"]]
    assert len(told) == 1 and follow.json["receipt_code"] in told[0]
    # A closed report cannot be followed any more.
    ask(client, "0912000099")
    late = client.post(REPORTS, json={"phone": "0912000099", "otp": code_for(fake_twilio, "+84912000099"),
                                      "follow": first["receipt_code"]})
    assert late.status_code == 404 and "follow" in late.json["errors"]["json"]


def test_the_openapi_document_describes_the_endpoints(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert {OTP, REPORTS, NEARBY} <= set(spec["paths"])
    body = spec["paths"]["/api/v1/public/reports"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert {"PublicReportIn", "PublicReportOut", "OtpRequestIn", "NearbyPage"} <= set(spec["components"]["schemas"])
