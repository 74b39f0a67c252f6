"""Intake benchmark: POST /api/v1/tickets against a one-insert Flask baseline.

    .venv/bin/python bench/intake.py [--tickets N] [--concurrency C] [--rate R] [--workers W] [--streams S]

Creates a scratch database ``cc_bench`` on the local PostgreSQL, migrates and
seeds it, then starts the app and the baseline (bench/baseline_app.py) under
the project's gunicorn.conf.py with the same WEB_CONCURRENCY, and measures
each with a closed loop (max throughput) in interleaved rounds — app and
baseline alternate in short bursts, so each pair shares the machine's speed of
the moment — and an open loop (fixed rate, latency from the scheduled send
time). ``--streams S`` holds S open live streams (GET /api/v1/events) against the app during each
of its phases, as S staff screens would. Prints a table and PASS/FAIL
against the targets, writes bench/results/intake-<timestamp>.json, drops the
scratch database. Exit status 0 whatever the verdict; non-zero only if the
benchmark could not run. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import platform
import secrets
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis
from _harness import (
    HOST,
    PhaseResult,
    Req,
    ScratchRedis,
    Server,
    client_gc_paused,
    closed_loop,
    count_rows,
    cpu_delta,
    cpu_snapshot,
    create_scratch_database,
    drop_database,
    flask_cli,
    free_port,
    merged,
    open_loop,
    server_version,
    unwind_on_sigterm,
)
from baseline_app import create_schema

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = ROOT / "bench" / "results"
DB_NAME = "cc_bench"
DATABASE_URL = f"postgresql+psycopg://postgres@{HOST}:5432/{DB_NAME}"
REDIS_URL = f"redis://{HOST}:6379/14"
APP_PATH = "/api/v1/tickets"
BASELINE_PATH = "/tickets"

# Targets (defined at the default rate of 200 tickets/s).
P99_TARGET_MS = 100.0  # issue 12: the single ORM path at 100 tickets/s
RATIO_TARGET = 0.20  # issue 12: at least a fifth of a one-insert baseline

CATEGORIES = ["TN-MT", "DO-THI-VE-SINH", "GIAO-THONG-HT", "DIEN", "NUOC", "AN-NINH-TTATGT", "XAY-DUNG", "KHAC"]
COMMUNES = [("28261", "Mỹ Tho"), ("28249", "Đạo Thạnh"), ("28273", "Mỹ Phong")]
STREETS = ["Lê Lợi", "Hùng Vương", "Ấp Bắc", "Nguyễn Trãi", "Trưng Trắc", "Đinh Bộ Lĩnh", "Lý Thường Kiệt"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Phúc", "Phạm Thị Hồng", "Võ Minh Đức", "Huỳnh Thị Thu"]
ISSUES = [
    "Rác thải sinh hoạt tồn đọng nhiều ngày, bốc mùi hôi thối ảnh hưởng đến người dân xung quanh.",
    "Đèn đường bị hư hỏng, khu vực tối om vào ban đêm, tiềm ẩn nguy cơ mất an toàn giao thông.",
    "Mặt đường xuống cấp, xuất hiện nhiều ổ gà lớn, xe máy qua lại rất nguy hiểm khi trời mưa.",
    "Nước sinh hoạt có màu vàng đục và mùi lạ từ sáng nay, đề nghị kiểm tra đường ống.",
    "Cơ sở sản xuất xả nước thải chưa qua xử lý ra kênh, cá chết hàng loạt.",
    "Công trình xây dựng lấn chiếm vỉa hè, vật liệu để bừa bãi dưới lòng đường.",
    "Tiếng ồn từ quán karaoke kéo dài quá 23 giờ đêm, người dân không ngủ được.",
    "Cây xanh nghiêng đổ sau cơn giông, đè lên dây điện trước nhà số {n}.",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cpu = multiprocessing.cpu_count()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=3000,
                   help="closed loop: requests per server, split over the rounds (default 3000)")
    p.add_argument("--rounds", type=int, default=5,
                   help="closed loop: interleaved app/baseline bursts; the ratio is their median (default 5)")
    p.add_argument("--concurrency", type=int, default=16, help="closed loop: client threads (default 16)")
    p.add_argument("--time-limit", type=float, default=60.0, help="closed loop: stop a burst after this many s (60)")
    p.add_argument("--rate", type=float, default=100.0, help="open loop: requests per second (default 100)")
    p.add_argument("--duration", type=float, default=10.0, help="open loop: seconds (default 10)")
    p.add_argument("--open-threads", type=int, default=64, help="open loop: client threads (default 64)")
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", cpu)),
                   help="WEB_CONCURRENCY for both servers (default: as gunicorn.conf.py, one per core)")
    p.add_argument("--warmup", type=int, default=200, help="warm-up requests per server (default 200)")
    p.add_argument("--timeout", type=float, default=10.0, help="client socket timeout, s (default 10)")
    p.add_argument("--only", choices=["app", "baseline"], help="measure one server only")
    p.add_argument("--streams", type=int, default=0,
                   help="hold this many open live streams (GET /api/v1/events) during the app's phases (default 0)")
    args = p.parse_args(argv)
    if min(args.tickets, args.concurrency, args.open_threads, args.workers, args.rounds) < 1 or args.warmup < 0:
        p.error("counts must be positive")
    if not 0 <= args.streams <= 2000:
        p.error("streams must be in [0, 2000]")
    if not (0 < args.rate <= 5000 and 0 < args.duration <= 300 and 0 < args.time_limit <= 600):
        p.error("rate must be in (0, 5000], duration in (0, 300] s, time limit in (0, 600] s")
    return args


def build_requests(count: int, token: str) -> list[Req]:
    """Distinct, valid tickets: phone 0912000000+i, Vietnamese text, one Idempotency-Key each."""
    reqs = []
    for i in range(count):
        code, ward = COMMUNES[i % len(COMMUNES)]
        issue = ISSUES[i % len(ISSUES)].format(n=i % 300 + 1)
        body = {
            "channel": "app",
            "category": CATEGORIES[i % len(CATEGORIES)],
            "description": f"{issue}\nPhản ánh số {i} qua ứng dụng, kính đề nghị cơ quan chức năng xử lý sớm.",
            "contact": {"phone": f"0{912000000 + i}", "name": NAMES[i % len(NAMES)]},
            "location": {"commune_code": code,
                         "address": f"{i % 200 + 1} đường {STREETS[i % len(STREETS)]}, phường {ward}"},
        }
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        reqs.append(Req(json.dumps(body, ensure_ascii=False).encode(), headers))
    return reqs


# ---------------------------------------------------------------- database


# ---------------------------------------------------------------- live streams (--streams)


class LiveStreams:
    """N open ``GET /api/v1/events`` streams, as N staff screens would hold, read by one thread with
    a selector (the client's cost stays small). ``held()`` opens them all before an app phase and
    closes them after; a stream the server ends (its lifetime) is opened again while held."""

    def __init__(self, n: int, token: str) -> None:
        self.n, self.token = n, token
        self.port = 0
        self.stats = {"phases": 0, "opened": 0, "refused": 0, "reopened": 0, "min_open": n}
        self._selector: selectors.BaseSelector | None = None
        self._socks: dict[socket.socket, bytes] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _connect(self) -> None:
        assert self._selector is not None
        sock = socket.create_connection((HOST, self.port), timeout=5)
        sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept: text/event-stream\r\n"
                      f"Authorization: Bearer {self.token}\r\n\r\n").encode())
        sock.setblocking(False)
        self._socks[sock] = b""
        self._selector.register(sock, selectors.EVENT_READ)

    def _drop(self, sock: socket.socket) -> None:
        assert self._selector is not None
        self._selector.unregister(sock)
        self._socks.pop(sock, None)
        sock.close()

    def _read(self) -> None:
        assert self._selector is not None
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    chunk = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                head = self._socks.get(sock, b"")
                if head is not None and len(head) < 64:
                    head += chunk
                    if b"\r\n" in head:
                        ok = head.startswith(b"HTTP/1.1 200")
                        with self._lock:
                            self.stats["opened" if ok else "refused"] += 1
                        head = b"x" * 64  # status seen: nothing more to keep
                    self._socks[sock] = head
                if not chunk or b"\r\n0\r\n\r\n" in chunk:  # the server ended it: as EventSource, again
                    self._drop(sock)
                    if not self._stop.is_set():
                        with self._lock:
                            self.stats["reopened"] += 1
                        self._connect()
            with self._lock:
                self.stats["min_open"] = min(self.stats["min_open"], len(self._socks))

    @contextlib.contextmanager
    def held(self, port: int):
        self.port = port
        self._selector = selectors.DefaultSelector()
        self._stop.clear()
        before = self.stats["opened"]
        for _ in range(self.n):
            self._connect()
        self._thread = threading.Thread(target=self._read, name="live-streams", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while self.stats["opened"] + self.stats["refused"] - before < self.n and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.stats["opened"] - before < self.n:
            print(f"WARNING: only {self.stats['opened'] - before}/{self.n} live streams opened "
                  f"(refused {self.stats['refused']})")
        self.stats["phases"] += 1
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join(5)
            for sock in list(self._socks):
                self._drop(sock)
            self._selector.close()


STREAMS: LiveStreams | None = None  # --streams: held during every phase of the app


# ---------------------------------------------------------------- one server


@contextlib.contextmanager
def running(name: str, argv: list[str], env: dict[str, str], post_path: str, warm: list[Req],
            args: argparse.Namespace, log_path: Path, phases: list[PhaseResult]):
    """Start one gunicorn and warm it up; stopped (process group) on exit."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}"}
    print(f"[{name}] gunicorn on {HOST}:{port}, {args.workers} workers, log {log_path.relative_to(ROOT)}")
    with Server(name, argv, env, ROOT, log_path, port) as server:
        server.wait_ready("/readyz")
        if warm:
            w = closed_loop(name, "warmup", port, post_path, warm, args.concurrency, 30.0, args.timeout)
            phases.append(w)
            print(f"[{name}] warm-up: {w.ok}/{w.planned} created, errors {dict(w.errors) or 0}")
            if w.ok == 0:
                raise RuntimeError(f"{name}: no request succeeded during warm-up ({dict(w.errors)})\n"
                                   f"{server.log_tail()}")
        yield server, port, post_path


def measured(server: Server, phase: Any, *phase_args: Any) -> PhaseResult:
    """Run one load phase, ``phase(*phase_args)``, and attach the CPU each consumer spent during it
    (for the app with ``--streams``: while the streams are held open)."""
    live = STREAMS is not None and server.name == "app"
    held = STREAMS.held(server.port) if STREAMS is not None and live else contextlib.nullcontext()
    with held, client_gc_paused():  # the client's own GC pauses would read as server latency
        before = cpu_snapshot(server.pgid, DB_NAME)
        result = phase(*phase_args)
        after = cpu_snapshot(server.pgid, DB_NAME)
    result.cpu_s = cpu_delta(before, after, result.client_cpu_s)
    return result


def interleaved_closed_loops(servers: dict[str, tuple[Server, int, str]], reqs: list[Req],
                             args: argparse.Namespace) -> tuple[list[PhaseResult], list[dict[str, float]]]:
    """``args.rounds`` bursts per server, alternating servers (and which goes first), so that a drift
    in the machine's speed — this box is shared — hits both sides of each pair alike."""
    per_round = math.ceil(len(reqs) / args.rounds)
    bursts: dict[str, list[PhaseResult]] = {name: [] for name in servers}
    rounds: list[dict[str, float]] = []
    for r in range(args.rounds):
        chunk = reqs[r * per_round:(r + 1) * per_round]
        if not chunk:
            break
        order = list(servers) if r % 2 == 0 else list(reversed(servers))
        rates: dict[str, float] = {}
        for name in order:
            server, port, path = servers[name]
            time.sleep(0.5)
            burst = measured(server, closed_loop, name, "closed", port, path, chunk, args.concurrency,
                             args.time_limit, args.timeout)
            bursts[name].append(burst)
            rates[name] = burst.rate
        rounds.append(rates)
        print(f"  round {r + 1}/{args.rounds}: " + ", ".join(f"{n} {v:.1f}/s" for n, v in rates.items())
              + (f", ratio {rates['app'] / rates['baseline']:.3f}" if {"app", "baseline"} <= rates.keys()
                 and rates["baseline"] > 0 else ""))
    return [merged(b) for b in bursts.values()], rounds


# ---------------------------------------------------------------- report


def fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None or math.isnan(v) else f"{v:.{digits}f}"


def print_table(results: list[PhaseResult]) -> None:
    rows = [("server", "mode", "tickets/s", "p50 ms", "p99 ms", "errors")]
    for r in results:
        if r.mode == "warmup":
            continue
        s = r.summary()
        mode = f"closed C={r.concurrency}" if r.mode == "closed" else f"open {r.target_rate:g}/s"
        rows.append((r.server, mode, fmt(r.rate), fmt(s["latency_ms"]["p50"]), fmt(s["latency_ms"]["p99"]),
                     str(r.error_count)))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [cell.ljust(w) if k < 2 else cell.rjust(w) for k, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print(" | ".join(cells))
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def verdicts(results: list[PhaseResult], rate: float, rounds: list[dict[str, float]]) -> dict[str, Any]:
    by = {(r.server, r.mode): r for r in results}
    out: dict[str, Any] = {}
    app_open = by.get(("app", "open"))
    if app_open is not None:
        p99 = app_open.summary()["latency_ms"]["p99"]
        out["open_p99"] = {
            "target": f"app p99 < {P99_TARGET_MS:g} ms at {rate:g} tickets/s with no errors",
            "value_ms": p99, "errors": app_open.error_count,
            "pass": bool(p99 < P99_TARGET_MS and app_open.error_count == 0),
        }
    app_closed, base_closed = by.get(("app", "closed")), by.get(("baseline", "closed"))
    ratios = [r["app"] / r["baseline"] for r in rounds if r.get("baseline") and "app" in r]
    if app_closed is not None and base_closed is not None and ratios:
        ratio = statistics.median(ratios)
        out["throughput_ratio"] = {
            "target": f"app closed-loop throughput >= {RATIO_TARGET:.0%} of baseline (median of the rounds)",
            "value": round(ratio, 3), "pass": bool(ratio >= RATIO_TARGET),
            "per_round": [round(x, 3) for x in ratios], "min": round(min(ratios), 3), "max": round(max(ratios), 3),
            "pooled": round(app_closed.rate / base_closed.rate, 3) if base_closed.rate else None,
        }
    return out


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    global STREAMS
    args = parse_args(argv)
    unwind_on_sigterm()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    instance_dir = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    cpu = multiprocessing.cpu_count()
    results: list[PhaseResult] = []
    counts: dict[str, int] = {}
    created_db = False
    scratch: ScratchRedis | None = None
    print(f"intake benchmark: {cpu} cores, {args.workers} gunicorn {os.environ.get('GUNICORN_WORKER_CLASS', 'gevent')} "
          f"workers per server, "
          f"client threads {args.concurrency} (closed) / {args.open_threads} (open).")
    print("NOTE: the load client, gunicorn and PostgreSQL share this machine's cores; "
          "absolute numbers include that contention, the app/baseline ratio is the portable figure.")
    load_start = os.getloadavg()
    if load_start[0] > 0.5:
        print(f"WARNING: load average {load_start[0]:.2f} before starting: something else is using the CPU, "
              "results will be noisy (see 'other' CPU below).")
    try:
        env = {
            **os.environ,
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_DIR": str(instance_dir),
            "RATELIMIT_ENABLED": "0",
            "WEB_CONCURRENCY": str(args.workers),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # same (single-process) metrics mode for every run
        scratch = ScratchRedis(REDIS_URL)  # refused unless empty (the intake path schedules RQ timers there)
        create_scratch_database(DB_NAME)  # refused if it exists: never someone else's database
        created_db = True
        flask_cli(ROOT, env, "db", "upgrade")
        flask_cli(ROOT, env, "seed", "--demo")  # the operator whose token drives the load
        token = flask_cli(ROOT, env, "users", "token", "operator").strip()
        if not token.startswith("cc_"):
            raise RuntimeError(f"unexpected token output: {token[:20]!r}")
        if args.streams:
            STREAMS = LiveStreams(args.streams, token)
            env["LIVE_MAX_STREAMS_PER_USER"] = str(args.streams + 5)  # all held with the one operator's token
            print(f"[app] {args.streams} live streams held open during each of its phases")
        n_open = math.ceil(args.rate * args.duration)
        reqs = build_requests(args.warmup + args.tickets + n_open, token)
        # --no-control-socket: gunicorn >= 25 otherwise binds $HOME/.gunicorn/gunicorn.ctl, a path shared
        # with any other gunicorn of this user (a dev server running next to the bench).
        gunicorn = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--no-control-socket"]

        warm = reqs[:args.warmup]
        closed = reqs[args.warmup:args.warmup + args.tickets]
        opened = reqs[args.warmup + args.tickets:]
        specs = []
        if args.only in (None, "app"):
            specs.append(("app", [*gunicorn, "wsgi:app"], APP_PATH))
        if args.only in (None, "baseline"):
            create_schema(DATABASE_URL)
            specs.append(("baseline", [*gunicorn, "--pythonpath", str(ROOT / "bench"), "baseline_app:app"],
                          BASELINE_PATH))
        # Both servers up at once (the idle one costs nothing); traffic goes to one at a time.
        with contextlib.ExitStack() as stack:
            servers = {name: stack.enter_context(running(name, argv, env, path, warm, args,
                                                         RESULTS_DIR / f"intake-{stamp}-{name}.log", results))
                       for name, argv, path in specs}
            print(f"\nclosed loop: {args.rounds} interleaved rounds of {math.ceil(len(closed) / args.rounds)} "
                  f"requests per server, C={args.concurrency}")
            closed_results, rounds = interleaved_closed_loops(servers, closed, args)
            results += closed_results
            for name, (server, port, path) in servers.items():
                time.sleep(1.0)
                o = measured(server, open_loop, name, port, path, opened, args.rate, args.open_threads, 15.0,
                             args.timeout)
                results.append(o)
                print(f"[{name}] open loop: {o.ok} created in {o.elapsed_s:.1f}s, errors {dict(o.errors) or 0}")
        if "app" in servers:
            # Every 201 must be exactly one ticket (with its first event, its idempotency record and its
            # notification outbox row: no worker runs here to dispatch them).
            counts = count_rows(DB_NAME, ["tickets", "ticket_events", "idempotency_keys", "contacts",
                                          "notification_outbox"])
            answered = sum(r.ok for r in results if r.server == "app")
            same = counts["tickets"] == answered
            print(f"[app] rows in tickets: {counts['tickets']}, 201 answers: {answered} -> "
                  f"{'OK, nothing lost or duplicated' if same else 'MISMATCH'} "
                  f"(ticket_events {counts['ticket_events']}, idempotency_keys {counts['idempotency_keys']}, "
                  f"contacts {counts['contacts']}, notification_outbox {counts['notification_outbox']})")
            counts["answered_201"] = answered

        print(f"\nIntake benchmark ({cpu} cores shared by client, gunicorn x{args.workers} and PostgreSQL):\n")
        print_table(results)
        verdict = verdicts(results, args.rate, rounds)
        print()
        if "throughput_ratio" in verdict:
            v = verdict["throughput_ratio"]
            print(f"app/baseline throughput (closed loop, median of {len(v['per_round'])} rounds): {v['value']:.2f}  "
                  f"[{'PASS' if v['pass'] else 'FAIL'}: target >= {RATIO_TARGET:.2f}]  "
                  f"rounds {', '.join(f'{x:.2f}' for x in v['per_round'])}; pooled {v['pooled']:.2f}")
        if "open_p99" in verdict:
            v = verdict["open_p99"]
            print(f"app p99 at {args.rate:g}/s (open loop): {fmt(v['value_ms'])} ms, {v['errors']} errors  "
                  f"[{'PASS' if v['pass'] else 'FAIL'}: target < {P99_TARGET_MS:g} ms, 0 errors]")
        if counts:
            ok = counts["tickets"] == counts["answered_201"]
            print(f"ticket rows vs 201 answers: {counts['tickets']} / {counts['answered_201']}  "
                  f"[{'OK' if ok else 'MISMATCH'}]")
        if STREAMS is not None:
            st = STREAMS.stats
            print(f"live streams: {args.streams} held in each of {st['phases']} app phases; "
                  f"answered 200 {st['opened']}, "
                  f"refused {st['refused']}, reopened after the server ended one {st['reopened']}, "
                  f"fewest open at once {st['min_open']}")
        print(f"\nCPU by consumer (CPU-s over the phase; {cpu} cores x wall time available):")
        for r in results:
            if r.mode == "warmup" or not r.cpu_s or r.elapsed_s <= 0:
                continue
            c, per = r.cpu_s, r.summary().get("cpu_ms_per_ticket", {})
            print(f"  {r.server:<8} {r.mode:<6} wall {r.elapsed_s:5.1f}s | server {c['server']:5.1f} "
                  f"({per.get('server', math.nan):.2f} ms/ticket) | db backends {c['db']:5.1f} "
                  f"({per.get('db', math.nan):.2f} ms/ticket) | client {c['client']:4.1f} | other {c['other']:4.1f}")
        print("  'other' is PostgreSQL's background processes plus anything else running on the machine; "
              "if it is large, the numbers above are disturbed.")

        report = {
            "timestamp": stamp,
            "machine": {"cores": cpu, "python": platform.python_version(), "postgres": server_version(),
                        "loadavg_at_start": load_start,
                        "note": "client, servers and PostgreSQL share the machine"},
            "config": {**vars(args), "gunicorn": " ".join(gunicorn[1:]), "redis_url": REDIS_URL},
            "results": [r.summary() for r in results],
            "closed_rounds": rounds,
            "row_counts": counts,
            "verdicts": verdict,
            "live_streams": STREAMS.stats if STREAMS is not None else None,
        }
        out = RESULTS_DIR / f"intake-{stamp}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"\nresults: {out.relative_to(ROOT)}")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, cleaning up", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, psycopg.Error, redis.RedisError, subprocess.SubprocessError) as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        if created_db:
            try:
                drop_database(DB_NAME)
            except psycopg.Error as exc:
                print(f"could not drop database {DB_NAME}: {exc}", file=sys.stderr)
        if scratch is not None:
            try:
                scratch.close()  # the run's keys, by name (no FLUSHDB)
            except (OSError, redis.RedisError) as exc:
                print(f"could not delete the run's keys in {REDIS_URL}: {exc}", file=sys.stderr)
        shutil.rmtree(instance_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
