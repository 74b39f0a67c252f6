"""The session cookie follows a key rotation: old cookies are refused unless the old key is a fallback."""

from __future__ import annotations

from flask import Flask, session


def test_a_rotated_key_invalidates_old_cookies(make_app) -> None:
    app: Flask = make_app(SECRET_KEY="first-secret")

    @app.get("/_t/set")
    def set_value():
        session["n"] = 1
        return "ok"

    @app.get("/_t/get")
    def get_value():
        return str(session.get("n"))

    client = app.test_client()
    client.get("/_t/set")
    assert client.get("/_t/get").text == "1"
    app.secret_key = "second-secret"
    assert client.get("/_t/get").text == "None"  # signed with the old key: not accepted
    app.config["SECRET_KEY_FALLBACKS"] = ["first-secret"]
    assert client.get("/_t/get").text == "1"  # unless the old key is listed as a fallback
