"""Work that must happen only once a transaction has committed.

Timers are scheduled *after* commit: a job must never see a ticket that was
rolled back, and a commit must never wait on Redis. (Citizen notifications
go through a transactional outbox instead: messaging/outbox.py.) If Redis is
down at that moment nothing is lost: the database is the source of truth and
the periodic SLA sweep re-creates missing timers.

* ``on_commit(session, fn)`` runs ``fn()`` after the session's next commit
  (dropped on rollback).
* ``announce_event(session, CommittedEvent)`` does the same for an event
  inserted without the ORM.
* ``ticket_events_committed`` is a blinker signal sent after every commit that
  added TicketEvents, with ``events=[CommittedEvent, ...]``, for in-process
  subscribers (none of them may be needed for correctness: a crash between
  commit and signal loses the signal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from blinker import Namespace
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_signals = Namespace()
ticket_events_committed = _signals.signal("ticket-events-committed")

_CALLBACKS = "after_commit_callbacks"
_EVENTS = "after_commit_ticket_events"


@dataclass(frozen=True)
class CommittedEvent:
    event_id: int
    ticket_id: int
    kind: str
    from_status: str | None
    to_status: str | None


def on_commit(session: Session, fn: Callable[[], None]) -> None:
    session.info.setdefault(_CALLBACKS, []).append(fn)


def announce_event(session: Session, committed: CommittedEvent) -> None:
    """For an event written with a Core INSERT, which the flush hook below never sees."""
    session.info.setdefault(_EVENTS, []).append(committed)


@event.listens_for(Session, "after_flush")
def _collect_ticket_events(session: Session, _flush_context) -> None:
    from callcentre.models import TicketEvent

    # Capture plain values now: after commit the objects are expired and the
    # session may not emit SQL to reload them.
    for obj in session.new:
        if isinstance(obj, TicketEvent):
            session.info.setdefault(_EVENTS, []).append(
                CommittedEvent(obj.id, obj.ticket_id, obj.kind, obj.from_status, obj.to_status)
            )


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_CALLBACKS, [])
    events = session.info.pop(_EVENTS, [])
    for fn in callbacks:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the commit stands; the sweep repairs timers
            log.exception("after-commit callback failed")
    if events and has_app_context():
        try:
            ticket_events_committed.send(current_app._get_current_object(), events=events)
        except Exception:  # noqa: BLE001
            log.exception("ticket_events_committed subscriber failed")


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous_transaction) -> None:
    session.info.pop(_CALLBACKS, None)
    session.info.pop(_EVENTS, None)
