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
        self._signers: dict[tuple[object, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = super().get_signing_serializer(app)
            if signer is not None:
                self._signers = {keys: signer}  # only the current keys are ever needed
        return signer
