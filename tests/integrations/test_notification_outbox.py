"""The notification outbox: every notifying event leaves a row in its own transaction, and the
worker's dispatcher turns rows into notify jobs without losing or doubling any."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from rq.job import Job

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.messaging.outbox import dispatch, dispatch_all
from callcentre.models import NotificationOutbox, OutboundMessage, TicketEvent
from tests.conftest import free_port, ticket_payload
from tests.sla.live_worker import LiveWorker, wait_for


def outbox(app: Flask) -> list[tuple[int, str]]:
    """(event id, event kind) of every outbox row, oldest first."""
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            sa.select(NotificationOutbox.event_id, TicketEvent.kind)
            .join(TicketEvent, TicketEvent.id == NotificationOutbox.event_id).order_by(NotificationOutbox.event_id))]


def queued_notify_jobs(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(j for j in get_queue("default", app).job_ids if j.startswith("notify-"))


def test_intake_and_notifying_transitions_write_outbox_rows_and_no_jobs(app, api_as) -> None:
    op, officer = api_as("operator"), api_as("officer")
    ticket = op.post("/api/v1/tickets", ticket_payload()).json
    keyed = op.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": "once"}).json
    assert op.post("/api/v1/tickets", ticket_payload(), headers={"Idempotency-Key": "once"}).json == keyed
    for trigger, fields in [("assign", {}), ("accept", {}), ("request_info", {"note": "Xin số nhà"})]:
        user = op if trigger == "assign" else officer
        resp = user.post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    # created x2 (the retry wrote nothing), request_info; assign and accept do not notify.
    assert [kind for _, kind in outbox(app)] == ["created", "created", "request_info"]
    assert queued_notify_jobs(app) == []  # nothing reaches Redis until the dispatcher runs


def test_a_refused_request_leaves_no_outbox_row(app, api_as) -> None:
    op = api_as("operator")
    assert op.post("/api/v1/tickets", ticket_payload(category="NO-SUCH")).status_code == 422
    assert api_as("officer").post("/api/v1/tickets", ticket_payload()).status_code == 403
    assert outbox(app) == []


def test_dispatch_enqueues_each_row_once_and_empties_the_outbox(app, api_as) -> None:
    for _ in range(3):
        api_as("operator").post("/api/v1/tickets", ticket_payload())
    events = [event_id for event_id, _ in outbox(app)]
    with app.app_context():
        assert dispatch(limit=2) == 2 and dispatch_all() == 1 and dispatch_all() == 0
    assert outbox(app) == [] and queued_notify_jobs(app) == sorted(f"notify-{e}" for e in events)
    with app.app_context():
        job = Job.fetch(f"notify-{events[0]}", connection=get_queue("default", app).connection)
        assert job.func_name == "callcentre.messaging.outbound.notify_event" and job.args == (events[0],)


def test_with_redis_down_the_rows_wait_for_the_next_tick(app, make_app, api_as, services) -> None:
    api_as("operator").post("/api/v1/tickets", ticket_payload())
    down = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with down.app_context(), pytest.raises(Exception, match="(?i)connect"):
        dispatch()
    assert len(outbox(app)) == 1  # rolled back: still there
    with app.app_context():
        assert dispatch() == 1
    assert outbox(app) == [] and len(queued_notify_jobs(app)) == 1


def test_rows_locked_by_another_dispatcher_are_skipped_not_doubled(app, api_as, services) -> None:
    if not services.is_postgres:
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite has one writer at a time")
    for _ in range(4):
        api_as("operator").post("/api/v1/tickets", ticket_payload())
    events = [event_id for event_id, _ in outbox(app)]
    other = sa.create_engine(services.database_url)
    try:
        with other.connect() as conn, conn.begin():
            # Another worker's dispatcher holds the two oldest rows, mid-transaction.
            held = conn.scalars(sa.text("SELECT event_id FROM notification_outbox ORDER BY event_id LIMIT 2 "
                                        "FOR UPDATE")).all()
            with app.app_context():
                assert dispatch() == 2
            assert queued_notify_jobs(app) == sorted(f"notify-{e}" for e in events[2:])
            assert [e for e, _ in outbox(app)] == held == events[:2]
    finally:
        other.dispose()


def test_a_real_worker_sends_the_receipt_sms_on_its_own(app, api_as, services, tmp_path: Path) -> None:
    """``flask worker`` dispatches the outbox itself (its thread), with no help from the test."""
    worker = LiveWorker(services.database_url, services.redis_url, services.instance_dir, sweep_interval=None,
                        log_path=tmp_path / "worker.log", extra_env={"SMS_QUIET_HOURS": "off"})
    try:
        ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json

        def sent() -> list[str]:
            with app.app_context():
                return list(db.session.scalars(sa.select(OutboundMessage.status)
                                               .where(OutboundMessage.ticket_id == ticket["id"])))

        assert wait_for(lambda: sent() == ["sent"], timeout=20), (sent(), worker.log_path.read_text()[-2000:])
    finally:
        worker.stop()
    assert outbox(app) == []
