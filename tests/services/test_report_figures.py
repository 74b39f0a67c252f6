"""Every figure of the SLA summary and the supervisor dashboard, computed by the database
(services/reports.py), equals a brute-force count in Python over the same rows."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call, Department, SlaAlert, SlaClock, Ticket
from callcentre.services.call_figures import call_figures
from callcentre.services.reports import breach_trend, status_counts
from tests.services.history import insert_history
from workflows.states import OPEN_VALUES


@pytest.fixture()
def history(app) -> datetime:
    now = datetime.now(UTC)
    with app.app_context():
        insert_history(400, seed=11, now=now)
        # A resolve deadline breached twice (extended, then missed again): still one late ticket,
        # however the query finds its alerts.
        twice = db.session.execute(
            sa.select(SlaAlert.ticket_id, SlaAlert.deadline, SlaAlert.department_id)
            .join(Ticket, Ticket.id == SlaAlert.ticket_id)
            .where(SlaAlert.kind == "resolve", SlaAlert.level == "breach", Ticket.resolved_at.is_not(None))
            .order_by(SlaAlert.ticket_id).limit(8)).all()
        assert twice, "the history has no answered ticket with a resolve breach"
        db.session.execute(sa.insert(SlaAlert), [
            {"ticket_id": tid, "kind": "resolve", "level": "breach", "deadline": deadline + timedelta(days=2),
             "department_id": dept, "detected_at": min(now, deadline + timedelta(days=2, seconds=1))}
            for tid, deadline, dept in twice])
        db.session.commit()
    return now


def _rows(app) -> tuple[list[Ticket], list[SlaClock], list[SlaAlert], list[Call], dict[int, str]]:
    with app.app_context():
        data = (list(db.session.scalars(sa.select(Ticket))), list(db.session.scalars(sa.select(SlaClock))),
                list(db.session.scalars(sa.select(SlaAlert))), list(db.session.scalars(sa.select(Call))),
                dict(db.session.execute(sa.select(Department.id, Department.code)).all()))
        db.session.expunge_all()
        return data


def _expected_summary(app, start: datetime, end: datetime, until: datetime) -> dict[str, dict[str, Any]]:
    tickets, clocks, alerts, _calls, codes = _rows(app)
    running: dict[int, list[SlaClock]] = defaultdict(list)
    for c in clocks:
        if c.stopped_at is None:
            running[c.ticket_id].append(c)
    late = {a.ticket_id for a in alerts if a.kind == "resolve" and a.level == "breach"}
    out: dict[str, dict[str, Any]] = {}
    for dept_id, code in codes.items():
        mine = [t for t in tickets if t.department_id == dept_id]
        open_ = [t for t in mine if t.status in OPEN_VALUES]
        breached = [t for t in open_ if any(c.breached for c in running[t.id])]
        at_risk = [t for t in open_ if t not in breached and any(
            not c.breached and ((c.due_at is not None and c.due_at <= until) or c.warned) for c in running[t.id])]
        done = [t for t in mine if t.resolved_at is not None and start <= t.resolved_at <= end]
        accept = [(t.accepted_at - t.assigned_at).total_seconds() for t in done if t.assigned_at and t.accepted_at]
        out[code] = {
            "open": len(open_), "breached": len(breached), "at_risk": len(at_risk), "resolved": len(done),
            "on_time_rate": round(1 - sum(t.id in late for t in done) / len(done), 4) if done else None,
            "median_time_to_resolve_seconds":
                statistics.median([(t.resolved_at - t.created_at).total_seconds() for t in done]) if done else None,
            "median_time_to_accept_seconds": statistics.median(accept) if accept else None,
        }
    return out


def _same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        if isinstance(value, float) and name.startswith("median"):
            assert actual[name] == pytest.approx(value, abs=1e-3), name  # SQLite's julianday: milliseconds
        else:
            assert actual[name] == value, name


@pytest.mark.parametrize("params", ["", "?within=P1D", "?from=2000-01-01T00:00:00Z",
                                    "?from={month_ago}&to={week_ago}"])
def test_the_summary_equals_a_count_in_python(app, api_as, history, params) -> None:
    params = params.format(month_ago=(history - timedelta(days=45)).isoformat().replace("+00:00", "Z"),
                           week_ago=(history - timedelta(days=7)).isoformat().replace("+00:00", "Z"))
    resp = api_as("supervisor").get(f"/api/v1/sla/summary{params}")
    assert resp.status_code == 200, resp.json
    rows = {r["department"]: r for r in resp.json}
    first = resp.json[0]
    start, end = datetime.fromisoformat(first["period_from"]), datetime.fromisoformat(first["period_to"])
    if not params:
        assert end - start == timedelta(days=30)  # the default window
    within = timedelta(days=1) if "P1D" in params else timedelta(hours=4)
    expected = _expected_summary(app, start, end, end + within if "to=" not in params else datetime.now(UTC) + within)
    assert set(rows) <= set(expected)
    assert sum(r["resolved"] for r in rows.values()) > 0 or "to=" in params
    for code, row in rows.items():
        _same(row, expected[code])


def _local(value: datetime, zone: ZoneInfo) -> date:
    return value.astimezone(zone).date()


def test_the_dashboard_figures_equal_a_count_in_python(app, history) -> None:
    tickets, _clocks, alerts, calls, codes = _rows(app)
    zone = ZoneInfo(app.config["DEFAULT_TIMEZONE"])
    days = 14
    today = _local(history, zone)
    day_list = [today - timedelta(days=i) for i in range(days - 1, -1, -1)]
    with app.test_request_context():
        trend, figures = breach_trend(days), call_figures(days)
        statuses, counts = status_counts(None, days)

    # Breaches per department and local day; on-time rates of the tickets answered each day.
    late = {a.ticket_id for a in alerts if a.kind == "resolve" and a.level == "breach"}
    per_day: dict[str, Counter] = defaultdict(Counter)
    for a in alerts:
        if a.level == "breach" and _local(a.detected_at, zone) in day_list:
            per_day[codes.get(a.department_id, "—")][_local(a.detected_at, zone)] += 1
    answered: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for t in tickets:
        if t.resolved_at is not None and _local(t.resolved_at, zone) in day_list:
            cell = answered[codes.get(t.department_id, "—")][_local(t.resolved_at, zone)]
            cell[0] += t.id not in late
            cell[1] += 1
    assert trend["days"] == day_list
    assert {r["department"] for r in trend["rows"]} == set(per_day) | set(answered)
    for row in trend["rows"]:
        code = row["department"]
        assert row["breaches"] == [per_day[code][d] for d in day_list]
        assert row["rates"] == [answered[code][d][0] / answered[code][d][1] if answered[code][d][1] else None
                                for d in day_list]
        assert row["breach_total"] == sum(per_day[code].values())
        total = sum(c[1] for c in answered[code].values())
        assert row["on_time_rate"] == (sum(c[0] for c in answered[code].values()) / total if total else None)

    # Inbound calls per local day, answered and abandoned shares, handling time and speed of
    # answer in seconds (tests/services/test_call_figures.py covers voicemails and call-backs).
    mine = [c for c in calls if _local(c.started_at, zone) in day_list]
    assert all(c.direction == "inbound" and c.recording_url is None for c in mine)
    assert figures["series"] == [(d, sum(_local(c.started_at, zone) == d for c in mine)) for d in day_list]
    assert figures["total"] == len(mine) > 0
    answered = [c for c in mine if c.answered_at is not None]
    assert figures["answered_pct"] == round(100 * len(answered) / len(mine), 1)
    assert figures["abandoned_pct"] == round(100 * (len(mine) - len(answered)) / len(mine), 1)
    durations = [c.duration_seconds for c in answered if c.duration_seconds is not None]
    assert figures["aht_seconds"] == round(sum(durations) / len(durations), 1)
    waits = [(c.answered_at - c.started_at).total_seconds() for c in answered]
    assert figures["asa_seconds"] == pytest.approx(round(sum(waits) / len(waits), 1))
    assert figures["service_level_pct"] == round(100 * sum(w <= 20 for w in waits) / len(mine), 1)

    # Tickets received in the period by department and status; open tickets of any age.
    received = [t for t in tickets if _local(t.created_at, zone) >= day_list[0]]
    by_dept: dict[str | None, Counter] = defaultdict(Counter)
    for t in received:
        by_dept[codes.get(t.department_id) if t.department_id else None][t.status] += 1
    backlog = Counter(codes.get(t.department_id) if t.department_id else None
                      for t in tickets if t.status in OPEN_VALUES)
    assert set(statuses) == {t.status for t in received}
    assert {r["code"] for r in counts} == set(by_dept) | set(backlog)
    for r in counts:
        assert r["counts"] == dict(by_dept[r["code"]]) and r["total"] == sum(by_dept[r["code"]].values())
        assert r["open"] == backlog[r["code"]]
