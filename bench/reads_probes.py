"""What bench/reads.py measures: each read request of the app, its bare SQL, and the check of its answer.

The bare SQL is what a minimal implementation needs for the same answer: the same rows, filters,
order and total (counted up to the same cap, ``COUNT_CAP``, as the app's lists), in as few
statements as natural (a ticket's clocks, events and calls as JSON aggregates of the same
statement), written the way someone who knows the indexes would write it, fetched completely
with psycopg: no ORM, no schema dump, no template. Searches use the stored search column
(``tickets.search_text``) with the query normalised the same way, so a query typed with or without
diacritics is the same statement.

Every answer of the app is checked against the bare SQL of the same round (``Probe.check``): the
status, the content type, the ids of the rows in their order, the totals, the figures. A wrong
answer (an error page, an empty list where the history has matches, other tickets, another
count) is a ``WrongAnswer``: reads.py reports the request as an error, never as a time. A probe
whose bare SQL finds nothing where the history must have matches is an error too (the bench's
history or its SQL would be wrong, and the timings would compare two empty answers).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from callcentre.formats.geo import communes
from callcentre.formats.textnorm import diacritic_table, search_key
from workflows.states import OPEN_VALUES

TZ = "Asia/Ho_Chi_Minh"  # Config.DEFAULT_TIMEZONE: the dashboard's local days
COUNT_CAP = 10_000  # callcentre/http/pagination.py: lists count up to this many rows
SEARCH_COUNT_CAP = 1_000  # ... and a text search (?q=) up to this many
PER_PAGE = 25  # the API's default page (schemas/common.py PageQuery)
INBOX_PAGE = 20  # the inbox page's default (web/helpers.py page_args)
DASHBOARD_PAGE = 10  # the dashboard's lists
EXPORT_LIMIT = 10_000  # services/inbox.py
BREACH_EXPORT_LIMIT = 100_000  # web/supervisor.py
DASHBOARD_DAYS = 14


class WrongAnswer(Exception):
    """The app's answer is not the answer (or the bare SQL found nothing where it must find rows)."""


@dataclass
class Sample:
    """Values the requests vary over, read from the generated history (see ``reads.pick_samples``)."""

    ticket_ids: list[int]  # tickets with calls and a full history, for the detail page
    phones: list[str]  # E.164 numbers of repeat callers
    receipt_code: str  # one real code
    officer_department: tuple[int, str]  # (id, code) of the department the "officer" account works in
    tickets: int  # in the history: the deep page is page 1000, or the middle page of a smaller one


@dataclass(frozen=True)
class Checked:
    """A correct answer: how many rows it holds, and what identifies them (compared across probes)."""

    rows: int
    key: Any = None


Rows = dict[str, list[tuple[Any, ...]]]
Check = Callable[[Any, Rows], Checked]


@dataclass
class Probe:
    """One request. ``make(i, now)`` gives round ``i``'s path and the bare SQL's parameters for the
    same instant; ``check(answer, bare rows)`` verifies the parsed answer (``kind``: json, html or csv)."""

    name: str
    auth: str  # "token:<user>" (Bearer) or "web:<user>" (a signed-in session)
    make: Callable[[int, datetime], tuple[str, dict[str, Any]]]
    bare: list[tuple[str, str]]  # (label, SQL with %(name)s parameters)
    check: Check
    kind: str = "json"
    same_as: str | None = None  # another probe whose answer must find the same tickets
    # For an answer that depends on the app's clock: the bare SQL's parameters for another instant
    # (the check then tries the instants the app may have read), and the instant the answer states.
    at_app_clock: Callable[[dict[str, Any], datetime], dict[str, Any]] | None = None
    answer_now: Callable[[Any], datetime | None] = field(default=lambda answer: None)

    @property
    def csv(self) -> bool:
        return self.kind == "csv"


CONTENT_TYPES = {"json": "application/json", "html": "text/html", "csv": "text/csv",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def parse(probe: Probe, status: int | None, content_type: str, body: bytes) -> Any:
    """The answer as the check reads it; WrongAnswer for anything but a 200 of the right type."""
    if status != 200:
        raise WrongAnswer(f"HTTP {status}: {body[:120]!r}")
    if not content_type.startswith(CONTENT_TYPES[probe.kind]):
        raise WrongAnswer(f"content type {content_type!r}, expected {CONTENT_TYPES[probe.kind]}")
    if probe.kind == "xlsx":  # every sheet's rows, by sheet title, in the workbook's order
        try:
            book = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
            try:
                return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
            finally:
                book.close()
        except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors ... for a file it cannot read
            raise WrongAnswer(f"not a workbook openpyxl opens: {type(exc).__name__}: {exc}") from exc
    text = body.decode("utf-8")
    if probe.kind == "json":
        return json.loads(text)
    if probe.kind == "csv":
        if not text.startswith("\ufeff"):
            raise WrongAnswer("CSV without its BOM")
        return list(csv.reader(io.StringIO(text[1:])))
    return text


# ---------------------------------------------------------------- SQL pieces

OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_VALUES) + ")"
CLOCKS_JSON = """(SELECT json_agg(json_build_object('kind', k.kind, 'due_at', k.due_at, 'warn_at', k.warn_at,
                   'anchor_at', k.anchor_at, 'remaining', k.remaining_seconds, 'warned', k.warned,
                   'breached', k.breached, 'stopped_at', k.stopped_at, 'calendar_id', k.calendar_id) ORDER BY k.kind)
                  FROM sla_clocks k WHERE k.ticket_id = t.id)"""
ROW = f"""t.id, t.receipt_code, t.status, t.channel, t.priority, t.title, t.commune_code, t.address, t.lat, t.lng,
       t.accept_deadline, t.resolve_deadline, t.escalation_level, t.created_at, t.updated_at, t.version,
       c.code, c.name_vi, c.name_en, d.code, d.name_vi, d.name_en,
       ct.id, ct.phone, ct.name, ct.language, ct.sms_opted_out_at, {CLOCKS_JSON} AS clocks"""
JOINED = """JOIN tickets t ON t.id = p.id JOIN categories c ON c.id = t.category_id
       LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN contacts ct ON ct.id = t.contact_id"""
NEWEST = "t.created_at DESC, t.id DESC"
OLDEST = "t.created_at, t.id"
# A running clock towards a deadline (a paused one has none); only open tickets' clocks run.
DEADLINE = "k.stopped_at IS NULL AND k.due_at IS NOT NULL"


def capped(where: str, source: str = "tickets t", cap: int = COUNT_CAP) -> str:
    """A list's total as the app counts it: the matching rows up to ``cap`` + 1."""
    return f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT {cap + 1}) x"


def page(where: str, order: str = NEWEST, limit: int = PER_PAGE, offset: int = 0,
         cap: int = COUNT_CAP) -> list[tuple[str, str]]:
    """A ticket list page (the page's ids by the index, then their rows) and its capped total."""
    rows = (f"SELECT {ROW} FROM (SELECT t.id FROM tickets t WHERE {where} ORDER BY {order}"
            f" LIMIT {limit} OFFSET {offset}) p {JOINED} ORDER BY {order}")
    return [("rows", rows), ("count", capped(where, cap=cap))]


def _open_set(where: str) -> str:
    """The inbox's tickets (every inbox filter includes open statuses only: a few percent of the
    history), collected first by the index, as ``o``."""
    return f"o AS MATERIALIZED (SELECT t.id, t.created_at FROM tickets t WHERE {where})"


URGENCY = f"""u AS (SELECT k.ticket_id, min(k.due_at) AS urgency FROM sla_clocks k WHERE {DEADLINE}
                GROUP BY k.ticket_id)"""


def inbox(where: str, limit: int = INBOX_PAGE) -> list[tuple[str, str]]:
    """The inbox's first page: its tickets with a running deadline by the soonest one, then the
    others oldest first; the total is every ticket of the inbox, counted up to the cap like any list."""
    urgent = f"""
WITH {_open_set(where)}, {URGENCY},
p AS (SELECT o.id, u.urgency, o.created_at FROM o JOIN u ON u.ticket_id = o.id
      ORDER BY u.urgency, o.created_at, o.id LIMIT {limit})
SELECT {ROW} FROM p {JOINED} ORDER BY p.urgency, t.created_at, t.id"""
    rest = f"""
WITH {_open_set(where)},
p AS (SELECT o.id FROM o WHERE NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE k.ticket_id = o.id AND {DEADLINE})
      ORDER BY o.created_at, o.id LIMIT {limit})
SELECT {ROW} FROM p {JOINED} ORDER BY t.created_at, t.id"""
    return [("urgent rows", urgent), ("rest rows", rest), ("count", capped(where))]


def inbox_export(where: str) -> list[tuple[str, str]]:
    """The inbox CSV: every row of the inbox order up to EXPORT_LIMIT, with the running clocks."""
    cols = """t.receipt_code, t.status, c.code, d.code, t.priority, t.created_at, t.resolve_deadline, t.title"""
    running = """(SELECT json_agg(json_build_object('kind', k.kind, 'due_at', k.due_at, 'remaining', k.remaining_seconds,
                  'anchor_at', k.anchor_at, 'warned', k.warned, 'breached', k.breached, 'calendar_id', k.calendar_id))
                  FROM sla_clocks k WHERE k.ticket_id = t.id AND k.stopped_at IS NULL)"""
    joined = """JOIN tickets t ON t.id = o.id JOIN categories c ON c.id = t.category_id
LEFT JOIN departments d ON d.id = t.department_id"""
    urgent = f"""
WITH {_open_set(where)}, {URGENCY}
SELECT {cols}, {running} FROM o JOIN u ON u.ticket_id = o.id {joined}
ORDER BY u.urgency, o.created_at, o.id LIMIT {EXPORT_LIMIT}"""
    rest = f"""
WITH {_open_set(where)}
SELECT {cols}, {running} FROM o {joined}
WHERE NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE k.ticket_id = o.id AND {DEADLINE})
ORDER BY o.created_at, o.id LIMIT {EXPORT_LIMIT}"""
    return [("urgent rows", urgent), ("rest rows", rest)]


DETAIL = f"""
SELECT t.id,
       (SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind, 'from', e.from_status, 'to', e.to_status,
                 'note', e.note, 'payload', e.payload, 'actor', coalesce(u.username, e.actor_label),
                 'public', e.public, 'at', e.created_at) ORDER BY e.id)
        FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = t.id) AS events,
       (SELECT json_agg(x.call_id ORDER BY x.call_id) FROM call_tickets x WHERE x.ticket_id = t.id) AS calls,
       (SELECT json_agg(json_build_object('key', m.storage_key, 'url', m.url, 'type', m.content_type) ORDER BY m.id)
        FROM ticket_media m WHERE m.ticket_id = t.id) AS media,
       t.*, c.code, c.name_vi, c.name_en, d.code, d.name_vi, d.name_en,
       ct.id, ct.phone, ct.name, ct.language, ct.sms_opted_out_at, {CLOCKS_JSON} AS clocks
FROM tickets t JOIN categories c ON c.id = t.category_id LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN contacts ct ON ct.id = t.contact_id WHERE t.id = %(id)s"""

# Open tickets with their department (from the index), the running clocks' flags per ticket
# (from theirs), joined by hash; tickets resolved in the period with their figures in one pass,
# the late ones found in the resolve breaches (each ticket once); exact medians by percentile_cont.
SUMMARY = f"""
WITH o AS (SELECT t.id, t.department_id FROM tickets t WHERE t.status IN {OPEN_SQL}),
f AS (SELECT k.ticket_id, bool_or(k.breached) AS breached,
             bool_or(NOT k.breached AND (k.due_at <= %(until)s OR k.warned)) AS risky
      FROM sla_clocks k WHERE k.stopped_at IS NULL GROUP BY 1),
n AS (SELECT o.department_id, count(*) AS open, count(*) FILTER (WHERE f.breached) AS breached,
             count(*) FILTER (WHERE NOT f.breached AND f.risky) AS at_risk
      FROM o LEFT JOIN f ON f.ticket_id = o.id GROUP BY 1),
late AS (SELECT DISTINCT ticket_id FROM sla_alerts WHERE kind = 'resolve' AND level = 'breach'),
r AS (SELECT t.department_id, count(*) AS resolved, count(l.ticket_id) AS late,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.accepted_at - t.assigned_at)::float8)
               AS accept_s,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved_at - t.created_at)::float8)
               AS resolve_s
      FROM tickets t LEFT JOIN late l ON l.ticket_id = t.id
      WHERE t.resolved_at >= %(start)s AND t.resolved_at <= %(end)s GROUP BY 1)
SELECT d.code, coalesce(n.open, 0), coalesce(n.at_risk, 0), coalesce(n.breached, 0),
       coalesce(r.resolved, 0), coalesce(r.late, 0), r.accept_s, r.resolve_s
FROM departments d LEFT JOIN n ON n.department_id = d.id LEFT JOIN r ON r.department_id = d.id
WHERE d.active ORDER BY d.name_vi"""

AT_RISK_FROM = """FROM sla_clocks k JOIN tickets t ON t.id = k.ticket_id"""
AT_RISK_WHERE = "k.stopped_at IS NULL AND NOT k.breached AND k.due_at IS NOT NULL AND (k.due_at <= %(until)s OR k.warned)"
CALENDARS = """SELECT w.*, (SELECT json_agg(e.*) FROM calendar_exceptions e WHERE e.calendar_id = w.id)
FROM work_calendars w"""


def at_risk(limit: int) -> str:
    return f"""
SELECT k.ticket_id, k.kind, k.due_at, k.warned, k.remaining_seconds, k.anchor_at, k.calendar_id,
       t.receipt_code, t.status, d.code, c.code
{AT_RISK_FROM} JOIN categories c ON c.id = t.category_id LEFT JOIN departments d ON d.id = t.department_id
WHERE {AT_RISK_WHERE} ORDER BY k.due_at, k.id LIMIT {limit}"""


def breach_rows(limit: int) -> str:
    return f"""
SELECT a.id, a.ticket_id, a.kind, a.deadline, a.detected_at, a.acknowledged_at, a.ack_comment,
       t.receipt_code, d.code, c.code, u.username
FROM (SELECT id FROM sla_alerts WHERE level = 'breach' ORDER BY detected_at DESC, id DESC LIMIT {limit}) p
JOIN sla_alerts a ON a.id = p.id JOIN tickets t ON t.id = a.ticket_id JOIN categories c ON c.id = t.category_id
LEFT JOIN departments d ON d.id = a.department_id LEFT JOIN users u ON u.id = a.acknowledged_by_id
ORDER BY a.detected_at DESC, a.id DESC"""


BREACH_COUNT = capped("level = 'breach'", "sla_alerts")
RECEIVED_BY_STATUS = """
SELECT d.code, t.status, count(*) FROM tickets t LEFT JOIN departments d ON d.id = t.department_id
WHERE t.created_at >= %(since)s GROUP BY 1, 2"""
OPEN_BY_DEPARTMENT = f"""
SELECT d.code, count(*) FROM tickets t LEFT JOIN departments d ON d.id = t.department_id
WHERE t.status IN {OPEN_SQL} GROUP BY 1"""
DEPARTMENTS = "SELECT * FROM departments WHERE active ORDER BY name_vi"
CATEGORIES = "SELECT * FROM categories WHERE active ORDER BY name_vi"
TREND_BREACHES = f"""
SELECT department_id, (detected_at AT TIME ZONE '{TZ}')::date, count(*) FROM sla_alerts
WHERE level = 'breach' AND detected_at >= %(since)s GROUP BY 1, 2"""
TREND_ANSWERED = f"""
SELECT t.department_id, (t.resolved_at AT TIME ZONE '{TZ}')::date, count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = t.id AND a.kind = 'resolve'
                                      AND a.level = 'breach'))
FROM tickets t WHERE t.resolved_at >= %(since)s GROUP BY 1, 2"""
CALLS_PER_DAY = f"""
SELECT (started_at AT TIME ZONE '{TZ}')::date, count(*), count(answered_at),
       count(*) FILTER (WHERE answered_at IS NULL AND (disposition IS NULL OR disposition IN ('abandoned', 'callback_done'))),
       sum(duration_seconds), count(duration_seconds)
FROM calls WHERE started_at >= %(since)s GROUP BY 1"""
EXTENSIONS = """
SELECT e.id, e.ticket_id, e.requested_deadline, e.reason, t.receipt_code, t.resolve_deadline, u.username
FROM extension_requests e JOIN tickets t ON t.id = e.ticket_id JOIN users u ON u.id = e.requested_by_id
WHERE e.status = 'pending' ORDER BY e.created_at"""

CONTACT = "SELECT id, phone, name, language, sms_opted_out_at FROM contacts WHERE phone = %(phone)s"
CALLER_TICKETS = (f"SELECT {ROW} FROM (SELECT t.id FROM tickets t WHERE t.contact_id ="
                  " (SELECT id FROM contacts WHERE phone = %(phone)s) ORDER BY t.created_at DESC, t.id DESC LIMIT 50) p"
                  f" {JOINED} ORDER BY {NEWEST}")
CALLER_CALLS = """
SELECT c.id, c.provider_call_id, c.direction, c.from_number, c.to_number, c.contact_id, c.started_at, c.answered_at,
       c.ended_at, c.duration_seconds, c.disposition, c.notes, u.username,
       (SELECT json_agg(x.ticket_id) FROM call_tickets x WHERE x.call_id = c.id)
FROM calls c LEFT JOIN users u ON u.id = c.operator_id WHERE c.from_number = %(phone)s
ORDER BY c.started_at DESC, c.id DESC LIMIT 50"""


# ---------------------------------------------------------------- checks


def _must_find(rows: list[Any], what: str) -> None:
    if not rows:
        raise WrongAnswer(f"the bare SQL finds no {what}: the history (or the bench's SQL) is wrong here")


def _same(name: str, got: Any, want: Any) -> None:
    if got != want:
        g, w = (v[:4] if isinstance(v, list) else v for v in (got, want))
        n = f" ({len(got)} vs {len(want)})" if isinstance(got, list) and isinstance(want, list) else ""
        raise WrongAnswer(f"{name}: app {g}… ≠ bare {w}…{n}")


def expected_total(counted: int, offset: int, shown: int, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """The (total, is_estimate) an app list states for ``counted`` capped rows (http/pagination.py)."""
    if counted > cap:
        return (max(cap, offset + shown) if shown else cap), True
    return counted, False


def ticket_list(offset: int = 0, must_find: bool = True, cap: int = COUNT_CAP) -> Check:
    """An API envelope of tickets: the page's ids in order and the total, as the bare SQL's."""

    def check(answer: Any, bare: Rows) -> Checked:
        ids = [item["id"] for item in answer["items"]]
        want = [r[0] for r in bare["rows"]]
        if must_find:
            _must_find(want, "tickets")
        _same("ticket ids", ids, want)
        total = expected_total(bare["count"][0][0], offset, len(ids), cap)
        _same("total", (answer["total"], answer["total_is_estimate"]), total)
        return Checked(len(ids), (tuple(ids), total))

    return check


def detail(answer: Any, bare: Rows) -> Checked:
    _must_find(bare["ticket"], "ticket")
    tid, events, calls = bare["ticket"][0][:3]
    _same("id", answer["id"], tid)
    _same("events", [e["id"] for e in answer["events"]], [e["id"] for e in events or []])
    _same("call ids (in any order)", sorted(answer["call_ids"]), sorted(calls or []))
    return Checked(1 + len(answer["events"]))


def screen_pop(answer: Any, bare: Rows) -> Checked:
    _must_find(bare["contact"], "contact")
    _same("contact", (answer.get("contact") or {}).get("id"), bare["contact"][0][0])
    _same("tickets", [t["id"] for t in answer["tickets"]], [r[0] for r in bare["tickets"]])
    _same("calls", [c["id"] for c in answer["calls"]], [r[0] for r in bare["calls"]])
    _must_find(answer["tickets"], "tickets of the caller")
    return Checked(len(answer["tickets"]) + len(answer["calls"]))


def at_risk_list(answer: Any, bare: Rows) -> Checked:
    want = [(r[0], r[1]) for r in bare["rows"]]
    _must_find(want, "at-risk clocks")
    _same("clocks", [(x["ticket_id"], x["kind"]) for x in answer], want)
    return Checked(len(answer))


def breach_list(answer: Any, bare: Rows) -> Checked:
    ids = [item["id"] for item in answer["items"]]
    want = [r[0] for r in bare["rows"]]
    _must_find(want, "breaches")
    _same("alert ids", ids, want)
    _same("total", (answer["total"], answer["total_is_estimate"]), expected_total(bare["count"][0][0], 0, len(ids)))
    return Checked(len(ids))


def summary(answer: Any, bare: Rows) -> Checked:
    want = {r[0]: r[1:] for r in bare["summary"]}
    _same("departments", [r["department"] for r in answer], list(want))
    resolved = 0
    for row in answer:
        n_open, risk, breached, n, late, accept, resolve = want[row["department"]]
        got = (row["open"], row["at_risk"], row["breached"], row["resolved"], row["on_time_rate"])
        _same(f"{row['department']} open/at risk/breached/resolved/on time", got,
              (n_open, risk, breached, n, round(1 - late / n, 4) if n else None))
        for name, value in (("median_time_to_accept_seconds", accept), ("median_time_to_resolve_seconds", resolve)):
            mine = row[name]
            if (mine is None) != (value is None) or (value is not None and abs(mine - float(value)) > 1e-3):
                raise WrongAnswer(f"{row['department']} {name}: app {mine} ≠ bare {value}")
        resolved += n
    if not resolved:
        raise WrongAnswer("no ticket resolved in the period: the history (or the bench's SQL) is wrong here")
    return Checked(len(answer))


def summary_now(answer: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(answer[0]["period_to"])
    except (LookupError, TypeError, ValueError):
        return None


_TICKET_LINK = re.compile(r'href="/tickets/(\d+)"')
_PAGER_TOTAL = re.compile(r"\((\d+) mục\)|hơn ([\d.,\s]+) mục|<p class=\"muted\">(\d+) mục</p>")


def _pager_total(html: str) -> tuple[int, bool] | None:
    m = _PAGER_TOTAL.search(html)
    if m is None:
        return None
    if m.group(2):
        return int(re.sub(r"\D", "", m.group(2))), True
    return int(m.group(1) or m.group(3)), False


def inbox_page(answer: Any, bare: Rows) -> Checked:
    """The inbox page: its ticket links in order, and the total its pager states."""
    want = [r[0] for r in bare["urgent rows"]] + [r[0] for r in bare["rest rows"]]
    want = want[:INBOX_PAGE]
    _must_find(want, "open tickets")
    ids = [int(x) for x in _TICKET_LINK.findall(answer)]
    _same("ticket ids", ids, want)
    _same("total", _pager_total(answer), expected_total(bare["count"][0][0], 0, len(ids)))
    return Checked(len(ids))


def _local_days(now: datetime, days: int) -> list[date]:
    today = now.astimezone(ZoneInfo(TZ)).date()
    return [today - timedelta(days=i) for i in range(days - 1, -1, -1)]


def day_start(now: datetime, days: int) -> datetime:
    """The UTC instant the first of the last ``days`` local days began (the dashboard's period)."""
    return datetime.combine(_local_days(now, days)[0], time.min, ZoneInfo(TZ)).astimezone(UTC)


def dashboard(answer: Any, bare: Rows) -> Checked:
    """The supervisor page: its at-risk and breach rows, its call total and pending extensions."""
    risk = answer.split('id="risk-h"', 1)[1].split('id="breach-h"', 1)[0]
    want_risk = [r[0] for r in bare["at risk"]]
    _must_find(want_risk, "at-risk clocks")
    _same("at-risk tickets", [int(x) for x in _TICKET_LINK.findall(risk)], want_risk)
    breaches = [int(x) for x in re.findall(r'id="breach-(\d+)"', answer)]
    _same("breach ids", breaches, [r[0] for r in bare["breaches"]])
    calls = re.search(r'id="calls-h".*?<b>(\d+)</b>', answer, re.S)
    want_calls = sum(r[1] for r in bare["calls"])
    _must_find([want_calls] if want_calls else [], "calls in the period")
    _same("calls", int(calls.group(1)) if calls else None, want_calls)
    ext = re.search(r'id="ext-h">[^<]*\((\d+)\)', answer)
    _same("pending extensions", int(ext.group(1)) if ext else None, len(bare["extensions"]))
    received = sum(r[2] for r in bare["received by status"])
    _must_find([received] if received else [], "tickets received in the period")
    return Checked(len(want_risk) + len(breaches))


def csv_rows(first_column: Callable[[Rows], list[Any]] | None = None, count: Callable[[Rows], int] | None = None,
             must_find: bool = True) -> Check:
    """A CSV export: a header, then the rows the bare SQL gives (their first cells in order, or
    their number)."""

    def check(answer: Any, bare: Rows) -> Checked:
        rows = answer[1:]
        if not answer or not answer[0]:
            raise WrongAnswer("CSV without a header")
        if first_column is not None:
            want = [str(v) for v in first_column(bare)]
            if must_find:
                _must_find(want, "rows")
            _same("first column", [r[0] for r in rows], want)
        if count is not None:
            n = count(bare)
            if must_find:
                _must_find([n] if n else [], "rows")
            _same("rows", len(rows), n)
        return Checked(len(rows))

    return check


def _inbox_codes(bare: Rows) -> list[Any]:
    return [r[0] for r in bare["urgent rows"] + bare["rest rows"]][:EXPORT_LIMIT]


def _counts_rows(bare: Rows) -> int:
    return len({r[0] for r in bare["received by status"]} | {r[0] for r in bare["open by department"]})


def _trend_rows(bare: Rows) -> int:
    depts = {r[0] for r in bare["trend breaches"]} | {r[0] for r in bare["trend answered"]}
    return len(depts) * DASHBOARD_DAYS


# ---------------------------------------------------------------- published answers, the wall, reports

# services/publication.py answer_shown(): published, not confidential, answered, with an answer;
# newest answer first (the ix_tickets_published_resolved index walked backwards).
ANSWER_SHOWN = ("t.published AND NOT t.confidential AND t.status IN ('resolved', 'closed')"
                " AND t.public_answer IS NOT NULL")
ANSWER_ORDER = "t.resolved_at DESC, t.id DESC"
# What a row shows (services/public_answers.py answer_row), and the caller's name and phone its
# answer is redacted with.
ANSWER_ROW = """t.id, t.receipt_code, t.status, t.commune_code, t.address, t.created_at, t.resolved_at,
       t.public_answer, c.code, c.name_vi, c.name_en, d.code, d.name_vi, d.name_en, ct.name, ct.phone"""
ANSWER_JOINED = JOINED  # tickets, categories, departments, contacts


def answers_page(where: str, rare: bool = False, cap: int = COUNT_CAP) -> list[tuple[str, str]]:
    """A page of published answers and its capped total. A common filter walks the answer order
    and counts up to ``cap``; a rare text search (``rare``) reads its few matches once, then sorts
    them, the count of the matches in every row (one statement: the scan is the cost)."""
    if not rare:
        rows = (f"SELECT {ANSWER_ROW} FROM (SELECT t.id FROM tickets t WHERE {where} ORDER BY {ANSWER_ORDER}"
                f" LIMIT {PER_PAGE}) p {ANSWER_JOINED} ORDER BY {ANSWER_ORDER}")
        return [("rows", rows), ("count", capped(where, cap=cap))]
    rows = f"""
WITH m AS MATERIALIZED (SELECT t.id, t.resolved_at FROM tickets t WHERE {where} LIMIT {cap + 1}),
p AS (SELECT m.id FROM m ORDER BY m.resolved_at DESC, m.id DESC LIMIT {PER_PAGE})
SELECT {ANSWER_ROW}, (SELECT count(*) FROM m) AS matches FROM p {ANSWER_JOINED} ORDER BY {ANSWER_ORDER}"""
    return [("rows", rows)]


def _letter_classes() -> tuple[dict[str, str], str]:
    """Per plain letter a-z, every letter folding to it (either case, any mark); and the class of
    anything but a letter. A bare-SQL regular expression finds a word with or without diacritics."""
    marked, plain = diacritic_table()
    out = {c: c + c.upper() for c in "abcdefghijklmnopqrstuvwxyz"}
    for m, p in zip(marked, plain, strict=True):
        if p.lower() in out:
            out[p.lower()] += m
    return out, "[^" + "".join(out.values()) + "]+"


def answers_text(q: str) -> tuple[str, dict[str, Any]]:
    """``?q=`` of the published answers: its words (letters only, no marks) in this order, anything
    but letters between them, in the answer, the address, the category's names or the commune's
    name; never a ticket found through its citizen's name."""
    classes, between = _letter_classes()
    words = re.findall("[a-z]+", search_key(re.sub(r"\d", "", q)))
    pattern = between.join("".join(f"[{classes[ch]}]" for ch in word) for word in words)
    found_communes = [code for code, name in communes().items() if re.search(pattern, name)]
    where = (f"{ANSWER_SHOWN} AND (t.public_answer ~ %(pattern)s OR t.address ~ %(pattern)s"
             " OR t.category_id IN (SELECT id FROM categories WHERE search_text LIKE %(key)s)"
             " OR t.commune_code = ANY(%(communes)s::text[]))"
             " AND NOT EXISTS (SELECT 1 FROM contacts n WHERE n.id = t.contact_id AND n.name ~ %(pattern)s)")
    return where, {"pattern": pattern, "key": f"%{' '.join(words)}%", "communes": found_communes}


def answer_list(cap: int = COUNT_CAP) -> Check:
    """The published answers' envelope: the receipt codes in order (a row has no ticket id) and the
    total, as the bare SQL's."""

    def check(answer: Any, bare: Rows) -> Checked:
        codes = [item["receipt_code"] for item in answer["items"]]
        want = [r[1] for r in bare["rows"]]
        _must_find(want, "published answers")
        _same("receipt codes", codes, want)
        counted = bare["count"][0][0] if "count" in bare else bare["rows"][0][-1]
        if "count" not in bare and counted > cap:  # the bare SQL sorted a sample of the matches only
            raise WrongAnswer(f"the rare search has over {cap:,} matches in this history: not rare here")
        total = expected_total(counted, 0, len(codes), cap)
        _same("total", (answer["total"], answer["total_is_estimate"]), total)
        if any(not item["answer"] for item in answer["items"]):
            raise WrongAnswer("a published answer without its text")
        return Checked(len(codes), (tuple(codes), total))

    return check


IOC_DEPARTMENTS = 10  # services/ioc.py MAX_DEPARTMENTS: listed by name, the rest summed
IOC_BREACHES = 8  # MAX_BREACHES
IOC_RECEIVED = """SELECT t.channel, count(*) FROM tickets t
WHERE t.created_at >= %(day_start)s AND t.created_at < %(day_end)s GROUP BY 1"""
# Open tickets per active department, and of them those with a breached running clock and those
# at risk (not breached, a running deadline within 4 h or warned): the SLA summary's open part.
IOC_OPEN = f"""
WITH o AS (SELECT t.id, t.department_id FROM tickets t WHERE t.status IN {OPEN_SQL}),
f AS (SELECT k.ticket_id, bool_or(k.breached) AS breached,
             bool_or(NOT k.breached AND (k.due_at <= %(until)s OR k.warned)) AS risky
      FROM sla_clocks k WHERE k.stopped_at IS NULL GROUP BY 1)
SELECT d.code, count(*), count(*) FILTER (WHERE NOT f.breached AND f.risky), count(*) FILTER (WHERE f.breached)
FROM o JOIN departments d ON d.id = o.department_id LEFT JOIN f ON f.ticket_id = o.id
WHERE d.active GROUP BY d.code"""


def ioc_data(answer: Any, bare: Rows) -> Checked:
    """/ioc/data: today's tickets by channel, the open/at-risk/breached totals, the departments
    listed (most breached, then at risk, then open first) and the others summed, the latest
    breach alerts in order. Not checked: the calls and the map. Today may hold few tickets (the
    history ends at its build): the counts are compared whatever they are, zero included."""
    got = {c["channel"]: c["count"] for c in answer["received"]["channels"] if c["count"]}
    want = {channel: n for channel, n in bare["received today"]}
    _same("today's tickets by channel", got, want)
    _same("today's tickets", answer["received"]["total"], sum(want.values()))
    busy = sorted((r for r in bare["open work"] if r[1]), key=lambda r: (-r[3], -r[2], -r[1], r[0]))
    _must_find(busy, "departments with open tickets")
    work = answer["open"]
    _same("open, at risk, breached", (work["open"], work["at_risk"], work["breached"]),
          tuple(sum(r[k] for r in busy) for k in (1, 2, 3)))
    _same("departments listed", [(d["code"], d["open"], d["at_risk"], d["breached"]) for d in work["departments"]],
          [tuple(r) for r in busy[:IOC_DEPARTMENTS]])
    rest = busy[IOC_DEPARTMENTS:]
    _same("other departments", tuple(work["others"][k] for k in ("departments", "open", "at_risk", "breached")),
          (len(rest), *(sum(r[k] for r in rest) for k in (1, 2, 3))))
    want_breaches = [r[0] for r in bare["breaches"]]
    _must_find(want_breaches, "breaches")
    _same("latest breach ids", [b["id"] for b in answer["breaches"]], want_breaches)
    return Checked(len(work["departments"]) + len(answer["breaches"]))


def ioc_now(answer: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(answer["generated_at"])
    except (LookupError, TypeError, ValueError):
        return None


# Tickets received (created) and answered (resolved_at) in [start, end) per department: the two
# figures of the report the bare SQL covers (not on time/late, overdue, working-time medians and
# P90s, ratings, disputes, calls).
REPORT_RECEIVED = """SELECT d.code, r.n FROM (SELECT t.department_id, count(*) AS n FROM tickets t
WHERE t.created_at >= %(start)s AND t.created_at < %(end)s GROUP BY 1) r LEFT JOIN departments d ON d.id = r.department_id"""
REPORT_RESOLVED = """SELECT d.code, r.n FROM (SELECT t.department_id, count(*) AS n FROM tickets t
WHERE t.resolved_at >= %(start)s AND t.resolved_at < %(end)s GROUP BY 1) r LEFT JOIN departments d ON d.id = r.department_id"""
REPORT_SHEETS = ["Lĩnh vực", "Đơn vị", "Kênh", "Xã, phường", "Mức độ ưu tiên", "Cuộc gọi", "Định nghĩa"]


def _report_want(bare: Rows) -> dict[Any, tuple[int, int]]:
    want: dict[Any, list[int]] = {}
    for code, n in bare["received"]:
        want.setdefault(code, [0, 0])[0] = n
    for code, n in bare["resolved"]:
        want.setdefault(code, [0, 0])[1] = n
    if not any(v[0] for v in want.values()) or not any(v[1] for v in want.values()):
        raise WrongAnswer("the bare SQL finds no ticket received or answered in the period: the history is wrong here")
    return {k: (v[0], v[1]) for k, v in want.items()}


def _same_per_department(got: dict[Any, tuple[int, int]], want: dict[Any, tuple[int, int]]) -> None:
    wrong = [(k, got.get(k, (0, 0)), want.get(k, (0, 0))) for k in sorted(set(got) | set(want), key=str)
             if got.get(k, (0, 0)) != want.get(k, (0, 0))]
    if wrong:
        raise WrongAnswer(f"received/answered of {len(wrong)} departments: "
                          + "; ".join(f"{k}: app {g} ≠ bare {w}" for k, g, w in wrong[:4]))


def report_summary(answer: Any, bare: Rows) -> Checked:
    """The report by department: every row's received and answered (resolved) figures, and the
    total row's, as the bare SQL's."""
    want = _report_want(bare)
    _same("group_by", answer["group_by"], "department")
    got: dict[Any, tuple[int, int]] = {}
    for row in answer["rows"]:
        if row["key"] in got:
            raise WrongAnswer(f"department {row['key']} twice")
        got[row["key"]] = (row["received"], row["resolved"])
    _same_per_department(got, want)
    _same("total received, answered", (answer["total"]["received"], answer["total"]["resolved"]),
          tuple(sum(v[k] for v in want.values()) for k in (0, 1)))
    return Checked(len(answer["rows"]))


def report_workbook(answer: Any, bare: Rows) -> Checked:
    """The .xlsx: the sheets (one per grouping, calls, definitions), and on the department sheet
    each row's received and answered figures and the total row's, as the bare SQL's."""
    want = _report_want(bare)
    _same("sheets", list(answer), REPORT_SHEETS)
    rows = answer["Đơn vị"]
    head = next((k for k, r in enumerate(rows) if r and r[0] == "Mã"), None)
    if head is None:
        raise WrongAnswer("the department sheet has no header row")
    received, resolved = rows[head].index("Tiếp nhận"), rows[head].index("Đã trả lời")
    body, total = rows[head + 1:-1], rows[-1]
    got: dict[Any, tuple[int, int]] = {}
    for r in body:
        if r[0] in got:
            raise WrongAnswer(f"department {r[0]} twice")
        got[r[0]] = (r[received], r[resolved])
    _same_per_department(got, want)
    _same("total row", (total[1], total[received], total[resolved]),
          ("Tổng cộng", *(sum(v[k] for v in want.values()) for k in (0, 1))))
    return Checked(sum(len(v) for v in answer.values()))


# ---------------------------------------------------------------- the probes


def local_phone(e164: str) -> str:
    return "0" + e164[3:]  # +84912345678 -> 0912345678, as an operator types it


def spaced_phone(e164: str) -> str:
    local = local_phone(e164)
    return f"{local[:4]} {local[4:7]} {local[7:]}"  # 0912 345 678


def probes(s: Sample) -> list[Probe]:
    """Every request, in the order measured (cheap lists first, exports last)."""
    dept_id, dept_code = s.officer_department
    ids, phones = s.ticket_ids, s.phones
    fragment = s.receipt_code[:5]
    display = f"{s.receipt_code[:5]}-{s.receipt_code[5:]}"
    api = "/api/v1"
    deep = max(1, min(1000, s.tickets // PER_PAGE // 2))

    def fixed(path: str, **params: Any) -> Callable[[int, datetime], tuple[str, dict[str, Any]]]:
        return lambda i, now: (path, params)

    def search(q: str, patterns: list[str], phone: str | None = None,
               rare: bool = True) -> tuple[Callable[..., Any], list[tuple[str, str]]]:
        """?q=: the search column holds search_key of the text, so the query is normalised the same
        way; the patterns are what the app looks for (the text, and a receipt code without dashes).
        A rare term's few matches are collected first, by the trigram index (and the phone's
        contact), then sorted; a common term's page is found by walking the list order."""
        params: dict[str, Any] = {f"p{k}": f"%{p}%" for k, p in enumerate(patterns)} | {"phone": phone}
        path = fixed(f"{api}/tickets?q={quote(q)}", **params)
        likes = [f"t.search_text LIKE %(p{k})s" for k in range(len(patterns))]
        if not rare:
            return path, page("(" + " OR ".join(likes) + ")", cap=SEARCH_COUNT_CAP)
        branches = [f"SELECT t.id FROM tickets t WHERE {like}" for like in likes]
        if phone:
            branches.append("SELECT t.id FROM tickets t WHERE t.contact_id = (SELECT id FROM contacts WHERE phone = %(phone)s)")
        matches = "WITH m AS MATERIALIZED (" + " UNION ".join(branches) + ") "
        rows = (f"{matches}SELECT {ROW} FROM (SELECT t.id FROM m JOIN tickets t ON t.id = m.id ORDER BY {NEWEST}"
                f" LIMIT {PER_PAGE}) p {JOINED} ORDER BY {NEWEST}")
        return path, [("rows", rows), ("count", f"{matches}SELECT count(*) FROM (SELECT 1 FROM m LIMIT {SEARCH_COUNT_CAP + 1}) x")]

    def risk(params: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {**params, "until": now + timedelta(hours=4)}

    def default_window(params: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {**params, "until": now + timedelta(hours=4), "end": now, "start": now - timedelta(days=30)}

    def open_window(params: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {**params, "until": now + timedelta(hours=4), "end": now}

    def dash_clock(params: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {**params, "until": now + timedelta(hours=4), "since": day_start(now, DASHBOARD_DAYS)}

    def summary_for(start: Callable[[datetime], datetime | None]) -> Callable[[int, datetime], tuple[str, dict[str, Any]]]:
        def make(i: int, now: datetime) -> tuple[str, dict[str, Any]]:
            first = start(now)
            query = "" if first is None else "?" + urlencode({"from": first.strftime("%Y-%m-%dT%H:%M:%SZ")})
            begin = now - timedelta(days=30) if first is None else first.replace(microsecond=0)
            return f"{api}/sla/summary{query}", {"until": now + timedelta(hours=4), "start": begin, "end": now}
        return make

    def dash(path: str) -> Callable[[int, datetime], tuple[str, dict[str, Any]]]:
        return lambda i, now: (path, dash_clock({}, now))

    officer_scope = f"t.department_id = {dept_id} AND t.assigned_at IS NOT NULL"
    open_where = f"t.status IN {OPEN_SQL}"
    year_ago = lambda now: now - timedelta(days=365)  # noqa: E731
    q_vi, q_vi_bare = search("đèn đường", ["den duong"], rare=False)
    q_ascii, q_ascii_bare = search("den duong", ["den duong"], rare=False)
    q_frag, q_frag_bare = search(fragment, [fragment.lower()])
    q_code, q_code_bare = search(display, [display.lower(), s.receipt_code.lower()])
    spaced = spaced_phone(phones[0])
    q_phone, q_phone_bare = search(spaced, [spaced, spaced.replace(" ", "")], phones[0])
    supervisor_risk = [("at risk", at_risk(DASHBOARD_PAGE)),
                       ("at risk count", capped(AT_RISK_WHERE, "sla_clocks k")), ("calendars", CALENDARS)]
    out = [
        Probe("tickets page 1", "token:supervisor", fixed(f"{api}/tickets"), page("true"), ticket_list()),
        Probe("tickets ?status=in_progress", "token:supervisor", fixed(f"{api}/tickets?status=in_progress"),
              page("t.status = 'in_progress'"), ticket_list()),
        Probe("tickets ?department=SNNMT&status=assigned,in_progress", "token:supervisor",
              fixed(f"{api}/tickets?department=SNNMT&status=assigned,in_progress"),
              page("t.status IN ('assigned', 'in_progress') AND t.department_id = "
                   "(SELECT id FROM departments WHERE code = 'SNNMT')"), ticket_list()),
        Probe("tickets ?category=DIEN&created_from=-1y", "token:supervisor",
              lambda i, now: (f"{api}/tickets?category=DIEN&created_from="
                              f"{year_ago(now).strftime('%Y-%m-%dT%H:%M:%SZ')}",
                              {"from": year_ago(now).replace(microsecond=0)}),
              page("t.category_id = (SELECT id FROM categories WHERE code = 'DIEN') AND t.created_at >= %(from)s"),
              ticket_list()),
        Probe("tickets ?category=NUOC&priority=urgent", "token:supervisor",
              fixed(f"{api}/tickets?category=NUOC&priority=urgent"),
              page("t.category_id = (SELECT id FROM categories WHERE code = 'NUOC') AND t.priority = 'urgent'"),
              ticket_list()),
        Probe("tickets ?channel=zalo&priority=urgent", "token:supervisor",
              fixed(f"{api}/tickets?channel=zalo&priority=urgent"), page("t.channel = 'zalo' AND t.priority = 'urgent'"),
              ticket_list()),
        Probe(f"tickets page 1, officer ({dept_code})", "token:officer", fixed(f"{api}/tickets"), page(officer_scope),
              ticket_list()),
        Probe(f"tickets ?page={deep}", "token:supervisor", fixed(f"{api}/tickets?page={deep}"),
              page("true", offset=(deep - 1) * PER_PAGE), ticket_list(offset=(deep - 1) * PER_PAGE)),
        Probe("ticket detail", "token:supervisor", lambda i, now: (f"{api}/tickets/{ids[i % len(ids)]}",
                                                                   {"id": ids[i % len(ids)]}),
              [("ticket", DETAIL)], detail),
        Probe("tickets ?phone=", "token:supervisor",
              lambda i, now: (f"{api}/tickets?phone={local_phone(phones[i % len(phones)])}",
                              {"phone": phones[i % len(phones)]}),
              page("t.contact_id = (SELECT id FROM contacts WHERE phone = %(phone)s)"), ticket_list()),
        Probe("contacts ?phone= (screen pop)", "token:operator",
              lambda i, now: (f"{api}/contacts?phone={local_phone(phones[i % len(phones)])}",
                              {"phone": phones[i % len(phones)]}),
              [("contact", CONTACT), ("tickets", CALLER_TICKETS), ("calls", CALLER_CALLS)], screen_pop),
        Probe("tickets ?q=đèn đường", "token:supervisor", q_vi, q_vi_bare, ticket_list(cap=SEARCH_COUNT_CAP)),
        Probe("tickets ?q=den duong", "token:supervisor", q_ascii, q_ascii_bare, ticket_list(cap=SEARCH_COUNT_CAP),
              same_as="tickets ?q=đèn đường"),
        Probe(f"tickets ?q={fragment} (receipt fragment)", "token:supervisor", q_frag, q_frag_bare, ticket_list(cap=SEARCH_COUNT_CAP)),
        Probe("tickets ?q=<receipt code>", "token:supervisor", q_code, q_code_bare, ticket_list(cap=SEARCH_COUNT_CAP)),
        Probe("tickets ?q=0xxx xxx xxx (phone)", "token:supervisor", q_phone, q_phone_bare, ticket_list(cap=SEARCH_COUNT_CAP)),
        Probe("sla/at-risk", "token:supervisor", lambda i, now: (f"{api}/sla/at-risk", risk({}, now)),
              [("rows", at_risk(500)), ("calendars", CALENDARS)], at_risk_list, at_app_clock=risk),
        Probe("sla/breaches", "token:supervisor", fixed(f"{api}/sla/breaches"),
              [("rows", breach_rows(PER_PAGE)), ("count", BREACH_COUNT)], breach_list),
        Probe("sla/summary (default: 30 days)", "token:supervisor", summary_for(lambda now: None),
              [("summary", SUMMARY)], summary, at_app_clock=default_window, answer_now=summary_now),
        Probe("sla/summary one year", "token:supervisor", summary_for(year_ago), [("summary", SUMMARY)], summary,
              at_app_clock=open_window, answer_now=summary_now),
        Probe("sla/summary whole history", "token:supervisor",
              summary_for(lambda now: datetime(2000, 1, 1, tzinfo=UTC)), [("summary", SUMMARY)], summary,
              at_app_clock=open_window, answer_now=summary_now),
        Probe(f"/department (officer, {dept_code})", "web:officer", fixed("/department"),
              [*inbox(f"{open_where} AND {officer_scope}"), ("categories", CATEGORIES)], inbox_page, kind="html"),
        Probe("/department (supervisor)", "web:supervisor", fixed("/department"),
              [*inbox(open_where), ("categories", CATEGORIES), ("departments", DEPARTMENTS)], inbox_page,
              kind="html"),
        Probe("/supervisor", "web:supervisor", dash("/supervisor"),
              [("received by status", RECEIVED_BY_STATUS), ("open by department", OPEN_BY_DEPARTMENT),
               *supervisor_risk, ("breaches", breach_rows(DASHBOARD_PAGE)), ("breach count", BREACH_COUNT),
               ("departments", DEPARTMENTS), ("trend breaches", TREND_BREACHES), ("trend answered", TREND_ANSWERED),
               ("calls", CALLS_PER_DAY), ("extensions", EXTENSIONS)], dashboard, kind="html", at_app_clock=dash_clock),
        Probe(f"/department CSV (officer, {dept_code})", "web:officer", fixed("/department?format=csv"),
              inbox_export(f"{open_where} AND {officer_scope}"), csv_rows(_inbox_codes), kind="csv"),
        Probe("/department CSV (supervisor)", "web:supervisor", fixed("/department?format=csv"),
              inbox_export(open_where), csv_rows(_inbox_codes), kind="csv"),
        Probe("/supervisor CSV counts", "web:supervisor", dash("/supervisor?csv=counts"),
              [("received by status", RECEIVED_BY_STATUS), ("open by department", OPEN_BY_DEPARTMENT)],
              csv_rows(count=_counts_rows), kind="csv", at_app_clock=dash_clock),
        Probe("/supervisor CSV at_risk", "web:supervisor", dash("/supervisor?csv=at_risk"),
              [("rows", at_risk(500)), ("calendars", CALENDARS)],
              csv_rows(lambda b: [r[7] for r in b["rows"]]), kind="csv", at_app_clock=dash_clock),
        Probe("/supervisor CSV breaches", "web:supervisor", dash("/supervisor?csv=breaches"),
              [("rows", breach_rows(BREACH_EXPORT_LIMIT))], csv_rows(lambda b: [r[0] for r in b["rows"]]), kind="csv"),
        Probe("/supervisor CSV trend", "web:supervisor", dash("/supervisor?csv=trend"),
              [("trend breaches", TREND_BREACHES), ("trend answered", TREND_ANSWERED)], csv_rows(count=_trend_rows),
              kind="csv", at_app_clock=dash_clock),
        Probe("/supervisor CSV calls", "web:supervisor", dash("/supervisor?csv=calls"), [("calls", CALLS_PER_DAY)],
              csv_rows(count=lambda b: DASHBOARD_DAYS), kind="csv"),
        Probe("/supervisor CSV extensions", "web:supervisor", dash("/supervisor?csv=extensions"),
              [("extensions", EXTENSIONS)], csv_rows(lambda b: [r[4] for r in b["extensions"]]), kind="csv"),
    ]
    return out + later_probes()


# Published answers' searches: a word of two of the history's five answers, and one of its rare
# answer (reads_texts.RARE_ANSWER: under SEARCH_COUNT_CAP matches up to about 1M tickets).
COMMON_ANSWER_WORDS = "khắc phục"
RARE_ANSWER_WORDS = "tư pháp"


def report_period(months: int) -> Callable[[datetime], tuple[date, date]]:
    """The last ``months`` whole local months before the current one: (first day, last day)."""

    def period(now: datetime) -> tuple[date, date]:
        this_month = now.astimezone(ZoneInfo(TZ)).date().replace(day=1)
        y, m = divmod(this_month.year * 12 + this_month.month - 1 - months, 12)
        return date(y, m + 1, 1), this_month - timedelta(days=1)

    return period


def later_probes() -> list[Probe]:
    """The published answers (no login), the operations-centre wall's figures, the period reports."""
    api = "/api/v1"

    def fixed(path: str, **params: Any) -> Callable[[int, datetime], tuple[str, dict[str, Any]]]:
        return lambda i, now: (path, params)

    def text(q: str) -> tuple[Callable[[int, datetime], tuple[str, dict[str, Any]]], str]:
        where, params = answers_text(q)
        return fixed(f"{api}/public/answers?q={quote(q)}", **params), where

    def ioc_clock(params: dict[str, Any], now: datetime) -> dict[str, Any]:
        start = day_start(now, 1)
        return {**params, "until": now + timedelta(hours=4), "day_start": start,
                "day_end": datetime.combine(_local_days(now, 1)[0] + timedelta(days=1), time.min,
                                            ZoneInfo(TZ)).astimezone(UTC)}

    def report(path: str, months: int, **query: str) -> Callable[[int, datetime], tuple[str, dict[str, Any]]]:
        def make(i: int, now: datetime) -> tuple[str, dict[str, Any]]:
            first, last = report_period(months)(now)
            bounds = [datetime.combine(d, time.min, ZoneInfo(TZ)).astimezone(UTC)
                      for d in (first, last + timedelta(days=1))]
            q = urlencode({"from": first.isoformat(), "to": last.isoformat(), **query})
            return f"{api}/reports/{path}?{q}", {"start": bounds[0], "end": bounds[1]}
        return make

    common, common_where = text(COMMON_ANSWER_WORDS)
    rare, rare_where = text(RARE_ANSWER_WORDS)
    report_bare = [("received", REPORT_RECEIVED), ("resolved", REPORT_RESOLVED)]
    return [
        Probe("public/answers page 1", "public", fixed(f"{api}/public/answers"), answers_page(ANSWER_SHOWN),
              answer_list()),
        Probe(f"public/answers ?q={COMMON_ANSWER_WORDS}", "public", common,
              answers_page(common_where, cap=SEARCH_COUNT_CAP), answer_list(SEARCH_COUNT_CAP)),
        Probe(f"public/answers ?q={RARE_ANSWER_WORDS} (rare)", "public", rare,
              answers_page(rare_where, rare=True, cap=SEARCH_COUNT_CAP), answer_list(SEARCH_COUNT_CAP)),
        Probe("public/answers ?category=DIEN", "public", fixed(f"{api}/public/answers?category=DIEN"),
              answers_page(f"{ANSWER_SHOWN} AND t.category_id = (SELECT id FROM categories WHERE code = 'DIEN')"),
              answer_list()),
        Probe("/ioc/data", "web:supervisor", lambda i, now: ("/ioc/data", ioc_clock({}, now)),
              [("received today", IOC_RECEIVED), ("open work", IOC_OPEN), ("breaches", breach_rows(IOC_BREACHES))],
              ioc_data, at_app_clock=ioc_clock, answer_now=ioc_now),
        Probe("reports/summary one month, by department", "token:supervisor",
              report("summary", 1, group_by="department"), report_bare, report_summary),
        Probe("reports/summary one year, by department", "token:supervisor",
              report("summary", 12, group_by="department"), report_bare, report_summary),
        Probe("reports/summary.xlsx one month", "token:supervisor", report("summary.xlsx", 1), report_bare,
              report_workbook, kind="xlsx"),
    ]
