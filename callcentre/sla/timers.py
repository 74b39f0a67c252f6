"""RQ timers for SLA instants: one scheduled job per distinct second, not per ticket.

Working-time deadlines cluster (everything assigned over a weekend falls due
at 07:00 on Monday), so a timer is keyed by its instant, rounded up to the
second: ``sla-check-<epoch>``. When it fires it processes *every* clock due by
then in one query (see ``sweep.process_due``). Scheduling the same instant
twice overwrites one job, so scheduling is idempotent; a timer that fires
with nothing due does nothing.

Timers are scheduled only after the transaction commits, only within
``SLA_TIMER_HORIZON`` (the sweep creates later ones as they come within reach),
and cancelled when no clock needs their instant any more. Redis is not the source of truth: the
periodic sweep processes anything overdue and re-creates missing timers.

Timers (and the sweep) go to their own queue, ``QUEUE``, which ``RQ_QUEUES`` lists first: a
worker takes the next job from it before any SMS, so a backlog of messages never delays a breach.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import exists, select

from callcentre.core.after_commit import on_commit
from callcentre.core.extensions import SessionLike, db
from callcentre.core.redis_client import get_queue, get_redis
from callcentre.models import SlaClock

log = logging.getLogger(__name__)
QUEUE = "sla"
JOB_PREFIX = "sla-check-"
TIMER_FUNC = "callcentre.sla.sweep.run_timer"
_PENDING = "sla_timer_changes"


def epoch_of(instant: datetime) -> int:
    return math.ceil(instant.timestamp())


def job_id(epoch: int) -> str:
    return f"{JOB_PREFIX}{epoch}"


def schedule(epochs: Iterable[int], app: Flask | None = None) -> int:
    """Create (or overwrite) the timer job of each instant, in one Redis round trip."""
    epochs = sorted(set(epochs))
    if not epochs:
        return 0
    queue = get_queue(QUEUE, app)
    with get_redis(app).pipeline() as pipe:
        for epoch in epochs:
            queue.enqueue_at(
                datetime.fromtimestamp(epoch, UTC), TIMER_FUNC, epoch,
                job_id=job_id(epoch), result_ttl=300, failure_ttl=86400,
                description=f"SLA timer {datetime.fromtimestamp(epoch, UTC).isoformat()}", pipeline=pipe,
            )
        pipe.execute()
    return len(epochs)


def cancel(epochs: Iterable[int], app: Flask | None = None) -> int:
    """Delete timers whose instant no running clock needs any more."""
    epochs = set(epochs)
    if not epochs:
        return 0  # no connection checked out for nothing
    cancelled = 0
    conn = get_redis(app)
    with db.engine.connect() as sql:
        for epoch in epochs:
            lo, hi = datetime.fromtimestamp(epoch - 1, UTC), datetime.fromtimestamp(epoch, UTC)
            needed = sql.scalar(select(exists().where(SlaClock.next_check_at > lo, SlaClock.next_check_at <= hi)))
            if needed:
                continue
            try:
                Job.fetch(job_id(epoch), connection=conn).delete()
                cancelled += 1
            except NoSuchJobError:
                pass
    return cancelled


def after_commit_reschedule(session: SessionLike, new: datetime | None, old: datetime | None) -> None:
    """Remember a clock's timer change; act on it once, after the commit."""
    pending: tuple[dict[int, bool], set[int]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = ({}, set())
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy

        def flush_pending() -> None:
            adds, drops = session.info.pop(_PENDING, ({}, set()))
            # Only future instants are cancelled: a past one may be the timer running right now.
            now_epoch = epoch_of(datetime.now(UTC))
            # Only instants within the horizon get a job now; the sweep creates the later ones as
            # they come within reach, so Redis holds about an hour of timers, not one per open clock.
            limit = now_epoch + app.config["SLA_TIMER_HORIZON"]
            try:
                schedule([e for e in adds if e <= limit], app)
                cancel({e for e in drops - adds.keys() if e > now_epoch}, app)
            except Exception:  # noqa: BLE001 - Redis down: the sweep re-creates timers
                log.exception("could not schedule SLA timers; the sweep will repair them")

        on_commit(session, flush_pending)
    adds, drops = pending
    if new is not None:
        adds[epoch_of(new)] = True
    if old is not None:
        drops.add(epoch_of(old))


def missing_epochs(epochs: Iterable[int], app: Flask | None = None) -> list[int]:
    """Which of these instants have no timer job in Redis (e.g. after FLUSHALL)."""
    epochs = sorted(set(epochs))
    conn = get_redis(app)
    with conn.pipeline(transaction=False) as pipe:
        for epoch in epochs:
            pipe.exists(Job.key_for(job_id(epoch)))
        found = pipe.execute()
    return [e for e, ok in zip(epochs, found, strict=True) if not ok]


def horizon(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["SLA_TIMER_HORIZON"])
