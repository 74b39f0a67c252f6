"""/metrics: who may scrape it, and the figures it shows after real work (in this process).

Counters are process-wide and other tests add to them, so these tests compare a scrape after the
work with one before it. The multi-process case (gunicorn with two workers, and an RQ worker
writing to the same PROMETHEUS_MULTIPROC_DIR) is tests/api/test_metrics_processes.py.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.messaging.outbox import dispatch_all
from callcentre.models import SlaAlert, Ticket, User
from callcentre.schemas.ticket import TicketCreate
from callcentre.services.tickets import create_ticket
from callcentre.sla.sweep import process_due
from tests.conftest import ticket_payload

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Series:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(app: Flask, **environ: str) -> Series:
    resp = app.test_client().get("/metrics", environ_base=environ)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return parse(resp.get_data(as_text=True))


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def delta(after: Series, before: Series, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def names(series: Series) -> set[str]:
    return {name for name, _ in series}


def put_fast_policy(api_as) -> None:
    resp = api_as("admin").put("/api/v1/sla/policies", {"category": "TN-MT", "priority": "normal",
                                                        "accept_within": "PT1H", "resolve_within": "PT4H",
                                                        "warn_at": 0.5, "calendar": "24x7"})
    assert resp.status_code in (200, 201), resp.json


def test_tickets_and_transitions_count_only_what_was_committed(app, api_as) -> None:
    operator = api_as("operator")
    before = scrape(app)
    created = operator.post("/api/v1/tickets", ticket_payload())
    assert created.status_code == 201
    assert operator.post("/api/v1/tickets", ticket_payload(channel="app")).status_code == 201
    assert operator.post("/api/v1/tickets", ticket_payload(category="NOPE")).status_code == 422
    with app.app_context():  # written, then rolled back: never counted
        user = db.session.scalars(sa.select(User).where(User.username == "operator")).one()
        create_ticket(TicketCreate().load(ticket_payload()), user)
        db.session.rollback()
    tid = created.json["id"]
    assert operator.post(f"/api/v1/tickets/{tid}/transitions", {"trigger": "assign"}).status_code == 200
    # Refused (an operator cannot accept for a department): not counted.
    assert operator.post(f"/api/v1/tickets/{tid}/transitions", {"trigger": "accept"}).status_code == 403
    after = scrape(app)
    assert delta(after, before, "callcentre_tickets_created_total", channel="phone") == 1
    assert delta(after, before, "callcentre_tickets_created_total", channel="app") == 1
    assert delta(after, before, "callcentre_ticket_transitions_total", trigger="assign") == 1
    assert delta(after, before, "callcentre_ticket_transitions_total", trigger="accept") == 0
    # Every channel and trigger is there from the start (rate() sees the first ticket).
    assert ("callcentre_tickets_created_total", frozenset({("channel", "walk_in")})) in after
    assert ("callcentre_ticket_transitions_total", frozenset({("trigger", "close")})) in after


def test_sla_alerts_and_breach_lateness(app, api_as) -> None:
    put_fast_policy(api_as)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    assert api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                                   {"trigger": "assign"}).status_code == 200
    before = scrape(app)
    with app.app_context():
        created = db.session.get(Ticket, ticket["id"]).created_at
        # Resolve deadline +4h, accept deadline ~+1h: detected 70 min and ~4h10 late.
        out = process_due(created + timedelta(hours=5, minutes=10))
        assert out.breaches == 2
        alerts = db.session.scalars(sa.select(SlaAlert)).all()
        truth = [(a.kind, a.level, (a.detected_at - a.deadline).total_seconds()) for a in alerts]
        process_due(created + timedelta(hours=6))  # nothing new: nothing counted again
    after = scrape(app)
    for kind in ("accept", "resolve"):
        for level in ("warning", "breach"):
            expected = sum(1 for k, lv, _ in truth if (k, lv) == (kind, level))
            assert delta(after, before, "callcentre_sla_alerts_total", kind=kind, level=level) == expected
        [late] = [s for k, lv, s in truth if (k, lv) == (kind, "breach")]
        name = "callcentre_sla_breach_lateness_seconds"
        assert delta(after, before, f"{name}_count", kind=kind) == 1
        assert delta(after, before, f"{name}_sum", kind=kind) == pytest.approx(late, abs=1e-3)
    resolve_late = [s for k, lv, s in truth if (k, lv) == ("resolve", "breach")][0]
    assert resolve_late == pytest.approx(70 * 60, abs=5)
    bucket = "callcentre_sla_breach_lateness_seconds_bucket"
    assert delta(after, before, bucket, kind="resolve", le="3600.0") == 0
    assert delta(after, before, bucket, kind="resolve", le="14400.0") == 1
    assert delta(after, before, bucket, kind="accept", le="14400.0") == 0  # ~4h10 late
    assert delta(after, before, bucket, kind="accept", le="86400.0") == 1


def test_outbox_queue_sms_and_worker_figures(app, make_app, api_as) -> None:
    console = make_app(SMS_QUIET_HOURS="")  # the console SMS provider, at any hour of the test run
    api_as("operator").post("/api/v1/tickets", ticket_payload())  # its receipt SMS waits in the outbox
    figures = scrape(console)
    assert value(figures, "callcentre_dependency_up", dependency="database") == 1
    assert value(figures, "callcentre_dependency_up", dependency="redis") == 1
    assert value(figures, "callcentre_notification_outbox_rows") == 1
    assert 0 <= value(figures, "callcentre_notification_outbox_oldest_age_seconds") < 60
    assert value(figures, "callcentre_rq_queue_jobs", queue="default") == 0
    assert ("callcentre_rq_queue_jobs", frozenset({("queue", "sla")})) in figures
    assert value(figures, "callcentre_outbound_messages", channel="sms", status="sent") == 0
    with console.app_context():
        assert dispatch_all() == 1
    figures = scrape(console)
    assert value(figures, "callcentre_notification_outbox_rows") == 0
    assert value(figures, "callcentre_notification_outbox_oldest_age_seconds") == 0
    assert value(figures, "callcentre_rq_queue_jobs", queue="default") == 1  # notify_event
    assert value(figures, "callcentre_rq_workers") == 0
    assert "callcentre_rq_worker_heartbeat_age_seconds" not in names(figures)
    make_worker(console, ["default"]).work(burst=True)  # notify_event, then send_message
    figures = scrape(console)
    assert value(figures, "callcentre_rq_queue_jobs", queue="default") == 0
    assert value(figures, "callcentre_outbound_messages", channel="sms", status="sent") == 1
    assert value(figures, "callcentre_outbound_messages", channel="sms", status="failed") == 0
    # A worker that is up: registered, with a heartbeat (RQ's own keys in Redis).
    worker = make_worker(console, ["default"], name="metrics-test")
    worker.register_birth()
    try:
        worker.heartbeat()
        figures = scrape(console)
        assert value(figures, "callcentre_rq_workers") == 1
        assert 0 <= value(figures, "callcentre_rq_worker_heartbeat_age_seconds") < 30
    finally:
        worker.register_death()


def test_unreachable_database_and_redis_leave_their_figures_out(app, make_app) -> None:
    dead = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                    REDIS_URL="redis://127.0.0.1:1/0")
    figures = scrape(dead)
    assert value(figures, "callcentre_dependency_up", dependency="database") == 0
    assert value(figures, "callcentre_dependency_up", dependency="redis") == 0
    assert not {"callcentre_outbound_messages", "callcentre_notification_outbox_rows",
                "callcentre_rq_queue_jobs", "callcentre_rq_workers"} & names(figures)
    # What the process counted itself is still there.
    assert "callcentre_tickets_created_total" in names(figures)
    assert "callcentre_info" in names(figures)
    redis_down = scrape(make_app(REDIS_URL="redis://127.0.0.1:1/0"))
    assert value(redis_down, "callcentre_dependency_up", dependency="database") == 1
    assert value(redis_down, "callcentre_dependency_up", dependency="redis") == 0
    assert "callcentre_notification_outbox_rows" in names(redis_down)
    assert "callcentre_rq_queue_jobs" not in names(redis_down)


def _status(app: Flask, remote: str = "127.0.0.1", **headers: str) -> int:
    return app.test_client().get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote}).status_code


def test_only_allowed_addresses_with_the_token_may_scrape(app, make_app) -> None:
    default = make_app()
    assert _status(default) == 200 and _status(default, "::1") == 200
    assert _status(default, "::ffff:127.0.0.1") == 200  # a dual-stack listener's loopback
    assert _status(default, "203.0.113.9") == 403
    assert _status(default, "10.1.2.3") == 403  # a private address is not loopback
    # Through a proxy that TRUSTED_PROXIES does not cover: the client is unknown.
    assert _status(default, **{"X-Forwarded-For": "127.0.0.1"}) == 403

    token = make_app(METRICS_TOKEN="s3cret-scrape-token")
    resp = token.test_client().get("/metrics")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "callcentre_" not in resp.get_data(as_text=True)
    assert _status(token, Authorization="Bearer wrong") == 401
    assert _status(token, Authorization="Basic s3cret-scrape-token") == 401
    assert _status(token, Authorization="Bearer s3cret-scrape-token") == 200
    assert _status(token, "203.0.113.9", Authorization="Bearer s3cret-scrape-token") == 403  # both checks apply

    scrapers = make_app(METRICS_ALLOW="203.0.113.0/24, 2001:db8::/32", METRICS_TOKEN="s3cret-scrape-token")
    assert _status(scrapers, "203.0.113.9", Authorization="Bearer s3cret-scrape-token") == 200
    assert _status(scrapers, "2001:db8::7", Authorization="Bearer s3cret-scrape-token") == 200
    assert _status(scrapers, "203.0.113.9") == 401
    assert _status(scrapers, Authorization="Bearer s3cret-scrape-token") == 403  # loopback not listed

    proxied = make_app(TRUSTED_PROXIES=1, METRICS_ALLOW="198.51.100.0/24")
    assert _status(proxied, **{"X-Forwarded-For": "198.51.100.7"}) == 200  # nginx on 127.0.0.1 relays a scraper
    assert _status(proxied, **{"X-Forwarded-For": "203.0.113.5"}) == 403
    assert _status(proxied, **{"X-Forwarded-For": "198.51.100.7, 203.0.113.5"}) == 403  # a forged first hop

    with pytest.raises(ValueError, match="METRICS_ALLOW"):
        make_app(METRICS_ALLOW="10.0.0.300/8")


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing (scripts/ensure_promtool.sh)")
def test_promtool_finds_nothing_to_lint(app, api_as) -> None:
    put_fast_policy(api_as)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    with app.app_context():
        process_due(db.session.get(Ticket, ticket["id"]).created_at + timedelta(hours=5))
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "callcentre_sla_breach_lateness_seconds_bucket" in text
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr
