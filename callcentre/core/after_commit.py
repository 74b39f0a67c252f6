"""Work that must happen only once a transaction has committed.

SLA timers are scheduled *after* commit (sla/timers.py): a job must never see a ticket that was
rolled back, and a commit must never wait on Redis. If Redis is down at that moment nothing is
lost: the database is the source of truth and the periodic SLA sweep re-creates missing timers.
(Citizen notifications need no such hook: their outbox row is written with the event, see
services/history.py.)

``on_commit(session, fn)`` runs ``fn()`` after the session's next commit and drops it on rollback.
The two session hooks that make this work are installed by ``create_app`` through ``init_app``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from callcentre.core.extensions import SessionLike

log = logging.getLogger(__name__)
_CALLBACKS = "after_commit_callbacks"


def on_commit(session: SessionLike, fn: Callable[[], None]) -> None:
    session.info.setdefault(_CALLBACKS, []).append(fn)


def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_CALLBACKS, []):
        try:
            fn()
        except Exception:  # noqa: BLE001 - the commit stands; the sweep repairs timers
            log.exception("after-commit callback failed")


def _forget_on_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_CALLBACKS, None)


def init_app(app: Flask) -> None:
    """Install the hooks on every SQLAlchemy session (once per process, whatever the app count)."""
    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_on_rollback)
