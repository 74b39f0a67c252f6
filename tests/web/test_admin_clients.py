"""The Open311 clients screen (``/admin/api-clients``) and the admin API's audit rows.

Who may open what, the API's rules (422/409 beside the field, typed value kept, nothing
written), the key shown once (only in the answer to the POST, never cached, never in the list,
the audit row or a log), and a key made on the screen that files a report until revoked.
"""

from __future__ import annotations

import html
import json
import logging
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db
from callcentre.models import ApiClient, AuditEvent
from tests.open311.conftest import BASE, form, new_key
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit as assert_valid_html

KEY = re.compile(r'id="api-key"[^>]*value="(o311_[A-Za-z0-9_-]+)"')


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def _audits(app: Flask) -> list[AuditEvent]:
    """The client changes audited, but for those of ``new_key`` (the fixtures' own, labelled "test")."""
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("api_client_%"),
                                                              AuditEvent.actor_label != "test")
                                  .order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(rows)


def _clients(app: Flask) -> dict[str, ApiClient]:
    with app.app_context():
        rows = db.session.scalars(sa.select(ApiClient)).all()
        db.session.expunge_all()
        return {r.name: r for r in rows}


def _create(client: FlaskClient, name: str) -> tuple[int, str]:
    resp = client.post("/admin/api-clients", data={"name": name})
    return resp.status_code, resp.get_data(as_text=True)


def test_every_route_is_admin_only(app: Flask) -> None:
    new_key(app, "existing")
    gets = ["/admin/api-clients", "/admin/api-clients/existing/revoke"]
    posts = [("/admin/api-clients", {"name": "never-made"}), ("/admin/api-clients/existing/revoke", {})]
    anonymous = app.test_client()
    for path in gets:
        resp = anonymous.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    for path, data in posts:
        resp = anonymous.post(path, data=data)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    for username in ("operator", "officer", "head", "supervisor"):
        client = _signed_in(app, username)
        for path in gets:
            assert client.get(path).status_code == 403, (username, path)
        for path, data in posts:
            assert client.post(path, data=data).status_code == 403, (username, path)
    assert set(_clients(app)) == {"existing"} and _clients(app)["existing"].revoked_at is None
    assert _audits(app) == []
    admin = _signed_in(app, "admin")
    for lang, word in (("vi", "Ứng dụng Open311"), ("en", "Open311 applications")):
        admin.get(f"/lang/{lang}")
        for path in gets:
            resp = admin.get(path)
            assert resp.status_code == 200 and resp.content_type == "text/html; charset=utf-8", path
            assert resp.headers["Cache-Control"] == "no-store", path
            assert_valid_html(resp.get_data(as_text=True), f"{path} ({lang})")
        assert word in admin.get("/admin/api-clients").get_data(as_text=True), lang
        assert "/admin/api-clients" in admin.get("/admin").get_data(as_text=True)  # the admin home links here


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("", 422, "Bắt buộc nhập"),
    ("Có Dấu", 422, "chữ thường không dấu"),
    ("x" * 33, 422, "Không được dài quá 32 ký tự"),
    ("-starts-with-dash", 422, "chữ thường không dấu"),
    ("nul\x00name", 422, "NUL"),
    ("existing", 409, "Đã có ứng dụng Open311 tên existing"),
])
def test_a_refused_name_is_shown_beside_the_field_and_nothing_is_written(
        app: Flask, name: str, status: int, reason: str) -> None:
    new_key(app, "existing")
    before = _clients(app)["existing"].key_hash
    code, page = _create(_signed_in(app, "admin"), name)
    assert code == status, page[:500]
    error = re.search(r'<p class="error" id="name-msg">([^<]*)</p>', page)
    assert error and reason in html.unescape(error.group(1)), page[:2000]
    assert 'aria-invalid="true"' in page
    if "\x00" not in name:  # the typed value is kept
        assert f'value="{html.escape(name)}"' in page or name == ""
    assert KEY.search(page) is None
    assert set(_clients(app)) == {"existing"} and _clients(app)["existing"].key_hash == before
    assert _audits(app) == []
    assert_valid_html(page, f"refused {name!r}")


def test_the_api_refuses_with_the_same_rules(app: Flask, api_as) -> None:
    api = api_as("admin")
    bad = api.post("/api/v1/api-clients", {"name": "Có Dấu"})
    assert bad.status_code == 422 and list(bad.json["errors"]["json"]) == ["name"]
    assert api.post("/api/v1/api-clients", {"name": "x" * 33}).status_code == 422
    assert api.post("/api/v1/api-clients", {"name": 12}).status_code == 422
    assert api.post("/api/v1/api-clients", {"name": "ok"}).status_code == 201
    dup = api.post("/api/v1/api-clients", {"name": "ok"})
    assert dup.status_code == 409 and dup.json["errors"]["json"]["name"]
    assert set(_clients(app)) == {"ok"} and len(_audits(app)) == 1


def test_the_key_is_shown_once_works_and_is_refused_once_revoked(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    admin = _signed_in(app, "admin")
    with caplog.at_level(logging.DEBUG):
        resp = admin.post("/admin/api-clients", data={"name": "fixmystreet"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    found = KEY.search(page)
    assert found, page[:2000]
    key = found.group(1)
    assert "chỉ hiển thị một lần" in page and "không hiển thị lại" in page
    assert_valid_html(page, "new key")
    assert key not in caplog.text

    row = _clients(app)["fixmystreet"]
    assert key.startswith(row.prefix) and key not in (row.key_hash, row.prefix)
    listed = admin.get("/admin/api-clients")
    assert key not in listed.get_data(as_text=True) and "fixmystreet" in listed.get_data(as_text=True)
    assert row.prefix in listed.get_data(as_text=True)
    with admin.session_transaction() as session:  # not kept for a later page either
        assert key not in json.dumps(dict(session), default=str)

    (created,) = _audits(app)
    assert (created.action, created.target_type, created.target_id) == ("api_client_create", "api_client",
                                                                        "fixmystreet")
    assert created.actor_label == "admin" and created.details["after"]["prefix"] == row.prefix
    assert key not in json.dumps(created.details) and row.key_hash not in json.dumps(created.details)

    # The key files a report, and the list shows when it was last used.
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 201
    assert _clients(app)["fixmystreet"].last_used_at is not None
    assert "Chưa dùng" not in admin.get("/admin/api-clients").get_data(as_text=True)

    confirm = admin.get("/admin/api-clients/fixmystreet/revoke")
    assert confirm.status_code == 200 and "Xác nhận thu hồi" in confirm.get_data(as_text=True)
    assert _clients(app)["fixmystreet"].revoked_at is None  # the confirm page changes nothing
    done = admin.post("/admin/api-clients/fixmystreet/revoke")
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/api-clients")
    assert "Đã thu hồi khóa của ứng dụng fixmystreet" in admin.get("/admin/api-clients").get_data(as_text=True)
    assert _clients(app)["fixmystreet"].revoked_at is not None
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 403

    revoked = _audits(app)[-1]
    assert (revoked.action, revoked.target_id, revoked.actor_label) == ("api_client_revoke", "fixmystreet", "admin")
    assert revoked.details["before"]["revoked_at"] is None and revoked.details["after"]["revoked_at"]
    # A second revoke: nothing to do, no second audit row; an unknown name: 404.
    assert admin.post("/admin/api-clients/fixmystreet/revoke").status_code == 303
    assert len(_audits(app)) == 2
    assert admin.get("/admin/api-clients/nobody/revoke").status_code == 404
    assert admin.post("/admin/api-clients/nobody/revoke").status_code == 404


def test_the_api_and_the_cli_are_audited_too(app: Flask, api_as) -> None:
    api = api_as("admin")
    resp = api.post("/api/v1/api-clients", {"name": "zalo"})
    assert resp.status_code == 201 and resp.headers["Cache-Control"].find("no-store") >= 0
    key = resp.json["api_key"]
    assert api._call("DELETE", "/api/v1/api-clients/zalo").status_code == 204
    assert api._call("DELETE", "/api/v1/api-clients/zalo").status_code == 204  # already: no row
    runner = app.test_cli_runner()
    assert runner.invoke(args=["apikeys", "create", "cli-app"]).exit_code == 0
    assert runner.invoke(args=["apikeys", "revoke", "cli-app"]).exit_code == 0
    rows = [(a.action, a.target_id, a.actor_label) for a in _audits(app)]
    assert rows == [("api_client_create", "zalo", "admin"), ("api_client_revoke", "zalo", "admin"),
                    ("api_client_create", "cli-app", "cli"), ("api_client_revoke", "cli-app", "cli")]
    assert all(key not in json.dumps(a.details) for a in _audits(app))


def test_a_forged_revoke_is_refused(app: Flask, web_app: Flask) -> None:
    """With CSRF on (as in production) a revoke without the form's token changes nothing."""
    new_key(app, "target")
    client = web_app.test_client()
    token = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    resp = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status_code == 302
    assert client.post("/admin/api-clients/target/revoke").status_code in (400, 422)
    assert client.post("/admin/api-clients", data={"name": "forged"}).status_code in (400, 422)
    assert set(_clients(app)) == {"target"} and _clients(app)["target"].revoked_at is None
    assert _audits(app) == []


# -- in a browser --------------------------------------------------------------------------------------

def test_admin_issues_and_revokes_a_key_in_the_browser(app: Flask, new_page, client: FlaskClient) -> None:
    page = new_page()
    login(page, "admin")
    page.get_by_role("link", name="Ứng dụng Open311").click()
    page.wait_for_url("**/admin/api-clients")
    region = page.get_by_role("region", name="Tạo ứng dụng mới")
    region.get_by_label("Tên ứng dụng").fill("Cổng Dịch Vụ")
    with page.expect_navigation():
        region.get_by_role("button", name="Tạo ứng dụng và cấp khóa").click()
    assert "chữ thường không dấu" in page.locator("p.error#name-msg").inner_text()
    assert page.get_by_label("Tên ứng dụng").input_value() == "Cổng Dịch Vụ"
    page.get_by_label("Tên ứng dụng").fill("cong-dich-vu")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo ứng dụng và cấp khóa").click()
    key = page.get_by_label("Khóa API").input_value()
    assert key.startswith("o311_") and key not in page.url
    assert "không hiển thị lại" in page.get_by_role("alert").inner_text()
    shoot(page, "admin-api-clients")
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 201

    page.goto("/admin/api-clients")
    assert key not in page.content()
    page.get_by_role("link", name="Thu hồi khóa của cong-dich-vu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Thu hồi khóa").click()
    assert "Đã thu hồi khóa của ứng dụng cong-dich-vu" in page.locator(".flash").inner_text()
    assert "Đã thu hồi" in page.locator("#client-cong-dich-vu").inner_text()
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 403
