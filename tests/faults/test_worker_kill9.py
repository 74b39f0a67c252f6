"""``kill -9`` of a worker leaves nothing behind that would keep a restarted worker from scheduling."""

from __future__ import annotations

import os
import signal

import redis
from rq.scheduler import RQScheduler

from tests.sla.live_worker import wait_for
from tests.sla.test_worker_timers import assert_on_time, breaches, create, deadline_of, set_policy

LOCK = RQScheduler.get_locking_key("sla")


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_kill_9_of_the_worker_leaves_no_orphan_and_a_new_worker_schedules_at_once(app, api_as, services,
                                                                                   start_worker) -> None:
    """The killed worker's scheduler dies with it, and its lock is taken over by the next worker at
    once (same host, its pid gone), not after the lock's TTL; a stopped worker releases it."""
    conn = redis.Redis.from_url(services.redis_url)
    first = start_worker(sweep_interval=None)  # --no-sweep: only a scheduled timer can record the breach
    assert wait_for(lambda: conn.get(LOCK), timeout=5), "the first worker's scheduler never took its lock"
    holder = conn.get(LOCK)
    first.kill9_main()  # the worker process alone, as the OOM killer would
    # Nothing of the first worker lives on: RQ's forked scheduler would, holding the lock.
    assert wait_for(lambda: _group_gone(first.proc.pid), timeout=2), "an orphan of the killed worker is alive"
    assert conn.get(LOCK) == holder  # the dead worker's lock is still there, for several seconds more

    second = start_worker(sweep_interval=None)
    set_policy(api_as("admin"), "PT2S")
    t = create(api_as("operator"))
    found = wait_for(lambda: breaches(app, t["id"]), timeout=8)
    assert len(found) == 1, found
    assert_on_time(found[0][2], deadline_of(t))  # the new worker took the lock over at once
    assert conn.get(LOCK) not in (None, holder) and second.alive()
    assert "gone); taking it over" in second.log_path.read_text()  # not merely the lock's TTL run out
    os.killpg(second.proc.pid, signal.SIGTERM)  # a stop, not a kill: the lock is handed back at once
    second.proc.wait(10)
    assert conn.get(LOCK) is None

