"""The routing rules screen (/admin/routing): admin only, CSRF, refusals beside the field, every
change audited; in a real browser: add, filter, edit, delete with confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db
from callcentre.models import AuditEvent
from callcentre.models.routing import RoutingRule
from tests.services.routing_data import MY_THO, TAN_HUONG, place_setup, restored_org
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit

PAGE = "/admin/routing"


@pytest.fixture(autouse=True)
def org(app: Flask) -> Iterator[None]:
    yield from restored_org(app)


@pytest.fixture()
def place(app: Flask) -> dict[str, str]:
    with app.app_context():
        return place_setup()


def signed_in(client: FlaskClient, username: str = "admin") -> FlaskClient:
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _rules(app: Flask) -> list[tuple[str, str, str, bool]]:
    with app.app_context():
        return [(r.category.code, r.commune_code, r.department.code, r.active)
                for r in db.session.scalars(sa.select(RoutingRule).order_by(RoutingRule.id))]


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.target_type == "routing_rule")
                                       .order_by(AuditEvent.id)))


def _one_rule(app: Flask) -> int:
    with app.app_context():
        from callcentre.services import routing

        with app.test_request_context():
            rule = routing.create_rule({"category": "ZZ-TINH", "commune_code": TAN_HUONG, "department": "ZZ-SO2"},
                                       None)
            db.session.commit()
            return rule.id


@pytest.mark.parametrize("user", ["operator", "officer", "head", "officer_ct", "supervisor", None])
def test_only_an_admin_may_open_or_change_the_rules(app, place, user: str | None) -> None:
    rule_id = _one_rule(app)
    client = app.test_client()
    if user:
        signed_in(client, user)
    body = {"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO"}
    answers = [client.get(PAGE), client.post(PAGE, data=body), client.get(f"{PAGE}/{rule_id}"),
               client.post(f"{PAGE}/{rule_id}", data=body), client.get(f"{PAGE}/{rule_id}/delete"),
               client.post(f"{PAGE}/{rule_id}/delete")]
    for resp in answers:
        if user is None:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"]
        else:
            assert resp.status_code == 403
    assert _rules(app) == [("ZZ-TINH", TAN_HUONG, "ZZ-SO2", True)] and _actions(app) == ["routing_rule_create"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_pages_are_valid_and_labelled(app, place, lang: str) -> None:
    rule_id = _one_rule(app)
    client = app.test_client()
    client.get(f"/lang/{lang}")
    signed_in(client)
    for path in (PAGE, f"{PAGE}?category=ZZ-TINH&commune_code={TAN_HUONG}", f"{PAGE}/{rule_id}",
                 f"{PAGE}/{rule_id}/delete", "/admin"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        _audit(resp.get_data(as_text=True), f"{path} ({lang})")
    home = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/routing"' in home


def test_filters_show_only_matching_rules_and_ignore_what_names_nothing(app, place) -> None:
    _one_rule(app)
    client = signed_in(app.test_client())
    assert client.post(PAGE, data={"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO2",
                                   "active": "y"}).status_code == 302
    def rows(query: str) -> list[str]:
        return re.findall(r'<tr id="rule-(\d+)"', client.get(f"{PAGE}?{query}").get_data(as_text=True))
    assert len(rows("")) == 2
    assert len(rows("category=ZZ-VESINH")) == 1 and len(rows(f"commune_code={TAN_HUONG}")) == 1
    assert len(rows(f"category=ZZ-VESINH&commune_code={TAN_HUONG}")) == 0
    for junk in ("category=%00", "commune_code=" + "9" * 5000, "category=NOPE", "page=" + "9" * 30):
        resp = client.get(f"{PAGE}?{junk}")
        assert resp.status_code in (200, 400), junk
    assert len(rows("category=NOPE")) == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"commune_code": "99999"}, "commune_code", "Mã xã/phường không có trong tỉnh: 99999"),
    ({"commune_code": ""}, "commune_code", "Bắt buộc chọn"),
    ({"category": "NOPE"}, "category", "Không có lĩnh vực mã NOPE"),
    ({"department": "X" * 300}, "department", "Không có đơn vị mã " + "X" * 40),
])
def test_a_refused_field_is_shown_beside_it_and_nothing_written(app, place, data, field, message) -> None:
    client = signed_in(app.test_client())
    body = {"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO", "active": "y", **data}
    resp = client.post(PAGE, data=body)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(rf'<p class="error" id="{field}-msg">{re.escape(message)}</p>', html), html[-3000:]
    _audit(html, "refused")
    assert _rules(app) == [] and _actions(app) == []


def test_a_second_rule_for_the_same_place_is_refused_with_409(app, place) -> None:
    rule_id = _one_rule(app)
    client = signed_in(app.test_client())
    resp = client.post(PAGE, data={"category": "ZZ-TINH", "commune_code": TAN_HUONG, "department": "ZZ-SO"})
    assert resp.status_code == 409 and "Đã có quy tắc cho lĩnh vực này" in resp.get_data(as_text=True)
    assert client.get(f"{PAGE}/{rule_id + 1000}").status_code == 404
    assert client.post(f"{PAGE}/{2**31}/delete").status_code == 404
    assert len(_rules(app)) == 1


def test_without_the_csrf_token_nothing_changes(app, place, make_app) -> None:
    rule_id = _one_rule(app)
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login_page)
    assert token is not None
    assert client.post("/login", data={"username": "admin", "password": PASSWORD,
                                       "csrf_token": token.group(1)}).status_code == 302
    body = {"category": "ZZ-VESINH", "commune_code": MY_THO, "department": "ZZ-SO"}
    for path in (PAGE, f"{PAGE}/{rule_id}", f"{PAGE}/{rule_id}/delete"):
        assert client.post(path, data=body).status_code == 400, path
    assert _rules(app) == [("ZZ-TINH", TAN_HUONG, "ZZ-SO2", True)] and _actions(app) == ["routing_rule_create"]


def test_admin_adds_filters_edits_and_deletes_a_rule_in_the_browser(app, place, new_page) -> None:
    page = new_page()
    login(page, "admin")
    page.goto("/admin")
    page.get_by_role("link", name="Phân công theo địa bàn").click()
    page.wait_for_url("**/admin/routing")
    page.select_option("#category", "ZZ-VESINH")
    page.select_option("#commune_code", MY_THO)
    page.select_option("#department", "ZZ-SO2")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm quy tắc").click()
    assert "Đã thêm quy tắc phân công" in page.inner_text("main")
    row = page.locator("#rules tbody tr").first
    assert "Phường Mỹ Tho" in row.inner_text() and "ZZ-SO2" in row.inner_text()
    shoot(page, "admin-routing")
    # A refused add keeps the typed values and says why beside the field.
    page.select_option("#category", "ZZ-VESINH")
    page.select_option("#commune_code", MY_THO)
    page.select_option("#department", "ZZ-SO")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm quy tắc").click()
    assert "Đã có quy tắc cho lĩnh vực này ở xã/phường này" in page.inner_text("#commune_code-msg")
    assert page.locator("#department").input_value() == "ZZ-SO"
    shoot(page, "admin-routing-refused")
    # Filter by commune.
    page.select_option("#f-commune", TAN_HUONG)
    with page.expect_navigation():
        page.get_by_role("button", name="Lọc").click()
    assert page.locator("#rules tbody").inner_text().strip() == "Không có mục nào"
    page.get_by_role("link", name="Bỏ lọc").click()
    # Edit: to another department, paused.
    with page.expect_navigation():
        page.locator("#rules tbody tr").first.get_by_role("link", name="Sửa").click()
    page.select_option("#department", "ZZ-SO")
    page.get_by_label("Đang áp dụng").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu").click()
    assert _rules(app) == [("ZZ-VESINH", MY_THO, "ZZ-SO", False)]
    assert "Tạm ngừng" in page.locator("#rules tbody tr").first.inner_text()
    # Delete asks first; cancelling keeps it.
    with page.expect_navigation():
        page.locator("#rules tbody tr").first.get_by_role("link", name="Xóa").click()
    assert "Xóa quy tắc số" in page.inner_text("#confirm-h")
    shoot(page, "admin-routing-delete")
    with page.expect_navigation():
        page.get_by_role("link", name="Hủy").click()
    assert len(_rules(app)) == 1
    with page.expect_navigation():
        page.locator("#rules tbody tr").first.get_by_role("link", name="Xóa").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Xóa quy tắc").click()
    assert "Đã xóa quy tắc phân công" in page.inner_text("main") and _rules(app) == []
    assert _actions(app) == ["routing_rule_create", "routing_rule_update", "routing_rule_delete"]
