"""Who is calling: bearer API tokens or a Flask-Login session; role checks."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, NoReturn, TypeVar, cast

from flask import Flask, Request, current_app, g, request
from flask_login import current_user
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.attributes import set_committed_value

from callcentre.core.extensions import csrf, db, login_manager
from callcentre.http import staff_sessions
from callcentre.http.errors import ApiError
from callcentre.models import ApiToken, User, hash_token, utcnow
from workflows.roles import Role

F = TypeVar("F", bound=Callable[..., Any])

LAST_USED_GRANULARITY = timedelta(minutes=5)


def register_auth(app: Flask) -> None:
    login_manager.login_view = None  # the API answers 401 JSON; the UI sets its own view

    staff_sessions.init_app()

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        return staff_sessions.load(session_id)  # the cookie carries a StaffSession id, not the user id

    @login_manager.request_loader
    def load_user_from_bearer(req: Request) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip())))
        now = utcnow()
        # Revoked, expired (API_TOKEN_DAYS) or its user deactivated: 401 from this request on.
        if row is None or not row.usable_at(now) or not row.user.active:
            return None
        touch_token(row, now)
        g.auth_via_token = True
        return row.user

    @login_manager.unauthorized_handler
    def unauthorized() -> NoReturn:
        raise ApiError(401, "authentication required (Authorization: Bearer <token>)")


def authenticated_user() -> User:
    """The caller, or 401. Session callers get CSRF checked on unsafe methods."""
    if not current_user.is_authenticated:
        raise ApiError(401, "authentication required (Authorization: Bearer <token>)")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("auth_via_token"):
        csrf.protect()
    return current_user._get_current_object()


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Allow only the given roles (admin always passes); 401/403 as JSON otherwise."""
    allowed = {str(r) for r in roles} | {Role.ADMIN.value}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_role(authenticated_user(), allowed)
            return view(*args, **kwargs)

        wrapper._roles = allowed  # type: ignore[attr-defined]  # read by the route-audit test
        return cast(F, wrapper)  # wraps() kept view's signature

    return decorator


def check_role(user: User, allowed: set[str]) -> None:
    if user.role not in allowed:
        raise ApiError(403, f"role '{user.role}' may not do this")


def visible_department_ids(user: User) -> Collection[int] | None:
    """None means every department; department staff see their own only."""
    if user.is_department_staff:
        return [user.department_id] if user.department_id else []
    return None


def touch_token(token: ApiToken, now: datetime) -> None:
    """Record when the token was last used, to within LAST_USED_GRANULARITY.

    In a short transaction of its own, so a GET (which commits nothing) counts too, and at most
    once per granularity per token, so the request path stays one read.
    """
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_GRANULARITY)
    try:
        with db.engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id, stale).values(last_used_at=now))
    except SQLAlchemyError as exc:  # bookkeeping: never refuse a valid token for it
        current_app.logger.warning("could not record the use of token %s: %s", token.id, exc)
        return
    set_committed_value(token, "last_used_at", now)  # seen by this request, not flushed again
