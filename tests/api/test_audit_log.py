"""The audit log: sign-ins, views and exports of citizens' personal data, account and token
changes; ``GET /api/v1/audit`` and ``/admin/audit`` for admins; rows are never changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from callcentre.cli import seed_data
from callcentre.core.extensions import db
from callcentre.models import ApiToken, AuditEvent, Call, Contact, User
from tests.conftest import ticket_payload
from tests.web.test_html_valid import _audit as check_html

PHONE, E164 = "0912345678", "+84912345678"
CLIENT = "203.0.113.7"  # the test client's address (REMOTE_ADDR)


def rows(app: Flask, *where: Any) -> list[dict[str, Any]]:
    """The audit rows matching ``where``, oldest first, as plain dicts."""
    with app.app_context():
        found = db.session.scalars(sa.select(AuditEvent).where(*where).order_by(AuditEvent.id)).all()
        return [{c.name: getattr(r, c.name) for c in AuditEvent.__table__.columns} for r in found]


def as_text(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)


def user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(User.id).where(User.username == username)).one()


def web(app: Flask, username: str | None = None):
    """A browser-like client from CLIENT, signed in as ``username`` if given."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = CLIENT
    if username:
        resp = client.post("/login", data={"username": username, "password": seed_data.DEMO_PASSWORD})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


@pytest.fixture()
def cleanup_users(app: Flask) -> Iterator[list[str]]:
    """Usernames to delete afterwards (users and tokens are session tables)."""
    names: list[str] = []
    yield names
    with app.app_context():
        for uid in db.session.scalars(sa.select(User.id).where(User.username.in_(names))).all():
            db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == uid))
            db.session.execute(sa.delete(User).where(User.id == uid))
        db.session.commit()


# -- sign-in --------------------------------------------------------------------------------

def test_login_failed_login_and_logout_are_audited_with_the_client_address(app) -> None:
    admin_id = user_id(app, "admin")
    wrong = "sai-mật-khẩu-bí-mật"
    client = web(app)
    assert client.post("/login", data={"username": "admin", "password": wrong}).status_code == 401
    assert client.post("/login", data={"username": "không.có.ai", "password": wrong}).status_code == 401
    assert client.post("/login", data={"username": "admin", "password": seed_data.DEMO_PASSWORD}).status_code == 302
    assert client.post("/logout").status_code == 302

    failed, unknown, login, logout = rows(app)
    assert failed["action"] == "login_failed" and failed["actor_id"] is None and failed["actor_label"] == "admin"
    assert failed["target_type"] == "user" and failed["target_id"] == str(admin_id)
    assert failed["details"] == {"reason": "wrong_password"}
    assert unknown["actor_label"] == "không.có.ai" and unknown["target_id"] is None
    assert unknown["details"] == {"reason": "unknown_user"}
    assert login["action"] == "login" and login["actor_id"] == admin_id and login["actor_label"] == "admin"
    assert logout["action"] == "logout" and logout["actor_id"] == admin_id
    for row in (failed, unknown, login, logout):
        assert row["client_ip"] == CLIENT and row["at"].tzinfo is not None
        assert wrong not in as_text(row) and seed_data.DEMO_PASSWORD not in as_text(row)
        assert "pbkdf2" not in as_text(row) and "scrypt" not in as_text(row)


def test_the_client_address_is_the_real_one_behind_the_trusted_proxy(app, make_app) -> None:
    proxied = make_app(TRUSTED_PROXIES=1)  # on the database that ``app`` has emptied
    client = proxied.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
    client.post("/login", data={"username": "operator", "password": "sai-mật-khẩu-bí-mật"},
                headers={"X-Forwarded-For": "198.51.100.9, 198.51.100.23"})
    (row,) = rows(app)
    assert row["client_ip"] == "198.51.100.23"  # the one hop trusted; the client's own header is not


def test_bearer_requests_are_not_logins(app, api_as) -> None:
    assert api_as("operator").get("/api/v1/categories").status_code == 200
    assert api_as("operator").get("/api/v1/tickets").status_code == 200
    assert rows(app) == []


# -- personal data ------------------------------------------------------------------------

def test_ticket_detail_by_api_and_by_page_is_one_view_each(app, api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    supervisor = user_id(app, "supervisor")
    assert api_as("supervisor").get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
    page = web(app, "supervisor").get(f"/tickets/{ticket['id']}")
    assert page.status_code == 200

    api_row, page_row = rows(app, AuditEvent.action == "view_personal_data")
    with app.app_context():
        contact_id = db.session.scalars(sa.select(Contact.id).where(Contact.phone == E164)).one()
    for row, via in ((api_row, "api"), (page_row, "page")):
        assert row["actor_id"] == supervisor and row["target_type"] == "ticket"
        assert row["target_id"] == str(ticket["id"])
        assert row["details"] == {"via": via, "contact_id": contact_id}
    # A ticket one may not see, or that does not exist, shows nothing and records nothing.
    assert api_as("officer_ct").get(f"/api/v1/tickets/{ticket['id']}").status_code in (403, 404)
    assert api_as("supervisor").get("/api/v1/tickets/999999").status_code == 404
    assert web(app, "supervisor").get("/tickets/999999").status_code == 404
    assert len(rows(app, AuditEvent.action == "view_personal_data")) == 2


def test_screen_pop_contact_search_and_callbacks_export_are_audited_with_the_phone_masked(app, api_as) -> None:
    api_as("operator").post("/api/v1/tickets", ticket_payload())
    with app.app_context():
        contact_id = db.session.scalars(sa.select(Contact.id).where(Contact.phone == E164)).one()
    operator = web(app, "operator")
    assert operator.get(f"/operator?phone={PHONE}").status_code == 200
    assert api_as("operator").get(f"/api/v1/contacts?phone={PHONE}").status_code == 200
    assert operator.get("/operator/callbacks?format=csv").status_code == 200
    assert operator.get("/operator?phone=12").status_code == 200  # not a number: nothing looked up
    with app.app_context():
        call = Call(from_number=E164, contact_id=contact_id)  # ringing: the live pop-up shows its history
        db.session.add(call)
        db.session.commit()
        call_id = call.id
    assert operator.get(f"/operator/calls/{call_id}/pop").status_code == 200

    pop, search, call_pop = rows(app, AuditEvent.action == "view_personal_data")
    assert pop["target_type"] == search["target_type"] == call_pop["target_type"] == "contact"
    assert pop["target_id"] == search["target_id"] == call_pop["target_id"] == str(contact_id)
    assert pop["details"] == {"via": "screen_pop", "phone": "+849******78"}
    assert search["details"] == {"via": "api", "phone": "+849******78"}
    assert call_pop["details"] == {"via": "call_pop", "phone": "+849******78"}
    (export,) = rows(app, AuditEvent.action == "export_personal_data")
    assert export["target_type"] == "export" and export["target_id"] == "callbacks.csv"
    assert export["actor_id"] == user_id(app, "operator")
    for row in rows(app):
        assert "912345678" not in as_text(row)


# -- admin changes ------------------------------------------------------------------------

def test_user_create_password_and_deactivation_have_before_and_after(app, api_as, cleanup_users) -> None:
    admin = api_as("admin")
    cleanup_users.append("audit.tmp")
    password = "một-mật-khẩu-rất-riêng-42"
    created = admin.post("/api/v1/users", {"username": "audit.tmp", "role": "department_officer",
                                           "department": "SCT", "full_name": "Kiểm Tra", "password": password})
    assert created.status_code == 201, created.json
    uid = created.json["id"]
    assert admin.put(f"/api/v1/users/{uid}/password", {"password": "mật-khẩu-mới-cũng-dài-7"}).status_code == 204
    assert admin.post(f"/api/v1/users/{uid}/deactivate").status_code == 200
    assert admin.post(f"/api/v1/users/{uid}/activate").status_code == 200
    # Refused changes write no row: a duplicate, a weak password.
    assert admin.post("/api/v1/users", {"username": "audit.tmp", "role": "operator",
                                        "password": password}).status_code == 409
    assert admin.put(f"/api/v1/users/{uid}/password", {"password": "123"}).status_code == 422

    create, pw, off, on = rows(app, AuditEvent.target_type == "user")
    admin_id = user_id(app, "admin")
    assert {r["actor_id"] for r in (create, pw, off, on)} == {admin_id}
    assert {r["target_id"] for r in (create, pw, off, on)} == {str(uid)}
    assert create["action"] == "user_create" and create["details"] == {
        "before": None, "after": {"username": "audit.tmp", "full_name": "Kiểm Tra", "role": "department_officer",
                                  "department": "SCT", "active": True}}
    assert pw["action"] == "user_update" and pw["details"] == {"before": {}, "after": {}, "changed": ["password"]}
    assert off["details"] == {"before": {"active": True}, "after": {"active": False}}
    assert on["details"] == {"before": {"active": False}, "after": {"active": True}}
    with app.app_context():
        password_hash = db.session.get(User, uid).password_hash
    for row in (create, pw, off, on):
        text = as_text(row)
        assert password not in text and "mật-khẩu-mới" not in text and password_hash not in text


def test_token_create_and_revoke_never_hold_the_token(app, api_as, cleanup_users) -> None:
    admin = api_as("admin")
    cleanup_users.append("tok.tmp")
    uid = admin.post("/api/v1/users", {"username": "tok.tmp", "role": "operator",
                                       "password": "một-mật-khẩu-rất-riêng-42"}).json["id"]
    issued = admin.post(f"/api/v1/users/{uid}/tokens")
    assert issued.status_code == 201
    token, token_id = issued.json["token"], issued.json["id"]
    assert admin.post(f"/api/v1/users/{uid}/tokens/{token_id}/revoke").status_code == 200

    create, revoke = rows(app, AuditEvent.target_type == "token")
    assert (create["action"], revoke["action"]) == ("token_create", "token_revoke")
    assert create["target_id"] == revoke["target_id"] == str(token_id)
    assert create["details"]["user_id"] == uid and create["details"]["username"] == "tok.tmp"
    assert create["details"]["revoked_at"] is None and revoke["details"]["revoked_at"] is not None
    with app.app_context():
        stored = db.session.get(ApiToken, token_id)
        secrets = (token, stored.token_hash, stored.prefix)
    for row in (create, revoke):
        assert not any(s in as_text(row) for s in secrets)


def test_the_command_line_is_audited_as_cli(app, cleanup_users) -> None:
    cleanup_users.append("cli.audit")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["users", "create", "cli.audit", "--role", "operator", "--password", "một-mật-khẩu-dài"])
    assert made.exit_code == 0, made.output
    token = runner.invoke(args=["users", "token", "cli.audit"]).stdout.strip()
    assert runner.invoke(args=["users", "deactivate", "cli.audit"]).exit_code == 0
    create, issue, off = rows(app)
    assert [r["action"] for r in (create, issue, off)] == ["user_create", "token_create", "user_update"]
    assert {(r["actor_id"], r["actor_label"], r["client_ip"]) for r in (create, issue, off)} == {(None, "cli", None)}
    assert off["details"] == {"before": {"active": True}, "after": {"active": False}}
    assert token not in as_text(issue) and "một-mật-khẩu-dài" not in as_text(create)


# -- reading the log ----------------------------------------------------------------------

def test_audit_api_is_for_admins_only(app, api_as) -> None:
    assert api_as(None).get("/api/v1/audit").status_code == 401
    for role in ("operator", "officer", "head", "supervisor"):
        assert api_as(role).get("/api/v1/audit").status_code == 403, role
    assert api_as("admin").get("/api/v1/audit").status_code == 200
    assert web(app).get("/admin/audit").status_code == 302  # to the login page
    assert web(app, "supervisor").get("/admin/audit").status_code == 403


def test_audit_api_filters_and_pages_newest_first(app, api_as) -> None:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    client = web(app)
    client.post("/login", data={"username": "operator", "password": "sai-mật-khẩu-bí-mật"})
    web(app, "operator")
    api_as("supervisor").get(f"/api/v1/tickets/{ticket['id']}")
    admin = api_as("admin")

    everything = admin.get("/api/v1/audit").json
    assert everything["total"] == 3 and [e["action"] for e in everything["items"]] == [
        "view_personal_data", "login", "login_failed"]
    newest = everything["items"][0]
    assert newest["actor"] == "supervisor" and newest["target_type"] == "ticket"
    assert newest["target_id"] == str(ticket["id"]) and newest["at"].endswith("+00:00")
    assert set(newest) == {"id", "at", "actor_id", "actor", "action", "target_type", "target_id", "client_ip",
                           "details"}

    def actions(query: str) -> list[str]:
        resp = admin.get(f"/api/v1/audit?{query}")
        assert resp.status_code == 200, resp.json
        return [e["action"] for e in resp.json["items"]]

    assert actions("action=login") == ["login"]
    assert actions("actor=operator") == ["login", "login_failed"]
    assert actions("actor=operator&action=login_failed") == ["login_failed"]
    assert actions(f"target_type=ticket&target_id={ticket['id']}") == ["view_personal_data"]
    assert actions("target_type=contact") == []
    at = everything["items"][1]["at"].replace("+00:00", "Z")
    assert actions(f"from={at}") == ["view_personal_data", "login"]
    assert actions(f"to={at}") == ["login_failed"]
    paged = admin.get("/api/v1/audit?per_page=2&page=2").json
    assert paged["total"] == 3 and [e["action"] for e in paged["items"]] == ["login_failed"]

    for bad, field in (("action=nosuch", "action"), ("target_type=planet", "target_type"),
                       ("from=2026-01-01T00:00:00", "from"), ("from=yesterday", "from"),
                       ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
                       ("actor=" + "x" * 101, "actor"), ("target_id=" + "9" * 65, "target_id"),
                       ("actor=a%00b", "actor"), ("per_page=1000", "per_page"), ("stauts=x", "stauts")):
        resp = admin.get(f"/api/v1/audit?{bad}")
        assert resp.status_code == 422, bad
        assert field in json.dumps(resp.json["errors"]), (bad, resp.json)
    # Reading the log is not itself audited.
    assert admin.get("/api/v1/audit").json["total"] == 3


def test_admin_audit_page_filters_and_refuses_bad_filters(app, api_as) -> None:
    web(app).post("/login", data={"username": "operator", "password": "sai-mật-khẩu-bí-mật"})
    admin = web(app, "admin")
    page = admin.get("/admin/audit?action=login_failed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Đăng nhập thất bại" in html and "operator" in html
    assert 'id="audit-' in html and html.count('class="audit-login_failed"') == 1
    assert 'class="audit-login"' not in html  # the admin's own login is filtered out
    check_html(html, "/admin/audit")
    for bad in ("action=nosuch", "from=hôm-qua", "actor=" + "x" * 101,
                "from=2026-02-01T08:00&to=2026-01-01T08:00"):
        resp = admin.get(f"/admin/audit?{bad}")
        assert resp.status_code == 422, bad
        assert 'class="error"' in resp.get_data(as_text=True)
    local = admin.get("/admin/audit?from=2001-01-01T00:00&to=2100-01-01T00:00&actor=admin").get_data(as_text=True)
    assert local.count('class="audit-login"') == 1
    assert "Nhật ký truy cập" in admin.get("/department").get_data(as_text=True)  # the admin's nav link
    admin.get("/lang/en")
    english = admin.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "<h1>Audit log</h1>" in english and "Failed sign-in" in english and "IP address" in english
    assert "Nhật ký truy cập" not in web(app, "supervisor").get("/supervisor").get_data(as_text=True)


# -- append-only --------------------------------------------------------------------------

def test_no_code_path_updates_or_deletes_an_audit_row() -> None:
    root = Path(__file__).resolve().parents[2] / "callcentre"
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("update(AuditEvent", "delete(AuditEvent", "AuditEvent.__table__.update",
                       "AuditEvent.__table__.delete", "audit_events SET", "FROM audit_events"):
            assert needle not in text, f"{path}: {needle}"


def test_postgresql_refuses_update_and_delete_of_audit_rows(app, services, cleanup_users) -> None:
    if not services.is_postgres:
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    web(app).post("/login", data={"username": "operator", "password": "sai-mật-khẩu-bí-mật"})
    (row,) = rows(app)
    with app.app_context():
        for sql in ("UPDATE audit_events SET action = 'logout'", "UPDATE audit_events SET details = '{}'",
                    "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(sa.text(sql))
    assert rows(app) == [row]

    # The one change let through: deleting an account (tests do, admins deactivate) keeps its
    # rows, the id set to NULL by the foreign key and the name kept.
    cleanup_users.append("gone.tmp")
    with app.app_context():
        from werkzeug.security import generate_password_hash
        db.session.add(User(username="gone.tmp", role="operator", full_name="",
                            password_hash=generate_password_hash("một-mật-khẩu-dài", method="pbkdf2:sha256:1000")))
        db.session.commit()
    client = web(app)
    assert client.post("/login", data={"username": "gone.tmp", "password": "một-mật-khẩu-dài"}).status_code == 302
    with app.app_context():
        db.session.execute(sa.delete(User).where(User.username == "gone.tmp"))
        db.session.commit()
    (kept,) = rows(app, AuditEvent.actor_label == "gone.tmp")
    assert kept["action"] == "login" and kept["actor_id"] is None


def test_the_writer_drops_secrets_masks_phones_and_knows_its_vocabulary(app) -> None:
    from callcentre.services import audit

    with app.app_context():
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        audit.record("user_update", actor=admin, target_type="user", target_id=admin.id, details={
            "password": "bí-mật", "nested": {"token": "cc_abc", "token_hash": "f00", "note": "gọi 0912 345 678"},
            "list": [{"secret": "x", "ok": 1}]})
        db.session.commit()
        with pytest.raises(ValueError):
            audit.record("user_delete", actor=admin, target_type="user")
    (row,) = rows(app)
    assert row["details"] == {"nested": {"note": "gọi 091*****78"}, "list": [{"ok": 1}]}
    assert row["client_ip"] is None  # no request: nothing to record
