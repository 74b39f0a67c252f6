"""The app's Redis connection and RQ queues, created lazily per app."""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask, current_app
from rq import Queue

from callcentre.core.embedded_redis import ensure_embedded_redis


def resolve_redis_url(app: Flask) -> str:
    """``REDIS_URL`` if configured, else start/reuse the embedded server."""
    if app.config.get("REDIS_EMBEDDED") or not app.config.get("REDIS_URL"):
        app.config["REDIS_URL"] = ensure_embedded_redis(Path(app.config["INSTANCE_DIR"]))
    return app.config["REDIS_URL"]


def get_redis(app: Flask | None = None) -> redis.Redis:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy
    conn = app.extensions.get("callcentre_redis")
    if conn is None:
        conn = redis.Redis.from_url(resolve_redis_url(app), socket_timeout=5, socket_connect_timeout=2)
        app.extensions["callcentre_redis"] = conn
    return conn


def get_queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=get_redis(app))
