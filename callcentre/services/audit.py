"""The one writer of the audit log (models/audit.py): ``record`` adds a row, nothing updates one.

A change is audited in the caller's transaction (``record`` then the caller's commit): the row
exists exactly when the change does. A read of personal data (``commit=True``) is written at
once in a short transaction of its own, after the read succeeded: the request's session, which
may hold objects still to be serialised, is neither committed nor expired by it. If that write
fails the view fails too: personal data is not shown unrecorded.

``details`` are cleaned here, whoever calls: keys that could hold a secret (a password, a hash,
a token) are dropped, and every phone number in a text is masked (core/log_masking.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, insert, select

from callcentre.core.extensions import db
from callcentre.core.log_masking import mask_phones
from callcentre.models import ApiToken, AuditEvent, User, utcnow
from callcentre.models.audit import ACTIONS, TARGET_TYPES

# Never stored, at any depth of ``details``.
SECRET_KEYS = frozenset({"password", "password_hash", "token", "token_hash", "plaintext", "secret"})
LABEL_MAX, ID_MAX, IP_MAX = 100, 64, 45


def _clean(value: Any) -> Any:
    """JSON-safe, secrets dropped, phone numbers masked."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return mask_phones(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_phones(str(value))


def client_ip() -> str | None:
    """The real client as the app resolves it (http/proxy.py trusts ``TRUSTED_PROXIES`` hops)."""
    if not has_request_context() or not request.remote_addr:
        return None
    return request.remote_addr[:IP_MAX]


def record(action: str, *, actor: User | None, target_type: str, target_id: object = None,
           details: Mapping[str, Any] | None = None, label: str | None = None, commit: bool = False) -> None:
    """Audit ``action`` by ``actor`` (None: nobody signed in, or the command line; ``label`` then
    says who) on ``target_type``/``target_id``.

    ``commit=False``: added to the session, committed with the caller's change. ``commit=True``
    (read-only views): written and committed now, in its own transaction.
    """
    if action not in ACTIONS or target_type not in TARGET_TYPES:  # a caller's mistake, not input
        raise ValueError(f"unknown audit action or target: {action!r}, {target_type!r}")
    name = label if label is not None else (actor.username if actor is not None else "")
    values = {
        "at": utcnow(), "actor_id": actor.id if actor is not None else None, "actor_label": name[:LABEL_MAX],
        "action": action, "target_type": target_type,
        "target_id": None if target_id is None else str(target_id)[:ID_MAX],
        "client_ip": client_ip(), "details": _clean(dict(details or {})),
    }
    if commit:
        with db.engine.begin() as conn:
            conn.execute(insert(AuditEvent).values(**values))
    else:
        db.session.add(AuditEvent(**values))


def user_state(user: User) -> dict[str, Any]:
    """An account as a change's before/after shows it (never its password hash)."""
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "department": user.department.code if user.department else None, "active": user.active}


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """A change's ``details``: the fields that differ, as they were and as they are (a creation:
    ``before`` None and every field after)."""
    if before is None:
        return {"before": None, "after": dict(after)}
    keys = [k for k in after if before.get(k) != after[k]]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


def token_state(token: ApiToken) -> dict[str, Any]:
    """A token as its audit rows show it: whose, until when; never the token nor its hash."""
    return {"user_id": token.user_id, "username": token.user.username, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at}


def events_query(filters: Mapping[str, Any]) -> Select[AuditEvent]:
    """The rows matching ``filters`` (``action``, ``actor`` (name), ``target_type``, ``target_id``,
    ``from`` inclusive, ``to`` exclusive), newest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    for key, column in (("action", AuditEvent.action), ("actor", AuditEvent.actor_label),
                        ("target_type", AuditEvent.target_type), ("target_id", AuditEvent.target_id)):
        if filters.get(key):
            stmt = stmt.where(column == filters[key])
    if filters.get("from") is not None:
        stmt = stmt.where(AuditEvent.at >= filters["from"])
    if filters.get("to") is not None:
        stmt = stmt.where(AuditEvent.at < filters["to"])
    return stmt
