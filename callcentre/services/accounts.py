"""Staff accounts and their API tokens: the writes that the CLI and the admin API share.

Callers commit. A refused change raises ``AccountError`` (the API answers it as JSON, the CLI
prints it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from types import EllipsisType

from flask import current_app
from sqlalchemy import Select, select

from callcentre.core.extensions import db
from callcentre.formats.limits import text_problem
from callcentre.http.staff_sessions import end_sessions_of
from callcentre.models import ApiToken, Department, User, utcnow
from callcentre.services.password_policy import WeakPassword, check_password_policy
from workflows.roles import DEPARTMENT_ROLES, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class AccountError(ValueError):
    """A refused account change: ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def find_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user '{username}'", status=404)
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("no such user", status=404)
    return user


def users_query(role: str | None = None, active: bool | None = None) -> Select[tuple[User]]:
    """Accounts by username, for a paginated list."""
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise AccountError(f"Không có đơn vị mã '{code}' / no department with code '{code}'", "department")
    return department


def _check_role(role: str, department: Department | None) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"Vai trò không hợp lệ / unknown role '{role}'", "role")
    if Role(role) in DEPARTMENT_ROLES and department is None:
        raise AccountError(f"Vai trò này cần chọn đơn vị / role '{role}' needs a department", "department")


def _check_full_name(full_name: str) -> None:
    if text_problem(full_name, 200) is not None:
        raise AccountError("Họ tên tối đa 200 ký tự, không có ký tự NUL / "
                           "full_name: at most 200 characters, no NUL", "full_name")


def create_user(username: str, role: str, password: str, department_code: str | None = None,
                full_name: str = "") -> User:
    if not USERNAME.match(username):
        raise AccountError("Tên đăng nhập: 2-80 chữ thường không dấu, số, '.', '_' hoặc '-' / "
                           "username: 2-80 lower-case letters, digits, '.', '_' or '-'", "username")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"Tên đăng nhập '{username}' đã có / user '{username}' already exists", "username", 409)
    department = _department(department_code)
    _check_role(role, department)
    _check_full_name(full_name)
    user = User(username=username, role=role, department=department, full_name=full_name, active=True)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, role: str | None = None, department_code: str | None | EllipsisType = ...,
                full_name: str | None = None, actor: User | None = None) -> None:
    """Change what is given (``department_code`` ``...``: kept, None or "": none), with the rules
    of ``create_user``; nothing is changed when any of it is refused. A role takes effect at the
    user's next request (sessions and tokens look the user up each time)."""
    new_role = user.role if role is None else role
    department = user.department if isinstance(department_code, EllipsisType) else _department(department_code)
    _check_role(new_role, department)
    if new_role != user.role:
        _refuse_self(user, actor, "Không thể đổi vai trò của chính mình", "you cannot change your own role")
    if full_name is not None:
        _check_full_name(full_name)
        user.full_name = full_name
    user.role = new_role
    user.department = department


def _refuse_self(user: User, actor: User | None, vi: str, en: str) -> None:
    # An admin may not lock themselves out: another admin has to do it.
    if actor is not None and user.id == actor.id:
        raise AccountError(f"{vi} / {en}", status=409)


def set_password(user: User, password: str) -> None:
    """Every password a person chooses goes through the policy (services/password_policy.py)."""
    try:
        check_password_policy(password, user.username)
    except WeakPassword as exc:
        raise AccountError(str(exc), "password") from exc
    user.set_password(password)


def reset_password(user: User, password: str, keep_session: int | None = None) -> int:
    """A new password for an existing account (policy as ``set_password``); every web session
    of the user ends (but ``keep_session``: an admin changing their own password stays signed in
    where they did it), so whoever knew the old password is out. Returns the sessions ended."""
    set_password(user, password)
    return end_sessions_of(user.id, keep=keep_session)


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """A deactivated user's tokens and web sessions are refused from the next request on
    (``http/auth.py`` checks ``User.active`` on every lookup) and the sessions also end, so
    activating again restores only the tokens that have not expired or been revoked."""
    if not active:
        _refuse_self(user, actor, "Không thể khóa tài khoản của chính mình", "you cannot deactivate your own account")
        end_sessions_of(user.id)
    user.active = active


def token_lifetime() -> timedelta:
    days = int(current_app.config["API_TOKEN_DAYS"])
    if days < 1:
        raise AccountError("API_TOKEN_DAYS must be at least 1", status=500)
    return timedelta(days=days)


def issue_token(user: User) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid for ``API_TOKEN_DAYS``; the plaintext exists only in the answer."""
    if not user.active:
        raise AccountError(f"user '{user.username}' is deactivated", status=409)
    row, plaintext = ApiToken.issue(user, token_lifetime())
    db.session.add(row)
    db.session.flush()
    return row, plaintext


def tokens_of(user: User) -> Sequence[ApiToken]:
    """Newest first, revoked and expired ones included (the record of who had access)."""
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())).all()


def token_of(user: User, token_id: int) -> ApiToken | None:
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def find_token(prefix_or_id: str) -> ApiToken:
    """By id (digits) or by the prefix that the lists show (a trailing '…' is ignored)."""
    key = prefix_or_id.strip().rstrip("…")
    if key.isdigit():
        row = db.session.get(ApiToken, int(key))
        if row is None:
            raise AccountError(f"no token with id {key}", status=404)
        return row
    rows = db.session.scalars(select(ApiToken).where(ApiToken.prefix == key)).all()
    if not rows:
        raise AccountError(f"no token with prefix '{key}'", status=404)
    if len(rows) > 1:
        raise AccountError(f"{len(rows)} tokens share the prefix '{key}': give the id", status=409)
    return rows[0]


def revoke_token(token: ApiToken) -> None:
    """Refused from the next request on; the row stays for the record. Revoking twice is a no-op."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
