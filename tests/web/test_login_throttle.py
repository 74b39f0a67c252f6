"""Sign-in throttling: an exponential delay per account, a generous failed-attempts budget per IP."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import LoginFailure, utcnow

PASSWORD = "Demo@1022"
LOCKED = "Quá nhiều lần đăng nhập sai, thử lại sau"


def _login(client, username: str, password: str = PASSWORD, ip: str = "203.0.113.7"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def _unlock(app, username: str) -> None:
    """Let the account's current delay run out (as if its seconds had passed)."""
    with app.app_context():
        db.session.execute(sa.update(LoginFailure).where(LoginFailure.subject == f"user:{username}")
                           .values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_a_locked_account_does_not_lock_out_colleagues_behind_the_same_nat(app, make_app) -> None:
    web = make_app(LOGIN_FREE_FAILURES=3, LOGIN_DELAY_BASE=30)
    client = web.test_client()
    assert [_login(client, "officer", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    # The right password now waits too, and the page says for how long, in Vietnamese.
    resp = _login(client, "officer")
    assert resp.status_code == 429
    assert 28 <= int(resp.headers["Retry-After"]) <= 30
    page = resp.get_data(as_text=True)
    assert LOCKED in page and "giây" in page and 'name="username"' in page
    assert client.get("/department").status_code == 302  # not signed in
    # Everyone else in the office (same address) signs in as usual.
    for username in ("operator", "head", "supervisor"):
        assert _login(make_app().test_client(), username).status_code == 302, username
    # So does the same account from anywhere, once its delay has run out.
    _unlock(web, "officer")
    assert _login(client, "officer").status_code == 302


def test_the_delay_doubles_and_a_success_forgets_the_failures(app, make_app) -> None:
    web = make_app(LOGIN_FREE_FAILURES=2, LOGIN_DELAY_BASE=10, LOGIN_DELAY_MAX=35)
    client = web.test_client()
    waits = []
    for _ in range(5):
        resp = _login(client, "Officer ", "wrong")  # neither case nor spaces dodge the count
        assert resp.status_code == 401
        waits.append(resp.headers.get("Retry-After"))
        if waits[-1]:
            assert _login(client, "officer").status_code == 429  # locked: not even the right password
            _unlock(web, "officer")
    # Failure 1 is free; then 10 s, doubling (20, 40 -> the 35 s cap).
    assert waits == [None, "10", "20", "35", "35"]
    with web.app_context():
        assert db.session.get(LoginFailure, "user:officer").failures == 5  # refused attempts were not counted
    assert _login(client, "officer").status_code == 302
    with web.app_context():
        assert db.session.get(LoginFailure, "user:officer") is None
    assert "Retry-After" not in _login(web.test_client(), "officer", "wrong").headers  # a fresh start


def test_unknown_names_are_throttled_like_real_ones(app, make_app) -> None:
    client = make_app(LOGIN_FREE_FAILURES=1).test_client()
    assert _login(client, "nobody", "x").status_code == 401
    assert _login(client, "nobody", "x").status_code == 429  # a 429 does not reveal who exists


def test_the_per_ip_budget_counts_failures_only(app, make_app) -> None:
    web = make_app(LOGIN_RATELIMIT="3 per minute")
    # A whole office signs in from one address: successes never use the budget.
    for _ in range(4):
        for username in ("operator", "officer", "head"):
            assert _login(web.test_client(), username).status_code == 302
    client = web.test_client()
    assert [_login(client, name, "wrong").status_code for name in ("a", "b", "c")] == [401, 401, 401]
    resp = _login(client, "supervisor")  # an address that sprays guesses is stopped, right password or not
    assert resp.status_code == 429 and resp.mimetype == "text/html"
    assert LOCKED in resp.get_data(as_text=True) and int(resp.headers["Retry-After"]) > 0
    assert _login(web.test_client(), "supervisor", ip="198.51.100.9").status_code == 302  # other addresses: fine


def test_the_lock_message_in_english(app, make_app) -> None:
    client = make_app(LOGIN_FREE_FAILURES=1).test_client()
    client.get("/lang/en")
    resp = _login(client, "officer", "wrong")
    assert resp.status_code == 401
    assert "Too many failed sign-ins, try again in 30 seconds" in resp.get_data(as_text=True)
