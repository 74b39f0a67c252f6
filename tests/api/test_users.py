"""Admin API for staff accounts and API tokens: roles, expiry, revocation, deactivation, passwords."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.security import generate_password_hash

from callcentre.core.extensions import db
from callcentre.models import ApiToken, User, hash_token, utcnow

PASSWORD = "mật-khẩu-tạm-thời"  # what the temporary users sign in with


@pytest.fixture()
def new_user(app: Flask) -> Iterator[Callable[..., int]]:
    """``new_user("lan.tmp", role="operator")`` -> id; users and tokens are session tables, so
    every user made here is deleted afterwards (the demo users are never changed)."""
    made: list[int] = []

    def factory(username: str, role: str = "operator") -> int:
        with app.app_context():
            user = User(username=username, role=role, full_name=username,
                        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
            db.session.add(user)
            db.session.commit()
            made.append(user.id)
            return user.id

    yield factory
    with app.app_context():
        existing = set(sa.inspect(db.engine).get_table_names())
        for user_id in made:
            if "staff_sessions" in existing:  # the web sessions' table, where the migration made it
                db.session.execute(sa.text("DELETE FROM staff_sessions WHERE user_id = :u"), {"u": user_id})
            db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user_id))
            db.session.execute(sa.delete(User).where(User.id == user_id))
        db.session.commit()


def _user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(User.id).where(User.username == username)).one()


def _bearer(client, token: str, path: str = "/api/v1/categories") -> int:
    return client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def test_every_users_endpoint_is_admin_only(app, api_as, new_user) -> None:
    uid = new_user("roles.tmp")
    with app.app_context():
        token = ApiToken.issue(db.session.get(User, uid), timedelta(days=1))[0]
        db.session.add(token)
        db.session.commit()
        token_id = token.id
    calls = [
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/users", {"username": "never.made", "role": "operator", "password": "đủ-dài-và-lạ-42"}),
        ("PUT", f"/api/v1/users/{uid}/password", {"password": "đủ-dài-và-lạ-42"}),
        ("POST", f"/api/v1/users/{uid}/deactivate", None),
        ("POST", f"/api/v1/users/{uid}/activate", None),
        ("GET", f"/api/v1/users/{uid}/tokens", None),
        ("POST", f"/api/v1/users/{uid}/tokens", None),
        ("POST", f"/api/v1/users/{uid}/tokens/{token_id}/revoke", None),
    ]
    for method, path, body in calls:
        assert api_as(None)._call(method, path, json=body).status_code == 401, (method, path)
        for role_user in ("operator", "supervisor", "head"):
            resp = api_as(role_user)._call(method, path, json=body)
            assert resp.status_code == 403, (role_user, method, path, resp.json)
    # Nothing was done by the refused calls.
    with app.app_context():
        assert db.session.get(User, uid).active and db.session.get(ApiToken, token_id).revoked_at is None
        assert db.session.scalar(sa.select(User.id).where(User.username == "never.made")) is None


def test_admin_lists_users_with_filters(api_as, new_user) -> None:
    new_user("aa.off", role="operator")
    admin = api_as("admin")
    listing = admin.get("/api/v1/users?per_page=100").json
    names = [u["username"] for u in listing["items"]]
    assert {"operator", "officer", "admin", "aa.off"} <= set(names) and names == sorted(names)
    assert listing["total"] == len(names)
    officer = next(u for u in listing["items"] if u["username"] == "officer")
    assert officer["department"]["code"] == "SNNMT" and officer["role"] == "department_officer"
    assert "password_hash" not in officer and "password" not in officer
    operators = admin.get("/api/v1/users?role=operator").json["items"]
    assert {u["role"] for u in operators} == {"operator"}
    uid = next(u["id"] for u in listing["items"] if u["username"] == "aa.off")
    assert admin.post(f"/api/v1/users/{uid}/deactivate").json["active"] is False
    inactive = admin.get("/api/v1/users?active=false").json["items"]
    assert [u["username"] for u in inactive] == ["aa.off"]
    assert admin.get("/api/v1/users?role=nope").status_code == 422


def test_token_is_shown_once_works_lists_and_revokes(app, client, api_as, new_user) -> None:
    uid = new_user("tok.tmp")
    admin = api_as("admin")
    before = utcnow()
    issued = admin.post(f"/api/v1/users/{uid}/tokens")
    assert issued.status_code == 201
    body = issued.json
    token = body["token"]
    assert token.startswith(body["prefix"]) and body["state"] == "active" and body["revoked_at"] is None
    assert _bearer(client, token) == 200
    with app.app_context():
        row = db.session.get(ApiToken, body["id"])
        assert row.token_hash == hash_token(token) and token not in (row.token_hash, row.prefix)
        # API_TOKEN_DAYS (default 90) from issue.
        assert row.expires_at - row.created_at == timedelta(days=90) and row.created_at >= before
        assert row.last_used_at is not None  # the GET above was recorded
    listed = admin.get(f"/api/v1/users/{uid}/tokens").json
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None and listed[0]["expires_at"] == body["expires_at"]
    assert token not in str(listed)

    revoked = admin.post(f"/api/v1/users/{uid}/tokens/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json["state"] == "revoked" and revoked.json["revoked_at"]
    assert _bearer(client, token) == 401  # from the very next request
    again = admin.post(f"/api/v1/users/{uid}/tokens/{body['id']}/revoke").json
    assert again["revoked_at"] == revoked.json["revoked_at"]  # revoking twice changes nothing
    # Another user's token id under this user, and unknown users: 404.
    other = new_user("tok.other")
    assert admin.post(f"/api/v1/users/{other}/tokens/{body['id']}/revoke").status_code == 404
    assert admin.get("/api/v1/users/999999/tokens").status_code == 404
    assert admin.post("/api/v1/users/999999/tokens").status_code == 404


def test_expired_token_is_refused(app, client, new_user, make_app) -> None:
    uid = new_user("exp.tmp")
    short = make_app(API_TOKEN_DAYS=7)
    with short.app_context():
        from callcentre.services.accounts import issue_token

        row, token = issue_token(db.session.get(User, uid))
        db.session.commit()
        assert row.expires_at - row.created_at == timedelta(days=7)
        token_id = row.id
    assert _bearer(client, token) == 200
    with app.app_context():
        db.session.get(ApiToken, token_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    resp = client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.json["code"] == 401
    with app.app_context():
        assert db.session.get(ApiToken, token_id).state == "expired"


def test_deactivated_user_loses_tokens_and_web_session_at_once(app, api_as, new_user) -> None:
    uid = new_user("off.tmp", role="operator")
    admin = api_as("admin")
    token = admin.post(f"/api/v1/users/{uid}/tokens").json["token"]
    api_client = app.test_client()
    web = app.test_client()
    assert web.post("/login", data={"username": "off.tmp", "password": PASSWORD}).status_code == 302
    assert web.get("/operator").status_code == 200
    assert _bearer(api_client, token) == 200

    resp = admin.post(f"/api/v1/users/{uid}/deactivate")
    assert resp.status_code == 200 and resp.json["active"] is False
    assert _bearer(api_client, token) == 401  # the bearer lookup checks User.active
    page = web.get("/operator")  # the session's user_loader checks it too
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert web.post("/login", data={"username": "off.tmp", "password": PASSWORD}).status_code != 302
    assert admin.post(f"/api/v1/users/{uid}/tokens").status_code == 409  # no new token either

    assert admin.post(f"/api/v1/users/{uid}/activate").json["active"] is True
    assert _bearer(api_client, token) == 200  # neither expired nor revoked: it works again


def test_admin_cannot_deactivate_themselves(app, api_as) -> None:
    admin_id = _user_id(app, "admin")
    resp = api_as("admin").post(f"/api/v1/users/{admin_id}/deactivate")
    assert resp.status_code == 409
    with app.app_context():
        assert db.session.get(User, admin_id).active


def test_create_user_applies_the_password_policy(app, api_as, new_user) -> None:
    admin = api_as("admin")
    new_user("same.name")  # taken
    base = {"username": "moi.tao", "role": "department_officer", "department": "SCT"}
    cases = [
        ("ngắn-quá", "Mật khẩu phải có ít nhất 10 ký tự / password must have at least 10 characters"),
        ("0123456789012", "Mật khẩu không được chỉ gồm chữ số / password must not be all digits"),
        ("Password123", "Mật khẩu quá phổ biến, hãy chọn mật khẩu khác / password is too common, choose another"),
    ]
    for password, reason in cases:
        resp = admin.post("/api/v1/users", {**base, "password": password})
        assert resp.status_code == 422, resp.json
        assert resp.json["errors"]["json"]["password"] == [reason]
        assert reason.index("Mật khẩu") < reason.index("password")  # Vietnamese first
    same = admin.post("/api/v1/users", {**base, "username": "moi.tao.ok", "password": "MOI.TAO.OK"})
    assert same.status_code == 422
    assert same.json["errors"]["json"]["password"][0].startswith("Mật khẩu không được trùng tên đăng nhập")
    assert admin.post("/api/v1/users", {**base, "username": "same.name", "password": "đủ-dài-và-lạ-42"}
                      ).status_code == 409
    no_dept = admin.post("/api/v1/users", {**base, "department": None, "password": "đủ-dài-và-lạ-42"})
    assert no_dept.status_code == 422 and "department" in no_dept.json["errors"]["json"]
    bad_name = admin.post("/api/v1/users", {**base, "username": "Có Dấu", "password": "đủ-dài-và-lạ-42"})
    assert bad_name.status_code == 422 and "username" in bad_name.json["errors"]["json"]

    created = admin.post("/api/v1/users", {**base, "password": "đủ-dài-và-lạ-42", "full_name": "Mới Tạo"})
    assert created.status_code == 201, created.json
    assert created.json["department"]["code"] == "SCT" and created.json["active"] is True
    assert "password" not in created.json
    try:
        with app.app_context():
            user = db.session.get(User, created.json["id"])
            assert user.check_password("đủ-dài-và-lạ-42") and "đủ-dài" not in user.password_hash
    finally:
        with app.app_context():
            db.session.execute(sa.delete(User).where(User.id == created.json["id"]))
            db.session.commit()


def test_admin_sets_a_password_under_the_policy(app, api_as, new_user) -> None:
    uid = new_user("pw.tmp")
    admin = api_as("admin")
    weak = admin.put(f"/api/v1/users/{uid}/password", {"password": "1234567890"})
    assert weak.status_code == 422 and weak.json["errors"]["json"]["password"][0].startswith("Mật khẩu")
    assert admin.put(f"/api/v1/users/{uid}/password", {"password": "pw.tmp"}).status_code == 422
    assert admin.put(f"/api/v1/users/{uid}/password", {}).status_code == 422
    assert admin.put(f"/api/v1/users/{uid}/password", {"password": "một câu dài dễ nhớ"}).status_code == 204
    web = app.test_client()
    assert web.post("/login", data={"username": "pw.tmp", "password": PASSWORD}).status_code != 302
    assert web.post("/login", data={"username": "pw.tmp", "password": "một câu dài dễ nhớ"}).status_code == 302


def test_openapi_documents_the_users_api(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert {"get", "post"} <= paths["/api/v1/users"].keys()
    assert {"get", "post"} <= paths["/api/v1/users/{user_id}/tokens"].keys()
    for path in ("/api/v1/users/{user_id}/tokens/{token_id}/revoke", "/api/v1/users/{user_id}/deactivate",
                 "/api/v1/users/{user_id}/activate"):
        assert "post" in paths[path], path
    assert "put" in paths["/api/v1/users/{user_id}/password"]
    schemas = spec["components"]["schemas"]
    assert {"UserOut", "UserCreate", "TokenOut", "TokenCreated", "UserPage"} <= schemas.keys()
    assert "expires_at" in schemas["TokenOut"]["properties"] and "token" in schemas["TokenCreated"]["properties"]
    assert "password" not in schemas["UserOut"]["properties"]
