"""API keys of client applications: the POST form's ``api_key``, checked against its hash."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.models import ApiClient, hash_token, utcnow
from callcentre.open311.errors import Open311Error
from callcentre.open311.params import param

LAST_USED_GRANULARITY = timedelta(minutes=1)


def supplied_key() -> str | None:
    return param("api_key")


def post_rate_limit() -> str:
    return current_app.config["OPEN311_RATELIMIT"]


def rate_limit_key() -> str:
    """Per API key (its hash, never the key itself); callers without one share their address's bucket."""
    key = supplied_key()
    return f"open311-key:{hash_token(key)}" if key else f"open311-ip:{get_remote_address()}"


def find_client(key: str | None) -> ApiClient | None:
    if not key:
        return None
    client = db.session.scalar(select(ApiClient).where(ApiClient.key_hash == hash_token(key)))
    return client if client is not None and client.active else None


def require_client() -> ApiClient:
    """The calling application, or 403 as the spec says (missing, unknown or revoked key)."""
    key = supplied_key()
    if not key:
        raise Open311Error(403, "api_key was not provided")
    client = find_client(key)
    if client is None:
        raise Open311Error(403, "api_key is not valid (unknown or revoked)")
    now = utcnow()
    # Committed with the request's write; at most once a minute, so a busy client's
    # concurrent POSTs do not all queue on its row's lock.
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_GRANULARITY:
        client.last_used_at = now
    g.idempotency_client = f"apikey:{client.id}"
    return client


def check_optional_key() -> None:
    """GETs need no key, but a key that is sent must be valid."""
    key = supplied_key()
    if key and find_client(key) is None:
        raise Open311Error(403, "api_key is not valid (unknown or revoked)")
