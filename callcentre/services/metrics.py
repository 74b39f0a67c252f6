"""The domain's Prometheus series, served at /metrics by core/metrics.py.

Counted where the work is done, once its transaction has committed (``on_commit``: a ticket,
transition or alert that was rolled back is never counted):

- ``callcentre_tickets_created_total{channel}`` (services/tickets.py: create_ticket),
- ``callcentre_ticket_transitions_total{trigger}`` (services/workflow.py: fire),
- ``callcentre_sla_alerts_total{kind,level}`` and ``callcentre_sla_breach_lateness_seconds{kind}``,
  detected_at - deadline of each breach (sla/sweep.py: process_due, run by the RQ worker).

The web process counts what requests do, the RQ worker what timers and the sweep do (alerts,
auto-close). A worker's counts reach the scrape when it runs with the same
``PROMETHEUS_MULTIPROC_DIR`` as gunicorn on its host (README, Configuration): the worker is an RQ
``SimpleWorker`` (no fork per job), so that is one more file in the directory per worker process.

Read from the tables at scrape time (``table_figures``; the same on every node, so aggregate with
``max`` across nodes, not ``sum``): messages to citizens by channel and status, the notification
outbox's depth and the age of its oldest row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from callcentre.core.after_commit import on_commit
from callcentre.core.extensions import SessionLike, db
from callcentre.core.metrics import PROCESS_REGISTRY
from callcentre.models import Channel, MessageStatus, NotificationOutbox, OutboundMessage, utcnow
from workflows import sla
from workflows.definition import TRIGGERS

TICKETS_CREATED = Counter("callcentre_tickets_created", "Tickets created (committed), by intake channel",
                          ["channel"], registry=PROCESS_REGISTRY)
TRANSITIONS = Counter("callcentre_ticket_transitions", "Workflow triggers fired (committed), by trigger",
                      ["trigger"], registry=PROCESS_REGISTRY)
SLA_ALERTS = Counter("callcentre_sla_alerts", "SLA warnings and breaches recorded, by clock (accept, resolve, forward) "
                     "and level (warning, breach)", ["kind", "level"], registry=PROCESS_REGISTRY)
# Timers detect a breach within seconds, the sweep within SLA_SWEEP_INTERVAL; hours mean an outage.
LATENESS_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)
BREACH_LATENESS = Histogram("callcentre_sla_breach_lateness_seconds",
                            "How long after its deadline each SLA breach was detected (detected_at - deadline)",
                            ["kind"], buckets=LATENESS_BUCKETS, registry=PROCESS_REGISTRY)
ALERT_LEVELS = ("warning", "breach")

# Every series from the start at 0, so that rate() and increase() see the first one.
for _channel in Channel:
    TICKETS_CREATED.labels(channel=_channel.value)
for _spec in TRIGGERS:
    TRANSITIONS.labels(trigger=_spec.name)
for _kind in sla.KINDS:
    BREACH_LATENESS.labels(kind=_kind)
    for _level in ALERT_LEVELS:
        SLA_ALERTS.labels(kind=_kind, level=_level)


def count_ticket_created(session: SessionLike, channel: str) -> None:
    on_commit(session, TICKETS_CREATED.labels(channel=channel).inc)


def count_transition(session: SessionLike, trigger: str) -> None:
    on_commit(session, TRANSITIONS.labels(trigger=trigger).inc)


def count_sla_alerts(session: SessionLike, alerts: Iterable[tuple[str, str, float]]) -> None:
    """``alerts``: (clock kind, level, seconds from deadline to detection) of the alerts this
    transaction records."""
    recorded = list(alerts)
    if not recorded:
        return

    def count() -> None:
        for kind, level, late in recorded:
            SLA_ALERTS.labels(kind=kind, level=level).inc()
            if level == "breach":
                BREACH_LATENESS.labels(kind=kind).observe(late)

    on_commit(session, count)


def table_figures() -> Iterator[Metric]:
    """Gauges read from the database: one GROUP BY on outbound_messages, one look at the outbox."""
    session = db.session
    messages = GaugeMetricFamily("callcentre_outbound_messages",
                                 "Messages to citizens (outbound_messages rows) by channel and current status",
                                 labels=["channel", "status"])
    counts = {(channel, status): n for channel, status, n in session.execute(
        select(OutboundMessage.channel, OutboundMessage.status, func.count())
        .group_by(OutboundMessage.channel, OutboundMessage.status))}
    for known in MessageStatus:
        counts.setdefault(("sms", known.value), 0)
    for (channel, status), n in sorted(counts.items()):
        messages.add_metric([channel, status], n)
    yield messages
    rows, oldest = session.execute(select(func.count(), func.min(NotificationOutbox.created_at))).one()
    yield GaugeMetricFamily("callcentre_notification_outbox_rows",
                            "Events whose citizen notification is still to be queued (notification_outbox rows)",
                            value=rows)
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    yield GaugeMetricFamily("callcentre_notification_outbox_oldest_age_seconds",
                            "Age of the oldest notification_outbox row; 0 when the outbox is empty", value=age)
