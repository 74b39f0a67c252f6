"""gunicorn.conf.py's process hooks, and a real gunicorn whose workers are recycled.

With ``preload_app`` the master warms the app and freezes its heap once; each forked worker gets
its own database pools and Redis client; a worker recycled by ``max_requests`` is a fresh fork.
"""

from __future__ import annotations

import gc
import http.client
import json
import logging
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from callcentre.formats import geo
from callcentre.services.intake_sql import pg_intake_statement
from tests.conftest import free_port, ticket_payload

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
LOG = logging.getLogger("tests.gunicorn_hooks")


@pytest.fixture()
def unfrozen() -> Any:
    yield
    gc.unfreeze()  # the rest of the test run keeps the collector as it was


def hooks(monkeypatch: pytest.MonkeyPatch, preload: bool) -> dict[str, Any]:
    monkeypatch.setenv("GUNICORN_PRELOAD", "1" if preload else "0")
    return runpy.run_path(str(GUNICORN_CONF))


def test_preloading_master_warms_the_app_and_freezes_the_heap(session_app, monkeypatch, unfrozen) -> None:
    conf = hooks(monkeypatch, preload=True)
    assert conf["preload_app"] is True
    geo.communes.cache_clear()
    pg_intake_statement.cache_clear()
    conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: session_app), log=LOG))
    assert geo.communes.cache_info().currsize == 1  # the ward list is built
    assert pg_intake_statement.cache_info().currsize == 1  # the intake statement is built
    assert gc.get_freeze_count() > 10_000  # the app's modules, mappers and caches


def test_forked_worker_gets_its_own_clients(session_app, monkeypatch) -> None:
    from callcentre.core.redis_client import get_redis

    conf = hooks(monkeypatch, preload=True)
    with session_app.app_context():
        inherited = get_redis(session_app)
        conf["post_fork"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: session_app), log=LOG), None)
        assert get_redis(session_app) is not inherited


def test_without_preload_each_worker_warms_itself(session_app, monkeypatch, unfrozen) -> None:
    conf = hooks(monkeypatch, preload=False)
    assert conf["preload_app"] is False
    conf["when_ready"](SimpleNamespace(app=None, log=LOG))  # nothing to do in the master
    assert gc.get_freeze_count() == 0

    def broken() -> None:
        raise RuntimeError("boom")

    logged: list[str] = []
    log = SimpleNamespace(exception=lambda message, *args: logged.append(message))
    conf["post_worker_init"](SimpleNamespace(wsgi=SimpleNamespace(extensions={"warm_up": broken}), log=log))
    assert logged == ["warm-up failed; serving cold"]  # the worker serves anyway
    assert gc.get_freeze_count() > 0


def _post(port: int, token: str, body: dict[str, Any]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/api/v1/tickets", json.dumps(body).encode(),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_recycled_workers_of_a_preloaded_gunicorn_keep_taking_tickets(app, services, tokens, count,
                                                                       tmp_path) -> None:
    from callcentre.models import Ticket

    port = free_port()
    env = {**os.environ, "DATABASE_URL": services.database_url, "REDIS_URL": services.redis_url,
           "SECRET_KEY": "test-secret", "INSTANCE_DIR": str(services.instance_dir), "RATELIMIT_ENABLED": "0",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GUNICORN_PRELOAD": "1"}
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(gunicorn), "-c", str(GUNICORN_CONF), "--no-control-socket",
                                 "--max-requests", "8", "--max-requests-jitter", "0", "wsgi:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        statuses: list[int] = []
        while time.monotonic() < deadline and not statuses:
            try:
                statuses.append(_post(port, tokens["operator"], ticket_payload()))
            except OSError:
                time.sleep(0.2)
        statuses += [_post(port, tokens["operator"], ticket_payload(description=f"Phản ánh {i}"))
                     for i in range(39)]
        assert statuses == [201] * 40, log.read_text()[-3000:]
        assert count(Ticket) == 40
        text = log.read_text()
        assert text.count("Autorestarting worker") >= 4, text[-3000:]  # 40 requests, 8 per worker life
        assert "warm-up failed" not in text and "Traceback" not in text, text[-3000:]
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
