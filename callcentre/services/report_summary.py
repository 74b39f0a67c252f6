"""Reports for any period: the figures of [from, to] (local dates, both inclusive) grouped by
category, department, channel, commune or priority, with a total row, and the period's calls
per day. What each figure means: docs/reports.md. Reads only.

Every figure is aggregated by the database from indexed columns, one row per group coming back
(services/reports.py, docs/perf-reads.md): the tickets received in the period from
``ix_tickets_created_id``, those answered in it from ``ix_tickets_resolved_at``, ratings and
answer events from their own indexes. Working time is computed in SQL against a table of the
period's working days (services/report_days.py); medians and 90th percentiles are exact
(``percentile_cont`` on PostgreSQL, ranked rows elsewhere, with the same interpolation).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Float, Integer, Select, Subquery, and_, case, cast, func, literal_column, select
from sqlalchemy.orm import QueryableAttribute, aliased

from callcentre.core.extensions import db
from callcentre.formats import geo
from callcentre.models import Call, Category, Department, Ticket, TicketEvent, TicketFeedback
from callcentre.services.call_figures import WAIT_EPSILON, call_outcome
from callcentre.services.report_days import WorkingDays, day_number, fixed_offset, local_day
from callcentre.services.report_sql import has_median_aggregate, seconds_between
from callcentre.services.reports import late_tickets
from callcentre.sla.calendars import load_calendar
from workflows.states import OPEN_VALUES, Status

GROUPS = ("category", "department", "channel", "commune", "priority")
MAX_DAYS = 5 * 366  # the longest period a report covers (five years)
QUANTILES = (0.5, 0.9)
# Open and waiting for nothing but the department: an awaiting-citizen ticket's clock is paused.
_RUNNING = tuple(s for s in OPEN_VALUES if s != Status.AWAITING_CITIZEN.value)
_TOTAL = None  # the group of the total row

CHANNELS = {"phone": ("Điện thoại 1022", "Phone 1022"), "app": ("Ứng dụng di động", "Mobile app"),
            "web": ("Cổng thông tin", "Web portal"), "zalo": ("Zalo", "Zalo"), "sms": ("SMS", "SMS"),
            "walk_in": ("Trực tiếp", "Walk-in")}
PRIORITIES = {"normal": ("Bình thường", "Normal"), "high": ("Cao", "High"), "urgent": ("Khẩn cấp", "Urgent")}
NONE_LABEL = {"department": ("Chưa giao đơn vị", "No department"), "commune": ("Không rõ xã, phường", "No commune")}

COUNTS = ("received", "resolved", "on_time", "late", "overdue", "rejected", "duplicates",
          "ratings", "answers", "disputes")


@dataclass(frozen=True)
class Period:
    """Local dates, both inclusive."""

    start: date
    end: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: the first instant of ``start`` and of the day after ``end``."""
        return (datetime.combine(self.start, time.min, zone).astimezone(UTC),
                datetime.combine(self.end + timedelta(days=1), time.min, zone).astimezone(UTC))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def _key(group: str | None) -> ColumnElement[Any] | QueryableAttribute[Any]:
    if group is None:
        return literal_column("0")
    return {"category": Ticket.category_id, "department": Ticket.department_id, "channel": Ticket.channel,
            "commune": Ticket.commune_code, "priority": Ticket.priority}[group]


def _empty() -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    row.update({"on_time_rate": None, "dispute_rate": None, "average_rating": None,
                "time_to_accept_median_seconds": None, "time_to_accept_p90_seconds": None,
                "time_to_resolve_median_seconds": None, "time_to_resolve_p90_seconds": None})
    return row


# -- the tickets received in the period ---------------------------------------------------

def _received(group: str | None, start: datetime, end: datetime, now: datetime) -> dict[Any, dict[str, int]]:
    sub = (select(_key(group).label("grp"), Ticket.status, Ticket.resolve_deadline)
           .where(Ticket.created_at >= start, Ticket.created_at < end).subquery())
    stmt = (select(sub.c.grp, func.count(),
                   func.sum(case((sub.c.status == Status.REJECTED.value, 1), else_=0)),
                   func.sum(case((sub.c.status == Status.DUPLICATE.value, 1), else_=0)),
                   func.sum(case((and_(sub.c.status.in_(_RUNNING), sub.c.resolve_deadline < now), 1), else_=0)))
            .group_by(sub.c.grp))
    return {grp: {"received": n, "rejected": int(rej or 0), "duplicates": int(dup or 0), "overdue": int(late or 0)}
            for grp, n, rej, dup, late in db.session.execute(stmt)}


# -- the tickets answered in the period: on time, working time to accept and to resolve ----

def working_days_for(start: datetime, end: datetime) -> WorkingDays | None:
    """The working days every answered ticket of the period needs (from the earliest creation);
    None when nothing was answered."""
    first, last = db.session.execute(
        select(func.min(Ticket.created_at), func.max(Ticket.accepted_at))
        .where(Ticket.resolved_at >= start, Ticket.resolved_at < end)).one()
    if first is None:
        return None
    local = zone()
    end_day = (end - timedelta(microseconds=1)).astimezone(local).date()
    last_day = max(end_day, last.astimezone(local).date()) if last is not None else end_day
    return WorkingDays(load_calendar(), local, first.astimezone(local).date(), last_day)


def _answered_rows(group: str | None, start: datetime, end: datetime, days: WorkingDays) -> Subquery:
    """One row per ticket answered in the period: its group, whether late, its working seconds
    to resolve (created -> answered) and to accept (assigned -> accepted; NULL if never)."""
    created, on_created, w_created = days.at(Ticket.created_at, "wd_created")
    resolved, on_resolved, w_resolved = days.at(Ticket.resolved_at, "wd_resolved")
    assigned, on_assigned, w_assigned = days.at(Ticket.assigned_at, "wd_assigned")
    accepted, on_accepted, w_accepted = days.at(Ticket.accepted_at, "wd_accepted")
    late = late_tickets()
    return (select(_key(group).label("grp"), late.c.ticket_id.label("late"),
                   (w_resolved - w_created).label("resolve_s"), (w_accepted - w_assigned).label("accept_s"))
            .select_from(Ticket)
            .join(created, on_created).join(resolved, on_resolved)
            .outerjoin(assigned, on_assigned).outerjoin(accepted, on_accepted)
            .outerjoin(late, late.c.ticket_id == Ticket.id)
            .where(Ticket.resolved_at >= start, Ticket.resolved_at < end)
            .subquery("answered"))


def ranked_quantiles(sub: Subquery, value: str, fractions: Sequence[float]) -> Select:
    """Rows ``(grp, q1, q2, …)``: the ``fractions`` quantiles of column ``value`` per group, by
    ranking the rows (databases without ``percentile_cont``). The same definition: position
    ``p·(n-1)`` in the sorted values, interpolated between its two neighbours."""
    v = sub.c[value]
    ranked = (select(sub.c.grp, v.label("v"),
                     func.row_number().over(partition_by=sub.c.grp, order_by=v).label("rn"),
                     func.count().over(partition_by=sub.c.grp).label("n"))
              .where(v.is_not(None)).subquery("ranked"))
    columns = []
    for p in fractions:
        pos = cast(ranked.c.n - 1, Float) * p
        low = cast(pos, Integer) + 1  # CAST truncates: floor of a non-negative position
        frac = pos - (low - 1)
        columns.append(func.sum(case((ranked.c.rn == low, ranked.c.v * (1 - frac)),
                                     (ranked.c.rn == low + 1, ranked.c.v * frac), else_=0)))
    return select(ranked.c.grp, *columns).group_by(ranked.c.grp)


def _answered(group: str | None, start: datetime, end: datetime,
              days: WorkingDays | None) -> dict[Any, dict[str, Any]]:
    if days is None:
        return {}
    sub = _answered_rows(group, start, end, days)
    counts = select(sub.c.grp, func.count(), func.count(sub.c.late)).group_by(sub.c.grp)
    out: dict[Any, dict[str, Any]] = {}
    names = ("time_to_accept_median_seconds", "time_to_accept_p90_seconds",
             "time_to_resolve_median_seconds", "time_to_resolve_p90_seconds")
    if has_median_aggregate(db.session.get_bind().dialect.name):
        stmt = counts.add_columns(*[func.percentile_cont(p).within_group(sub.c[col])
                                    for col in ("accept_s", "resolve_s") for p in QUANTILES])
        for grp, n, n_late, *qs in db.session.execute(stmt):
            out[grp] = {"resolved": n, "late": n_late, **dict(zip(names, qs, strict=True))}
        return out
    for grp, n, n_late in db.session.execute(counts):
        out[grp] = {"resolved": n, "late": n_late, **dict.fromkeys(names)}
    for col, (median_name, p90_name) in (("accept_s", names[:2]), ("resolve_s", names[2:])):
        for grp, q50, q90 in db.session.execute(ranked_quantiles(sub, col, QUANTILES)):
            out[grp][median_name], out[grp][p90_name] = q50, q90
    return out


# -- the citizens' voice: ratings given, answers sent and disputed, in the period -----------

def _feedback(group: str | None, start: datetime, end: datetime) -> dict[Any, dict[str, Any]]:
    """Ratings given in the period (count, average) and answers sent (``resolve`` events) and
    disputed (``citizen_dispute``) in it. By department: the department that gave the answer, as
    services/feedback.py counts them; by anything else: the ticket's."""
    answered = aliased(TicketEvent)
    if group == "department":
        rating_key: ColumnElement[Any] | QueryableAttribute[Any] = func.coalesce(answered.department_id,
                                                                                 Ticket.department_id)
        event_key: ColumnElement[Any] | QueryableAttribute[Any] = TicketEvent.department_id
    else:
        rating_key = event_key = _key(group)
    ratings = (select(rating_key.label("grp"), TicketFeedback.rating)
               .select_from(TicketFeedback).join(Ticket, Ticket.id == TicketFeedback.ticket_id)
               .outerjoin(answered, answered.id == TicketFeedback.token_event_id)
               .where(TicketFeedback.rated_at >= start, TicketFeedback.rated_at < end,
                      TicketFeedback.rating.is_not(None)).subquery())
    events = select(event_key.label("grp"), TicketEvent.kind).select_from(TicketEvent)
    if group not in (None, "department"):
        events = events.join(Ticket, Ticket.id == TicketEvent.ticket_id)
    ev = events.where(TicketEvent.created_at >= start, TicketEvent.created_at < end,
                      TicketEvent.kind.in_(("resolve", "citizen_dispute"))).subquery()
    out: dict[Any, dict[str, Any]] = {}
    for grp, n, average in db.session.execute(
            select(ratings.c.grp, func.count(), func.avg(ratings.c.rating)).group_by(ratings.c.grp)):
        out.setdefault(grp, {})
        out[grp]["ratings"], out[grp]["average_rating"] = n, float(average) if average is not None else None
    for grp, n_answers, n_disputes in db.session.execute(
            select(ev.c.grp, func.sum(case((ev.c.kind == "resolve", 1), else_=0)),
                   func.sum(case((ev.c.kind == "citizen_dispute", 1), else_=0))).group_by(ev.c.grp)):
        out.setdefault(grp, {})
        out[grp]["answers"], out[grp]["disputes"] = int(n_answers or 0), int(n_disputes or 0)
    return out


# -- putting it together ----------------------------------------------------------------

def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["on_time"] = row["resolved"] - row["late"]
    row["on_time_rate"] = row["on_time"] / row["resolved"] if row["resolved"] else None
    row["dispute_rate"] = row["disputes"] / row["answers"] if row["answers"] else None
    for name, value in row.items():
        if name.endswith("_seconds") and value is not None:
            row[name] = float(value)
    return row


def _figures(group: str | None, start: datetime, end: datetime, now: datetime,
             days: WorkingDays | None) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    for part in (_received(group, start, end, now), _answered(group, start, end, days),
                 _feedback(group, start, end)):
        for grp, values in part.items():
            rows.setdefault(grp, _empty()).update(values)
    return {grp: _finish(row) for grp, row in rows.items()}


def _labels(group: str, keys: Iterable[Any]) -> dict[Any, tuple[str | None, str, str]]:
    """Per group key: (code, Vietnamese name, English name)."""
    keys = [k for k in keys if k is not None]
    if group == "category":
        return {i: (code, vi, en) for i, code, vi, en in db.session.execute(
            select(Category.id, Category.code, Category.name_vi, Category.name_en).where(Category.id.in_(keys)))}
    if group == "department":
        return {i: (code, vi, en) for i, code, vi, en in db.session.execute(
            select(Department.id, Department.code, Department.name_vi, Department.name_en)
            .where(Department.id.in_(keys)))}
    if group == "commune":
        names = geo.communes()
        return {k: (k, names.get(k, k), names.get(k, k)) for k in keys}
    words = CHANNELS if group == "channel" else PRIORITIES
    return {k: (k, *words.get(k, (k, k))) for k in keys}


def _grouped(group: str, start: datetime, end: datetime, now: datetime,
             days: WorkingDays | None) -> list[dict[str, Any]]:
    figures = _figures(group, start, end, now, days)
    labels = _labels(group, figures)
    rows = []
    for grp, row in figures.items():
        code, name_vi, name_en = labels.get(grp, (None, *NONE_LABEL.get(group, ("—", "—"))))
        if grp is not None and grp not in labels:
            code, name_vi, name_en = str(grp), str(grp), str(grp)
        rows.append({"key": code, "name_vi": name_vi, "name_en": name_en, **row})
    return sorted(rows, key=lambda r: (r["key"] is None, -r["received"], r["name_vi"]))


def summary(period: Period, group_by: str | Sequence[str], now: datetime | None = None) -> dict[str, Any]:
    """The report of ``period``: per grouping in ``group_by`` its rows, the total row, the calls.
    ``now`` decides what is overdue (still open past its deadline)."""
    now = now or datetime.now(UTC)
    groups = [group_by] if isinstance(group_by, str) else list(group_by)
    start, end = period.bounds(zone())
    days = working_days_for(start, end)
    total = _figures(_TOTAL, start, end, now, days).get(0) or _finish(_empty())
    return {
        "period_from": period.start, "period_to": period.end, "generated_at": now,
        "timezone": zone().key, "calendar": days.cal.name if days else load_calendar().name,
        "groups": {g: _grouped(g, start, end, now, days) for g in groups},
        "total": {"key": None, "name_vi": "Tổng cộng", "name_en": "Total", **total},
        "calls": calls(period),
    }


# -- calls: per local day (calls belong to no category) -------------------------------------

def _pct(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def calls(period: Period) -> dict[str, Any]:
    """Inbound calls per local day of the period and over it, with the definitions of
    services/call_figures.py: volume, answered, abandoned, voicemail, ASA and AHT in seconds, the
    share answered within ``SERVICE_LEVEL_SECONDS`` (rates as fractions here)."""
    local = zone()
    start, end = period.bounds(local)
    level = int(current_app.config["SERVICE_LEVEL_SECONDS"])
    day = local_day(Call.started_at, local, fixed_offset(local, period.start))
    outcome, wait = call_outcome(), seconds_between(Call.answered_at, Call.started_at)
    sub = (select(day.label("day"), outcome.label("outcome"), Call.duration_seconds.label("talk"),
                  wait.label("wait")).where(Call.started_at >= start, Call.started_at < end).subquery())
    stmt = (select(sub.c.day, sub.c.outcome, func.count(), func.sum(sub.c.talk), func.count(sub.c.talk),
                   func.sum(sub.c.wait), func.sum(case((sub.c.wait <= level + WAIT_EPSILON, 1), else_=0)))
            .group_by(sub.c.day, sub.c.outcome))
    first = day_number(period.start)
    per_day = [_call_row(period.start + timedelta(days=i)) for i in range(period.days)]
    total = _call_row(None)
    for k, kind, n, talk, n_talk, waited, within in db.session.execute(stmt):
        for row in (per_day[k - first], total):
            _add_calls(row, kind, n, talk, n_talk, waited, within)
    for row in [*per_day, total]:
        _finish_calls(row)
    return {"service_level_seconds": level, "per_day": per_day, "total": total}


def _call_row(day: date | None) -> dict[str, Any]:
    return {"day": day, "calls": 0, "answered": 0, "abandoned": 0, "voicemail": 0, "waiting": 0, "callbacks": 0,
            "_talk": 0, "_timed": 0, "_wait": 0.0, "_within": 0}


def _add_calls(row: dict[str, Any], kind: str, n: int, talk: Any, n_talk: Any, waited: Any, within: Any) -> None:
    if kind == "callback":
        row["callbacks"] += n
        return
    row["calls"] += n
    row[kind] += n
    if kind == "answered":
        row["_talk"] += int(talk or 0)
        row["_timed"] += int(n_talk or 0)
        row["_wait"] += float(waited or 0)
        row["_within"] += int(within or 0)


def _finish_calls(row: dict[str, Any]) -> None:
    talk, timed, wait, within = row.pop("_talk"), row.pop("_timed"), row.pop("_wait"), row.pop("_within")
    row["answered_rate"] = _pct(row["answered"], row["calls"])
    row["abandoned_rate"] = _pct(row["abandoned"], row["calls"])
    row["aht_seconds"] = talk / timed if timed else None
    row["asa_seconds"] = wait / row["answered"] if row["answered"] else None
    row["service_level"] = _pct(within, row["answered"] + row["abandoned"])
