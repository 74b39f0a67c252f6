"""``Idempotency-Key`` for POSTs: a retried request replays the first answer.

The key row is inserted in the same transaction as the write it guards, so
either both commit or neither does. If two identical requests race, the
second commit violates the unique key, rolls back its own ticket, and replays
the winner's response: one ticket, two identical answers.

A POST view calls ``check_replay`` first (a retry is answered from the stored
row without doing the work again) and answers with ``commit_response``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, make_response, request
from flask_login import current_user
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from callcentre.core.extensions import db
from callcentre.http.errors import ApiError
from callcentre.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
# The header as the OpenAPI document shows it, on the operations that read it (``@blp.doc``).
HEADER_DOC = {"in": "header", "name": HEADER, "required": False,
              "description": "makes a retry safe: the same key and body answer the first answer again",
              "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
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


def _remember_key(body_hash: str | None = None) -> tuple[str, str, str] | None:
    """Note the request's key for ``commit_response``; no database read. (scope, key, body hash) or None.

    ``body_hash`` replaces the hash of the raw body when that was already consumed
    (a parsed multipart form).
    """
    key = request.headers.get(HEADER)
    if not key:
        return None
    if len(key) > 200:
        raise ApiError(422, "invalid header", {"headers": {HEADER: ["at most 200 characters"]}})
    g.idempotency = (_scope(), key, body_hash or hashlib.sha256(request.get_data()).hexdigest())
    return g.idempotency


def check_replay(body_hash: str | None = None, render: Renderer = _json) -> Response | None:
    """Call first in a POST view: returns the stored answer for a retried request."""
    pending = _remember_key(body_hash)
    if pending is None:
        return None
    row = _stored(pending)
    return None if row is None else _replay(_same_body(row, pending), render)


def _stored(pending: tuple[str, str, str]) -> IdempotencyKey | None:
    return db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == pending[0], IdempotencyKey.key == pending[1])
    )


def _same_body(row: IdempotencyKey, pending: tuple[str, str, str]) -> IdempotencyKey:
    if row.request_hash != pending[2]:
        raise ApiError(
            422, "Idempotency-Key reused with a different request body",
            {"headers": {HEADER: ["already used for a different request"]}},
        )
    return row


def commit_response(body: Any, status: int, render: Renderer = _json) -> Response:
    """Commit the write (with its idempotency record, if any) and answer."""
    pending = g.pop("idempotency", None)
    try:
        if pending is not None:
            scope, key, body_hash = pending
            # Core, not the ORM: the record is write-only here, and this is every intake's last statement.
            db.session.execute(insert(IdempotencyKey.__table__).values(
                scope=scope, key=key, request_hash=body_hash, status_code=status, response=body,
                created_at=utcnow()))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if pending is None:
            raise
        row = _stored(pending)
        if row is None:
            raise
        return _replay(_same_body(row, pending), render)
    return render(body, status)
