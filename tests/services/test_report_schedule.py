"""Scheduled reports (services/report_schedule.py): built on the first working day of the period
after, once, kept in report_archive, the supervisors told once; the schedule is data."""

from __future__ import annotations

import io
import time
from datetime import UTC, date, datetime, timedelta

import openpyxl
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.core.periodic import enqueue_once, periodic_jobs
from callcentre.models import AuditEvent, Notification, ReportArchive, ReportSchedule, User
from callcentre.services.report_schedule import (
    due_period,
    previous_period,
    run_due,
    schedules,
    set_active,
    zone,
)
from callcentre.services.report_summary import Period
from callcentre.sla.calendars import load_calendar
from tests.services.report_data import insert_report_history, local


def _notices(app) -> list[Notification]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Notification).where(Notification.kind == "report_ready")))


def _archive(app) -> list[tuple[str, date, date]]:
    with app.app_context():
        return list(db.session.execute(sa.select(ReportArchive.kind, ReportArchive.period_start,
                                                 ReportArchive.period_end).order_by(ReportArchive.id)).all())


def test_the_first_working_day_follows_the_calendar(app) -> None:
    with app.app_context():
        cal = load_calendar()
        # 1 and 2 September 2025 are the National Day holidays: the 3rd is the first working day.
        assert due_period("monthly", date(2025, 9, 1), cal) is None
        assert due_period("monthly", date(2025, 9, 2), cal) is None
        assert due_period("monthly", date(2025, 9, 3), cal) == Period(date(2025, 8, 1), date(2025, 8, 31))
        assert due_period("monthly", date(2025, 9, 29), cal) == Period(date(2025, 8, 1), date(2025, 8, 31))
        # May 2025: 1-2 May holidays, 3-4 a weekend; due on Monday the 5th.
        assert due_period("monthly", date(2025, 5, 4), cal) is None
        assert due_period("monthly", date(2025, 5, 5), cal) == Period(date(2025, 4, 1), date(2025, 4, 30))
        # A week is Monday to Sunday; due on its Monday when it is a working day...
        assert due_period("weekly", date(2025, 9, 8), cal) == Period(date(2025, 9, 1), date(2025, 9, 7))
        # ... and on Wednesday when Monday and Tuesday are holidays.
        assert due_period("weekly", date(2025, 9, 2), cal) is None
        assert due_period("weekly", date(2025, 9, 3), cal) == Period(date(2025, 8, 25), date(2025, 8, 31))
        assert previous_period("monthly", date(2025, 1, 15)) == Period(date(2024, 12, 1), date(2024, 12, 31))


def test_the_monthly_report_is_built_once_and_announced_once(app) -> None:
    with app.app_context():
        insert_report_history(n=60, seed=9)
        supervisors = set(db.session.scalars(sa.select(User.id).where(User.role == "supervisor",
                                                                       User.active.is_(True))))
        assert run_due(local(date(2025, 5, 2), 9)) == []  # a holiday: not yet
    assert _archive(app) == [] and _notices(app) == []
    with app.app_context():
        built = run_due(local(date(2025, 5, 5), 0, 5))
    assert [b["kind"] for b in built] == ["monthly"]
    assert _archive(app) == [("monthly", date(2025, 4, 1), date(2025, 4, 30))]
    notices = _notices(app)
    assert {n.user_id for n in notices} == supervisors and len(notices) == len(supervisors) > 0
    assert "Báo cáo tháng 04/2025" in notices[0].message_vi and notices[0].ticket_id is None
    # The next hours, days and workers: nothing more, no second notice.
    with app.app_context():
        for hours in (1, 2, 30, 24 * 20):
            assert run_due(local(date(2025, 5, 5), 0, 5) + timedelta(hours=hours)) == []
    assert len(_archive(app)) == 1 and len(_notices(app)) == len(supervisors)
    with app.app_context():
        row = db.session.scalars(sa.select(ReportArchive)).one()
        assert row.filename == "bao-cao-thang_2025-04-01_2025-04-30.xlsx" and row.size == len(row.content)
        book = openpyxl.load_workbook(io.BytesIO(row.content))
        assert book["Đơn vị"]["B2"].value.date() == date(2025, 4, 1)
        total = [r for r in book["Đơn vị"].iter_rows(min_row=5, values_only=True)][-1]
        assert total[1] == "Tổng cộng" and total[2] > 0


def test_a_worker_down_on_the_day_builds_it_later(app) -> None:
    with app.app_context():
        assert [b["period_start"] for b in run_due(local(date(2025, 9, 10), 14))] == [date(2025, 8, 1)]


def test_the_schedule_is_data(app) -> None:
    with app.app_context():
        kinds = {s.kind: s.active for s in schedules()}
        db.session.commit()
        assert kinds == {"monthly": True, "weekly": False}  # created when missing
        admin = db.session.scalars(sa.select(User).where(User.username == "admin")).one()
        assert set_active("monthly", False, admin) and set_active("weekly", True, admin)
        assert not set_active("weekly", True, admin)  # no change, no audit
        db.session.commit()
        built = run_due(local(date(2025, 9, 8), 8))
        assert [(b["kind"], b["period_start"]) for b in built] == [("weekly", date(2025, 9, 1))]
        audits = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "report_schedule_update")
                                         .order_by(AuditEvent.id)))
        assert [(a.target_id, a.details) for a in audits] == [
            ("monthly", {"before": {"active": True}, "after": {"active": False}}),
            ("weekly", {"before": {"active": False}, "after": {"active": True}})]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSchedule)) == 2
    assert "Báo cáo tuần 01/09/2025–07/09/2025" in _notices(app)[0].message_vi


def test_the_worker_runs_it_as_a_periodic_job(app) -> None:
    job = next(j for j in periodic_jobs() if j.name == "scheduled-reports")
    assert job.interval(app) == 3600 and job.enqueue == "callcentre.services.report_schedule.run_due"
    slot = int(time.time() // job.interval(app))
    assert enqueue_once(app, job, slot) and not enqueue_once(app, job, slot)
    make_worker(app).work(burst=True)
    with app.app_context():
        today = datetime.now(UTC).astimezone(zone()).date()
        due = due_period("monthly", today, load_calendar())
    assert _archive(app) == ([("monthly", due.start, due.end)] if due else [])
