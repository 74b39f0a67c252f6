"""Flask's signed-cookie sessions, with the signer built once per set of secret keys.

Flask builds a new ``URLSafeTimedSerializer`` on every request, cookie or not: 2% of an API
request's CPU in bench/intake.py's profile. The signer depends only on the secret keys, so it is
kept per (key, fallbacks); rotating ``SECRET_KEY`` simply builds another.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SignerCachingSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        # The signer for the current keys only: a rotation replaces it.
        self._signer: tuple[tuple[object, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._signer is None or self._signer[0] != keys:
            signer = super().get_signing_serializer(app)
            if signer is None:  # only without a secret key, checked above
                return None
            self._signer = (keys, signer)
        return self._signer[1]
