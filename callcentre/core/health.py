"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from callcentre.core.extensions import db, limiter
from callcentre.core.redis_client import get_redis

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz() -> Response:
    """The process is up (no dependency checked)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    """503 without the database. Without Redis the node still serves (200, ``"degraded"``): rate
    limits count in process memory, SLA timers wait for the sweep, messages wait in the outbox;
    taking every node out of the load balancer for a shared Redis outage would stop the hotline."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    if checks["database"] != "ok":
        return jsonify(status="unavailable", checks=checks), 503
    degraded = [name for name, state in checks.items() if state != "ok"]
    if degraded:
        return jsonify(status="degraded", checks=checks, degraded=degraded), 200
    return jsonify(status="ready", checks=checks), 200
