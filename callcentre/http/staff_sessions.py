"""Web logins held server-side (Flask-Login's "alternative tokens").

The session cookie carries a random id, not the user id (``login_manager.id_attribute``); only
its SHA-256 is stored, in ``staff_sessions``. Logout ends the row, so a copy of the cookie taken
before (from a shared PC, a proxy log) stops working at once; a deactivated user's sessions stop
at their next request because the loader checks ``active``. A cookie from before this scheme
(a bare user id) matches no row: that user simply signs in again.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from flask import g
from flask_login import login_user, logout_user
from sqlalchemy import select, update

from callcentre.core.extensions import db, login_manager
from callcentre.models import StaffSession, User, hash_token, utcnow

log = logging.getLogger(__name__)
# last_seen_at is for audits and idle reports, not security: one write a minute per session at most.
TOUCH_EVERY = timedelta(minutes=1)


def init_app() -> None:
    login_manager.id_attribute = "get_session_id"  # User.get_session_id: this login's random id


def sign_in(user: User) -> None:
    """Start a server-side session for ``user`` and put its id in the (new) session cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(StaffSession(token_hash=hash_token(token), user_id=user.id, created_at=now, last_seen_at=now))
    db.session.commit()
    user.web_session_token = token  # read by User.get_session_id
    login_user(user)


def load(token: str) -> User | None:
    """The user of a live session (Flask-Login's ``user_loader``), or None."""
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == hash_token(token),
                                                       StaffSession.ended_at.is_(None)))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if now - row.last_seen_at >= TOUCH_EVERY:
        _touch(row.id, now)
    g.staff_session_id = row.id
    row.user.web_session_token = token
    return row.user


def _touch(session_id: int, now: datetime) -> None:
    # Its own short transaction: the request's session may hold work its view has not committed.
    try:
        with db.engine.begin() as conn:
            conn.execute(update(StaffSession).where(StaffSession.id == session_id).values(last_seen_at=now))
    except Exception:  # noqa: BLE001 - a missed last-seen stamp must never cost the request
        log.warning("could not update last_seen_at of staff session %s", session_id, exc_info=True)


def sign_out() -> None:
    """End this request's session server-side, then drop it from the cookie."""
    session_id = g.pop("staff_session_id", None)
    if session_id is not None:
        db.session.execute(update(StaffSession).where(StaffSession.id == session_id, StaffSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))
        db.session.commit()
    logout_user()


def end_sessions_of(user_id: int, keep: int | None = None) -> int:
    """End every live session of a user but ``keep`` (a session id), e.g. on deactivation or a
    password change; the caller commits. The user's next request with one finds no live row."""
    stmt = update(StaffSession).where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(StaffSession.id != keep)
    result = db.session.execute(stmt.values(ended_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
