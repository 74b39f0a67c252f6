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


# Load the app once in the master and fork workers from it: a worker (re)started by max_requests
# is ready in milliseconds instead of re-importing everything (1-2 s of CPU that stalled the other
# worker's requests). Safe because create_app connects to nothing. A code deploy needs a restart
# of the master (HUP reloads the configuration, not preloaded code). GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"


def _warm_and_freeze(app, log):
    """The app's one-time costs (callcentre/warmup.py), then freeze the long-lived heap: full
    collections stop walking it (they paused workers ~90 ms), and forked pages stay shared."""
    import gc

    warm_up = getattr(app, "extensions", {}).get("warm_up")
    if warm_up is not None:
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - a failed warm-up must never keep a worker from serving
            log.exception("warm-up failed; serving cold")
    gc.collect()
    gc.freeze()


def when_ready(server):
    # The master, after preloading the app and before the first fork.
    if preload_app:
        _warm_and_freeze(server.app.wsgi(), server.log)


def post_fork(server, worker):
    # Connection pools and clients are per process: nothing may be shared with the master.
    if preload_app:
        after_fork = getattr(server.app.wsgi(), "extensions", {}).get("after_fork")
        if after_fork is not None:
            after_fork()


def post_worker_init(worker):
    if not preload_app:
        _warm_and_freeze(worker.wsgi, worker.log)


def child_exit(server, worker):
    # prometheus multiprocess mode: forget the dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
