"""Web sessions end server-side: a copied cookie dies with logout, a deactivated user at once."""

from __future__ import annotations

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import StaffSession, User

PASSWORD = "Demo@1022"


def _signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _copy(app, client):
    """Another browser holding a stolen copy of ``client``'s session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    return thief


def test_the_cookie_carries_a_session_id_and_logout_kills_every_copy(app) -> None:
    client = _signed_in(app, "officer")
    thief = _copy(app, client)
    assert thief.get("/department").status_code == 200  # the copy works while the session lives
    with app.app_context():
        [row] = db.session.scalars(sa.select(StaffSession)).all()
        assert row.user.username == "officer" and row.ended_at is None
        assert len(row.token_hash) == 64  # stored hashed: the table cannot be replayed as cookies

    assert client.post("/logout").status_code == 302
    assert client.get("/department").status_code == 302
    resp = thief.get("/department")  # the cookie is still validly signed, but its session has ended
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    with app.app_context():
        assert db.session.scalars(sa.select(StaffSession)).one().ended_at is not None


def test_each_login_is_its_own_session(app) -> None:
    first, second = _signed_in(app, "operator"), _signed_in(app, "operator")
    first.post("/logout")
    assert first.get("/operator").status_code == 302
    assert second.get("/operator").status_code == 200  # signing out one browser leaves the other


def test_a_deactivated_user_is_out_at_the_next_request(app) -> None:
    client = _signed_in(app, "head")
    assert client.get("/department").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == "head").values(active=False))
        db.session.commit()
    try:
        assert client.get("/department").status_code == 302
    finally:
        with app.app_context():
            db.session.execute(sa.update(User).where(User.username == "head").values(active=True))
            db.session.commit()
    assert _signed_in(app, "head").get("/department").status_code == 200  # back in service: signs in again


def test_cookie_flags(app, make_app) -> None:
    client = app.test_client()
    header = client.post("/login", data={"username": "officer", "password": PASSWORD}).headers["Set-Cookie"]
    flags = {part.strip().lower() for part in header.split(";")}
    assert {"httponly", "secure", "samesite=lax"} <= flags  # PUBLIC_BASE_URL is https in the tests
    plain = make_app(PUBLIC_BASE_URL="http://127.0.0.1:8000").test_client()
    header = plain.post("/login", data={"username": "officer", "password": PASSWORD}).headers["Set-Cookie"]
    flags = {part.strip().lower() for part in header.split(";")}
    assert {"httponly", "samesite=lax"} <= flags and "secure" not in flags  # http: a Secure cookie would never return
    lang = client.get("/lang/en").headers.getlist("Set-Cookie")
    assert any(c.startswith("lang=en") and "Secure" in c and "HttpOnly" in c for c in lang)
