"""/cong-khai in a real browser (phone first), the resolve form's publication checkbox, the
supervisor's later change, and the categories screen's default."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Category, Ticket
from tests.conftest import fire, ticket_payload
from tests.services.public_answers_data import (
    CODE,
    NAME,
    OTHER,
    PHONE_TYPED,
    add_ticket,
    categories,  # noqa: F401  (a fixture)
    personal_bits,
)
from tests.web.conftest import PHONE, login, shoot
from tests.web.test_html_valid import _audit

pytestmark = pytest.mark.usefixtures("categories")


def _seed(app) -> dict[str, str]:
    with app.app_context():
        made = {
            "lamp": add_ticket(answer=f"Kính gửi bà {NAME}: đã thay bóng đèn đường hỏng trên tuyến Nguyễn Huệ, "
                                      "đèn sáng lại từ tối 12/5.", answered_days_ago=1),
            "waste": add_ticket(category=OTHER, commune="28249", address="ấp Bình Đức", answered_days_ago=2,
                                answer="Tổ thu gom đã dọn điểm rác tự phát và đặt biển cấm đổ rác."),
            "secret": add_ticket(confidential=True, answer="BÍ MẬT"),
            "private": add_ticket(published=False, answer="RIÊNG TƯ"),
        }
        db.session.commit()
        return {k: t.receipt_code for k, t in made.items()}


def test_published_answers_on_a_phone(app, new_page) -> None:
    codes = _seed(app)
    page = new_page(viewport=PHONE)
    page.goto("/cong-khai")
    assert page.locator("h1").inner_text() == "Trả lời phản ánh, kiến nghị được công khai"
    rows = page.locator("li.answer-row")
    assert rows.count() == 2
    html = page.content()
    for bit in [*personal_bits(), "BÍ MẬT", "RIÊNG TƯ", codes["secret"], codes["private"]]:
        assert bit not in html, bit
    assert "Kính gửi bà ***: đã thay bóng đèn đường" in rows.first.inner_text()
    shoot(page, "public-answers")
    # Filter with the keyboard-reachable form: a field and words without diacritics.
    page.get_by_label("Lĩnh vực").select_option(OTHER)
    page.get_by_label("Tìm trong nội dung trả lời").fill("bien cam")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm").click()
    assert f"category={OTHER}" in page.url
    assert rows.count() == 1 and "Rác thải sinh hoạt thử" in rows.first.inner_text()
    assert "Phường Đạo Thạnh" in rows.first.inner_text() and "ấp Bình Đức" in rows.first.inner_text()
    shoot(page, "public-answers-filtered")
    with page.expect_navigation():
        rows.first.get_by_role("link").first.click()
    assert page.url.endswith(f"/t/{codes['waste']}")


def test_page_html_and_a_refused_filter_beside_its_field(app, client) -> None:
    _seed(app)
    ok = client.get("/cong-khai?per_page=1")
    assert ok.status_code == 200
    _audit(ok.get_data(as_text=True), "public /cong-khai")
    assert re.search(r'rel="next"', ok.get_data(as_text=True))  # the pager: 2 answers, 1 a page
    refused = client.get("/cong-khai?q=0987654321")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="q-msg">Hãy nhập ít nhất 2 chữ cái' in body and "answer-row" not in body
    _audit(body, "public /cong-khai refused")
    assert client.get("/cong-khai?category=NO-SUCH").status_code == 422
    en = app.test_client()
    en.get("/lang/en")
    english = en.get("/cong-khai").get_data(as_text=True)
    assert "Published answers to reports and petitions" in english and "All categories" in english


def _in_progress(api_as) -> dict:
    body = ticket_payload(category=CODE, contact={"phone": PHONE_TYPED, "name": NAME})
    ticket = api_as("operator").post("/api/v1/tickets", body).json
    fire(api_as("operator"), ticket["id"], "assign", department="SCT")
    fire(api_as("officer_ct"), ticket["id"], "accept")
    return ticket


def _published(app, ticket_id: int) -> bool:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).published


def test_the_resolve_form_asks_and_a_supervisor_changes_it(app, api_as, new_page) -> None:
    with app.app_context():
        db.session.scalar(sa.select(Category).where(Category.code == CODE)).publish_by_default = True
        db.session.commit()
    t = _in_progress(api_as)
    page = new_page()
    login(page, "officer_ct")
    page.goto(f"/tickets/{t['id']}")
    page.locator("#trigger-resolve summary").click()
    box = page.locator("#resolve-publish")
    assert box.is_checked()  # the category's default
    assert "Mặc định của lĩnh vực: công khai" in page.locator("#resolve-publish-hint").inner_text()
    box.uncheck()
    page.locator("#resolve-answer").fill("Đã thay bóng đèn đường hỏng.")
    shoot(page, "resolve-publish-checkbox")
    with page.expect_navigation():
        page.locator("#trigger-resolve button[type=submit]").click()
    assert not _published(app, t["id"])
    assert "Trả lời không được công khai." in page.locator(".publication").inner_text()
    assert page.locator("#publication-published").count() == 0  # department staff: no later change
    sup = new_page()
    login(sup, "supervisor")
    sup.goto(f"/tickets/{t['id']}")
    sup.locator("#publication-published").check()
    with sup.expect_navigation():
        sup.get_by_role("button", name="Lưu quyết định công khai").click()
    assert "Đã công khai trả lời" in sup.locator(".flash").inner_text()
    assert _published(app, t["id"])
    shoot(sup, "publication-supervisor")
    anon = new_page(viewport=PHONE)
    anon.goto("/cong-khai")
    assert anon.locator("li.answer-row").count() == 1


def test_a_confidential_ticket_offers_no_publication(app, api_as, client) -> None:
    body = ticket_payload(category=CODE, confidential=True, contact={"phone": PHONE_TYPED, "name": NAME})
    t = api_as("operator").post("/api/v1/tickets", body).json
    fire(api_as("operator"), t["id"], "assign", department="SCT")
    fire(api_as("officer_ct"), t["id"], "accept")
    client.post("/login", data={"username": "officer_ct", "password": "Demo@1022"})
    page = client.get(f"/tickets/{t['id']}").get_data(as_text=True)
    assert re.search(r'id="resolve-publish"[^>]*disabled', page.replace("\n", " "))
    assert "Phiếu bảo mật: không bao giờ được công khai." in page
    # A forged "1" is refused beside the checkbox, nothing written.
    resp = client.post(f"/tickets/{t['id']}/fire", data={"trigger": "resolve", "answer": "Đã xử lý.",
                                                         "publish": ["0", "1"]})
    assert resp.status_code == 422 and "Phiếu bảo mật không được công khai trả lời" in resp.get_data(as_text=True)
    resp = client.post(f"/tickets/{t['id']}/fire", data={"trigger": "resolve", "answer": "Đã xử lý.",
                                                         "publish": "yes"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.get(Ticket, t["id"]).status == "in_progress"


def test_the_categories_screen_edits_the_default(app, client) -> None:
    client.post("/login", data={"username": "admin", "password": "Demo@1022"})
    form = client.get(f"/admin/categories/{CODE}").get_data(as_text=True)
    assert 'name="publish_by_default"' in form
    resp = client.post(f"/admin/categories/{CODE}", data={"name_vi": "Chiếu sáng đô thị thử", "name_en": "Lighting",
                                                          "default_department": "SCT", "level": "province",
                                                          "active": "y", "publish_by_default": "y"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Category.publish_by_default).where(Category.code == CODE)) is True
    listing = client.get("/admin/categories?per_page=100").get_data(as_text=True)
    assert "Mặc định công khai" in listing
    client.post(f"/admin/categories/{CODE}", data={"name_vi": "Chiếu sáng đô thị thử", "default_department": "SCT",
                                                   "level": "province", "active": "y"})
    with app.app_context():
        assert db.session.scalar(sa.select(Category.publish_by_default).where(Category.code == CODE)) is False
