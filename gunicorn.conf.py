"""gunicorn settings; every value can be overridden by an environment variable."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, one per core: a request is CPU-bound (about 8 ms of Python, 1 ms waiting on a
# local PostgreSQL), so more workers than cores only add context switches. bench/intake.py on
# 2 cores: 2 workers 211 tickets/s (p99 20 ms at 200/s), 3 workers 186/s, 5 workers 149/s.
# With a database on another host (more waiting per request) raise WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
# Recycle workers now and then so a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    # After the app loaded in this worker: pay its one-time costs (callcentre/warmup.py), then
    # freeze the long-lived heap so full collections stop walking it (they paused workers ~90 ms).
    import gc

    warm_up = getattr(worker.wsgi, "extensions", {}).get("warm_up")
    if warm_up is not None:
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - a failed warm-up must never keep a worker from serving
            worker.log.exception("warm-up failed; serving cold")
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    # prometheus multiprocess mode: forget the dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
