"""Where an intake request spends its time, in-process (no gunicorn, no network).

    .venv/bin/python bench/profile_intake.py [--requests N] [--top K]

On a scratch database ``cc_bench_profile`` (migrated and seeded through the
CLI, dropped at the end) it sends POST /api/v1/tickets through Flask's test
client and prints: the SQL statements of one request (plus pool checkouts,
each of which costs a pre-ping round trip), the per-request wall time and its
tail, the garbage-collector pauses behind that tail, and a cProfile of the
project's own functions. Use it to explain what bench/intake.py measures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _harness import ScratchExists, ScratchRedis, create_scratch_database, drop_database, flask_cli, percentile
from intake import REDIS_URL, ROOT, build_requests

DB_NAME = "cc_bench_profile"
DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=1000, help="timed requests (default 1000)")
    p.add_argument("--top", type=int, default=30, help="profile lines to show (default 30)")
    p.add_argument("--save", metavar="FILE", help="also write the cProfile stats to FILE (pstats format)")
    p.add_argument("--why", action="store_true", help="print the project frames that issued each statement")
    args = p.parse_args()
    n = max(1, min(args.requests, 20000))
    instance_dir = Path(tempfile.mkdtemp(prefix="cc-bench-profile-"))
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "RATELIMIT_ENABLED": "0",
           "SECRET_KEY": secrets.token_hex(32), "INSTANCE_DIR": str(instance_dir)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        scratch = ScratchRedis(REDIS_URL)  # refused unless empty; shares intake.py's db, so not both at once
    except ScratchExists as exc:
        print(f"profile could not run: {exc}", file=sys.stderr)
        return 1
    try:
        create_scratch_database(DB_NAME)  # refused if it exists: never someone else's database
    except ScratchExists as exc:
        scratch.close()
        print(f"profile could not run: {exc}", file=sys.stderr)
        return 1
    try:
        flask_cli(ROOT, env, "db", "upgrade")
        flask_cli(ROOT, env, "seed", "--demo")  # the operator whose token drives the load
        token = flask_cli(ROOT, env, "users", "token", "operator").strip()
        os.environ.update(env)  # config.Config reads the environment when first imported
        sys.path.insert(0, str(ROOT))
        run(token, n, args.top, args.why, args.save)
        return 0
    except RuntimeError as exc:
        print(f"profile could not run: {exc}", file=sys.stderr)
        return 1
    finally:
        drop_database(DB_NAME)
        scratch.close()
        shutil.rmtree(instance_dir, ignore_errors=True)


def run(token: str, n: int, top: int, why: bool = False, save: str | None = None) -> None:
    import traceback

    from sqlalchemy import event

    from callcentre import create_app
    from callcentre.core.extensions import db

    app = create_app()
    statements: list[str] = []
    checkouts = [0]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _sql(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split())[:140])
        if why:  # the project's frames only: which line of ours asked for this statement
            frames = [f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}" for f in traceback.extract_stack()
                      if str(ROOT) in f.filename and "/bench/" not in f.filename and "site-packages" not in f.filename]
            statements[-1] += "\n      <- " + " <- ".join(reversed(frames[-4:]))

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        statements.append("COMMIT")

    @event.listens_for(engine.pool, "checkout")
    def _checkout(*_: Any) -> None:
        checkouts[0] += 1

    reqs = iter(build_requests(2 * n + 60, token))
    client = app.test_client()

    def post() -> float:
        req = next(reqs)
        t0 = time.perf_counter()
        resp = client.post("/api/v1/tickets", data=req.body, headers=req.headers)
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status_code != 201:
            raise RuntimeError(f"HTTP {resp.status_code}: {resp.get_data(as_text=True)[:500]}")
        return elapsed

    first = [post() for _ in range(50)]  # warm the per-process caches (communes, calendars, SQL cache)
    statements.clear()
    checkouts[0] = 0
    post()
    print(f"one POST /api/v1/tickets: {len(statements) - statements.count('COMMIT')} SQL statements, "
          f"{statements.count('COMMIT')} COMMIT, {checkouts[0]} pool checkout(s) (= pre-ping round trips):")
    for s in statements:
        print(f"  {s}")

    pauses: dict[int, list[float]] = defaultdict(list)
    started: list[float] = [0.0]

    def _gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(_gc)
    cpu0 = time.process_time()
    lat = sorted(post() for _ in range(n))
    cpu_ms = (time.process_time() - cpu0) * 1000 / n  # this process only: the server's share, no DB waits
    gc.callbacks.remove(_gc)
    print(f"\nfirst request of the process: {first[0]:.1f} ms (cold caches)")
    print(f"{n} requests, one at a time: mean {sum(lat) / n:.2f} ms, p50 {percentile(lat, 50):.2f}, "
          f"p99 {percentile(lat, 99):.2f}, max {lat[-1]:.2f} ms; CPU {cpu_ms:.2f} ms per request")
    print(f"gc: {len(gc.get_objects())} tracked objects; "
          + ", ".join(f"gen{g}: {len(v)} runs, max {max(v):.1f} ms, total {sum(v):.0f} ms"
                     for g, v in sorted(pauses.items())))

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        post()
    prof.disable()
    if save:
        prof.dump_stats(save)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/work/main/(callcentre|workflows)/", top)
    print(f"\ncProfile of {n} requests (project functions, by cumulative time; cProfile roughly doubles times):")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:12000])
    print_by_package(stats, n)


def package_of(filename: str) -> str:
    """'sqlalchemy', 'flask', 'callcentre', '(builtins)', ... for one profiled function's file."""
    if filename.startswith("~") or filename.startswith("<"):
        return "(builtins)"
    parts = Path(filename).parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0].removesuffix(".py") if rest else "(site-packages)"
    if str(ROOT) in filename:
        rel = Path(filename).relative_to(ROOT).parts
        return rel[0].removesuffix(".py")
    return "(stdlib)"


def print_by_package(stats: pstats.Stats, n: int) -> None:
    """Own time (tottime) summed per package: which layer the CPU goes to."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += tottime
    grand = sum(totals.values())
    print(f"\nown time by package ({n} requests; ms per request under cProfile):")
    for pkg, t in sorted(totals.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  {pkg:<28} {t * 1000 / n:6.2f} ms  {t / grand:6.1%}")


if __name__ == "__main__":
    sys.exit(main())
