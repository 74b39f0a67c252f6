"""PostgreSQL drops the worker's connections while it works: the worker goes on, nothing is lost
or doubled.

The test terminates the backends of its own worker only (``pg_terminate_backend`` on the pids
whose ``application_name`` is this worker's, in the test's scratch database), over and over,
while the worker dispatches the outbox, sends SMS through a local fake Twilio and records SLA
warnings and breaches. PostgreSQL only: SQLite has no connection to lose.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from rq.job import Job

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_redis
from callcentre.models import OutboundMessage, SlaAlert, TicketEvent
from tests.integrations.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from tests.sla.live_worker import wait_for
from tests.sla.test_worker_timers import create, set_policy

TICKETS = 12
KILL_FOR = 6.0  # seconds of terminations: intake notices, the 50% warnings and the breaches fall inside


class BackendKiller:
    """Terminates, every tenth of a second, the backends of one application_name."""

    def __init__(self, database_url: str, application_name: str) -> None:
        self.engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        self.application_name = application_name
        self.killed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + KILL_FOR
        with self.engine.connect() as conn:
            while not self._stop.is_set() and time.monotonic() < deadline:
                self.killed += sum(conn.scalars(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = :name AND pid <> pg_backend_pid()"),
                    {"name": self.application_name}))
                self._stop.wait(0.1)

    def __enter__(self) -> BackendKiller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(KILL_FOR + 5)
        self.engine.dispose()

    def wait(self) -> None:
        self._thread.join(KILL_FOR + 5)


def _state(app) -> tuple[Counter, list[tuple[int | None, str]]]:
    """(alerts per (ticket, level)), [(event id, status)] of every outbound message."""
    with app.app_context():
        alerts = Counter(db.session.execute(sa.select(SlaAlert.ticket_id, SlaAlert.level)))
        messages = list(db.session.execute(
            sa.select(OutboundMessage.event_id, OutboundMessage.status).order_by(OutboundMessage.id)))
    return alerts, messages


def test_terminated_backends_never_kill_the_worker_nor_lose_or_double_a_breach_or_an_sms(
        app, api_as, services, fake_twilio, start_worker) -> None:
    if not services.is_postgres:
        pytest.skip("PostgreSQL only: needs connections to terminate")
    name = f"cc-fault-worker-{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(services.database_url).update_query_dict({"application_name": name})
    worker = start_worker(sweep_interval=1, database_url=url.render_as_string(hide_password=False), extra_env={
        "SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE": fake_twilio.url, "SMS_QUIET_HOURS": "off",
        "SMS_RETRY_INTERVALS": "1,1"})
    set_policy(api_as("admin"), "PT3S")  # each ticket: a warning at 1.5 s, a breach at 3 s
    operator = api_as("operator")
    with BackendKiller(services.database_url, name) as killer:
        tickets = [create(operator)["id"] for _ in range(TICKETS)]
        killer.wait()
    assert killer.killed > 0, "no backend of the worker was ever terminated: the test proves nothing"

    def done() -> bool:
        alerts, messages = _state(app)
        return len(alerts) == 2 * TICKETS and len(messages) == TICKETS and all(s == "sent" for _, s in messages)

    assert wait_for(done, timeout=20), (_state(app), worker.log_path.read_text(errors="replace")[-3000:])
    assert worker.alive(), worker.log_path.read_text(errors="replace")[-3000:]
    time.sleep(1.5)  # another sweep or two, and any retry: still nothing doubled
    alerts, messages = _state(app)
    assert alerts == Counter({(t, level): 1 for t in tickets for level in ("warning", "breach")})
    with app.app_context():
        created = set(db.session.scalars(sa.select(TicketEvent.id).where(
            TicketEvent.kind == "created", TicketEvent.ticket_id.in_(tickets))))
    assert sorted(e for e, _ in messages) == sorted(created)  # one message per event
    per_message = Counter(parse_qs(urlparse(m["StatusCallback"]).query)["message_id"][0]
                          for m in fake_twilio.messages)
    assert len(per_message) == TICKETS and set(per_message.values()) == {1}  # each sent exactly once

    # The periodic threads outlived the terminations: a new ticket's SMS is dispatched and sent,
    # and the sweep is still enqueued every second.
    later = create(operator)["id"]
    with app.app_context():
        event = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == later))
    assert wait_for(lambda: any(e == event and s == "sent" for e, s in _state(app)[1]), timeout=10)
    sweep = f"sla-sweep-{int(time.time()) + 1}"

    def swept() -> bool:
        with app.app_context():
            return Job.exists(sweep, connection=get_redis(app)) and Job.fetch(
                sweep, connection=get_redis(app)).get_status() == "finished"

    assert wait_for(swept, timeout=5)
    assert worker.alive()
