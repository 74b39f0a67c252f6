"""Open311 errors: always a list of ``{code, description}`` (XML ``<errors><error>``).

Blueprint handlers win over the app's JSON handlers for every error raised
while serving an Open311 route, so clients only ever see the spec's shape.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from callcentre.core.extensions import db
from callcentre.http.errors import ApiError
from callcentre.open311.formats import respond


class Open311Error(Exception):
    """An answer of ``status`` with one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(*descriptions: str) -> Open311Error:
    return Open311Error(404, *descriptions)


def error_response(status: int, descriptions: tuple[str, ...] | list[str]) -> Response:
    return respond([{"code": status, "description": d} for d in descriptions], "errors", "error", status)


def _leaves(errors: Any, path: str = "") -> list[str]:
    """Flatten ``{"headers": {"Idempotency-Key": ["..."]}}`` into ``["Idempotency-Key: ..."]``."""
    if isinstance(errors, dict):
        return [m for key, value in errors.items() for m in _leaves(value, key)]
    if isinstance(errors, list):
        return [m for value in errors for m in _leaves(value, path)]
    return [f"{path}: {errors}" if path else str(errors)]


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the session may be unusable; the answer matters more
        pass


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(Exception)
    def handle(exc: Exception) -> Response:
        _rollback()
        if isinstance(exc, Open311Error):
            return error_response(exc.status, exc.descriptions)
        if isinstance(exc, ApiError):
            # The spec has no 422: invalid parameters are 400.
            status = 400 if exc.status == 422 else exc.status
            return error_response(status, _leaves(exc.errors) or [exc.message])
        if isinstance(exc, HTTPException):
            status = exc.code or 500
            description = exc.description or exc.name
            if status == 429:
                description = f"rate limit exceeded ({description}); retry later"
            resp = error_response(status, [description])
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    resp.headers[name] = value  # e.g. Allow on a 405
            return resp
        if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
            # A database that cannot be reached is an outage, not a bug: 503, retry later.
            current_app.logger.error("database error on %s %s: %s", request.method, request.path, exc)
            resp = error_response(503, ["database unavailable, try again shortly"])
            resp.headers["Retry-After"] = "5"
            return resp
        current_app.logger.exception("unhandled Open311 error on %s %s", request.method, request.path)
        return error_response(500, ["internal error"])
