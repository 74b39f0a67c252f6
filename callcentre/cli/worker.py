"""``worker``: an RQ worker with the scheduler, inside the app context."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from callcentre.core.jobs import make_worker
from callcentre.messaging.outbox import dispatch_all, start_dispatcher
from callcentre.sla.ticker import start_ticker


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue names (default: the configured ones)")
@click.option("--burst", is_flag=True, help="drain the queues and exit")
@click.option("--name", default=None)
@click.option("--no-sweep", is_flag=True, help="do not run the periodic SLA sweep ticker in this worker")
@click.option("--no-outbox", is_flag=True, help="do not dispatch the notification outbox in this worker")
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, name: str | None, no_sweep: bool, no_outbox: bool) -> None:
    """Run an RQ worker with its scheduler (SLA timers fire through it), the SLA sweep ticker and
    the notification outbox dispatcher."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    names = list(queues) or list(app.config["RQ_QUEUES"])
    worker = make_worker(app, names, name=name)
    stop = threading.Event()
    if not burst and not no_sweep:
        start_ticker(app, stop)
    if not burst and not no_outbox:
        start_dispatcher(app, stop)
    elif burst and not no_outbox:
        dispatch_all()  # a burst worker drains what is already waiting
    click.echo(f"worker {worker.name} on {names} via {app.config['REDIS_URL']}", err=True)
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()
