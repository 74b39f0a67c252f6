"""The operations-centre wall's snapshot (services/ioc.py): every figure equals a brute-force count
in Python over the same rows; "today" is the local day in Asia/Ho_Chi_Minh, to the microsecond;
the snapshot costs the same statements whatever the size of the history."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.geo import communes
from callcentre.formats.receipt import new_receipt_code
from callcentre.models import Call, Category, Department, SlaAlert, SlaClock, Ticket, User
from callcentre.services.ioc import MAX_BREACHES, MAX_COMMUNES, MAX_POINTS, PROVINCE_EXTENT, local_day, snapshot
from tests.services.history import insert_history
from workflows.states import OPEN_VALUES

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LIVE = ("queued", "ringing", "in-progress")


def _today(now: datetime) -> tuple[datetime, datetime]:
    """Computed here on its own: local midnight today and tomorrow, in UTC."""
    day = now.astimezone(ZONE).date()
    return (datetime.combine(day, time.min, ZONE).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time.min, ZONE).astimezone(UTC))


def _supervisor() -> User:
    return db.session.scalars(sa.select(User).where(User.username == "supervisor")).one()


def _category(code: str) -> tuple[int, int]:
    return db.session.execute(sa.select(Category.id, Category.default_department_id)
                              .where(Category.code == code)).one()._tuple()


def _ticket(at: datetime, *, category: str = "CONG-THUONG", channel: str = "web", commune: str | None = None,
            lat: float | None = None, lng: float | None = None, confidential: bool = False,
            status: str = "assigned") -> dict[str, Any]:
    category_id, department_id = _category(category)
    return {"receipt_code": new_receipt_code(), "channel": channel, "category_id": category_id,
            "department_id": department_id, "priority": "normal", "title": "Phản ánh", "description": "Mô tả",
            "status": status, "created_at": at, "updated_at": at, "commune_code": commune, "lat": lat, "lng": lng,
            "confidential": confidential}


def _insert(rows: list[dict[str, Any]]) -> None:
    db.session.execute(sa.insert(Ticket), rows)
    db.session.commit()


def _communes(n: int) -> list[str]:
    return sorted(communes())[:n]


@pytest.fixture()
def wall_day(app) -> datetime:
    """A varied history (every status, clocks, alerts, calls over 60 days) and today's reports:
    on both sides of local midnight, in and out of the map's frame, confidential, by commune only."""
    now = datetime.now(UTC)
    start, _end = _today(now)
    # Today's reports lie between midnight and now: a test run just after midnight has little room.
    span = max((now - start).total_seconds(), 2.0)
    codes = _communes(14)
    with app.app_context():
        insert_history(300, seed=23, now=now)
        rows = [
            _ticket(start, channel="phone", commune=codes[0], lat=10.36012, lng=106.36049),  # first instant of today
            _ticket(start - timedelta(microseconds=1), channel="phone", commune=codes[0], lat=10.36, lng=106.36),
            _ticket(start + timedelta(seconds=span / 2), channel="zalo", commune=codes[0], lat=10.36031, lng=106.36011),
            _ticket(start + timedelta(seconds=span / 3), channel="app", commune=codes[1], lat=10.4602, lng=105.6321),
            _ticket(start + timedelta(seconds=span / 4), channel="app", lat=21.0278, lng=105.8342),  # Hà Nội: outside
            _ticket(start + timedelta(seconds=span / 5), channel="sms", commune=codes[2], lat=10.5, lng=106.0,
                    confidential=True),  # never on the map
            _ticket(start + timedelta(seconds=span / 6), channel="walk_in"),  # no location at all
            _ticket(start + timedelta(seconds=span / 7), channel="walk_in", confidential=True),
        ]
        # Commune-only reports: more communes than the list shows, with different counts.
        for i, code in enumerate(codes[3:]):
            rows += [_ticket(start + timedelta(seconds=span * (j + 1) / (i + 20)), channel="web", commune=code)
                     for j in range(1 + i % 4)]
        _insert(rows)
        # Calls on both sides of midnight, one still waiting in the queue, one waiting since yesterday.
        db.session.execute(sa.insert(Call), [
            {"from_number": "+84912000101", "started_at": start, "provider_status": "ringing"},
            {"from_number": "+84912000102", "started_at": start - timedelta(microseconds=1),
             "provider_status": "ringing"},
            {"from_number": "+84912000103", "started_at": start + timedelta(seconds=span / 2),
             "answered_at": start + timedelta(seconds=span / 2 + 1), "duration_seconds": 60,
             "provider_status": "completed", "ended_at": now},
            {"from_number": "+84912000104", "started_at": start + timedelta(seconds=span / 3),
             "provider_status": "no-answer", "ended_at": now},
        ])
        db.session.commit()
    return now


def _all(app) -> dict[str, Any]:
    with app.app_context():
        data = {"tickets": list(db.session.scalars(sa.select(Ticket))),
                "clocks": list(db.session.scalars(sa.select(SlaClock))),
                "alerts": list(db.session.scalars(sa.select(SlaAlert))),
                "calls": list(db.session.scalars(sa.select(Call))),
                "departments": {d.id: d for d in db.session.scalars(sa.select(Department))}}
        db.session.expunge_all()
        return data


def _call_outcome(c: Call) -> str:
    """services/call_figures.py's definition, written out again."""
    if c.direction != "inbound":
        return "callback"
    if c.answered_at is not None:
        return "answered"
    if c.disposition == "voicemail" or c.recording_url is not None:
        return "voicemail"
    if c.ended_at is None and c.disposition is None and c.provider_status in LIVE:
        return "waiting"
    return "abandoned"


def _rounded(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def _inside(t: Ticket) -> bool:
    e = PROVINCE_EXTENT
    return t.lat is not None and t.lng is not None and e.south <= t.lat <= e.north and e.west <= t.lng <= e.east


def _expected(app, now: datetime) -> dict[str, Any]:
    rows = _all(app)
    start, end = _today(now)
    today = [t for t in rows["tickets"] if start <= t.created_at < end]
    calls = Counter(_call_outcome(c) for c in rows["calls"] if start <= c.started_at < end)
    until = now + timedelta(hours=4)
    running: dict[int, list[SlaClock]] = defaultdict(list)
    for c in rows["clocks"]:
        if c.stopped_at is None:
            running[c.ticket_id].append(c)
    per_dept: dict[str, dict[str, int]] = {}
    for dept_id, dept in rows["departments"].items():
        open_ = [t for t in rows["tickets"] if t.department_id == dept_id and t.status in OPEN_VALUES]
        breached = [t for t in open_ if any(c.breached for c in running[t.id])]
        risky = [t for t in open_ if t not in breached and any(
            not c.breached and ((c.due_at is not None and c.due_at <= until) or c.warned) for c in running[t.id])]
        if open_ and dept.active:
            per_dept[dept.code] = {"open": len(open_), "at_risk": len(risky), "breached": len(breached)}
    by_id = {t.id: t for t in rows["tickets"]}
    clocks = {(c.ticket_id, c.kind): c for c in rows["clocks"]}
    newest = sorted((a for a in rows["alerts"] if a.level == "breach"), key=lambda a: (a.detected_at, a.id),
                    reverse=True)[:MAX_BREACHES]
    breaches = []
    for a in newest:
        clock = clocks.get((a.ticket_id, a.kind))
        stopped = clock.stopped_at if clock else None
        dept = rows["departments"].get(a.department_id) if a.department_id else None
        breaches.append({"id": a.id, "receipt_code": None if by_id[a.ticket_id].confidential
                         else by_id[a.ticket_id].receipt_code, "department": dept.code if dept else None,
                         "running": stopped is None,
                         "late_seconds": max(0, int(((stopped or now) - a.deadline).total_seconds()))})
    on_map = [t for t in today if _inside(t) and not t.confidential]
    points = Counter((_rounded(t.lat), _rounded(t.lng)) for t in on_map)  # type: ignore[arg-type]
    outside = [t for t in today if t.lat is not None and t.lng is not None and not t.confidential
               and not _inside(t)]
    per_commune = Counter(t.commune_code for t in today if t.commune_code)
    on_map_ids = {t.id for t in on_map}
    return {
        "calls": calls, "channels": Counter(t.channel for t in today), "departments": per_dept,
        "breaches": breaches, "points": points, "on_map": len(on_map), "outside": len(outside),
        "without_location": len([t for t in today if t.commune_code is None and t.id not in on_map_ids
                                 and t not in outside]),
        "communes": per_commune,
        "commune_only": Counter(t.commune_code for t in today if t.commune_code and t.id not in on_map_ids
                                and t not in outside),
    }


def test_every_figure_equals_a_brute_force_count(app, wall_day) -> None:
    now = wall_day
    with app.app_context():
        snap = snapshot(_supervisor(), now)
    want = _expected(app, now)

    assert {k: snap["calls"][k] for k in ("waiting", "answered", "abandoned", "voicemail")} == {
        k: want["calls"][k] for k in ("waiting", "answered", "abandoned", "voicemail")}
    assert snap["calls"]["waiting"] >= 1 and snap["calls"]["answered"] >= 1  # the day's own calls are in

    got_channels = {r["channel"]: r["count"] for r in snap["received"]["by_channel"]}
    assert set(got_channels) >= {"phone", "app", "web", "zalo", "sms", "walk_in"}  # every channel, zeros too
    assert {c: n for c, n in got_channels.items() if n} == dict(want["channels"])
    assert snap["received"]["total"] == sum(want["channels"].values())

    work, depts = snap["open"], want["departments"]
    shown = {r["code"]: {k: r[k] for k in ("open", "at_risk", "breached")} for r in work["departments"]}
    assert all(depts[code] == figures for code, figures in shown.items())
    order = sorted(depts, key=lambda c: (-depts[c]["breached"], -depts[c]["at_risk"], -depts[c]["open"], c))
    assert list(shown) == order[:len(shown)]
    assert work["others"]["departments"] == len(depts) - len(shown)
    for k in ("open", "at_risk", "breached"):
        assert work[k] == sum(d[k] for d in depts.values()) > 0
        assert work["others"][k] == sum(depts[c][k] for c in order[len(shown):])

    got_breaches = [{k: b[k] for k in ("id", "receipt_code", "department", "running", "late_seconds")}
                    for b in snap["breaches"]]
    assert got_breaches == want["breaches"] and len(got_breaches) == MAX_BREACHES

    place = snap["map"]
    assert {(p["lat"], p["lng"]): p["count"] for p in place["points"]} == dict(want["points"])
    assert (10.36, 106.36) in {(p["lat"], p["lng"]) for p in place["points"]}
    assert place["points"][0]["count"] == 2  # midnight's and the afternoon's, one rounded point
    assert (place["on_map"], place["outside"], place["without_location"]) == (
        want["on_map"], want["outside"], want["without_location"]) == (3, 1, 2)
    assert not place["points_truncated"]
    ranked = sorted(want["communes"].items(), key=lambda kv: (-kv[1], communes()[kv[0]]))
    assert [(r["code"], r["count"]) for r in place["communes"]] == ranked[:MAX_COMMUNES]
    assert all(r["name"] == communes()[r["code"]] for r in place["communes"])
    assert all(r["commune_only"] == want["commune_only"][r["code"]] for r in place["communes"])
    assert place["commune_only"] == sum(want["commune_only"].values()) > MAX_COMMUNES
    assert place["other_communes"] == {"communes": len(ranked) - MAX_COMMUNES,
                                       "count": sum(n for _c, n in ranked[MAX_COMMUNES:])}


def test_today_is_the_local_day_to_the_microsecond(app) -> None:
    now = datetime.now(UTC)
    start, end = _today(now)
    with app.app_context():
        assert local_day(now) == (start, end)
        # 23:59:59.999999 on 1 January in Viet Nam is 16:59:59.999999 UTC; midnight is 17:00 UTC.
        late = datetime(2026, 1, 1, 16, 59, 59, 999999, tzinfo=UTC)
        assert local_day(late) == (datetime(2025, 12, 31, 17, tzinfo=UTC), datetime(2026, 1, 1, 17, tzinfo=UTC))
        assert local_day(late + timedelta(microseconds=1))[0] == datetime(2026, 1, 1, 17, tzinfo=UTC)
        _insert([_ticket(start, channel="zalo"), _ticket(start - timedelta(microseconds=1), channel="zalo"),
                 _ticket(end, channel="zalo"), _ticket(end - timedelta(microseconds=1), channel="sms")])
        snap = snapshot(_supervisor(), now)
    got = {r["channel"]: r["count"] for r in snap["received"]["by_channel"]}
    # Midnight opens today; the instant before is yesterday; tomorrow's midnight is not today.
    assert (got["zalo"], got["sms"], snap["received"]["total"]) == (1, 1, 2)


def test_an_empty_day(app) -> None:
    with app.app_context():
        snap = snapshot(_supervisor())
    assert snap["received"]["total"] == 0 and all(r["count"] == 0 for r in snap["received"]["by_channel"])
    assert snap["open"]["departments"] == [] and snap["open"]["open"] == 0
    assert snap["breaches"] == [] and snap["map"]["points"] == [] and snap["map"]["communes"] == []
    assert snap["calls"]["waiting"] == 0


def test_points_are_capped_busiest_first(app) -> None:
    now = datetime.now(UTC)
    start, _end = _today(now)
    at = start + (now - start) / 2
    with app.app_context():
        # MAX_POINTS + 5 distinct points, 0.002° apart on a grid inside the frame; one point twice.
        rows = [_ticket(at, lat=10.2 + 0.002 * (i // 40), lng=105.3 + 0.002 * (i % 40)) for i in range(MAX_POINTS + 5)]
        rows.append(_ticket(at, lat=10.2, lng=105.3))
        _insert(rows)
        place = snapshot(_supervisor(), now)["map"]
    assert len(place["points"]) == MAX_POINTS and place["points_truncated"]
    assert place["points"][0] == {"lat": 10.2, "lng": 105.3, "count": 2}
    assert place["on_map"] == MAX_POINTS + 6  # the count is of every report, drawn or not


@contextmanager
def _statements(app) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_the_snapshot_costs_the_same_statements_at_any_size(app) -> None:
    now = datetime.now(UTC)
    counts = []
    with app.app_context():
        user = _supervisor()
        for n in (40, 800):
            insert_history(n, seed=n, now=now)
            start, _end = _today(now)
            _insert([_ticket(start + (now - start) / 2, lat=10.3 + i / 10_000, lng=106.0, commune=_communes(30)[i % 30])
                     for i in range(n // 4)])
            with _statements(app) as seen:
                snapshot(user, now)
            counts.append(len(seen))
    assert counts[0] == counts[1] <= 12, counts
