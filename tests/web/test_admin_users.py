"""User administration: the admin home, the user screens and ``PATCH /api/v1/users/{id}``.

Who may open what, the same refusals as the API (422 beside the field, typed values kept,
nothing written), an audit row per change, and sessions that end on deactivation or a new password.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.models import ApiToken, AuditEvent, StaffSession, User
from tests.web.conftest import PASSWORD, login, shoot
from tests.web.test_html_valid import _audit as assert_valid_html

NEW_PASSWORD = "mật-khẩu-mới-đủ-dài-42"


@pytest.fixture()
def users_restored(app: Flask) -> Iterator[None]:
    """Users and tokens are kept for the whole session: put every account back as it was and
    delete the ones a test made (with their tokens and sessions)."""
    columns = ("role", "department_id", "full_name", "active", "password_hash")
    with app.app_context():
        saved = {u.id: {c: getattr(u, c) for c in columns} for u in db.session.scalars(sa.select(User))}
        tokens = set(db.session.scalars(sa.select(ApiToken.id)))
    yield
    with app.app_context():
        for user in db.session.scalars(sa.select(User)).all():
            if user.id in saved:
                for name, value in saved[user.id].items():
                    setattr(user, name, value)
        new_users = [i for i in db.session.scalars(sa.select(User.id)) if i not in saved]
        db.session.execute(sa.delete(StaffSession).where(StaffSession.user_id.in_(new_users)))
        db.session.execute(sa.delete(ApiToken).where(ApiToken.id.not_in(tokens)))
        db.session.execute(sa.delete(User).where(User.id.in_(new_users)))
        db.session.commit()


def _signed_in(app: Flask, username: str, password: str = PASSWORD):
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == username)).one()
        db.session.expunge(user)
        return user


def _audits(app: Flask, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        stmt = sa.select(AuditEvent).where(AuditEvent.action.not_in(("login", "login_failed", "logout")))
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        rows = db.session.scalars(stmt.order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return list(rows)


def _new_account(app: Flask, username: str, role: str = "operator", department: str | None = None) -> int:
    with app.app_context():
        from callcentre.services import accounts

        user = accounts.create_user(username, role, PASSWORD + "-x", department_code=department)
        db.session.commit()
        return user.id


# -- where admins land, who opens what -----------------------------------------------------------

def test_an_admin_lands_on_the_admin_home_with_every_admin_screen(app) -> None:
    client = app.test_client()
    resp = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin"
    assert client.get("/").headers["Location"] == "/admin"
    assert client.get("/login").headers["Location"] == "/admin"  # signed in already
    page = client.get("/admin").get_data(as_text=True)
    for path in ("/admin/users", "/admin/templates", "/admin/departments", "/admin/categories", "/admin/audit"):
        assert f'href="{path}"' in page, path
    assert "Quản trị" in page and "Nhật ký truy cập" in page
    # The other roles still land where they did.
    assert _signed_in(app, "supervisor").get("/").headers["Location"] == "/supervisor"
    assert _signed_in(app, "operator").get("/").headers["Location"] == "/operator"


def test_every_admin_screen_is_admin_only(app, users_restored) -> None:
    uid = _new_account(app, "rbac.tmp")
    with app.app_context():
        token = ApiToken.issue(db.session.get(User, uid), timedelta(days=1))[0]
        db.session.add(token)
        db.session.commit()
        token_id = token.id
    gets = ["/admin", "/admin/users", f"/admin/users/{uid}"]
    posts = [("/admin/users", {"username": "never.made", "role": "operator", "password": NEW_PASSWORD}),
             (f"/admin/users/{uid}", {"role": "supervisor", "department": "", "full_name": "X"}),
             (f"/admin/users/{uid}/active", {"active": "0"}),
             (f"/admin/users/{uid}/password", {"password": NEW_PASSWORD}),
             (f"/admin/users/{uid}/tokens/{token_id}/revoke", {})]
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
    # Nothing was done by the refused requests.
    with app.app_context():
        user = db.session.get(User, uid)
        assert user.active and user.role == "operator" and user.check_password(PASSWORD + "-x")
        assert db.session.get(ApiToken, token_id).revoked_at is None
        assert db.session.scalar(sa.select(User.id).where(User.username == "never.made")) is None
    assert _audits(app) == []
    admin = _signed_in(app, "admin")
    for lang, word in (("vi", "Tài khoản"), ("en", "Account")):
        admin.get(f"/lang/{lang}")
        for path in gets:
            resp = admin.get(path)
            assert resp.status_code == 200 and resp.content_type == "text/html; charset=utf-8", path
            assert word in resp.get_data(as_text=True), (lang, path)
            assert_valid_html(resp.get_data(as_text=True), f"{path} ({lang})")


def test_the_patch_route_is_admin_only(app, api_as, users_restored) -> None:
    uid = _new_account(app, "rbac.api")
    assert api_as(None).patch(f"/api/v1/users/{uid}", {"full_name": "X"}).status_code == 401
    for username in ("operator", "officer", "head", "supervisor"):
        assert api_as(username).patch(f"/api/v1/users/{uid}", {"full_name": "X"}).status_code == 403
    assert _user(app, "rbac.api").full_name == ""
    assert api_as("admin").patch(f"/api/v1/users/{uid}", {"full_name": "X"}).status_code == 200


# -- the list and creating an account ----------------------------------------------------------

def test_the_list_filters_by_role_and_state(app, users_restored) -> None:
    uid = _new_account(app, "aa.locked")
    with app.app_context():
        db.session.get(User, uid).active = False
        db.session.commit()
    admin = _signed_in(app, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert all(f">{name}</a>" in page for name in ("admin", "officer", "operator", "aa.locked"))
    operators = admin.get("/admin/users?role=operator").get_data(as_text=True)
    assert ">operator</a>" in operators and ">officer</a>" not in operators
    locked = admin.get("/admin/users?active=0").get_data(as_text=True)
    assert ">aa.locked</a>" in locked and ">admin</a>" not in locked
    assert ">aa.locked</a>" not in admin.get("/admin/users?active=1").get_data(as_text=True)
    paged = admin.get("/admin/users?per_page=2&page=2").get_data(as_text=True)
    assert 'rel="prev"' in paged and paged.count('<tr id="user-') == 2
    bad = admin.get("/admin/users?role=root&active=maybe")
    assert bad.status_code == 422 and bad.get_data(as_text=True).count("Giá trị không hợp lệ") == 2


def test_admin_creates_an_account_audited(app, users_restored) -> None:
    admin = _signed_in(app, "admin")
    resp = admin.post("/admin/users", data={"username": "lan.nguyen", "full_name": "Nguyễn Thị Lan",
                                             "role": "department_officer", "department": "SCT",
                                             "password": NEW_PASSWORD})
    assert resp.status_code == 303
    user = _user(app, "lan.nguyen")
    assert resp.headers["Location"] == f"/admin/users/{user.id}"
    assert user.role == "department_officer" and user.full_name == "Nguyễn Thị Lan" and user.active
    page = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã tạo tài khoản lan.nguyen" in page and "Chưa có token nào" in page
    [row] = _audits(app)
    assert row.action == "user_create" and row.target_type == "user" and row.target_id == str(user.id)
    assert row.actor_label == "admin" and row.details["before"] is None
    assert row.details["after"] == {"username": "lan.nguyen", "full_name": "Nguyễn Thị Lan",
                                    "role": "department_officer", "department": "SCT", "active": True}
    assert NEW_PASSWORD not in str(row.details)
    assert _signed_in(app, "lan.nguyen", NEW_PASSWORD).get("/").headers["Location"] == "/department"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"username": "Lan Nguyen"}, "username", "chữ thường không dấu"),
    ({"username": ""}, "username", "Bắt buộc nhập"),
    ({"username": "officer"}, "username", "đã có"),
    ({"username": "x" * 81}, "username", "Không được dài quá 80 ký tự"),
    ({"password": "1234567890123"}, "password", "không được chỉ gồm chữ số"),
    ({"password": "ngắn"}, "password", "ít nhất 10 ký tự"),
    ({"password": "nguoi.moi.tao"}, "password", "trùng tên đăng nhập"),
    ({"password": "TongDai1022"}, "password", "quá phổ biến"),
    ({"department": ""}, "department", "cần chọn đơn vị"),
    ({"department": "NOPE"}, "department", "Không có đơn vị mã 'NOPE'"),
    ({"role": "root"}, "role", "Vai trò không hợp lệ"),
    ({"full_name": "a" * 201}, "full_name", "Không được dài quá 200 ký tự"),
    ({"full_name": "Lan\x00"}, "full_name", "ký tự không hợp lệ"),
])
def test_a_refused_account_is_shown_beside_its_field_and_nothing_is_written(
        app, users_restored, changes: dict[str, str], field: str, message: str) -> None:
    data = {"username": "nguoi.moi.tao", "full_name": "Người Mới", "role": "department_head", "department": "SCT",
            "password": NEW_PASSWORD, **changes}
    resp = _signed_in(app, "admin").post("/admin/users", data=data)
    assert resp.status_code == 422
    page = html.unescape(resp.get_data(as_text=True))
    shown = re.search(f'<p class="error" id="{field}-msg">([^<]*)</p>', page)
    assert shown is not None and message in shown.group(1), page[page.find('class="error"'):][:400]
    assert 'id="users"' in page  # the list is shown again above the form
    if field != "username":
        assert f'value="{data["username"]}"' in page  # the typed values are kept
    if field != "full_name":
        assert 'value="Người Mới"' in page
    password_input = re.search(r'<input[^>]*id="password"[^>]*>', page)
    assert password_input is not None and "value=" not in password_input.group().replace('value=""', "")
    with app.app_context():
        same_name = db.session.scalar(sa.select(sa.func.count()).where(User.username == data["username"]))
    assert same_name == (1 if data["username"] == "officer" else 0)
    assert _audits(app) == []


# -- editing, deactivating, new passwords ---------------------------------------------------------

def test_admin_edits_role_and_department_audited(app, users_restored) -> None:
    uid = _new_account(app, "sua.tmp")
    admin = _signed_in(app, "admin")
    no_dept = admin.post(f"/admin/users/{uid}", data={"role": "department_head", "department": "",
                                                      "full_name": "Tên Mới"})
    assert no_dept.status_code == 422
    page = no_dept.get_data(as_text=True)
    assert '<p class="error" id="department-msg">Vai trò này cần chọn đơn vị' in page and 'value="Tên Mới"' in page
    assert _user(app, "sua.tmp").role == "operator" and _audits(app) == []

    ok = admin.post(f"/admin/users/{uid}", data={"role": "department_head", "department": "SNNMT",
                                                 "full_name": "Tên Mới"})
    assert ok.status_code == 303
    user = _user(app, "sua.tmp")
    assert user.role == "department_head" and user.full_name == "Tên Mới"
    [row] = _audits(app)
    assert row.action == "user_update" and row.target_id == str(uid)
    assert row.details == {"before": {"full_name": "", "role": "operator", "department": None},
                           "after": {"full_name": "Tên Mới", "role": "department_head", "department": "SNNMT"}}
    # The same values again: nothing to record.
    admin.post(f"/admin/users/{uid}", data={"role": "department_head", "department": "SNNMT", "full_name": "Tên Mới"})
    assert len(_audits(app)) == 1
    # The new role counts from the user's next request.
    assert _signed_in(app, "sua.tmp", PASSWORD + "-x").get("/department").status_code == 200


def test_an_admin_cannot_lock_themselves_out(app, users_restored) -> None:
    admin = _signed_in(app, "admin")
    me = _user(app, "admin")
    demote = admin.post(f"/admin/users/{me.id}", data={"role": "operator", "department": "", "full_name": "x"})
    assert demote.status_code == 422 and "Không thể đổi vai trò của chính mình" in demote.get_data(as_text=True)
    lock = admin.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    assert lock.status_code == 409 and "Không thể khóa tài khoản của chính mình" in lock.get_data(as_text=True)
    assert _user(app, "admin").role == "admin" and _user(app, "admin").active and _audits(app) == []
    assert admin.get("/admin").status_code == 200


def test_deactivating_on_the_screen_signs_the_user_out_at_their_next_request(app, users_restored) -> None:
    uid = _new_account(app, "khoa.tmp")
    victim = _signed_in(app, "khoa.tmp", PASSWORD + "-x")
    other_browser = _signed_in(app, "khoa.tmp", PASSWORD + "-x")
    assert victim.get("/operator").status_code == 200
    admin = _signed_in(app, "admin")
    assert admin.post(f"/admin/users/{uid}/active", data={"active": "0"}).status_code == 303
    for client in (victim, other_browser):
        resp = client.get("/operator")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    with app.app_context():
        rows = db.session.scalars(sa.select(StaffSession).where(StaffSession.user_id == uid)).all()
        assert len(rows) == 2 and all(r.ended_at is not None for r in rows)
    [row] = _audits(app)
    assert row.details == {"before": {"active": True}, "after": {"active": False}}
    # Activated again, the old sessions stay ended: the user signs in anew.
    assert admin.post(f"/admin/users/{uid}/active", data={"active": "1"}).status_code == 303
    assert victim.get("/operator").status_code == 302
    assert _signed_in(app, "khoa.tmp", PASSWORD + "-x").get("/operator").status_code == 200
    assert admin.post(f"/admin/users/{uid}/active", data={"active": "maybe"}).status_code == 422


def test_a_new_password_ends_the_users_sessions_screen_and_api(app, api_as, users_restored) -> None:
    uid = _new_account(app, "mat.khau.tmp")
    victim = _signed_in(app, "mat.khau.tmp", PASSWORD + "-x")
    admin = _signed_in(app, "admin")
    weak = admin.post(f"/admin/users/{uid}/password", data={"password": "mat.khau.tmp"})
    assert weak.status_code == 422 and "trùng tên đăng nhập" in weak.get_data(as_text=True)
    assert victim.get("/operator").status_code == 200 and _audits(app) == []  # refused: nothing ended

    resp = admin.post(f"/admin/users/{uid}/password", data={"password": NEW_PASSWORD})
    assert resp.status_code == 303
    assert "1 phiên đăng nhập đã kết thúc" in admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert victim.get("/operator").status_code == 302
    [row] = _audits(app)
    assert row.details == {"before": {}, "after": {}, "changed": ["password"]}
    assert NEW_PASSWORD not in str(row.details)
    again = _signed_in(app, "mat.khau.tmp", NEW_PASSWORD)

    # The API's password change ends them too.
    assert api_as("admin").put(f"/api/v1/users/{uid}/password", {"password": NEW_PASSWORD + "!"}).status_code == 204
    assert again.get("/operator").status_code == 302
    _signed_in(app, "mat.khau.tmp", NEW_PASSWORD + "!")


def test_an_admin_changing_their_own_password_stays_signed_in_there(app, users_restored) -> None:
    here, elsewhere = _signed_in(app, "admin"), _signed_in(app, "admin")
    me = _user(app, "admin")
    assert here.post(f"/admin/users/{me.id}/password", data={"password": NEW_PASSWORD}).status_code == 303
    assert here.get("/admin").status_code == 200
    assert elsewhere.get("/admin").status_code == 302


def test_api_deactivation_ends_web_sessions(app, api_as, users_restored) -> None:
    uid = _new_account(app, "khoa.api")
    victim = _signed_in(app, "khoa.api", PASSWORD + "-x")
    assert api_as("admin").post(f"/api/v1/users/{uid}/deactivate").status_code == 200
    api_as("admin").post(f"/api/v1/users/{uid}/activate")
    assert victim.get("/operator").status_code == 302  # ended, not only refused while deactivated
    me = _user(app, "admin")
    own = api_as("admin").post(f"/api/v1/users/{me.id}/deactivate")
    assert own.status_code == 409 and "your own account" in own.json["message"]


# -- tokens ----------------------------------------------------------------------------------------

def test_the_users_tokens_are_listed_and_one_is_revoked(app, api_as, users_restored) -> None:
    uid = _new_account(app, "token.tmp")
    first = api_as("admin").post(f"/api/v1/users/{uid}/tokens").json
    second = api_as("admin").post(f"/api/v1/users/{uid}/tokens").json
    admin = _signed_in(app, "admin")
    page = admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert page.index(second["prefix"]) < page.index(first["prefix"])  # newest first
    assert first["token"] not in page and second["token"] not in page
    assert page.count("Đang dùng") == 2 and page.count("Thu hồi</button>") == 2
    resp = admin.post(f"/admin/users/{uid}/tokens/{first['id']}/revoke")
    assert resp.status_code == 303
    with app.app_context():
        assert db.session.get(ApiToken, first["id"]).revoked_at is not None
        assert db.session.get(ApiToken, second["id"]).revoked_at is None
    page = admin.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert "Đã thu hồi" in page and page.count("Thu hồi</button>") == 1
    assert app.test_client().get("/api/v1/categories",
                                 headers={"Authorization": f"Bearer {first['token']}"}).status_code == 401
    revoked = _audits(app, "token_revoke")
    assert len(revoked) == 1 and revoked[0].target_id == str(first["id"]) and revoked[0].actor_label == "admin"
    # Another user's token through this user's address: not found, nothing revoked.
    other = _new_account(app, "token.other")
    assert admin.post(f"/admin/users/{other}/tokens/{second['id']}/revoke").status_code == 404
    assert admin.get("/admin/users/999999").status_code == 404


# -- the API's edit ------------------------------------------------------------------------------------

def test_patch_a_user_with_the_rules_of_create(app, api_as, users_restored) -> None:
    uid = _new_account(app, "patch.tmp")
    api = api_as("admin")
    url = f"/api/v1/users/{uid}"

    def refused(body: dict[str, Any], field: str, status: int = 422) -> None:
        resp = api.patch(url, body)
        assert resp.status_code == status, (body, resp.json)
        assert field in resp.json["errors"]["json"], resp.json

    refused({"role": "department_officer"}, "department")
    refused({"role": "root"}, "role")
    refused({"department": "NOPE"}, "department")
    refused({"full_name": "x" * 201}, "full_name")
    refused({"full_name": "a\x00b"}, "full_name")
    refused({"role": 5}, "role")
    refused({"username": "renamed"}, "username")  # not editable
    assert _user(app, "patch.tmp").role == "operator" and _audits(app) == []

    changed = api.patch(url, {"role": "department_officer", "department": "SCT"})
    assert changed.status_code == 200
    assert changed.json["role"] == "department_officer" and changed.json["department"]["code"] == "SCT"
    [row] = _audits(app)
    assert row.details == {"before": {"role": "operator", "department": None},
                           "after": {"role": "department_officer", "department": "SCT"}}
    assert api.patch(url, {}).status_code == 200 and len(_audits(app)) == 1  # nothing changed, nothing audited
    refused({"department": None}, "department")  # a department role keeps one
    assert api.patch(url, {"role": "supervisor", "department": None}).json["department"] is None
    assert api.patch("/api/v1/users/999999", {"full_name": "x"}).status_code == 404
    me = _user(app, "admin")
    own = api.patch(f"/api/v1/users/{me.id}", {"role": "operator"})
    assert own.status_code == 409 and _user(app, "admin").role == "admin"
    assert api.patch(f"/api/v1/users/{me.id}", {"full_name": "Quản trị"}).status_code == 200


# -- in a browser --------------------------------------------------------------------------------------

def test_admin_creates_and_locks_an_account_in_the_browser(app, new_page, users_restored) -> None:
    page = new_page()
    login(page, "admin")
    assert page.url.endswith("/admin")
    shoot(page, "admin-home")
    page.get_by_role("link", name="Tài khoản").click()
    page.wait_for_url("**/admin/users")
    form = page.get_by_role("region", name="Tạo tài khoản")
    form.get_by_label("Tên đăng nhập").fill("hoa.tran")
    form.get_by_label("Họ tên").fill("Trần Thị Hoa")
    form.get_by_label("Vai trò").select_option(label="Cán bộ đơn vị")
    form.get_by_label("Mật khẩu ban đầu").fill("1234567890")
    with page.expect_navigation():
        form.get_by_role("button", name="Tạo tài khoản").click()
    # A department role without a department: said beside the field, the typed values kept.
    assert "cần chọn đơn vị" in page.locator("p.error#department-msg").inner_text()
    form = page.get_by_role("region", name="Tạo tài khoản")
    assert form.get_by_label("Họ tên").input_value() == "Trần Thị Hoa"
    assert form.get_by_label("Tên đăng nhập").input_value() == "hoa.tran"
    assert form.get_by_label("Mật khẩu ban đầu").input_value() == ""  # never sent back
    form.get_by_label("Đơn vị (bắt buộc với cán bộ, lãnh đạo đơn vị)").select_option("SCT")
    form.get_by_label("Mật khẩu ban đầu").fill("1234567890")
    with page.expect_navigation():
        form.get_by_role("button", name="Tạo tài khoản").click()
    assert "chỉ gồm chữ số" in page.locator("p.error#password-msg").inner_text()
    shoot(page, "admin-users-refused")
    form = page.get_by_role("region", name="Tạo tài khoản")
    form.get_by_label("Mật khẩu ban đầu").fill(NEW_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Tạo tài khoản").click()
    assert page.locator("h1").inner_text() == "Tài khoản hoa.tran"
    assert "Đã tạo tài khoản hoa.tran" in page.locator(".flash").inner_text()

    staff = new_page()
    staff.goto("/login")
    staff.get_by_label("Tên đăng nhập").fill("hoa.tran")
    staff.get_by_label("Mật khẩu").fill(NEW_PASSWORD)
    with staff.expect_navigation():
        staff.keyboard.press("Enter")
    assert staff.url.endswith("/department")

    with page.expect_navigation():
        page.get_by_role("button", name="Khóa tài khoản").click()
    assert page.locator("#user-state").inner_text() == "Đã khóa"
    shoot(page, "admin-user")
    staff.reload()
    assert "/login" in staff.url  # signed out at the next request
