"""/phan-anh in headless Chromium on a 390×844 phone screen: a report end to end with the code read
from the SMS the local Twilio stand-in received, a wrong code, an expired code, and "+1" on a
report nearby. The server app sends SMS through the real twilio SDK and keeps CSRF on."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select, update
from werkzeug.serving import make_server

from callcentre.core.extensions import db
from callcentre.models import OneTimeCode, Ticket, TicketMedia
from callcentre.models.types import utcnow
from tests.api.test_public_reports_api import CATEGORY, COMMUNE, ensure_categories
from tests.integrations.conftest import TELEPHONY_CONFIG, fake_twilio, run_jobs  # noqa: F401  (fixtures)
from tests.web.conftest import PHONE, shoot

MOBILE = "0912345678"
E164 = "+84912345678"


@pytest.fixture()
def site(app, make_app, fake_twilio, browser) -> Iterator[tuple[Any, Callable[[], Any]]]:  # noqa: F811
    """The app served over HTTP (SMS to the stand-in), and ``open_page()``: a fresh phone-sized
    browser context on it; any Content-Security-Policy violation fails the test."""
    ensure_categories(app)
    served = make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, "WTF_CSRF_ENABLED": True,
                         "RATELIMIT_PUBLIC": "1000 per minute", "OTP_RESEND_SECONDS": 0})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    contexts, blocked = [], []

    def open_page() -> Any:
        ctx = browser.new_context(viewport=PHONE, locale="vi-VN", base_url=f"http://127.0.0.1:{server.server_port}")
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
        return page

    yield served, open_page
    for ctx in contexts:
        ctx.close()
    server.shutdown()
    thread.join(5)
    assert blocked == []


def sms_code(fake, phone: str = E164) -> str:
    bodies = [m["Body"] for m in fake.messages if m["To"] == phone and "Mã xác minh" in m["Body"]]
    assert bodies, f"no code reached {phone}"
    return re.search(r"\b(\d{6})\b", bodies[-1]).group(1)  # type: ignore[union-attr]


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 0)).save(buf, "PNG")
    return buf.getvalue()


def fill_report(page: Any, phone: str = MOBILE) -> None:
    page.goto("/phan-anh")
    page.fill("#category-search", "den duong")  # without diacritics: "Đèn đường hỏng"
    assert page.eval_on_selector("#category", "s => s.value") == CATEGORY
    page.fill("#description", "Đèn đường trước chợ hỏng ba ngày nay, tối rất nguy hiểm")
    page.select_option("#commune_code", COMMUNE)
    page.fill("#address", "12 Lê Lợi")
    page.fill("#phone", phone)


def send_code(page: Any) -> None:
    page.click("#send-code")
    page.wait_for_function("() => document.getElementById('phone-msg').textContent.indexOf('Đã gửi mã') !== -1")


def test_a_citizen_files_a_report_end_to_end(site, fake_twilio, run_jobs) -> None:  # noqa: F811
    app, open_page = site
    page = open_page()
    fill_report(page)
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6)  # near Mỹ Tho
    assert page.input_value("#lat") and page.input_value("#lng")
    assert re.search(r"Đã chọn điểm: 10\.\d+, 10[56]\.\d+", page.text_content("#map-point"))
    page.set_input_files("#media", files=[{"name": "den.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.fill("#name", "Nguyễn Văn An")
    send_code(page)
    page.fill("#otp", sms_code(fake_twilio))
    shoot(page, "citizen-report-form")
    with page.expect_navigation():
        page.click("#submit-report")
    assert "/phan-anh/da-gui/" in page.url
    code = page.url.rsplit("/", 1)[1]
    assert page.text_content("#receipt-code").replace("-", "") == code
    page.wait_for_function("() => document.querySelector('.qr img').naturalWidth > 0")  # the QR code loaded
    shoot(page, "citizen-report-done")
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert (ticket.receipt_code, ticket.channel, ticket.category.code, ticket.commune_code) == \
            (code, "web", CATEGORY, COMMUNE)
        assert ticket.lat is not None and 10.05 <= ticket.lat <= 11.05 and ticket.contact.name == "Nguyễn Văn An"
        assert len(db.session.scalars(select(TicketMedia)).all()) == 1
    run_jobs(app)
    assert any(code in m["Body"] for m in fake_twilio.messages if m["To"] == E164)  # the receipt SMS
    page.reload()  # a reload of the receipt files nothing again
    with app.app_context():
        assert len(db.session.scalars(select(Ticket)).all()) == 1


def test_a_wrong_code_is_shown_beside_the_field_and_files_nothing(site, fake_twilio) -> None:  # noqa: F811
    app, open_page = site
    page = open_page()
    fill_report(page)
    send_code(page)
    right = sms_code(fake_twilio)
    page.fill("#otp", f"{(int(right) + 1) % 1_000_000:06d}")
    page.click("#submit-report")
    page.wait_for_selector("#otp-msg.error")
    assert "không đúng" in page.text_content("#otp-msg") and "còn 4 lần thử" in page.text_content("#otp-msg")
    assert page.input_value("#description").startswith("Đèn đường trước chợ")  # what was typed stays
    assert page.input_value("#phone") == MOBILE
    shoot(page, "citizen-report-wrong-code")
    with app.app_context():
        assert db.session.scalars(select(Ticket)).all() == []
    page.fill("#otp", right)  # the right code still works
    with page.expect_navigation():
        page.click("#submit-report")
    assert "/phan-anh/da-gui/" in page.url


def test_an_expired_code_asks_for_a_new_one(site, fake_twilio) -> None:  # noqa: F811
    app, open_page = site
    page = open_page()
    fill_report(page)
    send_code(page)
    with app.app_context():
        db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page.fill("#otp", sms_code(fake_twilio))
    page.click("#submit-report")
    page.wait_for_selector("#otp-msg.error")
    assert "hết hạn" in page.text_content("#otp-msg")
    shoot(page, "citizen-report-expired-code")
    with app.app_context():
        assert db.session.scalars(select(Ticket)).all() == []


def test_plus_one_on_a_report_nearby(site, fake_twilio) -> None:  # noqa: F811
    app, open_page = site
    client = app.test_client()
    assert client.post("/api/v1/public/reports/otp", json={"phone": "0987654321"}).status_code == 202
    first = client.post("/api/v1/public/reports", json={
        "phone": "0987654321", "otp": sms_code(fake_twilio, "+84987654321"), "category": CATEGORY,
        "description": "Đèn đường hỏng", "commune_code": COMMUNE, "address": "45/2 Lê Lợi"}).json
    page = open_page()
    fill_report(page)
    page.wait_for_selector("#nearby:not([hidden]) #nearby-list li")
    listed = page.text_content("#nearby-list")
    assert first["receipt_code_display"] in listed and "Lê Lợi" in listed
    assert "45/2" not in listed and "Đèn đường hỏng" not in listed.split("—")[1]  # no house number, no words
    page.check(f"input[name=follow][value='{first['receipt_code']}']")
    send_code(page)
    page.fill("#otp", sms_code(fake_twilio))
    shoot(page, "citizen-report-nearby")
    with page.expect_navigation():
        page.click("#submit-report")
    assert "đang theo dõi phản ánh" in page.text_content("main")
    assert first["receipt_code_display"] in page.text_content("main")
    shoot(page, "citizen-report-followed")
    with app.app_context():
        main = db.session.scalars(select(Ticket).where(Ticket.receipt_code == first["receipt_code"])).one()
        follower = db.session.scalars(select(Ticket).where(Ticket.id != main.id)).one()
        assert follower.duplicate_of_id == main.id and follower.status == "duplicate"


def test_the_pages_are_valid_html_in_both_languages(site, fake_twilio) -> None:  # noqa: F811
    from tests.web.test_html_valid import _audit

    app, _open = site
    client = app.test_client()
    client.post("/api/v1/public/reports/otp", json={"phone": MOBILE})
    code = client.post("/api/v1/public/reports", json={
        "phone": MOBILE, "otp": sms_code(fake_twilio), "category": CATEGORY, "description": "Đèn hỏng",
        "commune_code": COMMUNE}).json["receipt_code"]
    for lang in ("vi", "en"):
        client.get(f"/lang/{lang}")
        for path in ("/phan-anh", f"/phan-anh/da-gui/{code}"):
            resp = client.get(path)
            assert resp.status_code == 200, path
            _audit(resp.get_data(as_text=True), f"{path} ({lang})")
    assert client.get("/phan-anh/da-gui/NOTACODE1").status_code == 422
    assert "/phan-anh" in client.get("/t").get_data(as_text=True)  # linked from the lookup page


def test_without_javascript_the_form_posts_for_the_code_and_files_once(app, make_app, fake_twilio, count) -> None:  # noqa: F811
    ensure_categories(app)
    client = make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url}).test_client()
    form = {"category": CATEGORY, "description": "Đèn đường hỏng", "commune_code": COMMUNE, "address": "12 Lê Lợi",
            "phone": MOBILE, "otp": "", "follow": ""}
    asked = client.post("/phan-anh/ma", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Đã gửi mã xác minh đến số 0912345678" in page
    assert "Đèn đường hỏng</textarea>" in page  # what was typed comes back
    again = client.post("/phan-anh/ma", data={**form, "phone": "12"})
    assert again.status_code == 422 and "Số điện thoại không hợp lệ" in again.get_data(as_text=True)
    hostile = client.post("/phan-anh", data={**form, "description": "a\x00b", "otp": sms_code(fake_twilio)})
    assert hostile.status_code == 422 and "ký tự không hợp lệ" in hostile.get_data(as_text=True)
    filed = client.post("/phan-anh", data={**form, "otp": sms_code(fake_twilio)})
    assert filed.status_code == 303 and "/phan-anh/da-gui/" in filed.headers["Location"]
    twice = client.post("/phan-anh", data={**form, "otp": sms_code(fake_twilio)})  # a double submit
    assert twice.status_code == 409 and "đã được dùng" in twice.get_data(as_text=True)
    assert count(Ticket) == 1
