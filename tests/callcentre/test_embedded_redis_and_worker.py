"""The embedded Redis and the app-context worker."""

from __future__ import annotations

import uuid
from pathlib import Path

import redis

from callcentre.core.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from callcentre.core.jobs import make_worker
from callcentre.core.redis_client import get_queue


def test_embedded_redis_starts_once_and_is_shared(tmp_path_factory) -> None:
    directory = Path(f"/tmp/cc-er-{uuid.uuid4().hex[:8]}")
    try:
        url = ensure_embedded_redis(directory)
        assert url == f"unix://{directory}/redis.sock"
        first = redis.Redis.from_url(url)
        first.set("k", "v")
        pid = first.info()["process_id"]
        # A second process (the worker) asking again gets the same server.
        assert ensure_embedded_redis(directory) == url
        second = redis.Redis.from_url(url)
        assert second.get("k") == b"v" and second.info()["process_id"] == pid
    finally:
        stop_embedded_redis(directory)
    assert not (directory / "redis.sock").exists() or not _pingable(directory)


def _pingable(directory: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(directory / "redis.sock")).ping())
    except redis.RedisError:
        return False


def count_tickets_job() -> int:
    """Runs inside the worker: needs the app context to reach the database."""
    import sqlalchemy as sa

    from callcentre.core.extensions import db
    from callcentre.models import Category

    return db.session.scalar(sa.select(sa.func.count()).select_from(Category))


def test_worker_runs_jobs_inside_the_app_context(app, count) -> None:
    from callcentre.models import Category

    job = get_queue(app=app).enqueue(count_tickets_job)
    make_worker(app, ["default"]).work(burst=True)
    job.refresh()
    assert job.is_finished, job.latest_result()
    assert job.return_value() == count(Category)
