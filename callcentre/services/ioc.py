"""The operations-centre wall (``/ioc``): one snapshot of today's figures. Reads only.

"Today" is the local day (``DEFAULT_TIMEZONE``, Asia/Ho_Chi_Minh). The snapshot costs a fixed
number of aggregate statements, whatever the size of the history: today's tickets are counted
through ``ix_tickets_created_id`` (a range of one day), the open work per department is the SLA
summary's (services/reports.py), the calls are the dashboard's (services/call_figures.py), the
latest breaches come from ``ix_sla_alerts_level_detected``. No ticket is loaded.

A wall is seen by visitors: it shows counts, receipt codes and departments, never a citizen's
name, phone or address. Report points follow the publication rules (services/publication.py):
coordinates rounded to ``COORDINATE_DECIMALS``, confidential tickets never placed on the map and
their receipt codes never shown.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Numeric, and_, case, cast, func, select
from sqlalchemy.orm import QueryableAttribute

from callcentre.core.extensions import db
from callcentre.formats.extent import PROVINCE, Extent
from callcentre.formats.geo import communes
from callcentre.models import Channel, Department, SlaAlert, SlaClock, Ticket, User
from callcentre.services.call_figures import call_figures
from callcentre.services.publication import COORDINATE_DECIMALS, publicly_findable
from callcentre.services.report_sql import day_starts
from callcentre.services.reports import sla_summary

# "At risk" as on the dashboard: a running deadline within this much wall-clock time, or warned.
AT_RISK_WITHIN = "PT4H"
MAX_POINTS = 500  # distinct (rounded) report points drawn; the busiest first
MAX_DEPARTMENTS = 10  # departments listed by name; the rest are summed
MAX_COMMUNES = 10
MAX_BREACHES = 8
# The map's frame: the province's approximate bounding box (formats/extent.py, shared with the web
# report form's map); vietnam-provinces carries no coordinates, no boundary ships with the app.
PROVINCE_EXTENT = PROVINCE
Coordinate = ColumnElement[Any] | QueryableAttribute[Any]


def _within(extent: Extent, lat: Coordinate, lng: Coordinate) -> ColumnElement[bool]:
    """SQL: the point lies in ``extent`` (edges included)."""
    return and_(lat >= extent.south, lat <= extent.north, lng >= extent.west, lng <= extent.east)


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """The UTC instants the local day of ``now`` starts and ends (the next one starts)."""
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    day = now.astimezone(zone).date()
    start, end = day_starts([day, day + timedelta(days=1)], zone)
    return start, end


def snapshot(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything the wall shows, as of ``now`` (default: this instant)."""
    now = now or datetime.now(UTC)
    start, end = local_day(now)
    today = and_(Ticket.created_at >= start, Ticket.created_at < end)
    calls = call_figures(1)  # the local day of the real clock, as the dashboard counts it
    return {
        "generated_at": now,
        "day_start": start,
        "calls": {name: calls[name] for name in ("waiting", "answered", "abandoned", "voicemail", "total")},
        "received": _received(today),
        "open": _open_work(user, now),
        "breaches": _latest_breaches(now),
        "map": _map(today),
    }


def _received(today: ColumnElement[bool]) -> dict[str, Any]:
    counts = dict(db.session.execute(select(Ticket.channel, func.count()).where(today)
                                     .group_by(Ticket.channel)).all())
    by_channel = [{"channel": c.value, "count": int(counts.pop(c.value, 0))} for c in Channel]
    by_channel += [{"channel": c, "count": int(n)} for c, n in sorted(counts.items())]  # a channel added later
    return {"total": sum(r["count"] for r in by_channel), "by_channel": by_channel}


def _open_work(user: User, now: datetime) -> dict[str, Any]:
    """Open, at-risk and breached tickets of now, per department: the SLA summary's figures (its
    resolved-in-a-period part asked for an empty period, so it reads nothing)."""
    rows = sla_summary({"within": AT_RISK_WITHIN, "period_from": now, "period_to": now}, user)
    busy = [r for r in rows if r["open"]]
    busy.sort(key=lambda r: (-r["breached"], -r["at_risk"], -r["open"], r["department"]))
    shown, rest = busy[:MAX_DEPARTMENTS], busy[MAX_DEPARTMENTS:]
    fields = ("open", "at_risk", "breached")
    return {
        **{f: sum(r[f] for r in busy) for f in fields},
        "departments": [{"code": r["department"], "name_vi": r["name_vi"], "name_en": r["name_en"],
                         **{f: r[f] for f in fields}} for r in shown],
        "others": {"departments": len(rest), **{f: sum(r[f] for r in rest) for f in fields}},
    }


def _latest_breaches(now: datetime) -> list[dict[str, Any]]:
    """The newest breach alerts: receipt code (none for a confidential ticket), department, the
    clock, and how late: from the missed deadline to the clock's stop, or to now while it runs."""
    stmt = (select(SlaAlert.id, SlaAlert.kind, SlaAlert.deadline, SlaAlert.detected_at, SlaAlert.acknowledged_at,
                   Ticket.receipt_code, Ticket.confidential, Department.code, Department.name_vi,
                   Department.name_en, SlaClock.stopped_at)
            .join(Ticket, Ticket.id == SlaAlert.ticket_id)
            .outerjoin(Department, Department.id == SlaAlert.department_id)
            .outerjoin(SlaClock, and_(SlaClock.ticket_id == SlaAlert.ticket_id, SlaClock.kind == SlaAlert.kind))
            .where(SlaAlert.level == "breach")
            .order_by(SlaAlert.detected_at.desc(), SlaAlert.id.desc())
            .limit(MAX_BREACHES))
    out = []
    for (alert_id, kind, deadline, detected, acked, code, confidential, dept, name_vi, name_en,
         stopped) in db.session.execute(stmt):
        until = stopped or now
        out.append({"id": alert_id, "kind": kind, "receipt_code": None if confidential else code,
                    "department": dept, "name_vi": name_vi, "name_en": name_en, "deadline": deadline,
                    "detected_at": detected, "acknowledged": acked is not None, "running": stopped is None,
                    "late_seconds": max(0, int((until - deadline).total_seconds()))})
    return out


def _map(today: ColumnElement[bool]) -> dict[str, Any]:
    """Today's reports placed: rounded points inside the frame (the busiest ``MAX_POINTS``), how
    many fell outside it, and the counts per commune (every report that names one)."""
    extent = PROVINCE_EXTENT
    placed = and_(Ticket.lat.is_not(None), Ticket.lng.is_not(None), publicly_findable())
    inside = and_(placed, _within(extent, Ticket.lat, Ticket.lng))
    # PostgreSQL rounds only numeric to N decimals; SQLite's CAST AS NUMERIC keeps the real.
    lat = func.round(cast(Ticket.lat, Numeric), COORDINATE_DECIMALS)
    lng = func.round(cast(Ticket.lng, Numeric), COORDINATE_DECIMALS)
    points = db.session.execute(
        select(lat, lng, func.count()).where(today, inside).group_by(lat, lng)
        .order_by(func.count().desc(), lat, lng).limit(MAX_POINTS + 1)).all()
    per_commune = db.session.execute(
        select(Ticket.commune_code, func.count(), func.sum(case((inside, 1), else_=0)),
               func.sum(case((and_(placed, ~_within(extent, Ticket.lat, Ticket.lng)), 1), else_=0)))
        .where(today).group_by(Ticket.commune_code)).all()
    names = communes()
    rows: list[dict[str, Any]] = []
    on_map = outside = unplaced = 0
    for code, n, n_inside, n_outside in per_commune:
        on_map, outside = on_map + int(n_inside or 0), outside + int(n_outside or 0)
        if code is None:
            unplaced += int(n) - int(n_inside or 0) - int(n_outside or 0)
        else:
            rows.append({"code": code, "name": names.get(code, code), "count": int(n),
                         # placed by its commune alone: no coordinates (or not to be shown)
                         "commune_only": int(n) - int(n_inside or 0) - int(n_outside or 0)})
    rows.sort(key=lambda r: (-r["count"], r["name"]))
    return {
        "extent": extent,
        "points": [{"lat": float(a), "lng": float(b), "count": int(n)} for a, b, n in points[:MAX_POINTS]],
        "points_truncated": len(points) > MAX_POINTS,
        "on_map": on_map, "outside": outside, "without_location": unplaced,
        "commune_only": sum(r["commune_only"] for r in rows),
        "communes": rows[:MAX_COMMUNES],
        "other_communes": {"communes": len(rows[MAX_COMMUNES:]), "count": sum(r["count"] for r in rows[MAX_COMMUNES:])},
    }
