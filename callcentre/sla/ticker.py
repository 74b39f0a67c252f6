"""The periodic SLA sweep, started by every worker.

RQ's ``CronScheduler.start()`` blocks and installs signal handlers, so it
needs a process of its own; the worker's main thread belongs to RQ. This
ticker is a daemon thread in each worker that, once per interval, takes a
Redis ``SET NX`` slot lock and enqueues one sweep job: with N workers the
sweep still runs once per interval, and with any one worker alive it runs.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from callcentre.core.redis_client import get_queue, get_redis

log = logging.getLogger(__name__)
SWEEP_FUNC = "callcentre.sla.sweep.sweep"


def enqueue_sweep_once(app: Flask, slot: int, interval: int) -> bool:
    """Enqueue the sweep for this time slot unless another worker already did."""
    if not get_redis(app).set(f"callcentre:sla-sweep:{slot}", "1", nx=True, ex=max(interval * 2, 10)):
        return False
    get_queue("default", app).enqueue(SWEEP_FUNC, job_id=f"sla-sweep-{slot}", result_ttl=600,
                                      job_timeout=max(interval * 5, 60))
    return True


def start_ticker(app: Flask, stop: threading.Event) -> threading.Thread:
    interval = int(app.config["SLA_SWEEP_INTERVAL"])

    def run() -> None:
        while not stop.is_set():
            slot = int(time.time() // interval)
            try:
                enqueue_sweep_once(app, slot, interval)
            except Exception:  # noqa: BLE001 - Redis may be restarting; try next slot
                log.warning("could not enqueue the SLA sweep", exc_info=True)
            stop.wait(interval - time.time() % interval)

    thread = threading.Thread(target=run, name="sla-sweep-ticker", daemon=True)
    thread.start()
    return thread
