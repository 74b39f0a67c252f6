"""The worker's periodic jobs (core/periodic.py) and its scheduler thread (core/scheduler.py),
against the tests' real Redis and database; the live-worker tests are in tests/sla and tests/faults."""

from __future__ import annotations

import importlib
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from rq.job import Job
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.core.periodic import enqueue_once, periodic_jobs
from callcentre.core.redis_client import get_queue, get_redis
from callcentre.core.scheduler import LOCK_TTL, SchedulerThread
from callcentre.models import IdempotencyKey
from callcentre.sla import timers


def test_every_periodic_job_is_declared_once_with_its_interval_and_its_work(app: Flask) -> None:
    jobs = periodic_jobs()
    assert len({j.name for j in jobs}) == len(jobs)
    assert {"sla-sweep", "outbox-dispatch", "idempotency-expiry"} <= {j.name for j in jobs}
    for job in jobs:
        assert job.interval(app) > 0, job.name
        assert (job.enqueue is None) != (job.call is None), job.name  # one or the other
        if job.enqueue:
            module, _, func = job.enqueue.rpartition(".")
            assert callable(getattr(importlib.import_module(module), func)), job.enqueue
    sweep = next(j for j in jobs if j.name == "sla-sweep")
    assert sweep.queue == timers.QUEUE == app.config["RQ_QUEUES"][0]  # served before SMS


def test_a_periodic_job_is_enqueued_once_per_slot_whatever_the_number_of_workers(app: Flask) -> None:
    sweep = next(j for j in periodic_jobs() if j.name == "sla-sweep")
    slot = int(time.time() // sweep.interval(app))
    assert enqueue_once(app, sweep, slot) is True
    assert [enqueue_once(app, sweep, slot) for _ in range(3)] == [False] * 3  # the other workers
    assert enqueue_once(app, sweep, slot + 1) is True
    assert get_queue(timers.QUEUE, app).job_ids == [f"sla-sweep-{slot}", f"sla-sweep-{slot + 1}"]


def test_idempotency_answers_expire_after_their_ttl(app: Flask) -> None:
    ttl = timedelta(hours=app.config["IDEMPOTENCY_TTL_HOURS"])
    now = datetime.now(UTC)
    stored = {"old": now - ttl - timedelta(minutes=1), "fresh": now - ttl + timedelta(minutes=5)}
    with app.app_context():
        db.session.execute(sa.insert(IdempotencyKey), [
            {"scope": "user:1:api.tickets", "key": key, "request_hash": "h", "status_code": 201, "response": {},
             "created_at": created} for key, created in stored.items()])
        db.session.commit()
    expiry = next(j for j in periodic_jobs() if j.name == "idempotency-expiry")
    assert enqueue_once(app, expiry, int(time.time() // expiry.interval(app)))
    make_worker(app).work(burst=True)
    job = Job.fetch(get_queue(expiry.queue, app).finished_job_registry.get_job_ids()[0], connection=get_redis(app))
    assert job.return_value() == 1
    with app.app_context():
        assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["fresh"]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _register_holder(app: Flask, name: str, hostname: str, pid: int) -> str:
    conn = get_redis(app)
    conn.hset(SCHEDULER_KEY_TEMPLATE % name, mapping={"name": name, "hostname": hostname, "pid": str(pid)})
    key = RQScheduler.get_locking_key(timers.QUEUE)
    conn.set(key, name, ex=LOCK_TTL)
    return key


def test_the_scheduler_takes_over_the_lock_of_a_dead_scheduler_of_this_host_at_once(app: Flask) -> None:
    key = _register_holder(app, "killed-9", socket.gethostname(), _dead_pid())
    scheduler = SchedulerThread([timers.QUEUE], get_redis(app))
    scheduler.tick()
    assert get_redis(app).get(key) == scheduler.name.encode()
    scheduler.release_locks()


def test_the_scheduler_leaves_a_lock_of_another_host_to_expire(app: Flask) -> None:
    key = _register_holder(app, "elsewhere", "another-host", _dead_pid())
    scheduler = SchedulerThread([timers.QUEUE], get_redis(app))
    assert scheduler.tick() == 1.0  # holds nothing: looks again in a second
    assert get_redis(app).get(key) == b"elsewhere"
    assert 0 < get_redis(app).ttl(key) <= LOCK_TTL  # gone in LOCK_TTL at most: then this one takes it


def test_the_scheduler_wakes_when_the_next_timer_is_due(app: Flask) -> None:
    time.sleep((1.2 - time.time() % 1) % 1)  # early in a second: the next one is 0.5 to 0.9 s away
    due = int(time.time()) + 1
    with app.app_context():
        timers.schedule([due], app)
    scheduler = SchedulerThread([timers.QUEUE], get_redis(app))
    before = time.time()
    wait = scheduler.tick()
    assert wait < 0.95 and abs(wait - (due - before)) < 0.05  # not a whole interval
    time.sleep(wait)
    scheduler.tick()
    assert get_queue(timers.QUEUE, app).job_ids == [timers.job_id(due)]  # enqueued within its second
    scheduler.release_locks()
