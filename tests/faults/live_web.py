"""The web app as production runs it: ``gunicorn -c gunicorn.conf.py wsgi:app`` in its own process.

A process of its own matters for fault tests: Flask-Limiter keeps one storage per process, so an
app pointed at a dead Redis inside the test process would leave the other tests' limiter broken.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import Services, free_port

ROOT = Path(__file__).resolve().parents[2]


class LiveWeb:
    """gunicorn, one sync worker, on the tests' database; ``env`` adds or overrides settings."""

    def __init__(self, services: Services, redis_url: str, log_path: Path, **env: str) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = log_path
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
        # Its own URL as the public one (no proxy): plain http, so the session cookie is not Secure.
        environ.update(DATABASE_URL=services.database_url, REDIS_URL=redis_url,
                       INSTANCE_DIR=str(services.instance_dir), SECRET_KEY="test-secret",
                       PUBLIC_BASE_URL=self.url, WEB_CONCURRENCY="1",
                       GUNICORN_BIND=self.url.removeprefix("http://"), GUNICORN_ACCESSLOG="-",
                       PYTHONUNBUFFERED="1")
        environ.update(env)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                     cwd=ROOT, env=environ, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_up()

    def _wait_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
