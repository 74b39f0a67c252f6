"""Security headers on every response; no-store on all but static files and QR images."""

from __future__ import annotations

import re
from pathlib import Path

from callcentre.http.security import CACHEABLE_ENDPOINTS
from tests.conftest import ticket_payload

TEMPLATES = Path(__file__).resolve().parents[2] / "callcentre" / "templates"


def _login(client, username: str = "supervisor"):
    return client.post("/login", data={"username": username, "password": "Demo@1022"})


def _assert_protected(resp, cacheable: bool = False) -> None:
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self' 'unsafe-inline'" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in resp.headers["Permissions-Policy"]
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")  # PUBLIC_BASE_URL is https
    assert (resp.headers.get("Cache-Control") == "no-store") is not cacheable, resp.request.path


def test_every_kind_of_response_carries_the_headers(client, api_as) -> None:
    code = api_as("operator").post("/api/v1/tickets", ticket_payload()).json["receipt_code"]
    _login(client)
    for path in ("/login", "/supervisor", "/supervisor?format=csv", f"/t/{code}", "/t/NOTACODE1",
                 "/api/v1/tickets", f"/api/v1/public/tickets/{code}", "/api/v1/docs", "/api/v1/openapi.json",
                 "/healthz", "/no-such-page"):
        resp = client.get(path)
        assert resp.status_code < 500, path
        _assert_protected(resp)
    for path in ("/static/app.css", f"/api/v1/public/tickets/{code}/qr.png", f"/api/v1/public/tickets/{code}/qr.svg",
                 "/api/v1/docs/assets/swagger-ui-bundle.js"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        _assert_protected(resp, cacheable=True)


def test_the_cacheable_endpoints_exist(app) -> None:
    assert CACHEABLE_ENDPOINTS <= set(app.view_functions)


def test_no_hsts_when_the_public_url_is_plain_http(make_app) -> None:
    resp = make_app(PUBLIC_BASE_URL="http://127.0.0.1:8000").test_client().get("/login")
    assert "Strict-Transport-Security" not in resp.headers
    assert resp.headers["Content-Security-Policy"]


def test_templates_have_no_inline_script() -> None:
    """``script-src 'self'`` would block it: scripts live in static/ (handlers in app.js)."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template  # onclick= and friends
        assert "javascript:" not in text, template
