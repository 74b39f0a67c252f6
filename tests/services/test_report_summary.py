"""Every figure of the period report (services/report_summary.py), for every grouping and the
total, equals a brute-force count in Python over the rows (tests/services/report_data.py); the
period's edges are local days; the workbook and the CSV read back with the right types."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.report_csv import report_csv
from callcentre.formats.report_xlsx import COLUMNS, report_workbook
from callcentre.models import Category, Department, Ticket
from callcentre.services.report_summary import GROUPS, Period, summary
from tests.services.report_data import NOW, PERIOD, expected, expected_calls, insert_report_history

FLOAT_FIGURES = ("average_rating", "on_time_rate", "dispute_rate", "time_to_accept_median_seconds",
                 "time_to_accept_p90_seconds", "time_to_resolve_median_seconds", "time_to_resolve_p90_seconds")


@pytest.fixture()
def history(app):
    with app.app_context():
        return insert_report_history()


def _key_map(group: str) -> dict[Any, Any]:
    """Report key (code) -> the ticket column's value the brute force groups by."""
    if group == "category":
        return {code: i for i, code in db.session.execute(sa.select(Category.id, Category.code))}
    if group == "department":
        return {code: i for i, code in db.session.execute(sa.select(Department.id, Department.code))}
    return {}


def _same(actual: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    for name, value in wanted.items():
        if name in FLOAT_FIGURES and value is not None:
            # SQLite measures seconds through julianday(): milliseconds off at most.
            assert actual[name] == pytest.approx(value, abs=0.01), f"{where}: {name}"
        else:
            assert actual[name] == value, f"{where}: {name}"


@pytest.mark.parametrize("group", GROUPS)
def test_every_figure_equals_a_count_in_python(app, history, group) -> None:
    with app.test_request_context():
        report = summary(Period(*PERIOD), group, now=NOW)
        wanted = expected(group, *PERIOD, NOW)
        total = expected(None, *PERIOD, NOW)[0]
        codes = _key_map(group)
    rows = report["groups"][group]
    got = {codes.get(r["key"], r["key"]): r for r in rows}
    assert set(got) == set(wanted)
    for key, row in wanted.items():
        _same(got[key], row, f"{group}={key}")
    _same(report["total"], total, "total")
    # The history covers what the figures need: none of them is trivially zero or empty.
    for name in ("received", "resolved", "on_time", "late", "overdue", "rejected", "duplicates", "ratings",
                 "answers", "disputes"):
        assert total[name] > 0, name
    assert total["time_to_accept_p90_seconds"] > total["time_to_accept_median_seconds"] > 0
    assert sum(r["received"] for r in rows) == total["received"]


def test_feedback_counts_for_the_department_that_answered(app, history) -> None:
    """An answer given by a department the ticket has since left counts for that department."""
    with app.test_request_context():
        report = summary(Period(*PERIOD), "department", now=NOW)
        moved = db.session.execute(sa.text(
            "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE e.kind = 'resolve' AND e.department_id <> t.department_id")).scalar()
    assert moved > 0
    assert sum(r["answers"] for r in report["groups"]["department"]) == report["total"]["answers"]


def test_the_period_is_local_days_inclusive(app, history) -> None:
    """23:30 and 23:59:59 local on the last day count, 00:30 the next day does not; the first
    instant of the first day counts, the last second before it does not."""
    with app.test_request_context():
        report = summary(Period(*PERIOD), "channel", now=NOW)
        created = {t.id: t.created_at for t in db.session.scalars(
            sa.select(Ticket).where(Ticket.id.in_(history.counted + history.not_counted)))}
        inside = summary(Period(PERIOD[1], PERIOD[1]), "channel", now=NOW)["total"]["received"]
        next_day = summary(Period(PERIOD[1] + timedelta(days=1), PERIOD[1] + timedelta(days=1)), "channel",
                           now=NOW)["total"]["received"]
        start, end = Period(*PERIOD).bounds(report_zone(app))
        wanted_last = expected(None, PERIOD[1], PERIOD[1], NOW)[0]["received"]
        wanted_next = expected(None, PERIOD[1] + timedelta(days=1), PERIOD[1] + timedelta(days=1), NOW)[0]["received"]
    assert all(start <= created[i] < end for i in history.counted)
    assert not any(start <= created[i] < end for i in history.not_counted)
    assert inside == wanted_last >= 2  # 23:30 and 23:59:59 at least
    assert next_day == wanted_next >= 1  # 00:30
    assert report["period_from"] == PERIOD[0] and report["period_to"] == PERIOD[1]


def report_zone(app):
    from zoneinfo import ZoneInfo

    return ZoneInfo(app.config["DEFAULT_TIMEZONE"])


def test_calls_per_day_and_total_equal_a_count_in_python(app, history) -> None:
    with app.test_request_context():
        calls = summary(Period(*PERIOD), "priority", now=NOW)["calls"]
        wanted = expected_calls(*PERIOD, app.config["SERVICE_LEVEL_SECONDS"])
    assert [r["day"] for r in calls["per_day"]] == [PERIOD[0] + timedelta(days=i) for i in range(30)]
    empty = {"calls": 0, "answered": 0, "abandoned": 0, "voicemail": 0, "waiting": 0, "callbacks": 0,
             "aht_seconds": None, "asa_seconds": None, "service_level": None, "answered_rate": None,
             "abandoned_rate": None}
    for row in calls["per_day"]:
        _same_calls(row, wanted.get(row["day"], empty), str(row["day"]))
    _same_calls(calls["total"], wanted[None], "total")
    assert calls["total"]["calls"] > 0 and calls["total"]["abandoned"] > 0 and calls["total"]["voicemail"] > 0


def _same_calls(actual: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    for name, value in wanted.items():
        if isinstance(value, float):
            assert actual[name] == pytest.approx(value, abs=1e-3), f"{where}: {name}"
        else:
            assert actual[name] == value, f"{where}: {name}"


def test_an_empty_period_has_a_total_of_zeros(app) -> None:
    with app.test_request_context():
        report = summary(Period(date(2030, 1, 1), date(2030, 1, 31)), GROUPS, now=NOW)
    assert all(report["groups"][g] == [] for g in GROUPS)
    assert report["total"]["received"] == 0 and report["total"]["on_time_rate"] is None
    assert report["calls"]["total"]["calls"] == 0 and len(report["calls"]["per_day"]) == 31


def test_the_workbook_reads_back_with_types(app, history) -> None:
    with app.test_request_context():
        report = summary(Period(*PERIOD), GROUPS, now=NOW)
        data = report_workbook(report)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Lĩnh vực", "Đơn vị", "Kênh", "Xã, phường", "Mức độ ưu tiên", "Cuộc gọi", "Định nghĩa"]
    sheet = book["Đơn vị"]
    header = [c.value for c in sheet[4]]
    assert header[:2] == ["Mã", "Tên"]
    assert header[2:] == [c.title_vi for c in COLUMNS]
    assert isinstance(sheet["B2"].value, datetime) and sheet["B2"].value.date() == PERIOD[0]
    assert isinstance(sheet["D2"].value, datetime) and sheet["D2"].value.date() == PERIOD[1]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    by_code = {r[0]: r for r in rows[:-1]}
    total_row = rows[-1]
    assert total_row[1] == "Tổng cộng"
    for i, col in enumerate(COLUMNS, start=2):
        value = report["total"][col.key]
        cell = total_row[i]
        if value is None:
            assert cell is None
        else:
            assert isinstance(cell, int | float) and not isinstance(cell, bool), col.key
            assert cell == pytest.approx(col.value(value)), col.key
    for row in report["groups"]["department"]:
        assert by_code[row["key"]][1] == row["name_vi"]
        assert by_code[row["key"]][2] == row["received"]
    hours = COLUMNS.index(next(c for c in COLUMNS if c.key == "time_to_resolve_median_seconds")) + 2
    assert total_row[hours] == pytest.approx(report["total"]["time_to_resolve_median_seconds"] / 3600)
    calls = book["Cuộc gọi"]
    first_day = next(calls.iter_rows(min_row=5, max_row=5, values_only=True))
    assert isinstance(first_day[0], datetime) and first_day[0].date() == PERIOD[0]
    assert isinstance(first_day[1], int)
    definitions = [r[0] for r in book["Định nghĩa"].iter_rows(min_row=2, values_only=True)]
    assert "Đúng hạn" in definitions and "Quá hạn" in definitions


def test_the_csv_has_vietnamese_headers_and_a_bom(app, history) -> None:
    with app.test_request_context():
        report = summary(Period(*PERIOD), "category", now=NOW)
        text = report_csv(report, "category")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == ["Mã", "Tên"] and "Tiếp nhận" in rows[0] and "Đúng hạn" in rows[0]
    assert rows[-1][1] == "Tổng cộng"
    assert int(rows[-1][2]) == report["total"]["received"]
    names = {r[1] for r in rows[1:-1]}
    assert {"Điện chiếu sáng", "Nước sạch"} <= names
