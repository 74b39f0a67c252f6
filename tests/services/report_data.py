"""A varied history for the period reports (bulk INSERTs), and the brute-force counts over it.

Departments and categories of its own (codes RPT-…, kept for the session like the seed's);
tickets over three months around April 2025 (Hùng Kings' day and 30/4 are holidays in it) at
any hour, answered on time or late, open and overdue, rejected, duplicates, with ratings, answers
and disputes (some answered by a department other than the ticket's current one), calls of
every outcome; and the tickets right at the period's edges in local time."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.models import Call, Category, Department, SlaAlert, Ticket, TicketEvent, TicketFeedback
from callcentre.sla.calendars import load_calendar

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = (date(2025, 4, 1), date(2025, 4, 30))
NOW = datetime(2025, 5, 20, 3, 0, tzinfo=UTC)
DEPARTMENTS = (("RPT-D1", "Sở Thử nghiệm Một", "Test Department One"),
               ("RPT-D2", "Sở Thử nghiệm Hai", "Test Department Two"),
               ("RPT-D3", "UBND xã Thử nghiệm", "Test Commune Committee"))
CATEGORIES = (("RPT-C1", "Điện chiếu sáng", "Lighting", 0), ("RPT-C2", "Nước sạch", "Water", 1),
              ("RPT-C3", "Rác thải", "Waste", 2), ("RPT-C4", "Đường sá", "Roads", 0))
CHANNELS = ("phone", "app", "web", "zalo", "sms", "walk_in")
PRIORITIES = ("normal", "normal", "high", "urgent")
COMMUNES = ("28261", "28264", None)
STATUSES = ("received", "assigned", "in_progress", "awaiting_citizen", "resolved", "closed", "rejected", "duplicate")
WEIGHTS = (4, 5, 6, 3, 14, 10, 4, 4)
OPEN = ("received", "assigned", "in_progress", "awaiting_citizen")
RUNNING = ("received", "assigned", "in_progress")


def local(d: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute, second), ZONE).astimezone(UTC)


def reference_rows() -> tuple[dict[str, int], dict[str, int]]:
    """The test's departments and categories (created once per session), by code."""
    depts = dict(db.session.execute(sa.select(Department.code, Department.id)
                                    .where(Department.code.like("RPT-%"))).all())
    for code, vi, en in DEPARTMENTS:
        if code not in depts:
            row = Department(code=code, name_vi=vi, name_en=en)
            db.session.add(row)
            db.session.flush()
            depts[code] = row.id
    cats = dict(db.session.execute(sa.select(Category.code, Category.id).where(Category.code.like("RPT-%"))).all())
    for code, vi, en, dept in CATEGORIES:
        if code not in cats:
            row = Category(code=code, name_vi=vi, name_en=en, search_text=vi.lower(),
                           default_department_id=depts[DEPARTMENTS[dept][0]])
            db.session.add(row)
            db.session.flush()
            cats[code] = row.id
    db.session.commit()
    return depts, cats


@dataclass
class Edges:
    counted: list[int]  # received on the period's first/last local day (00:00, 23:30, 23:59:59)
    not_counted: list[int]  # the instants just outside it (23:59:59 before, 00:30 after)


def insert_report_history(n: int = 240, seed: int = 7) -> Edges:
    rng = random.Random(seed)
    depts, cats = reference_rows()
    dept_ids, cat_codes = list(depts.values()), list(cats)
    first, last = PERIOD
    window_start = local(first - timedelta(days=45), 0)
    tickets: list[dict[str, Any]] = []

    def ticket(created: datetime, status: str) -> dict[str, Any]:
        code = rng.choice(cat_codes)
        dept = next(depts[d[0]] for c in CATEGORIES if c[0] == code for d in [DEPARTMENTS[c[3]]])
        if rng.random() < 0.15:
            dept = rng.choice(dept_ids)
        assigned = created + timedelta(minutes=rng.randint(1, 60 * 30)) if status != "received" else None
        accepts = assigned is not None and status not in ("assigned", "rejected", "duplicate")
        accepted = assigned + timedelta(minutes=rng.randint(1, 60 * 40)) if accepts and rng.random() < 0.9 else None
        resolved = None
        if status in ("resolved", "closed"):
            resolved = (accepted or assigned or created) + timedelta(minutes=rng.randint(5, 60 * 24 * 12))
            resolved = min(resolved, NOW - timedelta(hours=1))
        deadline = created + timedelta(days=rng.randint(1, 15), minutes=rng.randint(0, 600))
        return {"receipt_code": new_receipt_code(), "channel": rng.choice(CHANNELS), "category_id": cats[code],
                "department_id": dept if status != "received" or rng.random() < 0.4 else None,
                "priority": rng.choice(PRIORITIES), "title": "Phản ánh thử nghiệm", "description": "Nội dung",
                "commune_code": rng.choice(COMMUNES), "status": status, "created_at": created,
                "updated_at": resolved or created, "assigned_at": assigned, "accepted_at": accepted,
                "resolved_at": resolved, "resolve_deadline": deadline,
                "closed_at": resolved + timedelta(hours=2) if status == "closed" and resolved else None}

    span = int((local(last + timedelta(days=20), 0) - window_start).total_seconds())
    for _ in range(n):
        created = window_start + timedelta(seconds=rng.randint(0, span))
        tickets.append(ticket(created, rng.choices(STATUSES, WEIGHTS)[0]))
    # The edges, in local time: the first instant of the period, 23:30 and the last second of its
    # last day count; the last second before it and 00:30 after it do not. Answered at an edge too.
    edge_times = [local(first, 0), local(last, 23, 30), local(last, 23, 59, 59),
                  local(first - timedelta(days=1), 23, 59, 59), local(last + timedelta(days=1), 0, 30)]
    edge_rows = [ticket(t, "received") for t in edge_times]
    answered_edges = [local(last, 23, 30), local(last + timedelta(days=1), 0, 30), local(first, 0),
                      local(first - timedelta(days=1), 23, 59, 59)]
    for t in answered_edges:
        row = ticket(t - timedelta(days=3, hours=5), "resolved")
        row["assigned_at"], row["accepted_at"], row["resolved_at"] = (t - timedelta(days=3), t - timedelta(days=2),
                                                                      t)
        tickets.append(row)
    tickets += edge_rows
    ids = list(db.session.scalars(sa.insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets))
    by_id = dict(zip(ids, tickets, strict=True))

    alerts, events, calls = [], [], []
    for tid, t in by_id.items():
        if t["resolved_at"] is not None and rng.random() < 0.35:
            alerts.append({"ticket_id": tid, "kind": "resolve", "level": "breach", "deadline": t["resolve_deadline"],
                           "department_id": t["department_id"], "detected_at": t["resolve_deadline"]})
            if rng.random() < 0.3:  # extended, then missed again: still one late ticket
                alerts.append({"ticket_id": tid, "kind": "resolve", "level": "breach",
                               "deadline": t["resolve_deadline"] + timedelta(days=1),
                               "department_id": t["department_id"], "detected_at": t["resolve_deadline"]})
        elif t["status"] in OPEN and rng.random() < 0.2:  # a breach alert does not make an open ticket answered
            alerts.append({"ticket_id": tid, "kind": "resolve", "level": "breach", "deadline": t["resolve_deadline"],
                           "department_id": t["department_id"], "detected_at": t["resolve_deadline"]})
        if t["resolved_at"] is not None:
            # The answer, sometimes by the department that had the ticket before it moved on.
            answered_by = t["department_id"] if rng.random() < 0.8 else rng.choice(dept_ids)
            events.append({"ticket_id": tid, "department_id": answered_by, "kind": "resolve",
                           "from_status": "in_progress", "to_status": "resolved", "payload": {}, "public": True,
                           "created_at": t["resolved_at"]})
    event_ids = list(db.session.scalars(sa.insert(TicketEvent).returning(
        TicketEvent.id, TicketEvent.ticket_id, sort_by_parameter_order=True), events)) if events else []
    resolve_event = dict(db.session.execute(sa.select(TicketEvent.ticket_id, TicketEvent.id)
                                            .where(TicketEvent.id.in_(event_ids))).all())
    disputes, feedback = [], []
    for tid, event_id in resolve_event.items():
        t = by_id[tid]
        if rng.random() < 0.6:
            rated_at = t["resolved_at"] + timedelta(hours=rng.randint(1, 200))
            feedback.append({"ticket_id": tid, "token_event_id": event_id, "rating": rng.randint(1, 5),
                             "rated_at": rated_at, "rated_via": "web"})
        if rng.random() < 0.2:
            disputes.append({"ticket_id": tid, "department_id": t["department_id"], "kind": "citizen_dispute",
                             "from_status": "resolved", "to_status": "in_progress", "payload": {}, "public": True,
                             "created_at": t["resolved_at"] + timedelta(hours=rng.randint(1, 100))})
    if disputes:
        db.session.execute(sa.insert(TicketEvent), disputes)
    if feedback:
        db.session.execute(sa.insert(TicketFeedback), feedback)
    if alerts:
        db.session.execute(sa.insert(SlaAlert), alerts)
    call_times = [window_start + timedelta(seconds=rng.randint(0, span)) for _ in range(300)]
    call_times += [local(first, 0), local(last, 23, 30), local(first - timedelta(days=1), 23, 59),
                   local(last + timedelta(days=1), 0, 30)]
    for started in call_times:
        kind = rng.choice(("answered", "answered", "answered", "abandoned", "voicemail", "waiting", "callback"))
        answered = kind in ("answered", "callback") and rng.random() < 0.9
        wait = rng.choice((5, 15, 20, 21, 40, 90))
        calls.append({
            "direction": "outbound" if kind == "callback" else "inbound",
            "from_number": f"+8491300{rng.randint(0, 9999):04d}", "started_at": started,
            "answered_at": started + timedelta(seconds=wait) if answered and kind != "abandoned" else None,
            "ended_at": None if kind == "waiting" else started + timedelta(minutes=5),
            "duration_seconds": rng.randint(30, 900) if kind == "answered" and answered else None,
            "disposition": {"voicemail": "voicemail", "abandoned": rng.choice((None, "abandoned", "callback_done")),
                            "waiting": None}.get(kind, "info_only"),
            "provider_status": "ringing" if kind == "waiting" else "completed",
            "recording_url": "https://rec.example/1.mp3" if kind == "voicemail" and rng.random() < 0.5 else None,
        })
    db.session.execute(sa.insert(Call), calls)
    db.session.commit()
    edge_ids = ids[-len(edge_rows):]
    return Edges(counted=edge_ids[:3], not_counted=edge_ids[3:])


# -- brute force ------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation at position p·(n-1) of the sorted values (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    v = sorted(values)
    pos = p * (len(v) - 1)
    lo = math.floor(pos)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (pos - lo)


def outcome(c: Call) -> str:
    """The outcome of a call as services/call_figures.py's docstring defines it, in Python."""
    if c.direction != "inbound":
        return "callback"
    if c.answered_at is not None:
        return "answered"
    if c.disposition == "voicemail" or c.recording_url is not None:
        return "voicemail"
    if c.ended_at is None and c.disposition is None and c.provider_status in ("queued", "ringing", "in-progress"):
        return "waiting"
    return "abandoned"


def expected(group: str | None, start_day: date, end_day: date, now: datetime) -> dict[Any, dict[str, Any]]:
    """Every figure per group key (``None`` group: one row under key 0), counted ticket by ticket."""
    start, end = local(start_day, 0), local(end_day + timedelta(days=1), 0)
    tickets = list(db.session.scalars(sa.select(Ticket)))
    alerts = list(db.session.scalars(sa.select(SlaAlert)))
    events = list(db.session.scalars(sa.select(TicketEvent)))
    feedback = list(db.session.scalars(sa.select(TicketFeedback)))
    cal = load_calendar()
    late = {a.ticket_id for a in alerts if a.kind == "resolve" and a.level == "breach"}
    key_of: Callable[[Ticket], Any] = {
        None: lambda t: 0, "category": lambda t: t.category_id, "department": lambda t: t.department_id,
        "channel": lambda t: t.channel, "commune": lambda t: t.commune_code, "priority": lambda t: t.priority}[group]
    by_id = {t.id: t for t in tickets}
    event_by_id = {e.id: e for e in events}
    rows: dict[Any, dict[str, Any]] = defaultdict(lambda: defaultdict(list))

    def working_seconds(a: datetime, b: datetime) -> float:
        return cal.working_time_between(a, b).total_seconds()

    for t in tickets:
        r = rows[key_of(t)]
        if start <= t.created_at < end:
            r["received"].append(t.id)
            if t.status == "rejected":
                r["rejected"].append(t.id)
            if t.status == "duplicate":
                r["duplicates"].append(t.id)
            if t.status in RUNNING and t.resolve_deadline is not None and t.resolve_deadline < now:
                r["overdue"].append(t.id)
        if t.resolved_at is not None and start <= t.resolved_at < end:
            r["resolved"].append(t.id)
            (r["late"] if t.id in late else r["on_time"]).append(t.id)
            r["resolve_s"].append(working_seconds(t.created_at, t.resolved_at))
            if t.assigned_at is not None and t.accepted_at is not None:
                r["accept_s"].append(working_seconds(t.assigned_at, t.accepted_at))
    for f in feedback:
        if f.rating is None or f.rated_at is None or not (start <= f.rated_at < end):
            continue
        t = by_id[f.ticket_id]
        answered_by = event_by_id[f.token_event_id].department_id if f.token_event_id else None
        key = (answered_by if answered_by is not None else t.department_id) if group == "department" else key_of(t)
        rows[key]["rating_values"].append(f.rating)
    for e in events:
        if e.kind not in ("resolve", "citizen_dispute") or not (start <= e.created_at < end):
            continue
        key = e.department_id if group == "department" else key_of(by_id[e.ticket_id])
        rows[key]["answers" if e.kind == "resolve" else "disputes"].append(e.id)
    out: dict[Any, dict[str, Any]] = {}
    for key, r in rows.items():
        counts = {name: len(r[name]) for name in ("received", "resolved", "on_time", "late", "overdue", "rejected",
                                                   "duplicates", "answers", "disputes")}
        if not any(counts.values()) and not r["rating_values"]:
            continue
        ratings = r["rating_values"]
        out[key] = {
            **counts, "ratings": len(ratings),
            "average_rating": sum(ratings) / len(ratings) if ratings else None,
            "on_time_rate": counts["on_time"] / counts["resolved"] if counts["resolved"] else None,
            "dispute_rate": counts["disputes"] / counts["answers"] if counts["answers"] else None,
            "time_to_accept_median_seconds": percentile(r["accept_s"], 0.5),
            "time_to_accept_p90_seconds": percentile(r["accept_s"], 0.9),
            "time_to_resolve_median_seconds": percentile(r["resolve_s"], 0.5),
            "time_to_resolve_p90_seconds": percentile(r["resolve_s"], 0.9),
        }
    return out


def expected_calls(start_day: date, end_day: date, level: int) -> dict[Any, dict[str, Any]]:
    """Per local day (and under ``None``, the period): the call figures counted call by call."""
    start, end = local(start_day, 0), local(end_day + timedelta(days=1), 0)
    calls = [c for c in db.session.scalars(sa.select(Call)) if start <= c.started_at < end]
    out: dict[Any, dict[str, Any]] = {}
    groups: dict[Any, list[Call]] = defaultdict(list)
    for c in calls:
        groups[c.started_at.astimezone(ZONE).date()].append(c)
        groups[None].append(c)
    for key, mine in groups.items():
        kinds = [outcome(c) for c in mine]
        inbound = [c for c, k in zip(mine, kinds, strict=True) if k != "callback"]
        answered = [c for c, k in zip(mine, kinds, strict=True) if k == "answered"]
        offered = [c for c, k in zip(mine, kinds, strict=True) if k in ("answered", "abandoned")]
        timed = [c.duration_seconds for c in answered if c.duration_seconds is not None]
        waits = [(c.answered_at - c.started_at).total_seconds() for c in answered]
        out[key] = {
            "calls": len(inbound), "answered": len(answered), "abandoned": kinds.count("abandoned"),
            "voicemail": kinds.count("voicemail"), "waiting": kinds.count("waiting"),
            "callbacks": kinds.count("callback"),
            "aht_seconds": sum(timed) / len(timed) if timed else None,
            "asa_seconds": sum(waits) / len(waits) if waits else None,
            "service_level": sum(w <= level for w in waits) / len(offered) if offered else None,
            "answered_rate": len(answered) / len(inbound) if inbound else None,
            "abandoned_rate": kinds.count("abandoned") / len(inbound) if inbound else None,
        }
    return out
