"""Open311 client applications (API keys): the writes shared by the admin API, the admin screen
and ``flask apikeys``.

Each write checks its input first and changes nothing when refused (``ApiClientError``, its
reason in the request's language), then adds the change and its audit row to the session: the
caller commits both. The plaintext key is returned to the caller once and goes nowhere else:
not in the row (only its hash and prefix), not in the audit row, not in a log.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from callcentre.core.extensions import db
from callcentre.models import ApiClient, User, utcnow
from callcentre.models.open311 import CLIENT_NAME
from callcentre.services import audit

NAME_MAX = 32


class ApiClientError(ValueError):
    """A refused change: ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message: str, field: str = "name", status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def clients_query() -> Select[ApiClient]:
    """Every client application, active and revoked, by name."""
    return select(ApiClient).order_by(ApiClient.name)


def client_state(row: ApiClient) -> dict[str, Any]:
    """A client as its audit rows show it: never the key nor its hash (the prefix is listed anyway)."""
    return {"name": row.name, "prefix": row.prefix, "created_at": row.created_at, "revoked_at": row.revoked_at}


def get_client(name: str) -> ApiClient:
    row = db.session.scalar(select(ApiClient).where(ApiClient.name == name[:NAME_MAX]))
    if row is None or len(name) > NAME_MAX:
        raise ApiClientError(_("Không có ứng dụng Open311 tên %(name)s", name=name[:NAME_MAX]), status=404)
    return row


def _exists(name: str) -> ApiClientError:
    return ApiClientError(_("Đã có ứng dụng Open311 tên %(name)s", name=name), status=409)


def create_client(name: str, *, actor: User | None, label: str | None = None) -> tuple[ApiClient, str]:
    """A new client and its plaintext key (shown once by the caller); ``label`` names a CLI actor."""
    if not isinstance(name, str) or not CLIENT_NAME.match(name):
        raise ApiClientError(_("1–32 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang"))
    if db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise _exists(name)
    row, plaintext = ApiClient.issue(name)
    db.session.add(row)
    try:  # another admin may have taken the name between the check and the write
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise _exists(name) from exc
    audit.record("api_client_create", actor=actor, label=label, target_type="api_client", target_id=row.name,
                 details=audit.changes(None, client_state(row)))
    return row, plaintext


def revoke_client(name: str, *, actor: User | None, label: str | None = None) -> tuple[ApiClient, bool]:
    """Revoke ``name``'s key (its requests get 403 from now on); False: it already was (no audit row)."""
    row = get_client(name)
    if row.revoked_at is not None:
        return row, False
    before = client_state(row)
    row.revoked_at = utcnow()
    audit.record("api_client_revoke", actor=actor, label=label, target_type="api_client", target_id=row.name,
                 details=audit.changes(before, client_state(row)))
    return row, True
