"""A real ``flask worker`` process (RQ worker, its scheduler thread, the periodic jobs) for timer tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Worker

ROOT = Path(__file__).resolve().parents[2]


class LiveWorker:
    """Starts ``flask --app wsgi worker`` in its own process group on the tests' database and Redis."""

    def __init__(self, database_url: str, redis_url: str, instance_dir: Path, *, sweep_interval: int | None,
                 log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.redis_url = redis_url
        self.log_path = log_path
        self.name = f"live-{uuid.uuid4().hex[:8]}"  # an earlier worker killed -9 stays registered a while
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, INSTANCE_DIR=str(instance_dir),
                   SECRET_KEY="test-secret", PUBLIC_BASE_URL="https://1022.example.vn",
                   SLA_SWEEP_INTERVAL=str(sweep_interval or 3600), PYTHONUNBUFFERED="1", **(extra_env or {}))
        args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--name", self.name]
        if sweep_interval is None:
            args.append("--no-sweep")  # timers alone must do the work
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_registered()

    def _wait_registered(self, timeout: float = 30) -> None:
        conn = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text(errors='replace')[-2000:]}")
            if any(w.name == self.name for w in Worker.all(connection=conn)):
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker did not register: {self.log_path.read_text(errors='replace')[-2000:]}")

    def kill9(self) -> None:
        """SIGKILL the worker's whole process group: no cleanup of any kind."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def kill9_main(self) -> None:
        """SIGKILL the worker process alone: whatever it started itself must die with it."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Poll until ``predicate()`` is truthy; return it, or its last value at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


@pytest.fixture()
def start_worker(services, tmp_path: Path) -> Iterator[Callable[..., LiveWorker]]:
    """``start_worker(redis_url=None, sweep_interval=None, extra_env=None)``; all stopped at the end.
    Import it into a test module or conftest to use it."""
    started: list[LiveWorker] = []

    def start(redis_url: str | None = None, sweep_interval: int | None = None,
              extra_env: dict[str, str] | None = None, database_url: str | None = None) -> LiveWorker:
        w = LiveWorker(database_url or services.database_url, redis_url or services.redis_url, services.instance_dir,
                       sweep_interval=sweep_interval, log_path=tmp_path / f"worker-{len(started)}.log",
                       extra_env=extra_env)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()
