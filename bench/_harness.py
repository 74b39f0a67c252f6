"""Load client and process plumbing for the benches (bench/intake.py, sla.py, reads.py).

The client is deliberately cheap because it shares the machine's cores with the
server and PostgreSQL: plain ``http.client`` over loopback, one connection per
thread, request bodies and headers built before the clock starts.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import math
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

HOST = "127.0.0.1"  # everything the bench starts or targets is on loopback
PG_ADMIN = f"host={HOST} port=5432 user=postgres dbname=postgres"


@dataclass(frozen=True)
class Req:
    """One prepared POST: body bytes and headers, ready to send."""

    body: bytes
    headers: dict[str, str]


@dataclass
class PhaseResult:
    """What one load phase measured against one server."""

    server: str
    mode: str  # "warmup", "closed" or "open"
    planned: int  # requests the phase meant to send
    started: int = 0  # requests actually sent
    ok: int = 0  # 201 answers
    errors: Counter[str] = field(default_factory=Counter)  # "HTTP 500", "TimeoutError", "not sent", ...
    latencies_ms: list[float] = field(default_factory=list)  # every answered request (any status)
    elapsed_s: float = 0.0  # first send (or first scheduled send) to last answer
    client_cpu_s: float = 0.0  # CPU the load client itself burned (user + sys, all threads)
    connects: int = 0  # TCP connections opened (gunicorn sync workers close after each answer)
    concurrency: int = 0  # client threads
    target_rate: float | None = None  # open loop only
    duration_s: float | None = None  # open loop only
    send_lag_ms: list[float] = field(default_factory=list)  # open loop: actual - scheduled send time
    timeline: list[tuple[float, float]] = field(default_factory=list)  # open loop: (scheduled s, latency ms)
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU-seconds by consumer (see cpu_snapshot)
    rounds: int = 1  # closed loop: how many interleaved bursts this result adds up (see merged)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        """201 answers per second of wall time."""
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        lag = sorted(self.send_lag_ms)
        out: dict[str, Any] = {
            "server": self.server,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "planned": self.planned,
            "sent": self.started,
            "created_201": self.ok,
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "elapsed_s": round(self.elapsed_s, 3),
            "tickets_per_s": round(self.rate, 1),
            "latency_ms": {
                name: round(percentile(lat, q), 2)
                for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("p99_9", 99.9), ("max", 100))
            },
            "client_cpu_s": round(self.client_cpu_s, 2),
            "tcp_connects": self.connects,
            "rounds": self.rounds,
        }
        if self.cpu_s:
            out["cpu_s"] = {k: round(v, 2) for k, v in self.cpu_s.items()}
            if self.ok:
                out["cpu_ms_per_ticket"] = {k: round(v * 1000 / self.ok, 2) for k, v in self.cpu_s.items()
                                            if k in ("server", "db")}
        if self.target_rate is not None:
            out["target_rate"] = self.target_rate
            out["duration_s"] = self.duration_s
            out["send_lag_ms"] = {"p99": round(percentile(lag, 99), 2), "max": round(percentile(lag, 100), 2)}
            out["per_second"] = self.per_second()
        return out

    def per_second(self) -> list[dict[str, float]]:
        """Open loop: latency by second of the schedule, to tell a steady overload from a stall."""
        buckets: dict[int, list[float]] = {}
        for at, ms in self.timeline:
            buckets.setdefault(int(at), []).append(ms)
        return [{"second": sec, "answered": len(v), "p50_ms": round(percentile(v, 50), 1),
                 "p99_ms": round(percentile(v, 99), 1), "max_ms": round(v[-1], 1)}
                for sec, v in sorted((k, sorted(v)) for k, v in buckets.items())]


def merged(parts: Sequence[PhaseResult]) -> PhaseResult:
    """One result from several bursts of the same server and mode: counts, latencies, wall time and
    CPU added up, so its rate is the pooled rate (total answers / total time under load)."""
    first = parts[0]
    out = PhaseResult(server=first.server, mode=first.mode, planned=0, concurrency=first.concurrency,
                      target_rate=first.target_rate, duration_s=first.duration_s, rounds=len(parts))
    for part in parts:
        out.planned += part.planned
        out.started += part.started
        out.ok += part.ok
        out.errors.update(part.errors)
        out.latencies_ms += part.latencies_ms
        out.elapsed_s += part.elapsed_s
        out.client_cpu_s += part.client_cpu_s
        out.connects += part.connects
        for k, v in part.cpu_s.items():
            out.cpu_s[k] = out.cpu_s.get(k, 0.0) + v
    return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class _Client:
    """One keep-alive connection per thread; reconnects whenever the server closed it."""

    def __init__(self, port: int, path: str, timeout: float) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.path = path
        self.connects = 0

    def post(self, req: Req) -> tuple[int | None, str | None]:
        """(status, None) for an answer, (None, error kind) for a failure."""
        try:
            if self.conn.sock is None:
                self.connects += 1
            self.conn.request("POST", self.path, req.body, req.headers)
            resp = self.conn.getresponse()
            resp.read()
            if resp.will_close:
                self.conn.close()
            return resp.status, None
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            return None, type(exc).__name__

    def close(self) -> None:
        self.conn.close()


def _record(result: PhaseResult, lock: threading.Lock, status: int | None, err: str | None,
            latency_ms: float) -> None:
    with lock:
        if status is None:
            result.errors[err or "error"] += 1
            return
        result.latencies_ms.append(latency_ms)
        if status == 201:
            result.ok += 1
        else:
            result.errors[f"HTTP {status}"] += 1


def closed_loop(server: str, mode: str, port: int, path: str, reqs: Sequence[Req], concurrency: int,
                time_limit: float, timeout: float) -> PhaseResult:
    """``concurrency`` threads send ``reqs`` back to back; stop early at ``time_limit`` seconds."""
    result = PhaseResult(server=server, mode=mode, planned=len(reqs), concurrency=concurrency)
    lock = threading.Lock()
    next_index = iter(range(len(reqs)))
    last_done = [0.0]
    start = time.perf_counter()
    deadline = start + time_limit

    def worker() -> None:
        client = _Client(port, path, timeout)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(next_index, None)
                    if i is None:
                        return
                    result.started += 1
                t0 = time.perf_counter()
                status, err = client.post(reqs[i])
                t1 = time.perf_counter()
                _record(result, lock, status, err, (t1 - t0) * 1000)
                with lock:
                    last_done[0] = max(last_done[0], t1)
        finally:
            client.close()
            with lock:
                result.connects += client.connects

    cpu0 = _cpu()
    _run_threads(worker, concurrency, join_by=deadline + timeout + 5)
    result.client_cpu_s = _cpu() - cpu0
    result.elapsed_s = (last_done[0] or time.perf_counter()) - start
    not_sent = result.planned - result.started
    if not_sent:
        result.errors["not sent (time limit)"] += not_sent
    return result


def open_loop(server: str, port: int, path: str, reqs: Sequence[Req], rate: float, threads: int,
              grace: float, timeout: float) -> PhaseResult:
    """Send ``reqs`` at a fixed ``rate`` by schedule: request i is due at t0 + i/rate.

    Latency is measured from the *scheduled* send time, so a stalled server (or a
    client with no free thread) shows up as latency instead of silently lowering
    the offered load (no coordinated omission). Requests not sent within
    ``grace`` seconds after the schedule ends count as errors.
    """
    duration = len(reqs) / rate
    result = PhaseResult(server=server, mode="open", planned=len(reqs), concurrency=threads,
                         target_rate=rate, duration_s=round(duration, 3))
    lock = threading.Lock()
    next_index = iter(range(len(reqs)))
    last_done = [0.0]
    t_start = time.perf_counter() + 0.1  # let every thread get going first
    hard_deadline = t_start + duration + grace

    def worker() -> None:
        client = _Client(port, path, timeout)
        try:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                scheduled = t_start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = time.perf_counter()
                if sent > hard_deadline:
                    with lock:
                        result.errors["not sent (client behind schedule)"] += 1
                    continue
                with lock:
                    result.started += 1
                    result.send_lag_ms.append((sent - scheduled) * 1000)
                status, err = client.post(reqs[i])
                done = time.perf_counter()
                _record(result, lock, status, err, (done - scheduled) * 1000)
                with lock:
                    last_done[0] = max(last_done[0], done)
                    if status is not None:
                        result.timeline.append((scheduled - t_start, (done - scheduled) * 1000))
        finally:
            client.close()
            with lock:
                result.connects += client.connects

    cpu0 = _cpu()
    _run_threads(worker, threads, join_by=hard_deadline + timeout + 5)
    result.client_cpu_s = _cpu() - cpu0
    result.elapsed_s = max(last_done[0], t_start + duration) - t_start
    return result


@contextlib.contextmanager
def client_gc_paused() -> Iterator[None]:
    """No garbage collection in the load client during a measured phase: a generation-2 pass over
    its request lists took 36-63 ms here, and every request in flight would show that pause as
    server latency. What exists is frozen first; the collector catches up after the phase."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _run_threads(target: Any, n: int, join_by: float) -> None:
    """Run ``n`` daemon threads and wait for them, never past ``join_by`` (perf_counter)."""
    threads = [threading.Thread(target=target, daemon=True, name=f"load-{k}") for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, join_by - time.perf_counter()))
    if any(t.is_alive() for t in threads):
        raise RuntimeError("load threads still running after the hard time limit")


# ---------------------------------------------------------------- CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: str) -> tuple[int, float] | None:
    """(process group, user+system CPU seconds) of a live process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICK


def cpu_snapshot(server_pgid: int, db_name: str) -> dict[str, float]:
    """Cumulative CPU-seconds: whole machine (busy), this gunicorn's process group, and the
    PostgreSQL backends connected to ``db_name``. Differences of two snapshots give a phase's
    CPU by consumer; the machine's remainder is PostgreSQL's own helpers plus anything else
    running on the box (other people's tests...), i.e. noise."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    snap = {"machine": (user + nice + system + irq + softirq + steal) / _TICK, "server": 0.0, "db": 0.0}
    marker = f" {db_name} ".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        info = _proc_cpu(pid)
        if info is None:
            continue
        if info[0] == server_pgid:
            snap["server"] += info[1]
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres: ") and marker in cmdline:
            snap["db"] += info[1]
    return snap


def cpu_delta(before: dict[str, float], after: dict[str, float], client_s: float) -> dict[str, float]:
    out = {k: max(0.0, after[k] - before[k]) for k in ("machine", "server", "db")}
    out["client"] = client_s
    out["other"] = max(0.0, out["machine"] - out["server"] - out["db"] - client_s)
    return out


# ---------------------------------------------------------------- database and CLI


def _admin_sql(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]  # built from the fixed scratch-database name


def drop_database(name: str) -> None:
    assert name.isidentifier() and name.startswith("cc_bench"), name
    _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class ScratchExists(RuntimeError):
    """The scratch database or Redis db a bench wants is already in use."""


def create_scratch_database(name: str) -> None:
    """Create a scratch database that must not exist yet: a bench never drops what it did not create.

    One left by an interrupted run is refused too (it may be someone else's); drop it by hand."""
    assert name.isidentifier() and name.startswith("cc_bench"), name
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            raise ScratchExists(f"database {name} already exists (an earlier run's, or someone else's): not touching "
                                f"it. If it is yours: psql -h {HOST} -U postgres -c 'DROP DATABASE {name}'")
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]  # checked identifier


def delete_keys(conn: Any) -> int:
    """UNLINK every key of ``conn``'s database by name, in batches (for a database a run claimed
    empty: all its keys are the run's); how many."""
    deleted = 0
    batch: list[bytes] = []
    for key in conn.scan_iter(count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += int(conn.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(conn.unlink(*batch))
    return deleted


class ScratchRedis:
    """A Redis database a bench claims for one run: it must be empty at the start (else the bench
    refuses, since its worker would run or its cleanup delete somebody else's keys), and at the end
    the bench deletes the keys it finds there by name (all its own, since it started empty), never
    with FLUSHDB."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.conn = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30)
        n = self.conn.dbsize()
        if n:
            raise ScratchExists(f"Redis {url} holds {n} keys (another run or program uses it): not touching it; "
                                "choose another database number")
        self.claimed = True

    def clear(self) -> int:
        """Delete every key this run created (UNLINK by name, in batches); how many."""
        return delete_keys(self.conn)

    def close(self) -> int:
        """Delete what this run created and disconnect; the number of keys deleted."""
        try:
            return self.clear()
        finally:
            self.conn.close()


def count_rows(db_name: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(f"host={HOST} port=5432 user=postgres dbname={db_name}", connect_timeout=5) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index,arg-type]


def server_version() -> str:
    with psycopg.connect(PG_ADMIN, connect_timeout=5) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]


def flask_cli(root: Path, env: dict[str, str], *args: str) -> str:
    """Run ``flask --app wsgi ARGS`` in the project; its stdout, or RuntimeError with its stderr."""
    proc = subprocess.run([str(root / ".venv" / "bin" / "flask"), "--app", "wsgi", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@dataclass
class Timed:
    """One timed request: the status (None on a socket error or timeout), seconds to the first byte
    (status line and headers read) and to the last, the body's size, its headers and the error kind."""

    status: int | None
    ttfb_s: float
    total_s: float
    size: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    body: bytes = b""


def timed_request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
                  body: bytes | None = None, timeout: float = 60.0, keep_body: bool = False) -> Timed:
    """Send one request on a new connection and time it; never raises for network errors."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    t0 = time.perf_counter()
    ttfb = 0.0
    try:
        conn.request(method, path, body, headers or {})
        resp = conn.getresponse()
        ttfb = time.perf_counter() - t0
        data = resp.read()
        total = time.perf_counter() - t0
        hdrs: dict[str, str] = {}
        for k, v in resp.getheaders():  # several Set-Cookie headers are kept, joined by a newline
            hdrs[k.lower()] = f"{hdrs[k.lower()]}\n{v}" if k.lower() in hdrs else v
        return Timed(resp.status, ttfb, total, len(data), hdrs, body=data if keep_body else b"")
    except (OSError, http.client.HTTPException) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
        return Timed(None, ttfb, time.perf_counter() - t0, error=kind)
    finally:
        conn.close()


def wait_quiet(server_pgid: int, db_name: str, limit_s: float, idle_cpu_s: float = 0.05,
               window_s: float = 1.0) -> float:
    """Wait until the server's process group and its PostgreSQL backends burn less than
    ``idle_cpu_s`` CPU in ``window_s`` (a request the client gave up on is still running in a
    worker, and would slow the next ones); at most ``limit_s``. The seconds waited."""
    t0 = time.monotonic()
    before = cpu_snapshot(server_pgid, db_name)
    while time.monotonic() - t0 < limit_s:
        time.sleep(window_s)
        after = cpu_snapshot(server_pgid, db_name)
        busy = (after["server"] - before["server"]) + (after["db"] - before["db"])
        if busy < idle_cpu_s:
            break
        before = after
    return time.monotonic() - t0


class Server:
    """A gunicorn started in its own process group, stopped (group-wide) on exit."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log_path: Path,
                 port: int) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path, self.port = log_path, port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the master leads its own process group

    def __enter__(self) -> Server:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, path: str, timeout: float = 60.0) -> None:
        """Poll ``path`` until it answers 200; fail fast if gunicorn died."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                status, body = get(self.port, path)
                if status == 200:
                    return
                last = f"HTTP {status}: {body[:200]!r}"
            except OSError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: {path} not ready after {timeout:.0f}s ({last})\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the process group (graceful), SIGKILL it if still there after ``timeout``."""
        if self.proc is None or self.proc.poll() is not None:
            self._kill_group(signal.SIGKILL)  # stray workers of a dead master, if any
            return
        self._kill_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill_group(signal.SIGKILL)
            self.proc.wait(5)
        self._kill_group(signal.SIGKILL)

    def _kill_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # start_new_session: the group id is the master's pid
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def unwind_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so a stopped bench unwinds through its finally blocks
    (servers stopped, scratch database dropped) instead of dying where it stands."""

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
