"""Prometheus metrics at /metrics, for the scrapers that ``METRICS_ALLOW``/``METRICS_TOKEN`` admit.

Two kinds of series:

- **Counted where the work is done**: HTTP requests (prometheus-flask-exporter) and the domain's
  counters and histograms (services/metrics.py, registered on ``PROCESS_REGISTRY``), each in the
  process that served the request or ran the job.
- **Read at scrape time**, once per scrape, by the process that answers it (``ScrapeCollector``):
  RQ queue depths and the workers' heartbeat from Redis, and the figures ``register_metrics`` is
  handed for the database. Each source has a ``callcentre_dependency_up`` sample: when one is
  unreachable its figures are left out and /metrics still answers.

Processes: without ``PROMETHEUS_MULTIPROC_DIR`` a process counts in its own memory (one process:
tests, a single gunicorn worker). With it (prometheus_client's multiprocess mode), every process
that counts — each gunicorn worker, and each ``flask worker`` given the same directory — writes its
own files there, and a scrape of any gunicorn worker adds them all up; the directory is emptied
before gunicorn and the workers start (scripts/run.sh, README).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime

from flask import Flask, Response, request
from prometheus_client import CollectorRegistry, disable_created_metrics
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from rq import Queue, Worker
from sqlalchemy import text

from callcentre.core.extensions import db, limiter
from callcentre.core.metrics_access import MetricsAccess
from callcentre.core.redis_client import get_redis

log = logging.getLogger(__name__)

# The domain's counters and histograms of this process, whatever the number of apps in it (the
# tests build many). In multiprocess mode their values live in the directory's files instead.
PROCESS_REGISTRY = CollectorRegistry()
# Figures read from the database at scrape time (services/metrics.py: table_figures).
Figures = Callable[[], Iterable[Metric]]
# A scrape must not hold a gunicorn worker on a slow query (PostgreSQL only; milliseconds).
SCRAPE_STATEMENT_TIMEOUT_MS = 5000


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ScrapeCollector:
    """The figures read from the database and Redis at each scrape, with one ``up`` per source."""

    def __init__(self, app: Flask, database_figures: Sequence[Figures]) -> None:
        self.app = app
        self.database_figures = tuple(database_figures)

    def describe(self) -> list[Metric]:
        return []  # no names to reserve: and collecting at registration would query both sources

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("callcentre_dependency_up",
                               "1 when this scrape could read the dependency, 0 when not (its figures are left out)",
                               labels=["dependency"])
        for name, read in (("database", self._database), ("redis", self._redis)):
            try:
                figures = list(read())
            except Exception as exc:  # noqa: BLE001 - an outage is what this series reports
                log.warning("metrics: %s unreachable during a scrape: %s", name, type(exc).__name__)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from figures
        yield up

    def _database(self) -> Iterator[Metric]:
        session = db.session
        try:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL statement_timeout = {SCRAPE_STATEMENT_TIMEOUT_MS}"))
            else:
                session.execute(text("SELECT 1"))
            for figures in self.database_figures:
                yield from figures()
        finally:
            session.rollback()  # read only; and a failed statement must not poison the request's session

    def _redis(self) -> Iterator[Metric]:
        conn = get_redis(self.app)
        depth = GaugeMetricFamily("callcentre_rq_queue_jobs", "Jobs waiting in each RQ queue", labels=["queue"])
        for name in self.app.config["RQ_QUEUES"]:
            depth.add_metric([name], Queue(name, connection=conn).count)
        yield depth
        workers = Worker.all(connection=conn)
        yield GaugeMetricFamily("callcentre_rq_workers", "RQ workers registered in Redis", value=len(workers))
        beats = [w.last_heartbeat for w in workers if w.last_heartbeat is not None]
        if beats:  # no worker, no age: callcentre_rq_workers 0 says it
            age = (datetime.now(UTC) - max(beats)).total_seconds()
            yield GaugeMetricFamily("callcentre_rq_worker_heartbeat_age_seconds",
                                    "Seconds since the freshest RQ worker heartbeat", value=max(age, 0.0))


def _scrape_registry(http_registry: CollectorRegistry, collector: ScrapeCollector) -> CollectorRegistry:
    registry = CollectorRegistry()
    if multiprocess_dir():
        # Every process's counters and histograms, HTTP and domain, from the files; the live
        # objects are not registered as well, or each series would appear twice.
        MultiProcessCollector(registry)
    else:
        registry.register(http_registry)
        registry.register(PROCESS_REGISTRY)
    registry.register(collector)
    return registry


def register_metrics(app: Flask, database_figures: Sequence[Figures] = ()) -> None:
    """The exporter's HTTP metrics and the /metrics endpoint (``prometheus_metrics``)."""
    # No *_created series: multiprocess mode has none, so one process's output matches many's.
    disable_created_metrics()
    if multiprocess_dir():
        from prometheus_flask_exporter.multiprocess import GunicornPrometheusMetrics

        metrics = GunicornPrometheusMetrics(app, group_by="endpoint")  # registers no endpoint: ours below
    else:
        from prometheus_flask_exporter import PrometheusMetrics

        # One registry per app so that tests can build many apps in one process.
        metrics = PrometheusMetrics(app, path=None, registry=CollectorRegistry(), group_by="endpoint")
    metrics.info("callcentre_info", "1022 call centre", version="1")
    app.extensions["prometheus"] = metrics
    access = MetricsAccess.from_config(app.config)  # a malformed METRICS_ALLOW fails here, at start
    registry = _scrape_registry(metrics.registry, ScrapeCollector(app, database_figures))

    @limiter.exempt
    @metrics.do_not_track()
    def prometheus_metrics() -> Response:
        refusal = access.refusal(request)
        if refusal is not None:
            return refusal
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(registry), content_type=content_type)

    app.add_url_rule("/metrics", "prometheus_metrics", prometheus_metrics)
