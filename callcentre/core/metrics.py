"""Prometheus metrics at /metrics.

One registry per app so that tests can build many apps in one process. Under
gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (see README).
"""

from __future__ import annotations

import os

from flask import Flask
from prometheus_client import CollectorRegistry


def register_metrics(app: Flask) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

        metrics = GunicornInternalPrometheusMetrics(app, group_by="endpoint")
    else:
        from prometheus_flask_exporter import PrometheusMetrics

        metrics = PrometheusMetrics(app, registry=CollectorRegistry(), group_by="endpoint")
    metrics.info("callcentre_info", "1022 call centre", version="1")
    app.extensions["prometheus"] = metrics
