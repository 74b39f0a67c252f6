"""Errors that match the caller: JSON for the API, never a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from callcentre.core.extensions import db


class ApiError(Exception):
    """An error the API reports as ``{"code", "status", "message", "errors"?}``."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def field_error(field: str, reason: str, status: int = 422) -> ApiError:
    """A 422 shaped like marshmallow's: ``{"errors": {"json": {field: [reason]}}}``."""
    return ApiError(status, "invalid input", {"json": {field: [reason]}})


def _payload(status: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    from http import HTTPStatus

    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError) -> ResponseReturnValue:
        db.session.rollback()
        return jsonify(_payload(exc.status, exc.message, exc.errors)), exc.status

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def handle_database_down(exc: Exception) -> ResponseReturnValue:
        # A connection that cannot be made is an outage, not a bug: 503, retry later.
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the session may be unusable
            pass
        app.logger.error("database error: %s", exc)
        if isinstance(exc, OperationalError) or getattr(exc, "connection_invalidated", False):
            resp = jsonify(_payload(503, "database unavailable, try again shortly"))
            resp.headers["Retry-After"] = "5"
            return resp, 503
        return jsonify(_payload(500, "internal error")), 500

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> ResponseReturnValue:
        if exc.code and exc.code >= 500:
            db.session.rollback()
        data = getattr(exc, "data", None)  # flask-smorest / webargs validation details
        errors = (data or {}).get("messages") if isinstance(data, dict) else None
        if errors is None and isinstance(data, dict):
            errors = data.get("errors")
        body = _payload(exc.code or 500, exc.description or "", errors)
        if exc.code == 422:
            body["message"] = "invalid input"
        response = jsonify(body)
        for name, value in exc.get_headers():  # Allow on a 405, Retry-After on a 429, Location on a 308
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, exc.code or 500

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify(_payload(500, "internal error")), 500
