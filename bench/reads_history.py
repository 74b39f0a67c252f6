"""A realistic two-year history of N tickets, built set-based inside PostgreSQL (bench/reads.py).

    .venv/bin/python bench/reads_history.py --tickets 100000 [--keep]   # build only, to look at it

Every row goes into the app's real tables, written by ``INSERT ... SELECT`` over
``generate_series`` (nothing row by row from Python), in this order:

1. a plan: one row per ticket in an UNLOGGED staging table ``bench_plan``, holding the random
   draws and the planned timeline (assign, accept, a request for information, resolve, close;
   or reject / merge), then the state every ticket has reached *now*, which gives the status
   mix (most closed, some answered, a few percent open, a share of them stuck and overdue);
2. from the plan: contacts (Vietnamese names and mobile numbers), tickets (Vietnamese
   descriptions, communes of the province from ``vietnam-provinces``; ``PUBLISHED_SHARE`` of the
   answered ones published, never a confidential one), calls and their links,
   SLA alerts, pending extension requests, the history events (in time order), SLA clocks,
   staff notices and the outbound SMS of every notifying event;
3. sequences moved past the explicit ids, staging dropped, ``ANALYZE``.

The load session sets ``session_replication_role = replica``: PostgreSQL then skips the
foreign-key triggers, which would otherwise cost a lookup per row (the data is consistent by
construction, and ``check_consistency`` verifies the main links afterwards).

Approximations, on purpose: deadlines convert working time to wall time with a fixed factor
(8-hour days, 5-day weeks: x4.2; x1 on the 24x7 calendar) instead of the real calendar with
holidays; a paused and resumed clock keeps the budget it had at the pause. The invariants the
app relies on hold: a stopped clock has no anchor, due, warning or next check; a running one
has ``next_check_at`` = the warning, else the deadline, else NULL once breached; every
warned/breached flag has its alert and its ``sla_*`` history event; a ticket's deadlines mirror
its clocks; ``version`` counts its transitions.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import reads_texts as tx
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app's own reference code: receipt alphabet, geo, durations

from callcentre.formats.geo import communes  # noqa: E402  (after the path insert)
from callcentre.formats.receipt import ALPHABET  # noqa: E402
from callcentre.formats.textnorm import diacritic_table, search_key  # noqa: E402
from callcentre.services.search import ticket_search_text  # noqa: E402
from config import Config  # noqa: E402
from workflows.durations import parse_duration_parts  # noqa: E402
from workflows.states import OPEN_VALUES, Status  # noqa: E402

YEARS = 2
# Category shares of a provincial 1022 line: sanitation, roads, power and water lead.
CATEGORY_WEIGHTS = {
    "DO-THI-VE-SINH": 16, "GIAO-THONG-HT": 13, "DIEN": 12, "NUOC": 9, "TN-MT": 9, "AN-NINH-TTATGT": 8,
    "XAY-DUNG": 6, "DAT-DAI": 5, "KHAC": 5, "HANH-CHINH-CONG": 4, "Y-TE": 3, "NONG-NGHIEP": 3,
    "CONG-THUONG": 3, "VH-TT-DL": 2, "TT-TT": 1, "GIAO-DUC": 1,
}
CHANNEL_WEIGHTS = {"phone": 55, "zalo": 12, "app": 15, "web": 10, "sms": 5, "walk_in": 3}
# Mobile prefixes after +84 that phonenumbers accepts as valid (89, 52 are not).
PHONE_PREFIXES = ["90", "91", "93", "94", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39", "70",
                  "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88", "56", "58"]
OPERATORS = 12  # bench operators besides the demo one
CONTACTS_PER_TICKET = 0.55  # distinct callers: repeat callers share a contact
WALL_FACTOR = 4.2  # working hours -> wall time: 24/8 h a day x 7/5 days a week
# Answered (resolved or closed) tickets whose answer the department published (tickets.published,
# the published answers page); never a confidential one.
PUBLISHED_SHARE = 0.4
STAGING = ("bench_plan0", "bench_plan", "bench_terms", "bench_phrases", "bench_calls")
# The app's tables the history fills; their plain indexes are dropped for the load and rebuilt after
# (a sorted CREATE INDEX is several times cheaper than millions of random-order insertions).
LOADED = ("tickets", "ticket_events", "sla_clocks", "sla_alerts", "contacts", "calls", "call_tickets",
          "outbound_messages", "notifications", "extension_requests")


@dataclass
class Reference:
    """The seeded rows the history refers to (read from the scratch database)."""

    categories: list[tuple[int, str, int]]  # (id, code, default department id)
    departments: dict[int, str]  # id -> code
    supervisors: list[int]
    operators: list[int] = field(default_factory=list)
    officers: dict[int, int] = field(default_factory=dict)  # department id -> officer id
    heads: dict[int, int] = field(default_factory=dict)  # department id -> head id


def receipt_function() -> str:
    """SQL function: id -> a valid receipt code (formats/receipt.py: 9 Crockford symbols + Luhn mod 32).

    The 45-bit body is a bijection of the id (multiply by odd constants mod 2^45, xor-shift), so
    codes are unique and look random, as the app's are."""
    m = 2 ** 45
    x1 = f"(($1::bigint * 2654435761) % {m})"
    x2 = f"({x1} # ({x1} >> 22))"
    x3 = f"(({x2} * 181243) % {m})"
    x = f"({x3} # ({x3} >> 19))"
    values = [f"(({x} >> {5 * (8 - k)}) & 31)" for k in range(9)]
    symbols = [f"substr('{ALPHABET}', {v}::int + 1, 1)" for v in values]
    terms = []
    for k, v in enumerate(values):
        factor = 2 if (8 - k) % 2 == 0 else 1  # Luhn: double every second symbol from the right
        terms.append(f"(({factor} * {v}) / 32 + ({factor} * {v}) % 32)")
    check = f"substr('{ALPHABET}', ((32 - ({' + '.join(terms)}) % 32) % 32)::int + 1, 1)"
    return ("CREATE FUNCTION pg_temp.bench_receipt(bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            f"AS $f$ SELECT {' || '.join([*symbols, check])} $f$")


def phone_function() -> str:
    """SQL function: contact id -> a unique, valid Vietnamese mobile number in E.164."""
    prefixes = "ARRAY[" + ",".join(f"'{p}'" for p in PHONE_PREFIXES) + "]"
    k = len(PHONE_PREFIXES)
    return ("CREATE FUNCTION pg_temp.bench_phone(bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ "
            f"SELECT '+84' || ({prefixes})[1 + ($1 % {k})::int] "
            f"|| lpad(((($1 / {k}) * 7777777 + 1234567) % 10000000)::text, 7, '0') $f$")


def draw_function() -> str:
    """SQL function: (purpose, id) -> a fixed draw in [0, 1) from md5, so that a new draw leaves the
    ``random()`` sequence of every other column (and so the rest of the history) as it was."""
    return ("CREATE FUNCTION pg_temp.bench_draw(text, bigint) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            "AS $f$ SELECT ('x' || substr(md5('bench-' || $1 || '-' || $2), 1, 12))::bit(48)::bigint / 2.0 ^ 48 $f$")


def _lower_bounds(weights: list[int]) -> list[float]:
    """Cumulative lower bounds for width_bucket(): bucket k holds [lb[k-1], lb[k])."""
    total, acc, out = sum(weights), 0, []
    for w in weights:
        out.append(acc / total)
        acc += w
    return out


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _standard_day_s(hours: dict[str, list[list[str]]], always_open: bool) -> float:
    """Working seconds of a standard day, as workflows.calendar.WorkingCalendar.standard_day (Monday)."""
    if always_open:
        return 86400.0
    total = 0.0
    for start, end in hours.get("0", []):
        (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
        total += (h2 * 60 + m2 - h1 * 60 - m1) * 60
    return total


def _budget_s(iso: str, day_s: float) -> float:
    days, rest = parse_duration_parts(iso)
    return days * day_s + rest.total_seconds()


class HistoryBuilder:
    """Builds the history in the scratch database ``dsn``; ``steps`` records each step's seconds."""

    def __init__(self, dsn: str, n: int, seed: float = 0.1022, now: datetime | None = None,
                 public_base_url: str = Config.PUBLIC_BASE_URL, log: Callable[[str], None] = print) -> None:
        self.dsn, self.n, self.seed, self.log = dsn, n, seed, log
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.t0 = self.now - timedelta(days=365 * YEARS)
        self.base_url = public_base_url.rstrip("/")
        self.steps: dict[str, float] = {}
        self.conn: psycopg.Connection[Any] = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        for stmt in ("SET session_replication_role = replica", "SET synchronous_commit = off",
                     "SET work_mem = '256MB'", "SET maintenance_work_mem = '512MB'", "SET TimeZone = 'UTC'",
                     "SET max_parallel_workers_per_gather = 0",  # random() draws stay in one process: repeatable
                     receipt_function(), phone_function(), draw_function()):
            self.conn.execute(stmt)  # type: ignore[arg-type]  # fixed text built above
        self.conn.execute("SELECT setseed(%s)", (seed,))

    # -- plumbing -------------------------------------------------------------------

    def _run(self, name: str, sql: str, params: dict[str, Any] | None = None) -> int:
        t0 = time.perf_counter()
        cur = self.conn.execute(sql, params or {})  # type: ignore[arg-type]  # the bench's own fixed statements
        self.steps[name] = round(self.steps.get(name, 0.0) + time.perf_counter() - t0, 2)
        return cur.rowcount

    def _scalar(self, sql: str, params: Any = None) -> Any:
        row = self.conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
        return row[0] if row else None

    @property
    def params(self) -> dict[str, Any]:
        return {"now": self.now, "t0": self.t0, "n": self.n,
                "step": (self.now - self.t0).total_seconds() / self.n}

    # -- the steps --------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        self.drop_staging()
        ref = self.reference()
        self.staff(ref)
        self.terms()
        self.plan(ref)
        self.log(f"  plan: {self.n:,} tickets ({self.steps['plan']:.1f} s)")
        indexes = self.drop_indexes()
        try:
            self.contacts()
            self.tickets()
            self.log(f"  contacts + tickets ({self.steps['contacts'] + self.steps['tickets']:.1f} s)")
            self.calls(ref)
            self.alerts(ref)
            self.extensions()
            self.events()
            self.log(f"  calls, alerts, events "
                     f"({self.steps['calls'] + self.steps['alerts'] + self.steps['events']:.1f} s)")
            self.clocks()
            self.notifications(ref)
            self.messages()
            self.log(f"  clocks, notices, messages "
                     f"({self.steps['clocks'] + self.steps['notifications'] + self.steps['messages']:.1f} s)")
        finally:
            for ddl in indexes:
                self._run("indexes", ddl)
        self.log(f"  {len(indexes)} indexes rebuilt ({self.steps.get('indexes', 0):.1f} s)")
        self.finish()
        total = round(time.perf_counter() - t0, 1)
        self.log(f"  sequences, VACUUM ANALYZE ({self.steps['analyze']:.1f} s); history built in {total:.1f} s")
        meta = {"tickets_asked": self.n, "seconds": total, "steps": self.steps, "now": self.now.isoformat(),
                "seed": self.seed, "indexes": sorted(i.split(" ON ")[0].split()[-1] for i in indexes)}
        # Kept with the data, so a later run (reads.py --reuse) knows what it reuses and checks it.
        self.conn.execute("CREATE TABLE bench_history (meta jsonb NOT NULL)")
        self.conn.execute("INSERT INTO bench_history VALUES (%s)", (Jsonb(meta),))
        return meta

    def drop_indexes(self) -> list[str]:
        """Drop the plain indexes of the (still empty) loaded tables; their definitions, to rebuild.
        Primary keys and unique constraints stay: they guard the ids and codes while loading."""
        rows = self.conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = 'public' AND t.relname = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            (list(LOADED),)).fetchall()
        for name, _ddl in rows:
            self.conn.execute(f"DROP INDEX {name}")  # type: ignore[arg-type]  # a name from the catalogue
        return [ddl for _name, ddl in rows]

    def drop_staging(self) -> None:
        for name in STAGING:
            self.conn.execute(f"DROP TABLE IF EXISTS {name}")  # type: ignore[arg-type]  # fixed names

    def reference(self) -> Reference:
        cats = self.conn.execute("SELECT id, code, default_department_id FROM categories ORDER BY id").fetchall()
        depts = dict(self.conn.execute("SELECT id, code FROM departments").fetchall())
        sups = [r[0] for r in self.conn.execute("SELECT id FROM users WHERE role = 'supervisor' AND active")]
        if not cats or not sups:
            raise RuntimeError("seed the database first (flask seed --demo): no categories or no supervisor")
        return Reference(categories=cats, departments=depts, supervisors=sups)

    def staff(self, ref: Reference) -> None:
        """Operators, and an officer and a head for every department that has none (the demo users
        cover two): the history's actors. They share the demo operator's password hash."""
        t0 = time.perf_counter()
        pw = self._scalar("SELECT password_hash FROM users WHERE role = 'operator' ORDER BY id LIMIT 1")
        if pw is None:
            raise RuntimeError("no operator user: run flask seed --demo first")
        rows: list[tuple[str, str, int | None, str]] = [
            (f"tongdai{k:02d}", "operator", None, f"{tx.FAMILY[k % len(tx.FAMILY)]} Thị {tx.GIVEN_F[k]} (tổng đài viên)")
            for k in range(1, OPERATORS + 1)]
        for dept_id, code in sorted(ref.departments.items()):
            slug = code.lower().replace("-", "_")
            rows.append((f"cv_{slug}", "department_officer", dept_id, f"Chuyên viên {code}"))
            rows.append((f"tp_{slug}", "department_head", dept_id, f"Trưởng phòng {code}"))
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO users (username, full_name, password_hash, role, department_id, active, created_at)"
                " VALUES (%s, %s, %s, %s, %s, true, %s) ON CONFLICT (username) DO NOTHING",
                [(u, name, pw, role, dept, self.t0) for u, role, dept, name in rows])
        for uid, role, dept in self.conn.execute("SELECT id, role, department_id FROM users WHERE active ORDER BY id"):
            if role == "operator":
                ref.operators.append(uid)
            elif role == "department_officer" and dept is not None:
                ref.officers.setdefault(dept, uid)  # the demo officer first where there is one
            elif role == "department_head" and dept is not None:
                ref.heads.setdefault(dept, uid)
        self.steps["staff"] = round(time.perf_counter() - t0, 2)

    def terms(self) -> None:
        """bench_terms: each policy's budgets in working seconds (as sla/policies.budget) and wall factor."""
        rows = self.conn.execute(
            "SELECT p.category_id, p.priority, p.id, p.calendar_id, p.accept_within, p.resolve_within, p.warn_at,"
            " w.hours, w.always_open FROM sla_policies p JOIN work_calendars w ON w.id = p.calendar_id").fetchall()
        self.conn.execute("CREATE UNLOGGED TABLE bench_terms (category_id int, priority text, policy_id int,"
                          " calendar_id int, accept_s float8, resolve_s float8, warn float8, f float8)")
        data = []
        for cat, prio, pid, cal, acc, res, warn, hours, always in rows:
            day = _standard_day_s(hours or {}, always)
            data.append((cat, prio, pid, cal, _budget_s(acc, day), _budget_s(res, day), warn,
                         1.0 if always else WALL_FACTOR))
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_terms VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", data)
        codes = {code: cid for cid, code, _ in self.conn.execute("SELECT id, code, 0 FROM categories")}
        self.conn.execute("CREATE UNLOGGED TABLE bench_phrases (category_id int PRIMARY KEY, phrases text[],"
                          " phrase_keys text[])")
        with self.conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_phrases VALUES (%s, %s, %s)",
                            [(cid, tx.PHRASES.get(code, tx.GENERIC), [search_key(t) for t in tx.PHRASES.get(code, tx.GENERIC)])
                             for code, cid in codes.items()])

    def plan(self, ref: Reference) -> None:
        cats = [c for c in ref.categories if c[1] in CATEGORY_WEIGHTS] or ref.categories
        weights = [CATEGORY_WEIGHTS.get(c[1], 1) for c in cats]
        chans = list(CHANNEL_WEIGHTS)
        p = {**self.params, "cat_ids": [c[0] for c in cats], "cat_lb": _lower_bounds(weights),
             "chan": chans, "chan_lb": _lower_bounds(list(CHANNEL_WEIGHTS.values()))}
        self._run("plan", """
            CREATE UNLOGGED TABLE bench_plan0 AS
            SELECT g.*,
                   (%(cat_ids)s::int[])[width_bucket(g.r_cat, %(cat_lb)s::float8[])] AS category_id,
                   (%(chan)s::text[])[width_bucket(g.r_chan, %(chan_lb)s::float8[])] AS channel,
                   CASE WHEN g.r_prio < 0.03 THEN 'urgent' WHEN g.r_prio < 0.15 THEN 'high' ELSE 'normal' END AS priority
            FROM (SELECT i AS id,
                         %(t0)s::timestamptz + make_interval(secs => (i - 1 + random()) * %(step)s) AS created_at,
                         random() AS r_cat, random() AS r_chan, random() AS r_prio, random() AS r_contact,
                         random() AS r_pick, random() AS r_who, random() AS r_assign, random() AS r_accept,
                         random() AS r_resolve, random() AS r_close, random() AS r_close2, random() AS r_info,
                         random() AS r_info2, random() AS r_fate, random() AS r_stage, random() AS r_misc,
                         random() AS r_text, random() AS r_geo, random() AS r_geo2
                  FROM generate_series(1, %(n)s) AS i) g
        """, p)
        ops = ref.operators
        size = max(ref.departments) + 1
        officers = [ref.officers.get(d) or ref.heads.get(d) for d in range(1, size)]
        heads = [ref.heads.get(d) or ref.officers.get(d) for d in range(1, size)]
        p = {**self.params, "ops": ops, "nops": len(ops), "officers": officers, "heads": heads,
             "m": max(1, round(self.n * CONTACTS_PER_TICKET)), "open": list(OPEN_VALUES),
             "auto_close": f"{int(Config.AUTO_CLOSE_AFTER_DAYS)} days", "answers": tx.ANSWERS,
             "reasons": tx.REJECT_REASONS, "rare_answer": tx.RARE_ANSWER, "rare_share": tx.RARE_ANSWER_SHARE}
        # b: the planned timeline; s: the state reached now; outer: effective times and clocks.
        self._run("plan", """
            CREATE UNLOGGED TABLE bench_plan AS
            SELECT v.*,  -- the clocks as they stand now (see the module docstring)
                   CASE WHEN v.paused THEN v.info_at > v.warn0 ELSE coalesce(v.r_stop, %(now)s) > v.r_warn END AS r_warned,
                   CASE WHEN v.paused THEN v.info_at > v.due0 ELSE coalesce(v.r_stop, %(now)s) > v.r_due END AS r_breached,
                   coalesce(v.e_accepted, %(now)s) > v.a_warn AS a_warned,
                   coalesce(v.e_accepted, %(now)s) > v.a_due AS a_breached
            FROM (
            SELECT u.*,
                   u.r_anchor + make_interval(secs => greatest(u.r_rem, 0) * u.f) AS r_due,
                   u.r_anchor + make_interval(secs => greatest(u.r_rem - u.resolve_s * (1 - u.warn), 0) * u.f) AS r_warn
            FROM (
            SELECT s.*,
                   CASE WHEN s.info_done THEN s.resolve_s - extract(epoch FROM s.info_at - s.created_at) / s.f
                        ELSE s.resolve_s END AS r_rem,
                   CASE WHEN s.paused THEN NULL WHEN s.info_done THEN s.e_info_back ELSE s.created_at END AS r_anchor,
                   CASE WHEN s.e_resolved IS NOT NULL THEN s.e_resolved
                        WHEN s.status IN ('rejected', 'duplicate') THEN s.final_at END AS r_stop,
                   s.e_assigned + make_interval(secs => s.accept_s * s.f) AS a_due,
                   s.e_assigned + make_interval(secs => s.accept_s * s.f * s.warn) AS a_warn,
                   CASE WHEN s.e_resolved IS NOT NULL AND pg_temp.bench_draw('answer', s.id) < %(rare_share)s
                          THEN %(rare_answer)s
                        WHEN s.e_resolved IS NOT NULL THEN (%(answers)s::text[])[1 + floor(s.r_close2 * 4.999)::int]
                        WHEN s.status = 'rejected' THEN (%(reasons)s::text[])[1 + floor(s.r_close2 * 2.999)::int]
                   END AS public_answer,
                   CASE WHEN s.status = 'duplicate' THEN nullif(greatest(1, s.id - 1 - floor(s.r_close * 500)::int), s.id)
                   END AS duplicate_of_id,
                   1 + (s.e_assigned IS NOT NULL)::int + (s.e_accepted IS NOT NULL)::int + s.info_done::int
                     + (s.e_info_back IS NOT NULL)::int + (s.e_resolved IS NOT NULL)::int
                     + (s.e_closed IS NOT NULL)::int AS version,
                   greatest(s.created_at, s.e_assigned, s.e_accepted,
                            CASE WHEN s.info_done THEN s.info_at END, s.e_info_back, s.e_resolved, s.e_closed) AS updated_at,
                   s.created_at + make_interval(secs => s.resolve_s * s.f) AS due0,
                   s.created_at + make_interval(secs => s.resolve_s * s.f * s.warn) AS warn0
            FROM (
              SELECT b.*,
                     CASE WHEN b.status IN ('received', 'rejected', 'duplicate') THEN NULL ELSE b.assigned_at END AS e_assigned,
                     CASE WHEN b.status IN ('in_progress', 'awaiting_citizen', 'resolved', 'closed') THEN b.accepted_at END AS e_accepted,
                     coalesce(b.has_info AND b.info_at <= %(now)s
                              AND b.status IN ('awaiting_citizen', 'in_progress', 'resolved', 'closed'), false) AS info_done,
                     b.status = 'awaiting_citizen' AS paused,
                     CASE WHEN b.status <> 'awaiting_citizen' AND b.has_info AND b.info_at <= %(now)s
                               AND b.status IN ('in_progress', 'resolved', 'closed') THEN b.info_back_at END AS e_info_back,
                     CASE WHEN b.status IN ('resolved', 'closed') THEN b.resolved_at END AS e_resolved,
                     CASE WHEN b.status = 'closed' THEN b.closed_at
                          WHEN b.status IN ('rejected', 'duplicate') THEN b.final_at END AS e_closed
              FROM (
                SELECT t.*,
                       CASE
                         WHEN t.fate = 'rejected' THEN CASE WHEN t.final_at <= %(now)s THEN 'rejected' ELSE 'received' END
                         WHEN t.fate = 'duplicate' THEN CASE WHEN t.final_at <= %(now)s THEN 'duplicate' ELSE 'received' END
                         WHEN t.fate = 'stuck' THEN (ARRAY['received', 'assigned', 'in_progress', 'awaiting_citizen'])[
                              1 + least(t.stuck_num, CASE WHEN t.info_at <= %(now)s THEN 3 WHEN t.accepted_at <= %(now)s THEN 2
                                                          WHEN t.assigned_at <= %(now)s THEN 1 ELSE 0 END)]
                         WHEN t.closed_at <= %(now)s THEN 'closed'
                         WHEN t.resolved_at <= %(now)s THEN 'resolved'
                         WHEN t.has_info AND t.info_at <= %(now)s AND t.info_back_at > %(now)s THEN 'awaiting_citizen'
                         WHEN t.accepted_at <= %(now)s THEN 'in_progress'
                         WHEN t.assigned_at <= %(now)s THEN 'assigned'
                         ELSE 'received'
                       END AS status
                FROM (
                  SELECT p.id, p.created_at, p.category_id, c.default_department_id AS department_id, p.channel,
                         p.priority, p.r_pick, p.r_contact, p.r_who, p.r_close, p.r_close2, p.r_misc, p.r_text, p.r_geo,
                         p.r_geo2, tm.policy_id, tm.calendar_id, tm.accept_s, tm.resolve_s, tm.warn, tm.f,
                         fa.fate, fa.stuck_num, a.assigned_at, a.accepted_at,
                         i.has_info, CASE WHEN i.has_info THEN i.info_at_c END AS info_at,
                         CASE WHEN i.has_info AND fa.fate <> 'stuck' THEN i.info_at_c + i.info_len END AS info_back_at,
                         r.resolved_at,
                         r.resolved_at + CASE WHEN p.r_close < 0.6 THEN %(auto_close)s::interval + make_interval(secs => 1 + 59 * p.r_close2)
                                              ELSE make_interval(secs => 1800 + 172800 * p.r_close2 ^ 2) END AS closed_at,
                         p.r_close < 0.6 AS closed_by_system,
                         CASE WHEN fa.fate IN ('rejected', 'duplicate')
                              THEN p.created_at + make_interval(secs => 300 + 6900 * p.r_misc) END AS final_at,
                         CASE WHEN p.r_contact < CASE p.channel WHEN 'walk_in' THEN 0.7 WHEN 'web' THEN 0.9 WHEN 'app' THEN 0.93
                                                                ELSE 1.0 END
                              THEN 1 + floor(%(m)s * p.r_pick ^ 1.5)::int END AS contact_id,
                         (%(ops)s::int[])[1 + floor(p.r_who * %(nops)s)::int] AS operator_id,
                         CASE WHEN p.r_who < 0.7 THEN (%(officers)s::int[])[c.default_department_id]
                              ELSE (%(heads)s::int[])[c.default_department_id] END AS officer_id,
                         (%(heads)s::int[])[c.default_department_id] AS head_id
                  FROM bench_plan0 p
                  JOIN categories c ON c.id = p.category_id
                  JOIN bench_terms tm ON tm.category_id = p.category_id AND tm.priority = p.priority
                  CROSS JOIN LATERAL (SELECT extract(epoch FROM %(now)s - p.created_at) / 86400 AS age_d OFFSET 0) ag
                  CROSS JOIN LATERAL (SELECT
                      CASE WHEN p.r_fate < 0.03 THEN 'rejected' WHEN p.r_fate < 0.06 THEN 'duplicate'
                           WHEN p.r_fate < 0.09 THEN 'late'
                           WHEN p.r_fate < 0.09 + CASE WHEN ag.age_d < 1 THEN 0 ELSE 0.06 * greatest(0, 1 - ag.age_d / 365) END
                             THEN 'stuck'
                           ELSE 'normal' END AS fate,
                      CASE WHEN p.r_stage < 0.1 THEN 0 WHEN p.r_stage < 0.3 THEN 1 WHEN p.r_stage < 0.8 THEN 2 ELSE 3 END
                        AS stuck_num OFFSET 0) fa
                  CROSS JOIN LATERAL (SELECT x.assigned_at,
                      x.assigned_at + make_interval(secs => 60 + tm.accept_s * tm.f * 1.1 * p.r_accept ^ 2.5) AS accepted_at
                      FROM (SELECT CASE WHEN fa.fate IN ('rejected', 'duplicate') THEN NULL::timestamptz
                                        ELSE p.created_at + make_interval(secs => CASE WHEN p.channel IN ('phone', 'walk_in')
                                             THEN 60 + 240 * p.r_assign ELSE 360 + 21600 * p.r_assign ^ 2 END) END
                                   AS assigned_at OFFSET 0) x OFFSET 0) a
                  CROSS JOIN LATERAL (SELECT y.info_at_c, y.info_len,
                      CASE WHEN fa.fate = 'stuck' THEN fa.stuck_num = 3
                           WHEN fa.fate IN ('normal', 'late')
                             THEN p.r_info < 0.06
                                  AND y.info_at_c < p.created_at + make_interval(secs => tm.resolve_s * tm.f * tm.warn)
                           ELSE false END AS has_info
                      FROM (SELECT a.accepted_at + make_interval(secs => 600 + 0.4 * tm.resolve_s * tm.f * p.r_info2) AS info_at_c,
                                   make_interval(secs => 7200 + 259200 * p.r_misc ^ 2) AS info_len OFFSET 0) y OFFSET 0) i
                  CROSS JOIN LATERAL (SELECT CASE WHEN fa.fate IN ('normal', 'late') THEN
                      greatest(a.accepted_at + interval '30 minutes',
                               p.created_at + make_interval(secs => tm.resolve_s * tm.f *
                                   CASE WHEN fa.fate = 'late' THEN 1.2 + 15 * p.r_resolve ELSE 1.15 * p.r_resolve ^ 2 END),
                               CASE WHEN i.has_info THEN i.info_at_c + interval '10 minutes' END)
                      + CASE WHEN i.has_info THEN i.info_len ELSE interval '0' END END AS resolved_at OFFSET 0) r
                  OFFSET 0  -- every layer is a fence: flattened, each CASE would be inlined into every reference
                ) t
                OFFSET 0
              ) b
              OFFSET 0
            ) s
            OFFSET 0
            ) u
            OFFSET 0
            ) v
        """, p)
        self.conn.execute("DROP TABLE bench_plan0")
        self._run("plan", "CREATE UNIQUE INDEX ON bench_plan (id)")
        self._run("plan", "ANALYZE bench_plan")

    def contacts(self) -> None:
        p = {"family": tx.FAMILY, "mm": tx.MIDDLE_M, "mf": tx.MIDDLE_F, "gm": tx.GIVEN_M, "gf": tx.GIVEN_F}
        self._run("contacts", """
            INSERT INTO contacts (id, phone, name, language, sms_consent, sms_opted_out_at, zalo_user_id, zalo_consent,
                                  created_at, updated_at)
            SELECT c.contact_id, pg_temp.bench_phone(c.contact_id),
                   CASE WHEN c.r1 < 0.1 THEN NULL
                        WHEN c.r2 < 0.5 THEN (%(family)s::text[])[1 + floor(c.r3 * array_length(%(family)s::text[], 1))::int]
                             || ' ' || (%(mm)s::text[])[1 + floor(c.r4 * array_length(%(mm)s::text[], 1))::int]
                             || ' ' || (%(gm)s::text[])[1 + floor(c.r5 * array_length(%(gm)s::text[], 1))::int]
                        ELSE (%(family)s::text[])[1 + floor(c.r3 * array_length(%(family)s::text[], 1))::int]
                             || ' ' || (%(mf)s::text[])[1 + floor(c.r4 * array_length(%(mf)s::text[], 1))::int]
                             || ' ' || (%(gf)s::text[])[1 + floor(c.r5 * array_length(%(gf)s::text[], 1))::int] END,
                   CASE WHEN c.r6 < 0.02 THEN 'en' ELSE 'vi' END,
                   true, CASE WHEN c.r6 > 0.99 THEN c.first_seen + interval '3 days' END,
                   CASE WHEN c.r7 < 0.08 THEN 'zl' || substr(md5('bench-zalo-' || c.contact_id), 1, 18) END,
                   c.r7 < 0.08, c.first_seen, c.first_seen
            FROM (SELECT contact_id, min(created_at) - interval '1 minute' AS first_seen,
                         random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                         random() AS r6, random() AS r7
                  FROM bench_plan WHERE contact_id IS NOT NULL GROUP BY contact_id) c
            ORDER BY c.first_seen
        """, p)
        self._run("contacts", "ANALYZE contacts")

    def tickets(self) -> None:
        geo = sorted(communes().items())
        marked, plain = diacritic_table()
        p = {"codes": [c for c, _ in geo], "names": [name for _, name in geo], "ncomm": len(geo),
             "streets": tx.STREETS, "closings": tx.CLOSINGS, "marked": marked, "plain": plain,
             # The search column is put together from the search keys of its pieces (each mark
             # maps to one letter, so a key of a piece is the piece's characters mapped one by one):
             # translate() over every ticket's whole text took 20 s per 100k tickets.
             "street_keys": [search_key(v) for v in tx.STREETS], "name_keys": [search_key(n) for _, n in geo],
             "closing_keys": [search_key(v) for v in tx.CLOSINGS], "published": PUBLISHED_SHARE}
        self._run("tickets", """
            INSERT INTO tickets (id, receipt_code, channel, category_id, department_id, priority, confidential, title,
                                 description, commune_code, address, lat, lng, contact_id, created_by_id, status,
                                 public_answer, accept_deadline, resolve_deadline, escalation_level, assigned_at,
                                 accepted_at, resolved_at, duplicate_of_id, closed_at, version, created_at, updated_at,
                                 search_text, published)
            SELECT p.id, pg_temp.bench_receipt(p.id), p.channel, p.category_id, p.department_id, p.priority,
                   (floor(p.r_text * 100000)::int %% 100) = 0, y.title, y.description, x.commune, x.addr,
                   CASE WHEN p.r_geo2 < 0.6 THEN 10.25 + 0.55 * p.r_geo END,
                   CASE WHEN p.r_geo2 < 0.6 THEN 105.6 + 1.1 * p.r_geo2 / 0.6 END,
                   p.contact_id, CASE WHEN p.channel IN ('phone', 'walk_in') THEN p.operator_id END, p.status,
                   p.public_answer, p.a_due, coalesce(p.r_due, p.due0),
                   coalesce(p.a_breached, false)::int + p.r_breached::int, p.e_assigned, p.e_accepted, p.e_resolved,
                   p.duplicate_of_id, p.e_closed, p.version, p.created_at, p.updated_at,
                   -- services/search.py ticket_search_text: title, description, address, code, caller's name
                   -- without marks (the Vietnamese letters are all in the translate table), lower case,
                   -- single spaces; verify() compares a sample with the Python function
                   concat_ws(' ', y.title_key, y.description_key, x.addr_key, lower(pg_temp.bench_receipt(p.id)),
                             lower(translate(nullif(ct.name, ''), %(marked)s, %(plain)s))),
                   -- published when answered (the resolver's decision), never a confidential ticket
                   p.e_resolved IS NOT NULL AND (floor(p.r_text * 100000)::int %% 100) <> 0
                     AND pg_temp.bench_draw('published', p.id) < %(published)s
            FROM bench_plan p
            LEFT JOIN contacts ct ON ct.id = p.contact_id
            JOIN bench_phrases ph ON ph.category_id = p.category_id
            CROSS JOIN LATERAL (SELECT s.street, s.commune, s.cname, s.number || ' đường ' || s.street || ', ' || s.cname AS addr,
                   s.number || ' duong ' || s.street_key || ', ' || s.cname_key AS addr_key,
                   replace(replace(ph.phrases[s.phrase], '{s}', s.street),
                           '{a}', s.number || ' đường ' || s.street || ', ' || s.cname) AS line,
                   replace(replace(ph.phrase_keys[s.phrase], '{s}', s.street_key),
                           '{a}', s.number || ' duong ' || s.street_key || ', ' || s.cname_key) AS line_key, s.closing
                   FROM (SELECT (%(streets)s::text[])[g.street] AS street, (%(street_keys)s::text[])[g.street] AS street_key,
                                (%(codes)s::text[])[g.commune] AS commune, (%(names)s::text[])[g.commune] AS cname,
                                (%(name_keys)s::text[])[g.commune] AS cname_key, g.number, g.phrase, g.closing
                         FROM (SELECT 1 + floor(p.r_geo * array_length(%(streets)s::text[], 1))::int AS street,
                                      1 + (floor(p.r_geo * 1e6)::int %% %(ncomm)s) AS commune,
                                      (1 + floor(p.r_geo2 * 250)::int)::text AS number,
                                      1 + floor(p.r_text * array_length(ph.phrases, 1))::int AS phrase,
                                      1 + (floor(p.r_text * 10000)::int %% 5) AS closing) g) s) x
            CROSS JOIN LATERAL (SELECT CASE WHEN length(x.line) <= 80 THEN x.line
                                            ELSE rtrim(left(x.line, 77)) || '...' END AS title,
                                       CASE WHEN length(x.line) <= 80 THEN x.line_key
                                            ELSE rtrim(left(x.line_key, 77)) || '...' END AS title_key,
                                       x.line || E'\n' || (%(closings)s::text[])[x.closing] AS description,
                                       x.line_key || ' ' || (%(closing_keys)s::text[])[x.closing] AS description_key) y
            ORDER BY p.id
        """, p)
        self._run("tickets", "ANALYZE tickets")

    def calls(self, ref: Reference) -> None:
        """Each phone ticket's call, plus about a third as many other calls from the same callers:
        follow-ups attached to their ticket, questions answered at once, abandoned calls (some
        called back), a few pranks."""
        p = {**self.params, "ops": ref.operators, "nops": len(ref.operators),
             "extra": round(self.n * CHANNEL_WEIGHTS["phone"] / sum(CHANNEL_WEIGHTS.values()) * 0.35)}
        self._run("calls", """
            CREATE UNLOGGED TABLE bench_calls AS
            SELECT row_number() OVER (ORDER BY x.started_at, x.ticket_id) AS id, x.*
            FROM (
              SELECT p.id AS ticket_id, true AS link, true AS first, p.contact_id, p.operator_id, 'new_ticket' AS disposition,
                     p.created_at - make_interval(secs => d.talk + d.ring) AS started_at,
                     p.created_at - make_interval(secs => d.talk) AS answered_at,
                     p.created_at + interval '10 seconds' AS ended_at, round(d.talk + 10)::int AS duration_seconds
              FROM bench_plan p CROSS JOIN LATERAL (SELECT 60 + 400 * random() ^ 2 AS talk, 3 + 25 * random() AS ring,
                                                           p.id AS keep) d
              WHERE p.channel = 'phone' AND p.contact_id IS NOT NULL
              UNION ALL
              SELECT p.id, e.kind = 'added_to_ticket', false, p.contact_id,
                     CASE WHEN e.answered THEN (%(ops)s::int[])[1 + floor(e.r_op * %(nops)s)::int] END, e.kind,
                     e.started_at,
                     CASE WHEN e.answered THEN e.started_at + make_interval(secs => e.ring) END,
                     e.started_at + make_interval(secs => e.ring + CASE WHEN e.answered THEN e.talk ELSE 0 END),
                     CASE WHEN e.answered THEN round(e.talk)::int END
              FROM (SELECT 1 + floor(random() * %(n)s)::int AS tid, random() AS r_kind, random() AS r_when,
                           random() AS r_op, 30 + 300 * random() ^ 2 AS talk, 3 + 30 * random() AS ring
                    FROM generate_series(1, %(extra)s)) g
              JOIN bench_plan p ON p.id = g.tid AND p.contact_id IS NOT NULL
              CROSS JOIN LATERAL (SELECT k.*, k.kind NOT IN ('abandoned', 'callback_done') AS answered,
                                         g.r_op, g.talk, g.ring
                                  FROM (SELECT CASE WHEN g.r_kind < 0.43 THEN 'added_to_ticket'
                                                    WHEN g.r_kind < 0.78 THEN 'info_only'
                                                    WHEN g.r_kind < 0.90 THEN 'abandoned'
                                                    WHEN g.r_kind < 0.98 THEN 'callback_done' ELSE 'prank' END AS kind,
                                               p.created_at + make_interval(secs => 600 + 864000 * g.r_when) AS started_at) k) e
              WHERE e.started_at < %(now)s - interval '1 minute'
            ) x
        """, p)
        self._run("calls", """
            INSERT INTO calls (id, provider_call_id, direction, from_number, to_number, contact_id, operator_id,
                               started_at, answered_at, ended_at, duration_seconds, disposition, notes, provider_status,
                               created_at)
            SELECT c.id, 'CA' || md5('bench-call-' || c.id), 'inbound', pg_temp.bench_phone(c.contact_id), '1022',
                   c.contact_id, c.operator_id, c.started_at, c.answered_at, c.ended_at, c.duration_seconds,
                   c.disposition, CASE WHEN c.disposition = 'info_only' THEN 'Công dân hỏi tiến độ xử lý phản ánh' END,
                   CASE WHEN c.answered_at IS NULL THEN 'no-answer' ELSE 'completed' END, c.started_at
            FROM bench_calls c ORDER BY c.id
        """)
        self._run("calls", "INSERT INTO call_tickets (call_id, ticket_id) SELECT id, ticket_id FROM bench_calls WHERE link")
        self._run("calls", "ANALYZE bench_calls")

    def alerts(self, ref: Reference) -> None:
        """One warning and one breach per clock that reached them, detected a second or so after the
        instant (the timers); most older breaches acknowledged by a supervisor."""
        p = {**self.params, "sup": ref.supervisors[0], "comments": tx.ACK_COMMENTS}
        self._run("alerts", """
            INSERT INTO sla_alerts (ticket_id, kind, level, deadline, department_id, detected_at, acknowledged_at,
                                    acknowledged_by_id, ack_comment)
            SELECT a.ticket_id, a.kind, a.level, a.deadline, a.department_id, a.detected_at,
                   CASE WHEN a.ack THEN least(a.detected_at + make_interval(secs => 3600 + 172800 * a.r), %(now)s) END,
                   CASE WHEN a.ack THEN %(sup)s END,
                   CASE WHEN a.ack THEN (%(comments)s::text[])[1 + floor(a.r * 2.999)::int] END
            FROM (
              SELECT x.*, x.level = 'breach' AND x.detected_at < %(now)s - interval '2 days' AND x.r < 0.75 AS ack
              FROM (
                SELECT id AS ticket_id, 'resolve' AS kind, 'warning' AS level, coalesce(r_due, due0) AS deadline,
                       department_id, coalesce(r_warn, warn0) + make_interval(secs => 0.2 + 1.5 * random()) AS detected_at,
                       random() AS r
                FROM bench_plan WHERE r_warned
                UNION ALL
                SELECT id, 'resolve', 'breach', coalesce(r_due, due0), department_id,
                       coalesce(r_due, due0) + make_interval(secs => 0.2 + 1.5 * random()), random()
                FROM bench_plan WHERE r_breached
                UNION ALL
                SELECT id, 'accept', 'warning', a_due, department_id, a_warn + make_interval(secs => 0.2 + 1.5 * random()),
                       random()
                FROM bench_plan WHERE a_warned
                UNION ALL
                SELECT id, 'accept', 'breach', a_due, department_id, a_due + make_interval(secs => 0.2 + 1.5 * random()),
                       random()
                FROM bench_plan WHERE a_breached
              ) x
            ) a
            WHERE a.detected_at <= %(now)s
            ORDER BY a.detected_at
        """, p)
        self._run("alerts", "ANALYZE sla_alerts")

    def extensions(self) -> None:
        """Pending extension requests by department heads on 5 % of the tickets being worked on."""
        self._run("extensions", """
            INSERT INTO extension_requests (ticket_id, requested_by_id, requested_deadline, reason, status, created_at)
            SELECT id, head_id, coalesce(r_due, due0) + interval '5 days', %(reason)s, 'pending',
                   e_accepted + (%(now)s - e_accepted) * r_close
            FROM bench_plan
            WHERE status IN ('in_progress', 'awaiting_citizen') AND r_misc < 0.05 AND head_id IS NOT NULL
            ORDER BY 6
        """, {**self.params, "reason": tx.EXTENSION_REASONS[0]})

    def events(self) -> None:
        """The history, every kind the workflow, intake and SLA engine write, in time order (ids follow time)."""
        p = {**self.params, "auto_note": tx.AUTO_CLOSE_NOTE, "notes": tx.INFO_NOTES, "ext_reason": tx.EXTENSION_REASONS[0]}
        dl = ("'accept_deadline', to_json(p.a_due), 'resolve_deadline', to_json(coalesce(p.r_due, p.due0))")
        self._run("events", f"""
            INSERT INTO ticket_events (ticket_id, actor_id, actor_label, kind, from_status, to_status, note, payload,
                                       public, created_at, department_id)
            SELECT e.ticket_id, e.actor_id, e.actor_label, e.kind, e.from_status, e.to_status, e.note, e.payload,
                   e.public, e.created_at, b.department_id
            FROM (
              SELECT p.id AS ticket_id, CASE WHEN p.channel IN ('phone', 'walk_in') THEN p.operator_id END AS actor_id,
                     CASE WHEN p.channel NOT IN ('phone', 'walk_in') THEN 'citizen' END AS actor_label, 'created' AS kind,
                     NULL AS from_status, 'received' AS to_status, NULL AS note,
                     json_build_object('channel', p.channel, 'category', c.code, 'department', d.code,
                                       'call_id', bc.id) AS payload,
                     true AS public, p.created_at, 0 AS seq
              FROM bench_plan p JOIN categories c ON c.id = p.category_id JOIN departments d ON d.id = p.department_id
              LEFT JOIN bench_calls bc ON bc.ticket_id = p.id AND bc.first
              UNION ALL
              SELECT p.id, p.operator_id, NULL, 'assign', 'received', 'assigned', NULL,
                     json_build_object('department', d.code, {dl}), true, p.e_assigned, 1
              FROM bench_plan p JOIN departments d ON d.id = p.department_id WHERE p.e_assigned IS NOT NULL
              UNION ALL
              SELECT p.id, p.officer_id, NULL, 'accept', 'assigned', 'in_progress', NULL, json_build_object({dl}), true,
                     p.e_accepted, 2
              FROM bench_plan p WHERE p.e_accepted IS NOT NULL
              UNION ALL
              SELECT p.id, p.officer_id, NULL, 'request_info', 'in_progress', 'awaiting_citizen',
                     (%(notes)s::text[])[1 + floor(p.r_close2 * 1.999)::int], json_build_object({dl}), true, p.info_at, 3
              FROM bench_plan p WHERE p.info_done
              UNION ALL
              SELECT p.id, p.operator_id, NULL, 'info_received', 'awaiting_citizen', 'in_progress', NULL,
                     json_build_object({dl}), true, p.e_info_back, 4
              FROM bench_plan p WHERE p.e_info_back IS NOT NULL
              UNION ALL
              SELECT e.ticket_id, e.requested_by_id, NULL, 'request_extension', p.status, p.status, e.reason,
                     json_build_object('requested_deadline', to_json(e.requested_deadline), {dl}), false, e.created_at, 5
              FROM extension_requests e JOIN bench_plan p ON p.id = e.ticket_id
              UNION ALL
              SELECT p.id, p.officer_id, NULL, 'resolve', 'in_progress', 'resolved', NULL,
                     json_build_object('answer', p.public_answer, {dl}), true, p.e_resolved, 6
              FROM bench_plan p WHERE p.e_resolved IS NOT NULL
              UNION ALL
              SELECT p.id, CASE WHEN NOT p.closed_by_system THEN p.operator_id END,
                     CASE WHEN p.closed_by_system THEN 'system' END, 'close', 'resolved', 'closed',
                     CASE WHEN p.closed_by_system THEN %(auto_note)s END, json_build_object({dl}), true, p.e_closed, 7
              FROM bench_plan p WHERE p.status = 'closed'
              UNION ALL
              SELECT p.id, p.operator_id, NULL, 'reject', 'received', 'rejected', p.public_answer, json_build_object({dl}),
                     true, p.e_closed, 7
              FROM bench_plan p WHERE p.status = 'rejected'
              UNION ALL
              SELECT p.id, p.operator_id, NULL, 'merge', 'received', 'duplicate', NULL,
                     json_build_object('duplicate_of', p.duplicate_of_id,
                                       'duplicate_of_receipt_code', pg_temp.bench_receipt(p.duplicate_of_id), {dl}),
                     true, p.e_closed, 7
              FROM bench_plan p WHERE p.status = 'duplicate'
              UNION ALL
              SELECT t.id, p.operator_id, NULL, 'merged_in', t.status, t.status, NULL,
                     json_build_object('ticket_id', p.id, 'receipt_code', pg_temp.bench_receipt(p.id)), false, p.e_closed, 8
              FROM bench_plan p JOIN bench_plan t ON t.id = p.duplicate_of_id WHERE p.status = 'duplicate'
              UNION ALL
              SELECT a.ticket_id, NULL, 'sla', 'sla_' || a.level, NULL, NULL, NULL,
                     json_build_object('clock', a.kind, 'deadline', to_json(a.deadline)), false, a.detected_at, 9
              FROM sla_alerts a
            ) e JOIN bench_plan b ON b.id = e.ticket_id
            ORDER BY e.created_at, e.ticket_id, e.seq
        """, p)
        self._run("events", "ANALYZE ticket_events")

    def clocks(self) -> None:
        running_next = ("CASE WHEN NOT {w} THEN least({wa}, {d}) WHEN NOT {b} THEN {d} END")
        r_next = running_next.format(w="p.r_warned", wa="p.r_warn", d="p.r_due", b="p.r_breached")
        a_next = running_next.format(w="p.a_warned", wa="p.a_warn", d="p.a_due", b="p.a_breached")
        self._run("clocks", f"""
            INSERT INTO sla_clocks (ticket_id, kind, calendar_id, policy_id, budget_seconds, warn_fraction, anchor_at,
                                    remaining_seconds, due_at, warn_at, warned, breached, next_check_at, started_at,
                                    stopped_at, stop_reason)
            SELECT * FROM (
              SELECT p.id, 'resolve', p.calendar_id, p.policy_id, p.resolve_s, p.warn,
                     CASE WHEN p.r_stop IS NULL THEN p.r_anchor END, p.r_rem,
                     CASE WHEN p.r_stop IS NULL THEN p.r_due END, CASE WHEN p.r_stop IS NULL THEN p.r_warn END,
                     p.r_warned, p.r_breached, CASE WHEN p.r_stop IS NULL AND NOT p.paused THEN {r_next} END,
                     p.created_at AS started_at, p.r_stop,
                     CASE WHEN p.r_stop IS NULL THEN NULL WHEN p.status = 'rejected' THEN 'rejected'
                          WHEN p.status = 'duplicate' THEN 'merged' ELSE 'resolved' END
              FROM bench_plan p
              UNION ALL
              SELECT p.id, 'accept', p.calendar_id, p.policy_id, p.accept_s, p.warn,
                     CASE WHEN p.e_accepted IS NULL THEN p.e_assigned END, p.accept_s,
                     CASE WHEN p.e_accepted IS NULL THEN p.a_due END, CASE WHEN p.e_accepted IS NULL THEN p.a_warn END,
                     p.a_warned, p.a_breached, CASE WHEN p.e_accepted IS NULL THEN {a_next} END,
                     p.e_assigned, p.e_accepted, CASE WHEN p.e_accepted IS NOT NULL THEN 'accepted' END
              FROM bench_plan p WHERE p.e_assigned IS NOT NULL
            ) k
            ORDER BY started_at
        """)

    def notifications(self, ref: Reference) -> None:
        """The sweep's in-app notices: warnings to the department's officer and head, breaches to the
        head, and missed resolve deadlines to the supervisors too. Most older ones read."""
        texts = {
            ("accept", "warning"): ("Phiếu {code} sắp quá hạn tiếp nhận", "Ticket {code} is close to its accept deadline"),
            ("accept", "breach"): ("Phiếu {code} đã quá hạn tiếp nhận", "Ticket {code} missed its accept deadline"),
            ("resolve", "warning"): ("Phiếu {code} sắp quá hạn xử lý", "Ticket {code} is close to its resolve deadline"),
            ("resolve", "breach"): ("Phiếu {code} đã quá hạn xử lý", "Ticket {code} missed its resolve deadline"),
        }  # as callcentre/sla/sweep.py's _TEXT
        cases_vi = " ".join(f"WHEN '{k}:{lv}' THEN '{vi}'" for (k, lv), (vi, _en) in texts.items())
        cases_en = " ".join(f"WHEN '{k}:{lv}' THEN '{en}'" for (k, lv), (_vi, en) in texts.items())
        self._run("notifications", f"""
            INSERT INTO notifications (user_id, ticket_id, kind, message_vi, message_en, created_at, read_at)
            SELECT r.user_id, a.ticket_id, 'sla_' || a.kind || '_' || a.level,
                   replace(CASE a.kind || ':' || a.level {cases_vi} END, '{{code}}', t.receipt_code),
                   replace(CASE a.kind || ':' || a.level {cases_en} END, '{{code}}', t.receipt_code),
                   a.detected_at,
                   CASE WHEN a.detected_at < %(now)s - interval '1 day' AND random() < 0.9
                        THEN a.detected_at + make_interval(secs => 600 + 86400 * random()) END
            FROM sla_alerts a
            JOIN tickets t ON t.id = a.ticket_id
            JOIN bench_plan p ON p.id = a.ticket_id
            CROSS JOIN LATERAL (
              SELECT u AS user_id FROM unnest(CASE WHEN a.level = 'warning' THEN ARRAY[p.officer_id, p.head_id]
                                                   ELSE ARRAY[p.head_id] END) u WHERE u IS NOT NULL
              UNION
              SELECT s FROM unnest(%(sups)s::int[]) s WHERE a.level = 'breach' AND a.kind = 'resolve'
            ) r
            ORDER BY a.detected_at
        """, {**self.params, "sups": ref.supervisors})

    def messages(self) -> None:
        """The SMS of every notifying event (services/history.py NOTIFY_KINDS), rendered from the seeded
        templates, as the worker's notify_event would have left them (sent long ago, delivered)."""
        self._run("messages", """
            INSERT INTO outbound_messages (ticket_id, contact_id, event_id, kind, channel, provider, idempotency_key, "to",
                                           body, language, encoding, segments, status, provider_message_id, attempts,
                                           last_error, created_at, updated_at)
            SELECT m.ticket_id, m.contact_id, m.event_id, m.kind, 'sms', 'twilio', m.event_id || ':sms', m.phone, m.body,
                   m.language, m.encoding,
                   CASE WHEN m.encoding = 'gsm7' THEN CASE WHEN length(m.body) <= 160 THEN 1 ELSE ceil(length(m.body) / 153.0) END
                        ELSE CASE WHEN length(m.body) <= 70 THEN 1 ELSE ceil(length(m.body) / 67.0) END END,
                   m.status, CASE WHEN m.status <> 'suppressed' THEN 'SM' || md5('bench-sms-' || m.event_id) END,
                   CASE WHEN m.status = 'suppressed' THEN 0 ELSE 1 END,
                   CASE m.status WHEN 'suppressed' THEN 'opted out' WHEN 'failed' THEN '30008 Unknown error'
                                 WHEN 'undelivered' THEN '30003 Unreachable destination handset' END,
                   m.created_at + interval '2 seconds', m.created_at + interval '40 seconds'
            FROM (
              SELECT e.ticket_id, c.id AS contact_id, e.id AS event_id, e.kind, c.phone, c.language, e.created_at, b.body,
                     mt.encoding,
                     CASE WHEN c.sms_opted_out_at IS NOT NULL AND c.sms_opted_out_at <= e.created_at THEN 'suppressed'
                          WHEN x.r < 0.01 THEN 'failed' WHEN x.r < 0.03 THEN 'undelivered' ELSE 'delivered' END AS status
              FROM ticket_events e
              JOIN tickets t ON t.id = e.ticket_id
              JOIN contacts c ON c.id = t.contact_id
              -- one character outside GSM-7 (any Vietnamese diacritic) makes the message UCS-2: per template
              JOIN (SELECT kind, language, body, CASE WHEN body ~ '[^\\x01-\\x7e]' THEN 'ucs2' ELSE 'gsm7' END AS encoding
                    FROM message_templates WHERE channel = 'sms') mt ON mt.kind = e.kind AND mt.language = c.language
              CROSS JOIN LATERAL (SELECT random() AS r, e.id AS per_row OFFSET 0) x  -- per row, not hoisted
              CROSS JOIN LATERAL (SELECT replace(
                  replace(replace(replace(replace(replace(mt.body, '{code}', t.receipt_code),
                                                  '{link}', %(base)s || '/t/' || t.receipt_code),
                                          '{answer}', coalesce(t.public_answer, '')),
                                  '{note}', coalesce(left(e.note, 100), '')),
                          '{status}', ''),
                  '  ', ' ') AS body) b  -- an empty placeholder leaves no double space (templates.render)
              WHERE e.kind IN ('created', 'request_info', 'resolve', 'close')
                AND NOT (e.kind = 'created' AND t.channel = 'sms')
            ) m
            ORDER BY m.event_id
        """, {"base": self.base_url})

    def finish(self) -> None:
        for table in ("tickets", "contacts", "calls", "ticket_events", "sla_clocks", "sla_alerts", "notifications",
                      "outbound_messages", "extension_requests", "users"):
            self._run("analyze", f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                 f" (SELECT coalesce(max(id), 1) FROM {table}))")
        self.drop_staging()
        self.conn.execute("SET session_replication_role = DEFAULT")
        self.vacuum()

    def vacuum(self) -> None:
        """VACUUM (ANALYZE) the loaded tables: a live database's old rows are all-visible (autovacuum
        sees to it, also after inserts), so its index-only scans read no table; a history loaded a
        moment ago has none of that until vacuumed (this server runs autovacuum = off)."""
        self._run("analyze", f"VACUUM (ANALYZE) {', '.join(LOADED)}, users")

    # -- after -------------------------------------------------------------------------

    @staticmethod
    def stored(dsn: str) -> dict[str, Any]:
        """The meta row of a history built earlier in ``dsn`` (RuntimeError if there is none)."""
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            if conn.execute("SELECT to_regclass('bench_history')").fetchone() == (None,):
                raise RuntimeError("this database holds no bench history (no bench_history table)")
            row = conn.execute("SELECT meta FROM bench_history").fetchone()
        if row is None:
            raise RuntimeError("bench_history is empty")
        return dict(row[0])

    def verify(self, indexes: list[str] | None = None) -> dict[str, Any]:
        """The history read back from its tables, and every way it differs from what was asked.

        Row counts per table (and per ticket), the status mix, the span of ``created_at``, the
        search column (filled, ASCII, equal to ``ticket_search_text`` on a sample), the rebuilt
        indexes and the consistency checks. ``problems`` lists each figure out of its range: the
        bench refuses to time requests against a history that is not what it claims to be."""
        c = self.counts()
        n, problems = self.n, []

        def within(name: str, value: float, lo: float, hi: float) -> None:
            if not lo <= value <= hi:
                problems.append(f"{name} = {value:,.4g}, expected {lo:,.4g} to {hi:,.4g}")

        if c["tickets"] != n:
            problems.append(f"tickets = {c['tickets']:,}, asked for {n:,}")
        per = c["per_ticket"]
        within("events per ticket", per["events"], 4.0, 7.0)
        within("SLA clocks per ticket", per["clocks"], 1.8, 2.0)
        within("SMS per ticket", per["messages"], 1.5, 4.0)
        within("contacts per ticket", c["contacts"] / max(n, 1), 0.25, CONTACTS_PER_TICKET)
        phone_share = CHANNEL_WEIGHTS["phone"] / sum(CHANNEL_WEIGHTS.values())
        within("calls per phone ticket", c["calls"] / max(1.0, n * phone_share), 1.0, 1.6)
        within("alerts per ticket", c["sla_alerts"] / max(n, 1), 0.2, 1.5)
        shares = {k: v / max(n, 1) for k, v in c["status"].items()}
        missing = [s.value for s in Status if s.value not in shares]
        if missing:
            problems.append(f"no ticket in status {', '.join(missing)}")
        within("closed share", shares.get("closed", 0), 0.80, 0.97)
        within("open share", sum(shares.get(s, 0) for s in OPEN_VALUES), 0.01, 0.08)
        for status in ("rejected", "duplicate"):
            within(f"{status} share", shares.get(status, 0), 0.015, 0.045)
        pub = c["published"]  # the published answers page: a history built before tickets.published has none
        within("published answers shown / answered tickets", pub["shown"] / max(1, pub["answered"]),
               PUBLISHED_SHARE - 0.1, PUBLISHED_SHARE + 0.1)

        first, last, recent = self.conn.execute(
            "SELECT min(created_at), max(created_at), count(*) FILTER (WHERE created_at >= %s) FROM tickets",
            (self.now - timedelta(days=30),)).fetchone() or (None, None, 0)
        span = {"first": first, "last": last, "days": round((last - first).total_seconds() / 86400, 1)
                if first and last else 0, "last_30_days": recent}
        if first is None or first < self.t0 - timedelta(seconds=1) or last > self.now:
            problems.append(f"created_at spans {first} to {last}, outside {self.t0} to {self.now}")
        within("days between the first and the last ticket", span["days"], 0.99 * 365 * YEARS, 365 * YEARS)
        within("tickets in the last 30 days / expected", recent / (n * 30 / (365 * YEARS)), 0.8, 1.2)

        search = self.check_search_text()
        problems += search.pop("problems")
        consistency = self.check_consistency()
        problems += [f"consistency: {k} = {v:,}" for k, v in consistency.items() if v]
        if indexes is not None:
            present = {r[0] for r in self.conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)",
                (list(LOADED),))}
            lost = sorted(set(indexes) - present)
            if lost:
                problems.append(f"indexes missing after the load: {', '.join(lost)}")
        return {"counts": c, "created_at": span, "search_text": search, "consistency": consistency,
                "problems": problems}

    def check_search_text(self, sample: int = 2000) -> dict[str, Any]:
        """The search column: filled, ASCII, and equal to the app's ``ticket_search_text`` on a sample."""
        empty, not_ascii = self.conn.execute(
            "SELECT count(*) FILTER (WHERE search_text = ''), count(*) FILTER (WHERE octet_length(search_text)"
            " <> length(search_text)) FROM tickets").fetchone() or (0, 0)
        rows = self.conn.execute(
            "SELECT t.id, t.title, t.description, t.address, t.receipt_code, c.name, t.search_text FROM tickets t"
            " LEFT JOIN contacts c ON c.id = t.contact_id WHERE t.id IN"
            " (SELECT (1 + (k * 7919) %% (SELECT max(id) FROM tickets)) FROM generate_series(1, %s) k)",
            (sample,)).fetchall()
        wrong = [r[0] for r in rows if ticket_search_text(*r[1:6]) != r[6]]
        problems = []
        if empty:
            problems.append(f"{empty:,} tickets with an empty search_text (searches would find nothing)")
        if not_ascii:
            problems.append(f"{not_ascii:,} tickets whose search_text is not ASCII")
        if wrong or not rows:
            problems.append(f"search_text differs from ticket_search_text() for {len(wrong)} of {len(rows)} "
                            f"sampled tickets (e.g. id {wrong[:3]})")
        return {"empty": empty, "not_ascii": not_ascii, "sampled": len(rows), "differing": len(wrong),
                "problems": problems}

    def counts(self) -> dict[str, Any]:
        tables = ("tickets", "ticket_events", "sla_clocks", "sla_alerts", "contacts", "calls", "call_tickets",
                  "outbound_messages", "notifications", "extension_requests", "users")
        out: dict[str, Any] = {t: self._scalar(f"SELECT count(*) FROM {t}") for t in tables}
        out["status"] = dict(self.conn.execute(
            "SELECT status, count(*) FROM tickets GROUP BY 1 ORDER BY 2 DESC").fetchall())
        out["open_clocks"] = dict(self.conn.execute(
            "SELECT CASE WHEN breached THEN 'breached' WHEN warned THEN 'warned' WHEN anchor_at IS NULL THEN 'paused'"
            " ELSE 'on_time' END, count(*) FROM sla_clocks WHERE stopped_at IS NULL GROUP BY 1").fetchall())
        out["alerts"] = {f"{k}/{lv}": c for k, lv, c in self.conn.execute(
            "SELECT kind, level, count(*) FROM sla_alerts GROUP BY 1, 2 ORDER BY 1, 2")}
        shown = self.conn.execute(
            "SELECT count(*) FILTER (WHERE published), count(*) FILTER (WHERE status IN ('resolved', 'closed')),"
            " count(*) FILTER (WHERE published AND NOT confidential AND status IN ('resolved', 'closed')"
            " AND public_answer IS NOT NULL), count(*) FILTER (WHERE published AND public_answer = %s) FROM tickets",
            (tx.RARE_ANSWER,)).fetchone() or (0, 0, 0, 0)
        out["published"] = dict(zip(("published", "answered", "shown", "rare_answer_shown"), shown, strict=True))
        size = self._scalar("SELECT pg_database_size(current_database())")
        out["database_mb"] = round(size / 2**20)
        n = max(1, out["tickets"])
        out["per_ticket"] = {"events": round(out["ticket_events"] / n, 2), "clocks": round(out["sla_clocks"] / n, 2),
                             "calls": round(out["calls"] / n, 2), "messages": round(out["outbound_messages"] / n, 2)}
        return out

    def check_consistency(self) -> dict[str, int]:
        """Rows that break a rule the app relies on; every count must be 0."""
        checks = {
            "events without ticket": "SELECT count(*) FROM ticket_events e LEFT JOIN tickets t ON t.id = e.ticket_id"
                                     " WHERE t.id IS NULL",
            "clocks without ticket": "SELECT count(*) FROM sla_clocks k LEFT JOIN tickets t ON t.id = k.ticket_id"
                                     " WHERE t.id IS NULL",
            "tickets with unknown contact": "SELECT count(*) FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id"
                                            " WHERE t.contact_id IS NOT NULL AND c.id IS NULL",
            "stopped clocks with a next check": "SELECT count(*) FROM sla_clocks WHERE stopped_at IS NOT NULL"
                                                " AND (next_check_at IS NOT NULL OR due_at IS NOT NULL"
                                                " OR anchor_at IS NOT NULL)",
            "running clocks owing nothing yet unbreached": "SELECT count(*) FROM sla_clocks WHERE stopped_at IS NULL"
                                                          " AND anchor_at IS NOT NULL AND NOT breached"
                                                          " AND next_check_at IS NULL",
            "overdue checks (the sweep would act)": "SELECT count(*) FROM sla_clocks WHERE next_check_at <= %(now)s",
            "open tickets without a running resolve clock": (
                "SELECT count(*) FROM tickets t WHERE t.status = ANY(%(open)s) AND NOT EXISTS (SELECT 1 FROM sla_clocks k"
                " WHERE k.ticket_id = t.id AND k.kind = 'resolve' AND k.stopped_at IS NULL)"),
            "breached flags without a breach alert": (
                "SELECT count(*) FROM sla_clocks k WHERE k.breached AND NOT EXISTS (SELECT 1 FROM sla_alerts a"
                " WHERE a.ticket_id = k.ticket_id AND a.kind = k.kind AND a.level = 'breach')"),
            "invalid receipt codes": "SELECT count(*) FROM tickets WHERE length(receipt_code) <> 10",
            "published tickets confidential or never answered": (
                "SELECT count(*) FROM tickets WHERE published AND (confidential OR resolved_at IS NULL)"),
            "events out of time order": (
                "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (ORDER BY id) AS back"
                " FROM ticket_events) x WHERE back"),
        }
        p = {"now": self.now, "open": list(OPEN_VALUES)}
        return {name: int(self._scalar(sql, p)) for name, sql in checks.items()}

    def close(self) -> None:
        self.conn.close()


def describe(built: dict[str, Any]) -> list[str]:
    """``verify()``'s figures as the lines the bench prints."""
    c, span, search = built["counts"], built["created_at"], built["search_text"]
    n = max(1, c["tickets"])
    out = ["  rows: " + ", ".join(f"{t} {c[t]:,}" for t in (
        "tickets", "ticket_events", "sla_clocks", "sla_alerts", "contacts", "calls", "call_tickets",
        "outbound_messages", "notifications", "extension_requests", "users")) + f"; {c['database_mb']:,} MB",
        "  per ticket: " + ", ".join(f"{k} {v:g}" for k, v in c["per_ticket"].items()),
        "  status: " + ", ".join(f"{s} {v:,} ({100 * v / n:.1f} %)" for s, v in c["status"].items()),
        f"  running clocks: {c['open_clocks']}; alerts: {c['alerts']}",
        f"  published answers: {c['published']['shown']:,} shown of {c['published']['answered']:,} answered tickets "
        f"({100 * c['published']['shown'] / max(1, c['published']['answered']):.1f} %), "
        f"{c['published']['rare_answer_shown']:,} of them with the rare answer",
        f"  created_at: {span['first']:%Y-%m-%d %H:%M} to {span['last']:%Y-%m-%d %H:%M} UTC ({span['days']:g} days), "
        f"{span['last_30_days']:,} in the last 30 days",
        f"  search_text: {search['empty']:,} empty, {search['not_ascii']:,} not ASCII, "
        f"{search['differing']} of {search['sampled']} sampled differ from ticket_search_text()",
        "  consistency: " + ("every check 0" if not any(built["consistency"].values())
                             else str({k: v for k, v in built["consistency"].items() if v}))]
    if built["problems"]:
        out += ["  NOT WHAT WAS ASKED:"] + [f"    - {p}" for p in built["problems"]]
    return out


def main(argv: list[str] | None = None) -> int:
    from _harness import HOST, create_scratch_database, drop_database, flask_cli

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--database", default="cc_bench_reads_history")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = p.parse_args(argv)
    import os
    import secrets
    import tempfile

    dsn = f"host={HOST} port=5432 user=postgres dbname={args.database}"
    instance = tempfile.mkdtemp(prefix="cc-bench-history-")
    env = {**os.environ, "DATABASE_URL": f"postgresql+psycopg://postgres@{HOST}:5432/{args.database}",
           "SECRET_KEY": secrets.token_hex(16), "INSTANCE_DIR": instance}
    env.pop("REDIS_URL", None)
    create_scratch_database(args.database)
    try:
        flask_cli(ROOT, env, "db", "upgrade")
        flask_cli(ROOT, env, "seed", "--demo")
        builder = HistoryBuilder(dsn, args.tickets)
        meta = builder.build()
        built = builder.verify(meta["indexes"])
        builder.close()
        print("\n".join(describe(built)))
        if built["problems"]:
            return 1
    finally:
        if not args.keep:
            drop_database(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
