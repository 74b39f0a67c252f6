"""Running RQ jobs inside the Flask app context.

The worker is a CLI command of the app (``flask --app wsgi worker``): each job
gets a fresh app context and its own database session, removed afterwards so
no transaction or connection leaks from one job into the next.

A database connection can drop under a job (PostgreSQL restarted, failed over, or the backend
terminated). That must cost one job attempt, never the worker: the session is discarded without
raising (``release_session``), and a job that failed because its connection was lost runs again
(``DB_RETRY_DELAYS``). Every job here is idempotent, so running it again is safe.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from rq import Queue, SimpleWorker
from rq.executions import Execution
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.utils import now
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from callcentre.core.extensions import db

log = logging.getLogger(__name__)
# A job that lost its database connection runs again after these delays (seconds): a killed
# backend is back at once, a restart or failover takes a while. Past them, the job fails as usual.
DB_RETRY_DELAYS = (0, 1, 2, 5, 10, 30, 60, 120)


def lost_connection(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the database connection going away."""
    while exc is not None:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def release_session() -> None:
    """End the current session; a connection lost meanwhile is discarded, not raised.

    ``remove()`` rolls back whatever transaction is open. If the server dropped the connection,
    that ROLLBACK fails: SQLAlchemy has invalidated the connection by then (the pool replaces
    it at the next checkout, ``pool_pre_ping`` catches the idle ones), but ``remove()`` raises
    before it forgets the session. Forget it here, or the next use of this scope finds it.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        log.warning("database connection lost at the end of a session; discarded: %s", exc.__class__.__name__)
        try:
            db.session.registry().invalidate()
        except SQLAlchemyError:
            pass
        db.session.registry.clear()


class AppContextWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job: jobs here are short database work)."""

    flask_app: Flask
    _failure: BaseException | None = None

    def execute_job(self, job: Job, queue: Queue) -> None:
        with self.flask_app.app_context():
            try:
                super().execute_job(job, queue)
            finally:
                release_session()

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        self._failure = exc_info[1]  # RQ calls this just before handle_job_failure, with the exception
        super().handle_exception(job, *exc_info)

    def handle_job_failure(self, job: Job, queue: Queue, started_job_registry: StartedJobRegistry | None = None,
                           exc_string: str = "", execution: Execution | None = None) -> None:
        failure, self._failure = self._failure, None
        runs = int(job.meta.get("db_lost", 0))
        if not lost_connection(failure) or runs >= len(DB_RETRY_DELAYS):
            super().handle_job_failure(job, queue, started_job_registry=started_job_registry,
                                       exc_string=exc_string, execution=execution)
            return
        # Not RQ's Retry: that budget is the job's own (provider errors), and stays untouched.
        delay = DB_RETRY_DELAYS[runs]
        job.meta["db_lost"] = runs + 1
        log.warning("job %s lost its database connection; running it again in %ss (%d/%d)", job.id, delay,
                    runs + 1, len(DB_RETRY_DELAYS))
        try:
            with self.connection.pipeline() as pipe:
                self.cleanup_execution(job, pipeline=pipe, execution=execution)
                if delay:
                    queue.schedule_job(job, now() + timedelta(seconds=delay), pipeline=pipe)
                else:
                    queue._enqueue_job(job, pipeline=pipe, at_front=True)  # as RQ's own Job.retry does
                pipe.execute()
        except Exception:  # noqa: BLE001 - Redis failing too: record the failure the usual way
            log.exception("could not requeue job %s", job.id)
            super().handle_job_failure(job, queue, started_job_registry=started_job_registry,
                                       exc_string=exc_string, execution=execution)


def make_worker(app: Flask, queue_names: list[str] | None = None, name: str | None = None) -> AppContextWorker:
    """A worker on ``queue_names`` (default ``RQ_QUEUES``: served in that order, "sla" first)."""
    from callcentre.core.redis_client import get_redis

    conn = get_redis(app)
    names = list(queue_names or app.config["RQ_QUEUES"])
    worker = AppContextWorker([Queue(q, connection=conn) for q in names], connection=conn, name=name)
    worker.flask_app = app
    return worker
