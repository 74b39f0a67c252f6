"""``worker``: an RQ worker with the scheduler, inside the app context."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..jobs import make_worker


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="queue names (default: the configured ones)")
@click.option("--burst", is_flag=True, help="drain the queues and exit")
@click.option("--name", default=None)
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, name: str | None) -> None:
    """Run an RQ worker with its scheduler (scheduled timers fire through it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    names = list(queues) or list(app.config["RQ_QUEUES"])
    worker = make_worker(app, names, name=name)
    click.echo(f"worker {worker.name} on {names} via {app.config['REDIS_URL']}", err=True)
    worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
