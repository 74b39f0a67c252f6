"""Running RQ jobs inside the Flask app context.

The worker is a CLI command of the app (``flask --app wsgi worker``): each job
gets a fresh app context and its own database session, removed afterwards so
no transaction or connection leaks from one job into the next.
"""

from __future__ import annotations

from flask import Flask
from rq import Queue, SimpleWorker
from rq.job import Job

from callcentre.core.extensions import db


class AppContextWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job: jobs here are short database work)."""

    flask_app: Flask

    def execute_job(self, job: Job, queue: Queue) -> None:
        with self.flask_app.app_context():
            try:
                super().execute_job(job, queue)
            finally:
                db.session.remove()


def make_worker(app: Flask, queue_names: list[str], name: str | None = None) -> AppContextWorker:
    from callcentre.core.redis_client import get_redis

    conn = get_redis(app)
    worker = AppContextWorker([Queue(q, connection=conn) for q in queue_names], connection=conn, name=name)
    worker.flask_app = app
    return worker
