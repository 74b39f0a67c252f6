"""Page behaviour that needs no browser: content negotiation, rate limit, redirects, CSV."""

from __future__ import annotations

from tests.conftest import ticket_payload


def _login(client, username: str, **kw):
    return client.post("/login", data={"username": username, "password": "Demo@1022", **kw})


def test_lookup_page_is_rate_limited_with_an_html_page(make_app, api_as) -> None:
    code = api_as("operator").post("/api/v1/tickets", ticket_payload()).json["receipt_code"]
    client = make_app(RATELIMIT_PUBLIC="2 per minute").test_client()
    assert [client.get(f"/t/{code}").status_code for _ in range(3)] == [200, 200, 429]
    resp = client.get("/t")
    assert resp.status_code == 429 and resp.mimetype == "text/html"
    assert "Quá nhiều yêu cầu" in resp.get_data(as_text=True)


def test_login_never_redirects_off_site_and_pages_need_a_session(client) -> None:
    assert client.get("/department").headers["Location"].startswith("/login?next=")
    resp = _login(client, "officer", next="https://evil.example/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/department"
    client.post("/logout")
    resp = _login(client, "officer", next="/tickets/1")
    assert resp.headers["Location"] == "/tickets/1"


def test_inbox_csv_is_utf8_with_the_departments_tickets_only(client, api_as) -> None:
    mine = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    other = api_as("operator").post("/api/v1/tickets", ticket_payload(category="CONG-THUONG")).json
    for ticket in (mine, other):  # the department's inbox holds assigned tickets only
        api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    _login(client, "officer")
    resp = client.get("/department?format=csv&status=all")
    text = resp.get_data(as_text=True)
    assert resp.mimetype == "text/csv" and text.startswith("\ufeffMã biên nhận,")
    assert mine["receipt_code"] in text and other["receipt_code"] not in text


def test_english_page_and_vietnamese_default(client) -> None:
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.get("/lang/en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_the_nav_links_exactly_the_pages_the_role_may_open(make_app) -> None:
    pages = {"/operator": 'accesskey="1"', "/department": 'accesskey="2"', "/supervisor": 'accesskey="3"'}
    for username in ("operator", "officer", "head", "supervisor", "admin"):
        client = make_app().test_client()
        assert _login(client, username).status_code == 302
        nav = client.get("/login", follow_redirects=True).get_data(as_text=True)
        for path, link in pages.items():
            allowed = client.get(path).status_code == 200
            assert (link in nav) == allowed, (username, path)
