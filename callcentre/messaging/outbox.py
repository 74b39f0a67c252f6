"""The notification outbox: from a committed event to its ``notify_event`` job, never lost.

An event that may notify the citizen (``NOTIFY_KINDS``) gets a ``notification_outbox`` row in
its own transaction, written by the one history writer (services/history.py). So a request costs
no Redis round trip, and a Redis outage at commit loses nothing.

Every worker runs ``dispatch`` in a thread (the ``outbox-dispatch`` entry of core/periodic.py):
every ``NOTIFY_DISPATCH_INTERVAL`` seconds it takes the oldest rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share the work without doubling it), enqueues their jobs in one
Redis round trip and deletes the rows in the same transaction. If Redis is down the rows stay
for the next tick; if the commit fails after the enqueue, the jobs are enqueued again, which
``notify_event`` tolerates (one message per event and channel, by a unique key).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from callcentre.core.extensions import db
from callcentre.messaging.outbound import enqueue_notify_jobs
from callcentre.models import NotificationOutbox

OUTBOX = NotificationOutbox.__table__
BATCH = 500  # rows per transaction; a backlog is drained batch after batch without waiting


def dispatch(limit: int = BATCH) -> int:
    """Enqueue the jobs of up to ``limit`` outbox rows and delete those rows; how many. Idempotent."""
    session = db.session
    try:
        ids = session.scalars(select(OUTBOX.c.event_id).order_by(OUTBOX.c.event_id).limit(limit)
                              .with_for_update(skip_locked=True)).all()
        if ids:
            enqueue_notify_jobs(ids)  # raises if Redis is down: the rows stay
            session.execute(delete(OUTBOX).where(OUTBOX.c.event_id.in_(ids)))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return len(ids)


def dispatch_all() -> int:
    """Dispatch until the outbox is empty (tests, ``worker --burst``); how many rows."""
    total = 0
    while (done := dispatch()) > 0:
        total += done
    return total
