"""Who is calling: bearer API tokens or a Flask-Login session; role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import select

from callcentre.core.extensions import csrf, db, login_manager
from callcentre.http.errors import ApiError
from callcentre.models import ApiToken, User, hash_token
from workflows.roles import Role

F = TypeVar("F", bound=Callable[..., Any])


def register_auth(app: Flask) -> None:
    login_manager.login_view = None  # the API answers 401 JSON; the UI sets its own view

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user and user.active else None

    @login_manager.request_loader
    def load_user_from_bearer(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip())))
        if row is None or row.revoked_at is not None or not row.user.active:
            return None
        g.auth_via_token = True
        return row.user

    @login_manager.unauthorized_handler
    def unauthorized():
        raise ApiError(401, "authentication required (Authorization: Bearer <token>)")


def authenticated_user() -> User:
    """The caller, or 401. Session callers get CSRF checked on unsafe methods."""
    if not current_user.is_authenticated:
        raise ApiError(401, "authentication required (Authorization: Bearer <token>)")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("auth_via_token"):
        csrf.protect()
    return current_user._get_current_object()  # type: ignore[attr-defined]


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Allow only the given roles (admin always passes); 401/403 as JSON otherwise."""
    allowed = {str(r) for r in roles} | {Role.ADMIN.value}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_role(authenticated_user(), allowed)
            return view(*args, **kwargs)

        wrapper._roles = allowed  # type: ignore[attr-defined]  # read by the route-audit test
        return wrapper  # type: ignore[return-value]

    return decorator


def check_role(user: User, allowed: set[str]) -> None:
    if user.role not in allowed:
        raise ApiError(403, f"role '{user.role}' may not do this")


def visible_department_ids(user: User) -> Iterable[int] | None:
    """None means every department; department staff see their own only."""
    if user.is_department_staff:
        return [user.department_id] if user.department_id else []
    return None


def touch_token(token: ApiToken, now: datetime) -> None:
    token.last_used_at = now
