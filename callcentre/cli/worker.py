"""``worker``: an RQ worker with its scheduler and the periodic jobs, inside the app context."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from callcentre.core.jobs import make_worker
from callcentre.core.periodic import run_burst, start_periodic_jobs
from callcentre.core.redis_client import get_redis
from callcentre.core.scheduler import SchedulerThread

STOP_WAIT = 5.0  # seconds to let the threads finish a tick and release the scheduler lock


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue names, served in this order (default: RQ_QUEUES)")
@click.option("--burst", is_flag=True, help="drain the queues and exit")
@click.option("--name", default=None)
@click.option("--no-sweep", is_flag=True, help="do not enqueue the periodic SLA sweep from this worker")
@click.option("--no-outbox", is_flag=True, help="do not dispatch the notification outbox in this worker")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, name: str | None, no_sweep: bool, no_outbox: bool) -> None:
    """Run an RQ worker with its scheduler (SLA timers fire through it) and the periodic jobs of
    core/periodic.py (the SLA sweep, the notification outbox dispatcher)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy
    names = list(queues) or list(app.config["RQ_QUEUES"])
    worker = make_worker(app, names, name=name)
    skip = {"sla-sweep"} if no_sweep else set()
    if no_outbox:
        skip.add("outbox-dispatch")
    click.echo(f"worker {worker.name} on {names} via {app.config['REDIS_URL']}", err=True)
    if burst:
        run_burst(skip)  # drains what is already waiting in the outbox
        worker.work(with_scheduler=True, burst=True, logging_level="INFO")  # enqueues what is due, once
        return
    stop = threading.Event()
    # Until RQ installs its own handlers (in work()), a SIGTERM still runs the `finally` below.
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    threads: list[threading.Thread] = []
    try:
        # The scheduler is a thread, not RQ's forked child: it dies with this process (core/scheduler.py).
        threads.append(SchedulerThread(names, get_redis(app)).start_thread(stop))
        threads += start_periodic_jobs(app, stop, skip)
        worker.work(burst=False, logging_level="INFO")
    finally:
        stop.set()
        for thread in threads:
            thread.join(STOP_WAIT / len(threads))
