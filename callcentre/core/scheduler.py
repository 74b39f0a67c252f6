"""RQ's scheduler as a thread of the worker process, not a forked child.

``worker.work(with_scheduler=True)`` forks the scheduler (``RQScheduler.start``). A ``kill -9``
of the worker leaves that child running as an orphan that keeps heart-beating the queues'
scheduler lock; killing both leaves the lock to expire on its own (``interval + 60`` s). Either
way a restarted worker schedules nothing for a minute, and SLA timers wait for the sweep.

Here the scheduler is a daemon thread of the worker: it dies with it. Its lock lives
``LOCK_TTL`` seconds and is refreshed every tick; a worker that finds the lock held by a
scheduler of this host whose process is gone (or has its own pid: a container restarted) takes
it over at once; a holder on another host that died is replaced when its lock expires. Between
ticks the thread sleeps until the earliest scheduled job is due rather than a whole interval, so
a timer reaches its queue within milliseconds of its second. Lock keys and the scheduler's
registration hash are RQ's own, so it shares the lock with any ``rq worker --with-scheduler``.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import redis
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import acquire_or_refresh_lock, release_lock
from rq.utils import now

log = logging.getLogger(__name__)
LOCK_TTL = 10  # seconds; refreshed every tick (1 s), so only a dead holder lets it lapse
MIN_WAIT = 0.05  # between ticks when due jobs are left over (more than one chunk of 1,000)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


class SchedulerThread(RQScheduler):
    """Moves due scheduled jobs to their queues while it holds their lock; see the module doc."""

    def __init__(self, queue_names: list[str], connection: redis.Redis) -> None:
        super().__init__(queue_names, connection=connection, interval=1)

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        held: set[str] = set()
        for name in sorted(self._queue_names):
            key = self.get_locking_key(name)
            outcome = acquire_or_refresh_lock(self.connection, key, self.name, LOCK_TTL)
            if outcome == "taken" and self._release_if_holder_gone(key, name):
                outcome = acquire_or_refresh_lock(self.connection, key, self.name, LOCK_TTL)
            if outcome == "acquired":
                log.info("scheduler %s holds the lock of queue %s", self.name, name)
            if outcome != "taken":
                held.add(name)
        if held != self._acquired_locks:
            self._scheduled_job_registries = []  # rebuilt by enqueue_scheduled_jobs for the new set
        self._acquired_locks = held
        return held

    def _release_if_holder_gone(self, key: str, queue: str) -> bool:
        holder = self.connection.get(key)
        if holder is None:
            return True  # expired meanwhile
        holder_name = holder.decode()
        raw = self.connection.hgetall(SCHEDULER_KEY_TEMPLATE % holder_name)
        info = {k.decode(): v.decode() for k, v in raw.items()}
        if not info or info.get("hostname") != self.hostname:
            return False  # unknown, or on another host: wait for its lock to expire
        pid = int(info.get("pid") or 0)
        if pid != os.getpid() and _process_alive(pid):
            return False
        log.warning("scheduler lock of queue %s was held by %s (pid %s, gone); taking it over", queue,
                    holder_name, pid)
        release_lock(self.connection, key, holder_name)  # only if that holder still has it
        return True

    def tick(self) -> float:
        """Register, take or refresh the locks, enqueue what is due; seconds until the next tick."""
        self.pid, self.last_heartbeat = os.getpid(), now()
        self.save()  # first, so another worker that meets our lock can tell whether we are alive
        if not self.acquire_locks():
            return float(self.interval)
        self.enqueue_scheduled_jobs()
        with self.connection.pipeline(transaction=False) as pipe:
            for registry in self._scheduled_job_registries:
                pipe.zrange(registry.key, 0, 0, withscores=True)
            firsts = [rows[0][1] for rows in pipe.execute() if rows]
        wait = float(self.interval)
        if firsts:
            # Scores are whole seconds, due once the clock has reached them.
            wait = min(wait, max(MIN_WAIT, min(firsts) - time.time() + 0.001))
        return wait

    def run(self, stop: threading.Event) -> None:
        failing = False
        try:
            while not stop.is_set():
                wait = float(self.interval)
                try:
                    wait = self.tick()
                    if failing:
                        log.warning("scheduler: Redis reachable again")
                    failing = False
                except redis.RedisError:
                    log.warning("scheduler: Redis unreachable; retrying", exc_info=not failing)
                    failing = True
                stop.wait(wait)
        finally:
            try:
                self.release_locks()
                self.register_death()
            except redis.RedisError:
                pass  # the lock expires after LOCK_TTL

    def start_thread(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="rq-scheduler", daemon=True)
        thread.start()
        return thread
