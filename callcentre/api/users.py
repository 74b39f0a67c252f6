"""Staff accounts and their API tokens, for admins: list, create, edit, deactivate, issue and revoke tokens.

No Idempotency-Key here: its record would keep the new token's plaintext, which is stored nowhere.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.errors import ApiError, field_error
from callcentre.http.pagination import envelope, paginate
from callcentre.models import ApiToken, User
from callcentre.schemas.user import (
    PasswordIn,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserPage,
    UserQuery,
    UserUpdate,
)
from callcentre.services import accounts, audit
from callcentre.services.accounts import AccountError
from workflows.roles import Role

blp = Blueprint("users", __name__, url_prefix="/api/v1/users",
                description="Staff accounts and their API tokens (admin)")


def _refused(exc: AccountError) -> ApiError:
    return field_error(exc.field, str(exc), exc.status) if exc.field else ApiError(exc.status, str(exc))


def _user(user_id: int) -> User:
    try:
        return accounts.get_user(user_id)
    except AccountError as exc:
        raise _refused(exc) from exc


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(UserQuery, location="query")
@blp.response(200, UserPage)
def list_users(query: dict[str, Any]):
    """Every account, active and deactivated, by username (filters ``role``, ``active``)."""
    stmt = accounts.users_query(role=query.get("role"), active=query.get("active"))
    items, total = paginate(stmt, query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(UserCreate)
@blp.response(201, UserOut)
@blp.alt_response(409, response="CONFLICT", description="a user with this username exists")
def create_user(data: dict[str, Any]):
    """Create an account; the password must pass the policy (422 with the reason otherwise)."""
    try:
        user = accounts.create_user(data["username"], data["role"], data["password"],
                                    department_code=data["department"], full_name=data["full_name"])
    except AccountError as exc:
        raise _refused(exc) from exc
    _audit_user("user_create", user, None)
    db.session.commit()
    return user


@blp.route("/<int:user_id>", methods=["PATCH"])
@roles_required(Role.ADMIN)
@blp.arguments(UserUpdate)
@blp.response(200, UserOut)
@blp.alt_response(409, response="CONFLICT", description="your own role")
def update_user(data: dict[str, Any], user_id: int):
    """Change ``role``, ``department`` (a code; null for none) or ``full_name``; what is left out
    stays. Same rules as creating: a department role needs a department (422 otherwise)."""
    user = _user(user_id)
    before = audit.user_state(user)
    try:
        accounts.update_user(user, role=data.get("role"), department_code=data.get("department", ...),
                             full_name=data.get("full_name"), actor=authenticated_user())
    except AccountError as exc:
        raise _refused(exc) from exc
    if audit.user_state(user) != before:
        _audit_user("user_update", user, before)
    db.session.commit()
    return user


def _audit_user(action: str, user: User, before: dict[str, Any] | None, **extra: Any) -> None:
    """Audited in the change's transaction (the callers commit both)."""
    audit.record(action, actor=authenticated_user(), target_type="user", target_id=user.id,
                 details={**audit.changes(before, audit.user_state(user)), **extra})


def _audit_token(action: str, token: ApiToken) -> None:
    audit.record(action, actor=authenticated_user(), target_type="token", target_id=token.id,
                 details=audit.token_state(token))


@blp.route("/<int:user_id>/password", methods=["PUT"])
@roles_required(Role.ADMIN)
@blp.arguments(PasswordIn)
@blp.response(204)
def set_password(data: dict[str, Any], user_id: int):
    """Set a new password (policy as for a new account); the user's web sessions end."""
    user = _user(user_id)
    try:
        accounts.reset_password(user, data["password"])
    except AccountError as exc:
        raise _refused(exc) from exc
    _audit_user("user_update", user, audit.user_state(user), changed=["password"])  # never the password itself
    db.session.commit()


@blp.route("/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(200, UserOut)
@blp.alt_response(409, response="CONFLICT", description="your own account")
def deactivate(user_id: int):
    """Refuse the user's tokens from the next request on (kept for the record); end their web sessions."""
    user = _user(user_id)
    before = audit.user_state(user)
    try:
        accounts.set_active(user, False, actor=authenticated_user())
    except AccountError as exc:
        raise _refused(exc) from exc
    _audit_user("user_update", user, before)
    db.session.commit()
    return user


@blp.route("/<int:user_id>/activate", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(200, UserOut)
def activate(user_id: int):
    """Let the user in again; tokens not expired or revoked work again."""
    user = _user(user_id)
    before = audit.user_state(user)
    accounts.set_active(user, True)
    _audit_user("user_update", user, before)
    db.session.commit()
    return user


@blp.route("/<int:user_id>/tokens", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.response(200, TokenOut(many=True))
def list_tokens(user_id: int):
    """The user's tokens, newest first, revoked and expired included (never the tokens themselves)."""
    return accounts.tokens_of(_user(user_id))


@blp.route("/<int:user_id>/tokens", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(201, TokenCreated)
@blp.alt_response(409, response="CONFLICT", description="the user is deactivated")
def issue_token(user_id: int):
    """Issue a token valid for ``API_TOKEN_DAYS``; this answer is the only place it appears."""
    try:
        row, plaintext = accounts.issue_token(_user(user_id))
    except AccountError as exc:
        raise _refused(exc) from exc
    _audit_token("token_create", row)
    db.session.commit()
    return {**{name: getattr(row, name) for name in TokenOut().fields}, "token": plaintext}


@blp.route("/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.response(200, TokenOut)
def revoke_token(user_id: int, token_id: int):
    """Refuse the token from the next request on; revoking it again changes nothing."""
    token = accounts.token_of(_user(user_id), token_id)
    if token is None:
        raise ApiError(404, "no such token for this user")
    accounts.revoke_token(token)
    _audit_token("token_revoke", token)  # again too: an admin's act, whatever it changed
    db.session.commit()
    return token
