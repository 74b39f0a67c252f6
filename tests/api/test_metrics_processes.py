"""/metrics under gunicorn with two workers and an RQ worker, all on one PROMETHEUS_MULTIPROC_DIR.

Each process counts in its own files; a scrape of either gunicorn worker must add up every
process's counts: tickets created through both web workers, and the SLA breaches the RQ worker
recorded (its counters reach the scrape through the same directory, core/metrics.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from prometheus_client.multiprocess import MultiProcessCollector

from callcentre.core.redis_client import get_queue
from tests.api.test_metrics import delta, parse, put_fast_policy, value
from tests.conftest import ticket_payload
from tests.faults.live_web import ROOT, LiveWeb

BATCH = 8  # concurrent requests: while one web worker is busy, the other accepts
MAX_BATCHES = 10


def _tickets_per_process(directory: Path) -> Counter[int]:
    """Phone tickets counted by each process, from its own counter file."""
    per_pid: Counter[int] = Counter()
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[-1])
        for metric in MultiProcessCollector.merge([str(path)]):
            for sample in metric.samples:
                if sample.name == "callcentre_tickets_created_total" and sample.labels == {"channel": "phone"}:
                    per_pid[pid] += int(sample.value)
    return per_pid


def _scrape(web: LiveWeb) -> dict:
    resp = requests.get(f"{web.url}/metrics", timeout=10)
    assert resp.status_code == 200, resp.text
    return parse(resp.text)


def test_two_gunicorn_workers_and_the_rq_worker_add_up(app, api_as, services, tokens, tmp_path: Path) -> None:
    put_fast_policy(api_as)  # resolve within 4h on the 24x7 calendar: breached by a sweep at +5h
    directory = tmp_path / "prometheus"
    directory.mkdir()
    web = LiveWeb(services, services.redis_url, tmp_path / "gunicorn.log", WEB_CONCURRENCY="2",
                  PROMETHEUS_MULTIPROC_DIR=str(directory))
    headers = {"Authorization": f"Bearer {tokens['operator']}"}

    def create(_: int) -> int:
        return requests.post(f"{web.url}/api/v1/tickets", json=ticket_payload(), headers=headers,
                             timeout=30).status_code

    try:
        before = _scrape(web)
        sent = 0
        with ThreadPoolExecutor(BATCH) as pool:
            for _ in range(MAX_BATCHES):
                assert list(pool.map(create, range(BATCH))) == [201] * BATCH, web.log()[-3000:]
                sent += BATCH
                if len([n for n in _tickets_per_process(directory).values() if n]) >= 2:
                    break
        per_pid = _tickets_per_process(directory)
        assert len([n for n in per_pid.values() if n]) == 2, per_pid  # both web workers took tickets
        assert sum(per_pid.values()) == sent
        for _ in range(4):  # whichever worker answers the scrape, it reports both workers' counts
            after = _scrape(web)
            assert delta(after, before, "callcentre_tickets_created_total", channel="phone") == sent
            assert delta(after, before, "flask_http_request_total", method="POST", status="201") == sent

        # The RQ worker: the sweep at +5h breaches every ticket's resolve clock, counted in the worker process.
        later = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
        get_queue("sla", app).enqueue("callcentre.sla.sweep.sweep", later)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
        env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis_url,
                   INSTANCE_DIR=str(services.instance_dir), SECRET_KEY="test-secret",
                   PUBLIC_BASE_URL="https://1022.example.vn", PROMETHEUS_MULTIPROC_DIR=str(directory))
        worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--no-outbox",
                                 "--queue", "sla"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr[-3000:]
        after = _scrape(web)
        assert delta(after, before, "callcentre_sla_alerts_total", kind="resolve", level="breach") == sent
        assert delta(after, before, "callcentre_sla_breach_lateness_seconds_count", kind="resolve") == sent
        assert value(after, "callcentre_dependency_up", dependency="database") == 1
        assert value(after, "callcentre_notification_outbox_rows") == sent  # no worker dispatched the outbox
        assert len(list(directory.glob("counter_*.db"))) >= 3  # two web workers and the RQ worker
    finally:
        web.stop()
