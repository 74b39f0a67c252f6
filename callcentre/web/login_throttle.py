"""Staff sign-in throttling, per account and per client address, kept in the database.

- Per account (``user:<name>``): after ``LOGIN_FREE_FAILURES`` consecutive wrong passwords the
  account waits ``LOGIN_DELAY_BASE`` seconds, doubling with each further failure up to
  ``LOGIN_DELAY_MAX``; a success forgets them. A locked account never blocks the colleagues who
  sign in from the same office NAT. Unknown names count like real ones: a 429 reveals nothing.
- Per client address (``ip:<addr>``, the real client behind ``TRUSTED_PROXIES``): at most
  ``LOGIN_RATELIMIT`` failed attempts per window ("100 per 15 minutes"); successes never count,
  so an office signing in at 07:00 uses none of it. It stops one address spraying many accounts.

While either waits, the password is not even checked (no oracle). In the database, not Redis:
exact across web workers, and unchanged through a Redis outage (where Flask-Limiter's per-process
fallback would multiply the budget by the number of processes).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from limits import parse
from sqlalchemy import case, delete, literal, select

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.models import LoginFailure, UTCDateTime

# A failure this old is forgotten (its row deleted, which also bounds the table).
FORGET_AFTER = timedelta(days=1)


def _user(username: str) -> str:
    return "user:" + username.strip().lower()[:80]


def _address(remote_addr: str | None) -> str:
    return "ip:" + (remote_addr or "unknown")[:64]


def seconds_to_wait(username: str, remote_addr: str | None, now: datetime) -> int:
    """How long before a password from this client for this account is checked again (0: now)."""
    rows = db.session.scalars(select(LoginFailure).where(
        LoginFailure.subject.in_((_user(username), _address(remote_addr))), LoginFailure.locked_until > now))
    return max((math.ceil((row.locked_until - now).total_seconds()) for row in rows if row.locked_until),
               default=0)


def delay_after(failures: int) -> int:
    """Seconds an account waits after ``failures`` consecutive failures (0: none yet)."""
    cfg = current_app.config
    over = failures - cfg["LOGIN_FREE_FAILURES"]
    if over < 0:
        return 0
    return int(min(cfg["LOGIN_DELAY_MAX"], cfg["LOGIN_DELAY_BASE"] * 2 ** min(over, 30)))


def record_failure(username: str, remote_addr: str | None, now: datetime) -> int:
    """Count a wrong password for the account and the address; the seconds either must now wait."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.last_failed_at < now - FORGET_AFTER))
    user = _bump(_user(username), now, window=None)
    user.locked_until = now + timedelta(seconds=delay_after(user.failures)) if delay_after(user.failures) else None
    budget = parse(current_app.config["LOGIN_RATELIMIT"])
    window = timedelta(seconds=budget.get_expiry())
    address = _bump(_address(remote_addr), now, window=window)
    address.locked_until = address.first_failed_at + window if address.failures >= budget.amount else None
    db.session.commit()
    return seconds_to_wait(username, remote_addr, now)


def _bump(subject: str, now: datetime, window: timedelta | None) -> LoginFailure:
    """One atomic increment (concurrent failures are all counted); with a window, a count whose
    window has passed starts again from 1."""
    table = LoginFailure.__table__
    values: dict[str, object] = {"failures": table.c.failures + 1, "last_failed_at": now}
    if window is not None:
        expired = table.c.first_failed_at <= now - window
        values = {"failures": case((expired, 1), else_=table.c.failures + 1),
                  "first_failed_at": case((expired, literal(now, UTCDateTime())), else_=table.c.first_failed_at),
                  "last_failed_at": now}
    insert = upsert_insert(db.engine.dialect.name, table).values(
        subject=subject, failures=1, first_failed_at=now, last_failed_at=now)
    db.session.execute(insert.on_conflict_do_update(index_elements=[table.c.subject], set_=values))
    row = db.session.get(LoginFailure, subject, populate_existing=True)
    assert row is not None
    return row


def record_success(username: str) -> None:
    """A correct password ends the account's streak (not the address's count); the caller commits."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.subject == _user(username)))
