"""``Idempotency-Key`` for POSTs: a retried request replays the first answer.

The key row is inserted in the same transaction as the write it guards, so
either both commit or neither does. If two identical requests race, the
second commit violates the unique key, rolls back its own ticket, and replays
the winner's response: one ticket, two identical answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import ApiError
from .extensions import db
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
# Turns a stored body and status into a response (JSON here; Open311 also renders XML).
Renderer = Callable[[Any, int], Response]


def _json(body: Any, status: int) -> Response:
    return make_response(jsonify(body), status)


def _scope() -> str:
    # Callers authenticated by other means (Open311 API keys) name themselves in g.idempotency_client.
    who = g.get("idempotency_client") or (
        f"user:{current_user.id}" if current_user.is_authenticated else f"ip:{request.remote_addr}")
    return f"{who}:{request.endpoint}"


def _replay(row: IdempotencyKey, render: Renderer = _json) -> Response:
    resp = render(row.response, row.status_code)
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def check_replay(body_hash: str | None = None, render: Renderer = _json) -> Response | None:
    """Call first in a POST view: returns the stored answer for a retried request.

    ``body_hash`` replaces the hash of the raw body when that was already consumed
    (a parsed multipart form).
    """
    key = request.headers.get(HEADER)
    if not key:
        return None
    if len(key) > 200:
        raise ApiError(422, "invalid header", {"headers": {HEADER: ["at most 200 characters"]}})
    body_hash = body_hash or hashlib.sha256(request.get_data()).hexdigest()
    g.idempotency = (_scope(), key, body_hash)
    row = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == g.idempotency[0], IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != body_hash:
        raise ApiError(
            422, "Idempotency-Key reused with a different request body",
            {"headers": {HEADER: ["already used for a different request"]}},
        )
    return _replay(row, render)


def commit_response(body: Any, status: int, render: Renderer = _json) -> Response:
    """Commit the write (with its idempotency record, if any) and answer."""
    pending = g.pop("idempotency", None)
    if pending is not None:
        scope, key, body_hash = pending
        db.session.add(IdempotencyKey(scope=scope, key=key, request_hash=body_hash,
                                      status_code=status, response=body))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if pending is None:
            raise
        row = db.session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.scope == pending[0], IdempotencyKey.key == pending[1])
        )
        if row is None:
            raise
        return _replay(row, render)
    return render(body, status)
