"""Bearer-token callers remembered by the process, re-checked by the write they authorise.

Looking a token up costs every API request a round trip and an ORM load (16% of an intake
worker's CPU). For ticket intake on PostgreSQL (``allow_unverified``) the caller is taken from
this per-process cache instead, and the intake statement itself re-checks it: it writes only if
the token is still unrevoked and its user still active with the same id, username and role
(see ``services/intake_sql.py``). A revoked token or a changed user therefore writes nothing,
exactly as if it had been checked first; the view then looks the token up again
(``StalePrincipal``) and answers 401/403 or goes on with the fresh user.

Every other request looks its token up in the database as before; that lookup refreshes the
cache. The cache holds plain values, never ORM objects (which expire when a session commits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app, g

from callcentre.models import DEPARTMENT_ROLES

if TYPE_CHECKING:
    from callcentre.models import User

_CACHE = "callcentre_token_principals"
_MAX_ENTRIES = 1024  # tokens are per integration or per operator: a handful per process
_ALLOWED = "principal_unverified_ok"
_UNVERIFIED = "principal_unverified"


class StalePrincipal(Exception):
    """The cached caller no longer matches the database: look the token up again."""


@dataclass(frozen=True)
class TokenPrincipal:
    """What a request needs of a token's user, for Flask-Login and the intake."""

    token_hash: str
    id: int
    username: str
    role: str
    department_id: int | None

    # Flask-Login's user interface (only active users are ever cached).
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_department_staff(self) -> bool:
        return self.role in DEPARTMENT_ROLES

    @classmethod
    def of(cls, token_hash: str, user: User) -> TokenPrincipal:
        return cls(token_hash, user.id, user.username, user.role, user.department_id)


def _cache(app: Flask) -> dict[str, TokenPrincipal]:
    return app.extensions.setdefault(_CACHE, {})


def remember(token_hash: str, user: User) -> None:
    cache = _cache(current_app)
    if len(cache) >= _MAX_ENTRIES:
        cache.clear()  # crude but bounded; the next lookups refill it
    cache[token_hash] = TokenPrincipal.of(token_hash, user)


def forget(token_hash: str) -> None:
    _cache(current_app).pop(token_hash, None)


def allow_unverified() -> None:
    """This request's write re-checks its caller: a cached principal may stand in for the lookup."""
    g.setdefault(_ALLOWED, True)


def cached(token_hash: str) -> TokenPrincipal | None:
    """The cached principal if this request may use one unchecked (it is then noted in ``g``)."""
    if not g.get(_ALLOWED):
        return None
    principal = _cache(current_app).get(token_hash)
    if principal is not None:
        g.setdefault(_UNVERIFIED, principal)
    return principal


def unverified() -> TokenPrincipal | None:
    """The cached principal this request runs as, which its write must re-check; None once checked."""
    return g.get(_UNVERIFIED)


def drop_unverified() -> None:
    """Forget the request's cached principal (process-wide too), so the token is looked up again."""
    principal = g.pop(_UNVERIFIED, None)
    g.pop(_ALLOWED, None)
    if principal is not None:
        forget(principal.token_hash)
