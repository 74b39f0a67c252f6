"""What bench/reads.py measures: each read request of the app, and its bare SQL.

The bare SQL is what a minimal implementation needs for the same answer: the same rows, filters,
order and total, in as few statements as natural (the clocks, events and calls of a ticket as
JSON aggregates of the same statement), fetched completely with psycopg — but no ORM, no schema
dump, no template. The app's p50 over the bare SQL's p50 is the overhead factor; the bare SQL's
own time says what the schema and its indexes cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from workflows.states import OPEN_VALUES

TZ = "Asia/Ho_Chi_Minh"  # Config.DEFAULT_TIMEZONE: the dashboard's local days


@dataclass
class Sample:
    """Values the requests vary over, read from the generated history (see ``reads.pick_samples``)."""

    now: datetime
    ticket_ids: list[int]  # tickets with calls and a full history, for the detail page
    phones: list[str]  # E.164 numbers of repeat callers
    receipt_code: str  # one real code
    officer_department: tuple[int, str]  # (id, code) of the department the "officer" account works in


@dataclass
class Probe:
    """One request: its path for iteration ``i``, who sends it, and its bare SQL for the same ``i``."""

    name: str
    path: Callable[[int], str]
    auth: str  # "token:<user>" (Bearer) or "web:<user>" (a signed-in session)
    bare: list[tuple[str, str]]  # (label, SQL with %(name)s parameters)
    params: Callable[[int], dict[str, Any]] = field(default=lambda i: {})
    csv: bool = False  # CSV export: time to first byte reported beside the total


CLOCKS_JSON = """(SELECT json_agg(json_build_object('kind', k.kind, 'due_at', k.due_at, 'warn_at', k.warn_at,
                   'anchor_at', k.anchor_at, 'remaining', k.remaining_seconds, 'warned', k.warned,
                   'breached', k.breached, 'stopped_at', k.stopped_at, 'calendar_id', k.calendar_id) ORDER BY k.kind)
                  FROM sla_clocks k WHERE k.ticket_id = t.id)"""
ROW = f"""t.id, t.receipt_code, t.status, t.channel, t.priority, t.title, t.commune_code, t.address, t.lat, t.lng,
       t.accept_deadline, t.resolve_deadline, t.escalation_level, t.created_at, t.updated_at, t.version,
       c.code, c.name_vi, c.name_en, d.code, d.name_vi, d.name_en,
       ct.id, ct.phone, ct.name, ct.language, ct.sms_opted_out_at, {CLOCKS_JSON} AS clocks"""
JOINS = """tickets t JOIN categories c ON c.id = t.category_id LEFT JOIN departments d ON d.id = t.department_id
       LEFT JOIN contacts ct ON ct.id = t.contact_id"""
NEWEST = "t.created_at DESC, t.id DESC"
URGENCY = "(SELECT min(k.due_at) FROM sla_clocks k WHERE k.ticket_id = t.id AND k.stopped_at IS NULL)"
MOST_URGENT = f"{URGENCY} IS NULL, {URGENCY}, t.created_at, t.id"


def page(where: str, order: str = NEWEST, limit: int = 25, offset: int = 0, count: bool = True) -> list[tuple[str, str]]:
    """A ticket list page: its rows, and the total it pages (as http/pagination.paginate)."""
    out = [("rows", f"SELECT {ROW} FROM {JOINS} WHERE {where} ORDER BY {order} LIMIT {limit} OFFSET {offset}")]
    if count:
        out.append(("count", f"SELECT count(*) FROM tickets t WHERE {where}"))
    return out


DETAIL = f"""
SELECT t.*, c.code, c.name_vi, c.name_en, d.code, d.name_vi, d.name_en,
       ct.id, ct.phone, ct.name, ct.language, ct.sms_opted_out_at, {CLOCKS_JSON} AS clocks,
       (SELECT json_agg(json_build_object('id', e.id, 'kind', e.kind, 'from', e.from_status, 'to', e.to_status,
                 'note', e.note, 'payload', e.payload, 'actor', coalesce(u.username, e.actor_label),
                 'public', e.public, 'at', e.created_at) ORDER BY e.id)
        FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = t.id) AS events,
       (SELECT json_agg(x.call_id ORDER BY x.call_id) FROM call_tickets x WHERE x.ticket_id = t.id) AS calls,
       (SELECT json_agg(json_build_object('key', m.storage_key, 'url', m.url, 'type', m.content_type) ORDER BY m.id)
        FROM ticket_media m WHERE m.ticket_id = t.id) AS media
FROM {JOINS} WHERE t.id = %(id)s"""

OPEN_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_VALUES) + ")"
RUNNING = "k.ticket_id = t.id AND k.stopped_at IS NULL"
SUMMARY = f"""
WITH o AS (
  SELECT t.department_id, count(*) AS open,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sla_clocks k WHERE {RUNNING} AND k.breached)) AS breached,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM sla_clocks k WHERE {RUNNING} AND NOT k.breached
                                         AND (k.due_at <= %(until)s OR k.warned))
                          AND NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE {RUNNING} AND k.breached)) AS at_risk
  FROM tickets t WHERE t.status IN {OPEN_SQL} GROUP BY 1),
r AS (
  SELECT t.department_id, count(*) AS resolved,
         avg(CASE WHEN EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = t.id AND a.kind = 'resolve'
                                AND a.level = 'breach') THEN 0 ELSE 1 END) AS on_time_rate,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.accepted_at - t.assigned_at)) AS accept_s,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved_at - t.created_at)) AS resolve_s
  FROM tickets t WHERE t.resolved_at IS NOT NULL AND t.resolved_at <= %(end)s AND t.resolved_at >= %(start)s
  GROUP BY 1)
SELECT d.code, d.name_vi, d.name_en, coalesce(o.open, 0), coalesce(o.at_risk, 0), coalesce(o.breached, 0),
       coalesce(r.resolved, 0), r.on_time_rate, r.accept_s, r.resolve_s
FROM departments d LEFT JOIN o ON o.department_id = d.id LEFT JOIN r ON r.department_id = d.id
WHERE d.active ORDER BY d.name_vi"""

AT_RISK = """
SELECT k.*, t.receipt_code, t.status, d.code, c.code
FROM sla_clocks k JOIN tickets t ON t.id = k.ticket_id JOIN categories c ON c.id = t.category_id
LEFT JOIN departments d ON d.id = t.department_id
WHERE k.stopped_at IS NULL AND NOT k.breached AND k.due_at IS NOT NULL AND (k.due_at <= %(until)s OR k.warned)
ORDER BY k.due_at LIMIT 500"""

BREACH_ROWS = """
SELECT a.*, t.receipt_code, d.code, c.code, u.username
FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id JOIN categories c ON c.id = t.category_id
LEFT JOIN departments d ON d.id = a.department_id LEFT JOIN users u ON u.id = a.acknowledged_by_id
WHERE a.level = 'breach' ORDER BY a.detected_at DESC, a.id DESC LIMIT {limit}"""
BREACH_COUNT = "SELECT count(*) FROM sla_alerts WHERE level = 'breach'"

STATUS_COUNTS = """
SELECT d.code, d.name_vi, d.name_en, t.status, count(*) FROM tickets t LEFT JOIN departments d ON d.id = t.department_id
GROUP BY 1, 2, 3, 4"""
DEPARTMENTS = "SELECT * FROM departments WHERE active ORDER BY name_vi"
CATEGORIES = "SELECT * FROM categories WHERE active ORDER BY name_vi"
TREND_BREACHES = f"""
SELECT department_id, (detected_at AT TIME ZONE '{TZ}')::date, count(*) FROM sla_alerts
WHERE level = 'breach' AND detected_at >= %(since)s GROUP BY 1, 2"""
TREND_ANSWERED = f"""
SELECT t.department_id, (t.resolved_at AT TIME ZONE '{TZ}')::date, count(*),
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM sla_alerts a WHERE a.ticket_id = t.id AND a.kind = 'resolve'
                                          AND a.level = 'breach'))
FROM tickets t WHERE t.resolved_at >= %(since)s GROUP BY 1, 2"""
CALLS_PER_DAY = f"""
SELECT (started_at AT TIME ZONE '{TZ}')::date, count(*), count(answered_at),
       count(*) FILTER (WHERE answered_at IS NULL AND (disposition IS NULL OR disposition IN ('abandoned', 'callback_done'))),
       sum(duration_seconds), count(duration_seconds)
FROM calls WHERE started_at >= %(since_calls)s GROUP BY 1"""
EXTENSIONS = """
SELECT e.*, t.receipt_code, t.resolve_deadline, u.username FROM extension_requests e
JOIN tickets t ON t.id = e.ticket_id JOIN users u ON u.id = e.requested_by_id
WHERE e.status = 'pending' ORDER BY e.created_at"""

CONTACT = "SELECT * FROM contacts WHERE phone = %(phone)s"
CALLER_TICKETS = (f"SELECT {ROW} FROM {JOINS} WHERE t.contact_id = (SELECT id FROM contacts WHERE phone = %(phone)s)"
                  " ORDER BY t.created_at DESC LIMIT 50")
CALLER_CALLS = """
SELECT c.*, u.username, (SELECT json_agg(x.ticket_id) FROM call_tickets x WHERE x.call_id = c.id)
FROM calls c LEFT JOIN users u ON u.id = c.operator_id WHERE c.from_number = %(phone)s
ORDER BY c.started_at DESC LIMIT 50"""


def local_phone(e164: str) -> str:
    return "0" + e164[3:]  # +84912345678 -> 0912345678, as an operator types it


def probes(s: Sample) -> list[Probe]:
    """Every request, in the order measured (cheap lists first, exports last)."""
    now = s.now
    year_ago = now - timedelta(days=365)
    iso = year_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    dept_id, dept_code = s.officer_department
    ids, phones = s.ticket_ids, s.phones
    fragment = s.receipt_code[:5]
    display = f"{s.receipt_code[:5]}-{s.receipt_code[5:]}"
    until = {"until": now + timedelta(hours=4)}
    since = {"since": now - timedelta(days=15), "since_calls": now - timedelta(days=14)}
    text = "t.title ILIKE %(pat)s OR t.description ILIKE %(pat)s OR t.receipt_code = %(code)s"

    def q(text_q: str) -> dict[str, Any]:
        return {"pat": f"%{text_q}%", "code": text_q.upper().replace("-", "")}

    officer_scope = f"t.department_id = {dept_id} AND t.assigned_at IS NOT NULL"
    inbox_where = f"t.status IN {OPEN_SQL}"
    api = "/api/v1"
    out = [
        Probe("tickets page 1", lambda i: f"{api}/tickets", "token:supervisor", page("true")),
        Probe("tickets ?status=in_progress", lambda i: f"{api}/tickets?status=in_progress", "token:supervisor",
              page("t.status = 'in_progress'")),
        Probe("tickets ?department=STNMT&status=assigned,in_progress",
              lambda i: f"{api}/tickets?department=STNMT&status=assigned,in_progress", "token:supervisor",
              page("t.status IN ('assigned', 'in_progress') AND t.department_id IN"
                   " (SELECT id FROM departments WHERE code = 'STNMT')")),
        Probe("tickets ?category=DIEN&created_from=-1y", lambda i: f"{api}/tickets?category=DIEN&created_from={iso}",
              "token:supervisor", page("t.category_id IN (SELECT id FROM categories WHERE code = 'DIEN')"
                                       " AND t.created_at >= %(from)s"), lambda i: {"from": year_ago}),
        Probe("tickets ?channel=zalo&priority=urgent", lambda i: f"{api}/tickets?channel=zalo&priority=urgent",
              "token:supervisor", page("t.channel = 'zalo' AND t.priority = 'urgent'")),
        Probe(f"tickets page 1, officer ({dept_code})", lambda i: f"{api}/tickets", "token:officer", page(officer_scope)),
        Probe("tickets ?page=1000", lambda i: f"{api}/tickets?page=1000", "token:supervisor",
              page("true", offset=999 * 25)),
        Probe("ticket detail", lambda i: f"{api}/tickets/{ids[i % len(ids)]}", "token:supervisor",
              [("ticket + events + calls + clocks", DETAIL)], lambda i: {"id": ids[i % len(ids)]}),
        Probe("tickets ?phone=", lambda i: f"{api}/tickets?phone={local_phone(phones[i % len(phones)])}",
              "token:supervisor", page("t.contact_id IN (SELECT id FROM contacts WHERE phone = %(phone)s)"),
              lambda i: {"phone": phones[i % len(phones)]}),
        Probe("contacts ?phone= (screen pop)",
              lambda i: f"{api}/contacts?phone={local_phone(phones[i % len(phones)])}", "token:operator",
              [("contact", CONTACT), ("tickets", CALLER_TICKETS), ("calls", CALLER_CALLS)],
              lambda i: {"phone": phones[i % len(phones)]}),
        Probe("tickets ?q=đèn đường", lambda i: f"{api}/tickets?q={quote('đèn đường')}", "token:supervisor",
              page(text), lambda i: q("đèn đường")),
        Probe("tickets ?q=den duong", lambda i: f"{api}/tickets?q={quote('den duong')}", "token:supervisor",
              page(text), lambda i: q("den duong")),
        Probe(f"tickets ?q={fragment} (receipt fragment)", lambda i: f"{api}/tickets?q={fragment}", "token:supervisor",
              page(text), lambda i: q(fragment)),
        Probe("tickets ?q=<receipt code>", lambda i: f"{api}/tickets?q={display}", "token:supervisor", page(text),
              lambda i: q(display)),
        Probe("sla/at-risk", lambda i: f"{api}/sla/at-risk", "token:supervisor", [("rows", AT_RISK)],
              lambda i: until),
        Probe("sla/breaches", lambda i: f"{api}/sla/breaches", "token:supervisor",
              [("rows", BREACH_ROWS.format(limit=25)), ("count", BREACH_COUNT)]),
        Probe("sla/summary", lambda i: f"{api}/sla/summary", "token:supervisor", [("summary", SUMMARY)],
              lambda i: {**until, "end": now, "start": datetime(1970, 1, 1, tzinfo=now.tzinfo)}),
        Probe("sla/summary one year", lambda i: f"{api}/sla/summary?" + urlencode(
            {"from": iso, "to": now.strftime("%Y-%m-%dT%H:%M:%SZ")}), "token:supervisor", [("summary", SUMMARY)],
              lambda i: {**until, "end": now, "start": year_ago}),
        Probe(f"/department (officer, {dept_code})", lambda i: "/department", "web:officer",
              [*page(f"{inbox_where} AND {officer_scope}", MOST_URGENT, limit=20), ("categories", CATEGORIES)]),
        Probe("/department (supervisor)", lambda i: "/department", "web:supervisor",
              [*page(inbox_where, MOST_URGENT, limit=20), ("categories", CATEGORIES), ("departments", DEPARTMENTS)]),
        Probe("/supervisor", lambda i: "/supervisor", "web:supervisor",
              [("status counts", STATUS_COUNTS), ("at risk", AT_RISK), ("breaches", BREACH_ROWS.format(limit=10)),
               ("breach count", BREACH_COUNT), ("departments", DEPARTMENTS), ("trend breaches", TREND_BREACHES),
               ("trend answered", TREND_ANSWERED), ("calls", CALLS_PER_DAY), ("extensions", EXTENSIONS)],
              lambda i: {**until, **since}),
        Probe(f"/department CSV (officer, {dept_code})", lambda i: "/department?format=csv", "web:officer",
              page(f"{inbox_where} AND {officer_scope}", MOST_URGENT, limit=10000, count=False), csv=True),
        Probe("/department CSV (supervisor)", lambda i: "/department?format=csv", "web:supervisor",
              page(inbox_where, MOST_URGENT, limit=10000, count=False), csv=True),
    ]
    for name, bare in (("counts", [("status counts", STATUS_COUNTS)]), ("at_risk", [("at risk", AT_RISK)]),
                       ("breaches", [("all breaches", BREACH_ROWS.format(limit=100000))]),
                       ("trend", [("trend breaches", TREND_BREACHES), ("trend answered", TREND_ANSWERED)]),
                       ("calls", [("calls", CALLS_PER_DAY)]), ("extensions", [("extensions", EXTENSIONS)])):
        out.append(Probe(f"/supervisor CSV {name}", lambda i, n=name: f"/supervisor?csv={n}", "web:supervisor", bare,
                         lambda i: {**until, **since}, csv=True))
    return out
