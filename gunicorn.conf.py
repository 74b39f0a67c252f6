"""gunicorn settings; every value can be overridden by an environment variable."""

import multiprocessing
import os

from callcentre.core.log_masking import install_phone_masking

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
# Request lines carry query strings (?phone=0912345678): mask phone numbers in every log record of
# the master (workers inherit it; create_app installs the same in each): core/log_masking.py.
install_phone_masking()
# Recycle workers now and then so a slow leak can never take the service down.
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Each worker imports the app itself (no preload): create_app connects to nothing, and each
# process then owns its own database pool and Redis client. Deploy new code by restarting.


def child_exit(server, worker):
    # prometheus multiprocess mode: forget the dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
