"""SLA timers with a real worker process (RQ worker + scheduler), and its faults.

Each test starts ``flask --app wsgi worker`` as a subprocess on the tests'
database and Redis, uses ``PT2S``-scale policies on the 24x7 calendar, and
waits for the breach records the worker writes. Fault tests (``kill -9``,
``FLUSHALL``) run against a private redis-server the test starts itself, so
they never touch the shared one.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from rq.job import Job

from callcentre.core.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.messaging.outbound import SEND_JOB
from callcentre.models import Notification, OutboundMessage, SlaAlert, SlaClock, Ticket, User
from callcentre.sla import timers
from tests.conftest import Api, ticket_payload

from .live_worker import wait_for

POLICY = {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H", "warn_at": 0.5, "calendar": "24x7"}


@pytest.fixture()
def private_redis() -> Iterator[str]:
    directory = Path(f"/tmp/cc-fault-{uuid.uuid4().hex[:8]}")
    try:
        yield ensure_embedded_redis(directory)
    finally:
        stop_embedded_redis(directory)


def fault_app(make_app: Callable[..., Flask], app: Flask, private_redis: str) -> Flask:
    """An app whose jobs and timers live in the private Redis. Rate limits stay on the shared
    one: Flask-Limiter keeps one storage per process, and it must outlive this test."""
    return make_app(REDIS_URL=private_redis, RATELIMIT_STORAGE_URI=app.config["RATELIMIT_STORAGE_URI"])


def set_policy(api: Api, resolve_within: str) -> None:
    resp = api.put("/api/v1/sla/policies", {**POLICY, "resolve_within": resolve_within})
    assert resp.status_code in (200, 201), resp.json


def create(api: Api) -> dict:
    resp = api.post("/api/v1/tickets", ticket_payload())
    assert resp.status_code == 201, resp.json
    return resp.json


def fire(api: Api, tid: int, trigger: str, **fields) -> dict:
    resp = api.post(f"/api/v1/tickets/{tid}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json
    return resp.json


def breaches(app: Flask, ticket_id: int | None = None) -> list[tuple[int, datetime, datetime]]:
    """(ticket_id, deadline, detected_at) of every resolve breach, in a fresh context."""
    with app.app_context():
        q = sa.select(SlaAlert.ticket_id, SlaAlert.deadline, SlaAlert.detected_at).where(
            SlaAlert.kind == "resolve", SlaAlert.level == "breach")
        if ticket_id is not None:
            q = q.where(SlaAlert.ticket_id == ticket_id)
        return [tuple(r) for r in db.session.execute(q.order_by(SlaAlert.id))]


def next_epoch(app: Flask, ticket_id: int) -> int:
    """The timer instant of the ticket's resolve clock (its 50% warning until that has fired)."""
    with app.app_context():
        return timers.epoch_of(db.session.scalars(sa.select(SlaClock.next_check_at).where(
            SlaClock.ticket_id == ticket_id, SlaClock.kind == "resolve")).one())


def deadline_of(t: dict) -> datetime:
    return datetime.fromisoformat(t["resolve_deadline"])


def sleep_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))


def assert_on_time(detected: datetime, deadline: datetime) -> None:
    lateness = (detected - deadline).total_seconds()
    # Never early; late by the scheduler's 1 s poll plus a job pick-up, not by a sweep interval.
    assert 0 <= lateness < 2.5, lateness


def test_pt2s_policy_breaches_on_time_by_the_timer_alone(app, api_as, start_worker) -> None:
    start_worker(sweep_interval=None)  # --no-sweep: only the scheduled timer can record it
    set_policy(api_as("admin"), "PT2S")
    t = create(api_as("operator"))
    found = wait_for(lambda: breaches(app, t["id"]), timeout=10)
    assert len(found) == 1, found
    _, deadline, detected = found[0]
    assert abs((deadline - deadline_of(t)).total_seconds()) < 0.001
    assert_on_time(detected, deadline)
    with app.app_context():
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.escalation_level >= 1
        kinds = {a.level for a in db.session.scalars(sa.select(SlaAlert).where(SlaAlert.ticket_id == t["id"]))}
        assert kinds == {"warning", "breach"}  # the 50% warning fired first, by its own timer
        head = db.session.scalars(sa.select(User).where(User.username == "head")).one()
        notified = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == head.id)).all()
        assert any("breach" in k for k in notified), notified


def test_resolved_before_the_deadline_never_breaches_and_its_timer_is_cancelled(app, api_as, start_worker) -> None:
    start_worker(sweep_interval=None)
    set_policy(api_as("admin"), "PT5S")
    t = create(api_as("operator"))
    epoch = next_epoch(app, t["id"])
    with app.app_context():
        assert timers.missing_epochs([epoch]) == []  # scheduled after the commit
    fire(api_as("operator"), t["id"], "assign")
    fire(api_as("officer"), t["id"], "accept")
    fire(api_as("officer"), t["id"], "resolve", answer="Đã xử lý xong.")
    with app.app_context():
        assert timers.missing_epochs([epoch]) == [epoch]  # nothing else needs that instant
    sleep_until(deadline_of(t) + timedelta(seconds=2))
    assert breaches(app, t["id"]) == []


def test_pause_and_resume_move_the_breach_instant(app, api_as, start_worker) -> None:
    start_worker(sweep_interval=None)
    set_policy(api_as("admin"), "PT4S")
    operator, officer = api_as("operator"), api_as("officer")
    t = create(operator)
    first_deadline = deadline_of(t)
    fire(operator, t["id"], "assign")
    fire(officer, t["id"], "accept")
    paused_at = datetime.now(UTC)
    fire(officer, t["id"], "request_info", note="Xin số nhà cụ thể")
    left = first_deadline - paused_at
    sleep_until(first_deadline + timedelta(seconds=1.5))
    assert breaches(app, t["id"]) == []  # the clock stood still while waiting for the citizen
    resumed_at = datetime.now(UTC)
    fire(operator, t["id"], "info_received")
    new_deadline = deadline_of(officer.get(f"/api/v1/tickets/{t['id']}").json)
    assert abs((new_deadline - (resumed_at + left)).total_seconds()) < 0.5
    found = wait_for(lambda: breaches(app, t["id"]), timeout=10)
    assert len(found) == 1 and found[0][1] == new_deadline
    assert_on_time(found[0][2], new_deadline)


def test_an_approved_extension_moves_the_breach_instant(app, api_as, start_worker) -> None:
    start_worker(sweep_interval=None)
    set_policy(api_as("admin"), "PT3S")
    operator, officer = api_as("operator"), api_as("officer")
    t = create(operator)
    first_deadline = deadline_of(t)
    fire(operator, t["id"], "assign")
    fire(officer, t["id"], "accept")
    wanted = (datetime.now(UTC) + timedelta(seconds=7)).replace(microsecond=0)
    fire(api_as("head"), t["id"], "request_extension", deadline=wanted.isoformat(), reason="Chờ kết quả đo đạc")
    fire(api_as("supervisor"), t["id"], "approve_extension", note="Đồng ý")
    sleep_until(first_deadline + timedelta(seconds=1.5))
    assert breaches(app, t["id"]) == []
    found = wait_for(lambda: breaches(app, t["id"]), timeout=12)
    assert len(found) == 1 and found[0][1] == wanted
    assert_on_time(found[0][2], wanted)


def queue_sms_backlog(app: Flask, ticket_id: int, n: int) -> None:
    """``n`` real queued messages to the ticket's contact and their ``send_message`` jobs on "default"."""
    with app.app_context():
        contact_id = db.session.get(Ticket, ticket_id).contact_id
        now = datetime.now(UTC)
        ids = db.session.scalars(sa.insert(OutboundMessage).returning(OutboundMessage.id), [
            {"ticket_id": ticket_id, "contact_id": contact_id, "kind": "created", "channel": "sms",
             "provider": "console", "idempotency_key": f"backlog:{i}", "to": "+84912345678",
             "body": f"Tin nhắn {i}", "language": "vi", "encoding": "ucs2", "segments": 1, "status": "queued",
             "attempts": 0, "created_at": now, "updated_at": now} for i in range(n)]).all()
        db.session.commit()
        queue = get_queue("default", app)
        with queue.connection.pipeline() as pipe:
            for message_id in ids:
                queue.enqueue(SEND_JOB, message_id, job_id=f"send-{message_id}", pipeline=pipe)
            pipe.execute()


def test_a_due_breach_is_recorded_on_time_behind_1000_queued_sms(app, api_as, start_worker) -> None:
    start_worker(sweep_interval=None)
    set_policy(api_as("admin"), "PT3S")
    t = create(api_as("operator"))
    queue_sms_backlog(app, t["id"], 1000)  # the worker takes these one by one from now on
    default = get_queue("default", app)
    found = wait_for(lambda: breaches(app, t["id"]), timeout=10, interval=0.02)
    left = default.count  # SMS jobs still waiting when the breach was recorded
    assert len(found) == 1, found
    lateness = (found[0][2] - found[0][1]).total_seconds()
    assert 0 <= lateness < 2, lateness  # timer and sweep on "sla", which every worker serves first
    assert left > 0, "the backlog was gone before the deadline: the test proves nothing"


# --- faults -------------------------------------------------------------------------------


def test_flushall_loses_no_breach_the_sweep_recovers_it_and_recreates_timers(
        app, make_app, tokens, private_redis, start_worker) -> None:
    app = fault_app(make_app, app, private_redis)  # the `app` fixture above emptied the tables
    client = app.test_client()
    admin, operator = Api(client, tokens["admin"]), Api(client, tokens["operator"])
    set_policy(admin, "PT3S")
    soon = create(operator)
    set_policy(admin, "PT1M")
    later = create(operator)
    later_epoch = next_epoch(app, later["id"])
    redis.Redis.from_url(private_redis).flushall()  # every timer (and every RQ key) is gone
    with app.app_context():
        assert timers.missing_epochs([later_epoch]) == [later_epoch]
    start_worker(redis_url=private_redis, sweep_interval=1)
    found = wait_for(lambda: breaches(app, soon["id"]), timeout=12)
    assert len(found) == 1 and found[0][1] == deadline_of(soon)
    with app.app_context():
        assert wait_for(lambda: timers.missing_epochs([later_epoch]) == [], timeout=5)  # re-created
    time.sleep(2)  # more sweeps run: still exactly one record
    assert len(breaches(app, soon["id"])) == 1


class DatabaseWriteLock:
    """Holds the table the breach insert needs, so the worker's job blocks mid-transaction."""

    def __init__(self, app: Flask) -> None:
        self.url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self._conn: sqlite3.Connection | sa.Connection | None = None
        self._engine: sa.Engine | None = None

    def __enter__(self) -> DatabaseWriteLock:
        if self.url.get_backend_name() == "sqlite":
            self._conn = sqlite3.connect(self.url.database, isolation_level=None)
            self._conn.execute("BEGIN IMMEDIATE")  # SQLite: one writer; the worker waits its busy timeout
        else:
            self._engine = sa.create_engine(self.url)
            self._conn = self._engine.connect()
            self._conn.execute(sa.text("LOCK TABLE sla_alerts IN EXCLUSIVE MODE"))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._conn is not None
        if isinstance(self._conn, sqlite3.Connection):
            self._conn.execute("ROLLBACK")
        else:
            self._conn.rollback()
        self._conn.close()
        if self._engine is not None:
            self._engine.dispose()


def test_kill_9_mid_job_then_a_new_worker_records_the_breach_exactly_once(
        app, make_app, tokens, private_redis, start_worker) -> None:
    app = fault_app(make_app, app, private_redis)  # the `app` fixture above emptied the tables
    client = app.test_client()
    set_policy(Api(client, tokens["admin"]), "PT2S")
    t = create(Api(client, tokens["operator"]))
    job_id = timers.job_id(next_epoch(app, t["id"]))  # the warning's timer: its insert will block
    conn = redis.Redis.from_url(private_redis)
    with DatabaseWriteLock(app):
        first = start_worker(redis_url=private_redis, sweep_interval=None)
        started = wait_for(lambda: Job.fetch(job_id, connection=conn).get_status() == "started", timeout=10)
        assert started, "the timer job never started"
        time.sleep(0.5)  # inside process_due, waiting on the lock
        first.kill9()
    assert breaches(app, t["id"]) == []  # the killed transaction left nothing half-written
    start_worker(redis_url=private_redis, sweep_interval=1)
    found = wait_for(lambda: breaches(app, t["id"]), timeout=12)
    assert len(found) == 1 and found[0][1] == deadline_of(t)
    time.sleep(2)
    assert len(breaches(app, t["id"])) == 1
    with app.app_context():
        levels = db.session.scalars(sa.select(SlaAlert.level).where(SlaAlert.ticket_id == t["id"])).all()
    assert sorted(levels) == ["breach", "warning"]  # the killed job's warning too, once


def test_timer_jobs_run_twice_by_two_workers_record_one_breach_per_deadline(app, api_as, start_worker) -> None:
    set_policy(api_as("admin"), "PT2S")
    operator = api_as("operator")
    created = [create(operator) for _ in range(20)]
    sleep_until(max(deadline_of(t) for t in created) + timedelta(seconds=0.5))
    queue = get_queue(timers.QUEUE, app)
    for copy in range(3):  # the same timers again, as a retry or a duplicate enqueue would
        for t in created:
            queue.enqueue(timers.TIMER_FUNC, timers.epoch_of(deadline_of(t)), job_id=f"dup-{copy}-{t['id']}")
    start_worker(sweep_interval=None)
    start_worker(sweep_interval=None)
    ids = {t["id"] for t in created}
    wait_for(lambda: {b[0] for b in breaches(app)} == ids, timeout=20)
    wait_for(lambda: queue.count == 0, timeout=20)
    found = breaches(app)
    assert sorted(b[0] for b in found) == sorted(ids)  # each ticket exactly once
    with app.app_context():
        per_ticket = db.session.execute(
            sa.select(SlaAlert.ticket_id, SlaAlert.level, sa.func.count()).group_by(SlaAlert.ticket_id, SlaAlert.level)
        ).all()
    assert all(n == 1 for _, _, n in per_ticket) and len(per_ticket) == 2 * len(ids)
