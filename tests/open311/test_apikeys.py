"""API keys: ``flask apikeys create|revoke|list`` and the admin API; stored hashed, revocable."""

from __future__ import annotations

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import ApiClient, hash_token
from tests.open311.conftest import BASE, form


def test_cli_create_prints_only_the_key_which_is_stored_hashed(app, client) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["apikeys", "create", "zalo-mini-app"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert result.stdout == key + "\n" and key.startswith("o311_")
    with app.app_context():
        row = db.session.scalars(sa.select(ApiClient)).one()
        assert row.key_hash == hash_token(key) and key not in (row.key_hash, row.prefix)
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 201

    listing = runner.invoke(args=["apikeys", "list"])
    assert listing.exit_code == 0 and "zalo-mini-app" in listing.output and "active" in listing.output
    assert key not in listing.output
    assert runner.invoke(args=["apikeys", "revoke", "zalo-mini-app"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["apikeys", "list"]).output
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 403


def test_cli_rejects_bad_names(app) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["apikeys", "create", "dup"]).exit_code == 0
    for args, message in [(["apikeys", "create", "dup"], "already exists"),
                          (["apikeys", "create", "Tên có dấu"], "lower-case"),
                          (["apikeys", "create", "x" * 33], "lower-case"),
                          (["apikeys", "revoke", "nobody"], "no API client")]:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_admin_api_issues_lists_and_revokes(api_as, client) -> None:
    admin = api_as("admin")
    resp = admin.post("/api/v1/api-clients", {"name": "fixmystreet"})
    assert resp.status_code == 201, resp.json
    key = resp.json["api_key"]
    assert resp.json["active"] is True and key.startswith(resp.json["prefix"])
    assert admin.post("/api/v1/api-clients", {"name": "fixmystreet"}).status_code == 409
    bad = admin.post("/api/v1/api-clients", {"name": "Có Dấu"})
    assert bad.status_code == 422 and "name" in bad.json["errors"]["json"]
    listed = admin.get("/api/v1/api-clients").json
    assert [c["name"] for c in listed] == ["fixmystreet"] and "api_key" not in listed[0]
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 201
    assert admin.get("/api/v1/api-clients").json[0]["last_used_at"] is not None
    assert admin._call("DELETE", "/api/v1/api-clients/fixmystreet").status_code == 204
    assert admin._call("DELETE", "/api/v1/api-clients/nobody").status_code == 404
    assert client.post(f"{BASE}/requests.json", data={**form(), "api_key": key}).status_code == 403
    assert admin.get("/api/v1/api-clients").json[0]["active"] is False


def test_admin_api_is_for_admins_only(api_as) -> None:
    assert api_as(None).get("/api/v1/api-clients").status_code == 401
    for user in ("operator", "supervisor", "head"):
        assert api_as(user).get("/api/v1/api-clients").status_code == 403
        assert api_as(user).post("/api/v1/api-clients", {"name": "sneaky"}).status_code == 403
