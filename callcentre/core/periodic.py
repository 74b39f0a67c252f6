"""Everything the worker does on a clock, and how often: one list, ``periodic_jobs()``.

``flask worker`` runs RQ's job loop in its main thread, RQ's scheduler in a thread of its own
(``core/scheduler.py``: it moves due SLA timers and retries to their queues) and one daemon
thread per entry here. An entry either

- ``enqueue``\\s an RQ job once per interval across all workers: every worker ticks at the same
  slot boundaries and a Redis ``SET NX`` on the slot lets one of them enqueue (N workers, one
  job per interval; any single worker alive, it still runs), or
- ``call``\\s a function in every worker, each interval (work the workers share by row locks).

A tick that fails (Redis or the database unreachable) is logged once per outage and tried again
at the next one; the session is released without raising (``release_session``), so a dropped
database connection costs one tick, never the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from flask import Flask

from callcentre.core.jobs import release_session
from callcentre.core.redis_client import get_queue, get_redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # thread name; job ids are "<name>-<slot>"
    every: str | float  # seconds, or the config setting that holds them
    enqueue: str | None = None  # dotted path of an RQ job: enqueued on ``queue`` once per interval
    queue: str = "default"
    call: Callable[[], bool] | None = None  # run in every worker; True: more is waiting, go on at once
    burst: Callable[[], object] | None = None  # what ``worker --burst`` runs once instead

    def interval(self, app: Flask) -> float:
        return float(app.config[self.every] if isinstance(self.every, str) else self.every)


def _dispatch_outbox() -> bool:
    from callcentre.messaging.outbox import BATCH, dispatch

    return dispatch() >= BATCH  # a full batch means a backlog


def _dispatch_outbox_all() -> int:
    from callcentre.messaging.outbox import dispatch_all

    return dispatch_all()


def periodic_jobs() -> list[PeriodicJob]:
    from callcentre.sla.timers import QUEUE as SLA_QUEUE

    return [
        # Repairs what timers missed (a lost timer, a worker killed mid-job): docs/sla.md.
        PeriodicJob("sla-sweep", "SLA_SWEEP_INTERVAL", enqueue="callcentre.sla.sweep.sweep", queue=SLA_QUEUE),
        # The notification outbox to notify_event jobs (messaging/outbox.py); `--burst` drains it once.
        PeriodicJob("outbox-dispatch", "NOTIFY_DISPATCH_INTERVAL", call=_dispatch_outbox, burst=_dispatch_outbox_all),
        # Stored Idempotency-Key answers older than IDEMPOTENCY_TTL_HOURS (services/retention.py).
        PeriodicJob("idempotency-expiry", 3600, enqueue="callcentre.services.retention.expire_idempotency_keys"),
        # Citizens past PERSONAL_DATA_RETENTION_DAYS, anonymised (services/personal_data.py).
        PeriodicJob("personal-data-retention", 86400, enqueue="callcentre.services.personal_data.apply_retention"),
        # Last month's (and week's) report, built once from the first working day (services/report_schedule.py);
        # hourly, so a worker down at midnight still builds it that morning.
        PeriodicJob("scheduled-reports", 3600, enqueue="callcentre.services.report_schedule.run_due"),
    ]


def enqueue_once(app: Flask, job: PeriodicJob, slot: int) -> bool:
    """Enqueue ``job`` for this time slot unless another worker already did."""
    assert job.enqueue is not None
    interval = job.interval(app)
    if not get_redis(app).set(f"callcentre:periodic:{job.name}:{slot}", "1", nx=True, ex=max(int(interval * 2), 10)):
        return False
    get_queue(job.queue, app).enqueue(job.enqueue, job_id=f"{job.name}-{slot}", result_ttl=600,
                                      job_timeout=max(int(interval * 5), 60))
    return True


def _run(app: Flask, job: PeriodicJob, stop: threading.Event) -> None:
    interval = job.interval(app)
    failing = False
    while not stop.is_set():
        started, again = time.time(), False
        try:
            if job.enqueue is not None:
                enqueue_once(app, job, int(started // interval))
            else:
                assert job.call is not None
                with app.app_context():
                    try:
                        again = job.call()
                    finally:
                        release_session()
            if failing:
                log.warning("periodic job %s works again", job.name)
            failing = False
        except Exception:  # noqa: BLE001 - Redis or the database unreachable: try at the next tick
            log.warning("periodic job %s failed", job.name, exc_info=not failing)  # once per outage
            failing = True
        if again:
            continue
        if job.enqueue is not None:  # the next slot boundary, the same for every worker
            stop.wait(interval - time.time() % interval)
        else:
            stop.wait(max(0.0, interval - (time.time() - started)))


def start_periodic_jobs(app: Flask, stop: threading.Event, skip: Collection[str] = ()) -> list[threading.Thread]:
    """One daemon thread per entry not in ``skip``, until ``stop`` is set."""
    threads = []
    for job in periodic_jobs():
        if job.name in skip:
            continue
        thread = threading.Thread(target=_run, args=(app, job, stop), name=job.name, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def run_burst(skip: Collection[str] = ()) -> None:
    """What ``worker --burst`` does before draining the queues (in the app context)."""
    for job in periodic_jobs():
        if job.burst is not None and job.name not in skip:
            job.burst()
