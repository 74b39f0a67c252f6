"""Read benchmark: every list, detail, search, summary, dashboard page and export of the app, beside
the bare SQL each needs, on a realistic history of N tickets.

    .venv/bin/python bench/reads.py [--tickets 1000000] [--requests 30] [--only NAME] [--keep | --reuse]
                                    [--database cc_bench_reads_<suffix>]

1. Creates its own scratch database ``cc_bench_reads`` (or ``--database``; refused if it exists) and claims Redis
   db 5 (refused if not empty); runs ``flask db upgrade`` and ``flask seed --demo``. With
   ``--reuse`` it takes the database an earlier ``--keep`` run left instead (``flask db upgrade``
   again, so new migrations apply; no rebuild), and keeps it afterwards.
2. Builds the history in PostgreSQL, set-based (bench/reads_history.py): N tickets over two
   years with their events, SLA clocks and alerts, contacts, calls, SMS; then VACUUM ANALYZE. Then reads
   it back and prints it (rows per table, status mix, span of created_at, the search column,
   consistency checks): if any figure is not what was asked, the bench stops there.
3. Issues API tokens (supervisor, operator, officer), starts gunicorn with the project's
   gunicorn.conf.py (2 workers, RATELIMIT_ENABLED=0, GUNICORN_TIMEOUT raised), signs in the
   supervisor and the officer for the HTML pages.
4. For each request (bench/reads_probes.py): warm-up, then up to ``--requests`` rounds of one
   app request and one run of its bare SQL (psycopg), alternating which goes first, so both
   share the machine's speed of the moment. Every answer is checked against the bare SQL's
   (status, content type, the rows and their order, totals, figures): a wrong answer is counted
   as an error and its time is not recorded; a request with any wrong answer shows as ERROR in
   the table, with no time. A request kind stops after ``--budget`` seconds (at least
   ``--min-requests`` rounds), or at its first timeout (``--timeout``), after which the bench
   waits until the server is idle again.
5. Prints the table (p50, p99, bare SQL p50 and p99, rows), writes bench/results/reads-<ts>.json,
   stops gunicorn, drops the database (unless ``--keep`` or ``--reuse``) and deletes the Redis
   keys it made.

Exit status 0 whatever the figures, 3 if any answer was wrong; non-zero also if the benchmark
could not run (or the history is not what was asked). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import redis
from _harness import (
    HOST,
    ScratchExists,
    ScratchRedis,
    Server,
    Timed,
    create_scratch_database,
    drop_database,
    flask_cli,
    free_port,
    percentile,
    server_version,
    timed_request,
    unwind_on_sigterm,
    wait_quiet,
)
from reads_history import ROOT, HistoryBuilder, describe
from reads_probes import Checked, Probe, Sample, WrongAnswer, parse, probes

RESULTS_DIR = ROOT / "bench" / "results"
DB_NAME = "cc_bench_reads"  # the default; --database names another of the bench's own


def pg_dsn(name: str) -> str:
    return f"host={HOST} port=5432 user=postgres dbname={name}"
DEMO_PASSWORD = "Demo@1022"  # callcentre/cli/seed_data.py
USERS = ("supervisor", "operator", "officer")  # demo accounts: the officer works in SNNMT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the history (1000000)")
    p.add_argument("--requests", type=int, default=30, help="measured rounds per request kind (30)")
    p.add_argument("--min-requests", type=int, default=5, help="rounds a slow kind still gets (5)")
    p.add_argument("--budget", type=float, default=60.0, help="seconds per request kind, app + bare SQL (60)")
    p.add_argument("--timeout", type=float, default=60.0, help="per-request client timeout, s (60)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers, WEB_CONCURRENCY (2)")
    p.add_argument("--redis-db", type=int, default=5, help="the Redis database to claim (5; must be empty)")
    p.add_argument("--database", default=DB_NAME,
                   help=f"the scratch database: {DB_NAME} or {DB_NAME}_<suffix> (to keep one history, build another)")
    p.add_argument("--only", action="append", default=[], help="measure only requests whose name contains this")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep", action="store_true", help="keep the database (for --reuse) afterwards")
    keep.add_argument("--reuse", action="store_true",
                      help="measure the history a --keep run left in --database (checked, not rebuilt; kept)")
    p.add_argument("--seed", type=float, default=0.1022, help="PostgreSQL setseed() of the history (0.1022)")
    args = p.parse_args(argv)
    if args.tickets < 1000 or args.requests < 1 or args.min_requests < 1 or args.workers < 1:
        p.error("--tickets must be >= 1000, counts positive")
    if not 0 <= args.redis_db <= 15 or args.redis_db == 15:
        p.error("--redis-db must be 0-14")
    if not re.fullmatch(DB_NAME + r"(_[a-z0-9]+)?", args.database):
        p.error(f"--database must be {DB_NAME} or {DB_NAME}_<suffix> (lower case, digits): the bench's own")
    return args


# ---------------------------------------------------------------- results


@dataclass
class Result:
    """What one request kind measured: the app's requests and its bare SQL, round by round; only
    rounds whose answer was right are timed."""

    name: str
    path: str
    auth: str
    csv: bool
    app_s: list[float] = field(default_factory=list)
    ttfb_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)
    bare_parts: dict[str, list[float]] = field(default_factory=dict)
    bare_rows: dict[str, int] = field(default_factory=dict)
    answer_rows: int | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)  # wrong answers by reason
    bytes: int = 0
    warmup_s: list[float] = field(default_factory=list)
    timeouts: int = 0
    waited_idle_s: float = 0.0
    stopped: str = ""  # why the rounds stopped early, if they did
    key: Any = None  # what the answer found (compared with ``Probe.same_as``)

    @staticmethod
    def ms(values: list[float], q: float) -> float | None:
        v = sorted(values)
        return round(percentile(v, q) * 1000, 1) if v else None

    @property
    def failed(self) -> bool:
        return bool(self.wrong) or bool(self.timeouts)

    def summary(self) -> dict[str, Any]:
        ok = not self.failed
        app50, bare50 = self.ms(self.app_s, 50), self.ms(self.bare_s, 50)
        return {
            "name": self.name, "path": self.path, "auth": self.auth, "csv": self.csv, "rounds": len(self.app_s),
            "ok": ok, "wrong_answers": dict(self.wrong), "answer_rows": self.answer_rows,
            # A request with a wrong answer has no time: what it measured is not what was asked.
            "app_ms": {"p50": app50 if ok else None, "p99": self.ms(self.app_s, 99) if ok else None,
                       "max": self.ms(self.app_s, 100) if ok else None},
            "ttfb_ms": {"p50": self.ms(self.ttfb_s, 50), "p99": self.ms(self.ttfb_s, 99)} if self.csv and ok else None,
            "bare_ms": {"p50": bare50, "p99": self.ms(self.bare_s, 99)},
            "bare_parts_p50_ms": {k: self.ms(v, 50) for k, v in self.bare_parts.items()},
            "bare_rows": self.bare_rows,
            "ratio_p50": round(app50 / bare50, 1) if ok and app50 and bare50 else None,
            "statuses": dict(self.statuses), "response_bytes": self.bytes, "timeouts": self.timeouts,
            "warmup_ms": [round(x * 1000, 1) for x in self.warmup_s], "waited_idle_s": round(self.waited_idle_s, 1),
            "stopped": self.stopped,
            "app_all_ms": [round(x * 1000, 1) for x in self.app_s],
            "bare_all_ms": [round(x * 1000, 1) for x in self.bare_s],
        }


# ---------------------------------------------------------------- the app


class Client:
    """Headers per caller: Bearer tokens for the API, signed-in session cookies for the pages."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.headers: dict[str, dict[str, str]] = {}

    def add_public(self) -> None:
        """No login (the published answers)."""
        self.headers["public"] = {"Accept": "application/json"}

    def add_token(self, user: str, token: str) -> None:
        self.headers[f"token:{user}"] = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def sign_in(self, user: str, password: str) -> None:
        """GET /login for the CSRF token and cookie, POST the form, keep the session cookie."""
        jar: dict[str, str] = {}
        first = timed_request(self.port, "GET", "/login", timeout=self.timeout, keep_body=True)
        _cookies(first.headers, jar)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', first.body)
        if first.status != 200 or match is None:
            raise RuntimeError(f"/login: HTTP {first.status}, no CSRF token")
        form = urlencode({"csrf_token": match.group(1).decode(), "username": user, "password": password, "next": ""})
        done = timed_request(self.port, "POST", "/login", {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)}, form.encode(),
            timeout=self.timeout)
        _cookies(done.headers, jar)
        if done.status != 302:
            raise RuntimeError(f"sign-in of {user} failed: HTTP {done.status}")
        self.headers[f"web:{user}"] = {"Cookie": _cookie_header(jar), "Accept": "text/html"}

    def get(self, auth: str, path: str) -> Any:
        return timed_request(self.port, "GET", path, self.headers[auth], timeout=self.timeout, keep_body=True)


def _cookies(headers: dict[str, str], jar: dict[str, str]) -> None:
    for line in headers.get("set-cookie", "").split("\n"):
        if line:
            for name, morsel in SimpleCookie(line).items():
                jar[name] = morsel.value


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# ---------------------------------------------------------------- measuring


def run_bare(conn: psycopg.Connection[Any], probe: Probe,
             params: dict[str, Any]) -> tuple[float, dict[str, list[tuple[Any, ...]]], dict[str, float]]:
    """Run the probe's bare SQL, fetching every row: (seconds, rows per label, seconds per label)."""
    total, rows, parts = 0.0, {}, {}
    for label, sql in probe.bare:
        t0 = time.perf_counter()
        rows[label] = conn.execute(sql, params).fetchall()  # type: ignore[arg-type]  # the bench's own statements
        parts[label] = time.perf_counter() - t0
        total += parts[label]
    return total, rows, parts


def judge(probe: Probe, r: Timed, rows: dict[str, list[tuple[Any, ...]]], conn: psycopg.Connection[Any],
          params: dict[str, Any], sent: datetime, received: datetime) -> Checked:
    """The app's answer checked against the bare SQL's rows (WrongAnswer if it is not the answer).

    A figure that depends on the clock (due within 4 h, resolved in the last 30 days) may differ
    only because the app read its clock at another instant than the bench: then the bare SQL is
    run again, untimed, for the instant the answer states, or for instants across the request."""
    try:
        answer = parse(probe, r.status, r.headers.get("content-type", ""), r.body)
        try:
            return probe.check(answer, rows)
        except WrongAnswer:
            if probe.at_app_clock is None:
                raise
            stated = probe.answer_now(answer)
            instants = ([stated] if stated else []) + [sent + (received - sent) * k / 4 for k in range(5)]
            for now in instants:
                try:
                    return probe.check(answer, run_bare(conn, probe, probe.at_app_clock(params, now))[1])
                except WrongAnswer:
                    continue
            raise
    except WrongAnswer:
        raise
    except (LookupError, TypeError, ValueError, AttributeError) as exc:  # not the shape of the answer
        raise WrongAnswer(f"unreadable answer: {type(exc).__name__}: {exc}") from exc


def measure(probe: Probe, client: Client, conn: psycopg.Connection[Any], server: Server,
            args: argparse.Namespace, seen: dict[str, Result]) -> Result:
    res = Result(probe.name, probe.make(0, datetime.now(UTC))[0], probe.auth, probe.csv)

    def one(i: int, record: bool, bare_first: bool) -> bool:
        """One round: the app's request and the bare SQL. False if the kind must stop."""
        now = datetime.now(UTC)
        path, params = probe.make(i, now)
        if bare_first:
            took, rows, parts = run_bare(conn, probe, params)
        sent = datetime.now(UTC)
        r = client.get(probe.auth, path)
        received = datetime.now(UTC)
        if not bare_first:
            took, rows, parts = run_bare(conn, probe, params)
        if r.error == "timeout":
            res.timeouts += 1
            res.statuses["timeout"] += 1
            res.stopped = f"timeout after {args.timeout:g} s"
            res.waited_idle_s += wait_quiet(server.pgid, args.database, limit_s=args.timeout + 60)
            return False
        res.statuses[str(r.status) if r.status else r.error or "error"] += 1
        try:
            checked = judge(probe, r, rows, conn, params, sent, received)
            twin = seen.get(probe.same_as or "")
            if twin is not None and twin.key is not None and checked.key != twin.key:
                raise WrongAnswer(f"finds other tickets than {twin.name!r}")
        except WrongAnswer as exc:
            res.wrong[str(exc)[:300]] += 1
            res.stopped = "wrong answer"
            return False
        res.answer_rows, res.key, res.bytes = checked.rows, checked.key, r.size
        res.bare_rows = {label: len(v) for label, v in rows.items()}
        if record:
            res.app_s.append(r.total_s)
            res.ttfb_s.append(r.ttfb_s)
            res.bare_s.append(took)
            for label, seconds in parts.items():
                res.bare_parts.setdefault(label, []).append(seconds)
        else:
            res.warmup_s.append(r.total_s)
        return True

    # Warm-up: both workers (two requests) unless one request is already slow; checked, not timed.
    if not one(0, record=False, bare_first=False):
        return res
    if res.warmup_s[0] < 2.0 and not one(1, record=False, bare_first=True):
        return res
    start = time.monotonic()
    for i in range(args.requests):
        if i >= args.min_requests and time.monotonic() - start > args.budget:
            res.stopped = f"budget {args.budget:g} s after {i} rounds"
            break
        if not one(i, record=True, bare_first=i % 2 == 1):  # alternate: neither side always runs first
            break
    return res


def pick_samples(dsn: str, tickets: int) -> Sample:
    """Detail ids, repeat callers and a receipt code drawn from the history (fixed seed: repeatable)."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        conn.execute("SELECT setseed(0.5)")
        ids = [r[0] for r in conn.execute(
            "SELECT t.id FROM tickets t WHERE t.channel = 'phone' AND t.status = 'closed'"
            " AND t.id IN (SELECT (1 + floor(random() * (SELECT max(id) FROM tickets)))::int"
            "              FROM generate_series(1, 400)) LIMIT 30")]
        phones = [r[0] for r in conn.execute(
            "SELECT c.phone FROM contacts c WHERE c.id IN (SELECT (1 + floor(random() * 2000))::int"
            " FROM generate_series(1, 60)) AND EXISTS (SELECT 1 FROM tickets t WHERE t.contact_id = c.id) LIMIT 30")]
        code = conn.execute("SELECT receipt_code FROM tickets WHERE id = (SELECT max(id) / 3 FROM tickets)").fetchone()
        dept = conn.execute("SELECT d.id, d.code FROM users u JOIN departments d ON d.id = u.department_id"
                            " WHERE u.username = 'officer'").fetchone()
    if not ids or not phones or code is None or dept is None:
        raise RuntimeError("the history has no sample tickets, callers or officer department")
    return Sample(ticket_ids=ids, phones=phones, receipt_code=code[0], officer_department=(dept[0], dept[1]),
                  tickets=tickets)


# ---------------------------------------------------------------- report


def fmt(v: float | None) -> str:
    return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.1f}")


def table(results: list[dict[str, Any]]) -> list[str]:
    """The printed (and README) table: one row per request kind, milliseconds."""
    head = ("request", "n", "p50 ms", "p99 ms", "bare p50", "bare p99", "ratio", "rows", "notes")
    rows = [head]
    for r in results:
        notes = []
        if r["csv"] and r["ttfb_ms"] and r["ttfb_ms"]["p50"] is not None:
            notes.append(f"first byte p50 {fmt(r['ttfb_ms']['p50'])} / p99 {fmt(r['ttfb_ms']['p99'])} ms")
        if r["csv"] or r["response_bytes"] > 200_000:
            notes.append(f"{r['response_bytes'] / 1e6:.1f} MB")
        bad = {k: v for k, v in r["statuses"].items() if k != "200"}
        if bad:
            notes.append("answers " + ", ".join(f"{k}×{v}" for k, v in bad.items()))
        if r["wrong_answers"]:
            notes.append("WRONG ANSWER: " + "; ".join(r["wrong_answers"]))
        if r["stopped"].startswith("timeout"):
            notes.append(f"TIMEOUT (>{r['stopped'].split()[2]} s)")
        error = not r["ok"]
        rows.append((r["name"], str(r["rounds"]), "ERROR" if error else fmt(r["app_ms"]["p50"]),
                     "ERROR" if error else fmt(r["app_ms"]["p99"]), fmt(r["bare_ms"]["p50"]), fmt(r["bare_ms"]["p99"]),
                     "—" if r["ratio_p50"] is None else f"×{r['ratio_p50']:g}",
                     "—" if r["answer_rows"] is None else f"{r['answer_rows']:,}", "; ".join(notes)))
    widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
    out = []
    for n, row in enumerate(rows):
        cells = enumerate(zip(row, widths, strict=True))
        out.append(" | ".join(c.ljust(w) if k in (0, 8) else c.rjust(w) for k, (c, w) in cells))
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return out


def markdown(results: list[dict[str, Any]]) -> list[str]:
    out = ["| request | n | p50 ms | p99 ms | bare p50 ms | bare p99 ms | ratio | rows | notes |",
           "|---|---|---|---|---|---|---|---|---|"]
    for line in table(results)[2:]:
        cells = [c.strip() for c in line.split(" | ")]
        out.append("| " + " | ".join(cells) + " |")
    return out


# ---------------------------------------------------------------- main


class HistoryWrong(RuntimeError):
    """The history read back is not what was asked for."""


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Build the history (or take the kept one), read it back and check it; its report."""
    dsn = pg_dsn(args.database)
    if args.reuse:
        meta = HistoryBuilder.stored(dsn)
        flask_cli(ROOT, env, "db", "upgrade")  # migrations added since it was built
        print(f"[history] reusing {args.database}: {meta['tickets_asked']:,} tickets built {meta['now']} "
              f"in {meta['seconds']} s" + (f" (--tickets {args.tickets:,} ignored)"
                                           if args.tickets != meta["tickets_asked"] else ""))
        builder = HistoryBuilder(dsn, meta["tickets_asked"], seed=meta["seed"],
                                 now=datetime.fromisoformat(meta["now"]), log=print)
        builder.vacuum()  # as after the build: cheap when nothing changed since
    else:
        flask_cli(ROOT, env, "db", "upgrade")
        seed_help = flask_cli(ROOT, env, "seed", "--help")
        flask_cli(ROOT, env, "seed", *(["--demo"] if "--demo" in seed_help else []))
        print(f"[history] building {args.tickets:,} tickets in PostgreSQL ...")
        builder = HistoryBuilder(dsn, args.tickets, seed=args.seed, log=print)
        meta = builder.build()
    try:  # the indexes the load rebuilt; on reuse, migrations since then may have changed them
        built = builder.verify(None if args.reuse else meta["indexes"])
    finally:
        builder.close()
    how = "reused" if args.reuse else f"built in {meta['seconds']} s"
    print(f"[history] read back ({how}):")
    for line in describe(built):
        print(line)
    if built["problems"]:
        raise HistoryWrong(f"the history is not what was asked ({len(built['problems'])} problems above)")
    return {**meta, **built, "reused": args.reuse}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    unwind_on_sigterm()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    instance_dir = Path(tempfile.mkdtemp(prefix="cc-bench-reads-"))
    redis_url = f"redis://{HOST}:6379/{args.redis_db}"
    load_start = os.getloadavg()
    started = time.monotonic()
    created_db = False
    scratch_redis: ScratchRedis | None = None
    server: Server | None = None
    report: dict[str, Any] = {}
    print(f"Read benchmark: {'the kept history' if args.reuse else f'{args.tickets:,} tickets'}; "
          f"{multiprocessing.cpu_count()} cores shared by gunicorn, PostgreSQL and this client.")
    if load_start[0] > 1.0:
        print(f"WARNING: load average {load_start[0]:.2f} before starting: absolute timings will be noisy "
              "(the ratios less so).")
    try:
        scratch_redis = ScratchRedis(redis_url)
        if not args.reuse:
            create_scratch_database(args.database)
            created_db = True
        database_url = f"postgresql+psycopg://postgres@{HOST}:5432/{args.database}"
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": secrets.token_hex(32),
               "INSTANCE_DIR": str(instance_dir), "PYTHONUNBUFFERED": "1", "RATELIMIT_ENABLED": "0"}
        history = prepare(args, env)
        report["history"] = history
        n_tickets = history["counts"]["tickets"]

        client_timeout = args.timeout
        port = free_port()
        tokens = {u: flask_cli(ROOT, env, "users", "token", u).strip() for u in USERS}
        server_env = {**env, "WEB_CONCURRENCY": str(args.workers), "GUNICORN_BIND": f"{HOST}:{port}",
                      "GUNICORN_TIMEOUT": str(int(client_timeout + 60))}  # slow requests finish, not killed
        log_path = RESULTS_DIR / f"reads-{stamp}-app.log"
        argv_g = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"]
        server = Server("app", argv_g, server_env, ROOT, log_path, port).__enter__()
        server.wait_ready("/readyz")
        client = Client(port, client_timeout)
        client.add_public()
        for user, token in tokens.items():
            client.add_token(user, token)
        for user in ("supervisor", "officer"):
            client.sign_in(user, DEMO_PASSWORD)
        sample = pick_samples(pg_dsn(args.database), n_tickets)

        chosen = [p for p in probes(sample) if not args.only or any(o.lower() in p.name.lower() for o in args.only)]
        results: list[dict[str, Any]] = []
        seen: dict[str, Result] = {}
        with psycopg.connect(pg_dsn(args.database), autocommit=True, connect_timeout=5) as conn:
            conn.execute("SET TimeZone = 'UTC'")
            for k, probe in enumerate(chosen, 1):
                measured = measure(probe, client, conn, server, args, seen)
                seen[probe.name] = measured
                res = measured.summary()
                results.append(res)
                verdict = (f"WRONG ANSWER: {'; '.join(res['wrong_answers'])}" if res["wrong_answers"] else
                           f"p50 {fmt(res['app_ms']['p50'])} ms, p99 {fmt(res['app_ms']['p99'])} ms")
                print(f"[{k:2d}/{len(chosen)}] {probe.name}: {verdict}; bare {fmt(res['bare_ms']['p50'])} ms"
                      + (f"; {res['answer_rows']:,} rows" if res["answer_rows"] is not None else "")
                      + (f" ({res['stopped']})" if res["stopped"] else ""))
        server.stop()
        server = None
        report["requests"] = results
        report["meta"] = {
            "timestamp": stamp, "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_s": round(time.monotonic() - started, 1),
            "machine": {"cores": multiprocessing.cpu_count(), "python": platform.python_version(),
                        "postgres": server_version(), "loadavg_at_start": load_start,
                        "loadavg_at_end": os.getloadavg()},
            "config": {**vars(args), "redis_url": redis_url,
                       "gunicorn_timeout": int(client_timeout + 60)},
            "sample": {"ticket_ids": sample.ticket_ids[:5], "receipt_code": sample.receipt_code,
                       "officer_department": sample.officer_department[1]},
        }
        print(f"\n{n_tickets:,} tickets; p50/p99 of the app's answer (total time), bare SQL p50/p99, ratio of the "
              "p50s, rows in the answer (only correct answers are timed):")
        for line in table(results):
            print(line)
        report["table_markdown"] = markdown(results)
        ratios = [r["ratio_p50"] for r in results if r["ratio_p50"]]
        wrong = [r["name"] for r in results if not r["ok"]]
        if ratios:
            print(f"\nmedian ratio ×{statistics.median(ratios):g}; whole run {report['meta']['wall_s']} s")
        if wrong:
            print(f"{len(wrong)} requests answered wrong or timed out: {', '.join(wrong)}")
        out = RESULTS_DIR / f"reads-{stamp}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"results: {out.relative_to(ROOT)} (gunicorn log {log_path.relative_to(ROOT)})")
        return 3 if wrong else 0
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        return 130
    except ScratchExists as exc:
        print(f"\nbenchmark not started: {exc}", file=sys.stderr)
        return 2
    except HistoryWrong as exc:
        print(f"\nbenchmark stopped: {exc}", file=sys.stderr)
        return 4
    except (RuntimeError, OSError, psycopg.Error, redis.RedisError, subprocess.SubprocessError) as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        if created_db and not args.keep:
            try:
                drop_database(args.database)
            except psycopg.Error as exc:
                print(f"could not drop database {args.database}: {exc}", file=sys.stderr)
        elif created_db or args.reuse:
            print(f"kept database {args.database} (measure it again with --reuse; drop it with: "
                  f"psql -h {HOST} -U postgres -c 'DROP DATABASE {args.database}')")
        if scratch_redis is not None:
            try:
                n = scratch_redis.close()
                if n:
                    print(f"deleted the {n} Redis keys this run created in {redis_url}")
            except redis.RedisError as exc:
                print(f"could not clean {redis_url}: {exc}", file=sys.stderr)
        shutil.rmtree(instance_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
