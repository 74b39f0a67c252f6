"""gunicorn settings; every value can be overridden by an environment variable."""

import multiprocessing
import os
import threading
import time

from callcentre.core.log_masking import install_phone_masking

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One worker per core: a request is CPU-bound (about 8 ms of Python, 1 ms waiting on a
# local PostgreSQL), so more workers than cores only add context switches. bench/intake.py on
# 2 cores (sync workers): 2 workers 211 tickets/s (p99 20 ms at 200/s), 3 workers 186/s, 5 workers 149/s.
# With a database on another host (more waiting per request) raise WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count())))
# gevent by default: the live screens keep one response open per browser tab for minutes
# (GET /api/v1/events), which would take a whole sync worker each (gunicorn's design notes: streaming
# and long polling need an async worker). A greenlet holds an idle stream for a few KB, up to
# worker_connections per worker; psycopg (>= 3.1.14, detects gevent's patched select) and redis-py
# (pure-Python sockets) cooperate with gevent's monkey-patching. Why not gthread: docs/architecture.md.
# GUNICORN_WORKER_CLASS=gthread (GUNICORN_THREADS, default 64) or sync also run; under sync the stream
# answers 503 and pages refresh every 30 s instead.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
threads = int(os.environ.get("GUNICORN_THREADS", "64" if worker_class == "gthread" else "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
# Request lines carry query strings (?phone=0912345678): mask phone numbers in every log record of
# the master (workers inherit it; create_app installs the same in each): core/log_masking.py.
install_phone_masking()
# Recycle workers now and then so a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Each worker imports the app itself (no preload): create_app connects to nothing, and each
# process then owns its own database pool and Redis client. Deploy new code by restarting.


def post_worker_init(worker):
    # A worker that starts to stop (a restart, max_requests) ends its live streams at once: their
    # browsers reconnect to a worker that stays, rather than this one waiting graceful_timeout for
    # them. (Under gevent this thread is a greenlet.)
    def watch() -> None:
        while worker.alive:
            time.sleep(1)
        from callcentre.services.live import stop_streams

        stop_streams()

    threading.Thread(target=watch, name="live-streams-stop", daemon=True).start()


def child_exit(server, worker):
    # prometheus multiprocess mode: forget the dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
