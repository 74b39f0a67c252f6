"""Scheduled reports: on the first working day of a month (or of a week, when the weekly schedule
is on) the worker builds the previous period's workbook once, keeps it in ``report_archive``
for download (/reports/archive) and tells the supervisors in the app.

* **The schedule is data**: ``report_schedules`` rows, ``monthly`` (on by default) and
  ``weekly`` (off by default), created when missing by the job and the archive page; admins
  switch them on and off there (audited as ``report_schedule_update``).
* **When**: the job runs every hour (core/periodic.py). A period's report is due from the first
  working day (the ``working_hours`` calendar: holidays, day swaps, closures) of the period that
  follows it, so a worker down that day builds it the next time it runs; only the period just
  before today's is built, never older ones. A month or week without any working day (Tết) is
  due from its first day.
* **Once**: the unique key (kind, period_start) decides: a second worker, or the next hour,
  finds the row and does nothing; two at the same instant: the loser's INSERT fails inside a
  savepoint and it stops there, so the supervisors are told once, by the one that stored it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.formats.report_xlsx import CONTENT_TYPE, filename, report_workbook
from callcentre.models import ReportArchive, ReportSchedule, User
from callcentre.services import audit
from callcentre.services.alerts import notify_staff
from callcentre.services.report_summary import GROUPS, Period, summary, zone
from callcentre.sla.calendars import load_calendar
from workflows.calendar import WorkingCalendar
from workflows.roles import Role

log = logging.getLogger(__name__)
KINDS = ("monthly", "weekly")
DEFAULT_ACTIVE = {"monthly": True, "weekly": False}
NOTICE_KIND = "report_ready"


def ensure_schedules() -> None:
    """The two schedules, created when missing (monthly on, weekly off); safe under concurrency."""
    dialect = db.session.get_bind().dialect.name
    existing = set(db.session.scalars(select(ReportSchedule.kind)))
    for kind in KINDS:
        if kind not in existing:
            db.session.execute(upsert_insert(dialect, ReportSchedule)
                               .values(kind=kind, active=DEFAULT_ACTIVE[kind], created_at=datetime.now(UTC))
                               .on_conflict_do_nothing(index_elements=["kind"]))


def schedules() -> list[ReportSchedule]:
    ensure_schedules()
    rows = {s.kind: s for s in db.session.scalars(select(ReportSchedule))}
    return [rows[k] for k in KINDS if k in rows]


def _first_working_day(cal: WorkingCalendar, start: date, end: date) -> date:
    d = start
    while d <= end:
        if cal.is_working_day(d):
            return d
        d += timedelta(days=1)
    return start


def current_period(kind: str, today: date) -> Period:
    """The month or week (Monday to Sunday) that holds ``today``."""
    if kind == "monthly":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(first, following - timedelta(days=1))
    monday = today - timedelta(days=today.weekday())
    return Period(monday, monday + timedelta(days=6))


def previous_period(kind: str, today: date) -> Period:
    return current_period(kind, current_period(kind, today).start - timedelta(days=1))


def due_period(kind: str, today: date, cal: WorkingCalendar) -> Period | None:
    """The period whose report is due on ``today``: the previous one, from the first working day
    of the current one on; None before that day."""
    current = current_period(kind, today)
    if today < _first_working_day(cal, current.start, current.end):
        return None
    return previous_period(kind, today)


def _label(kind: str, period: Period) -> tuple[str, str]:
    if kind == "monthly":
        return (f"Báo cáo tháng {period.start.month:02d}/{period.start.year}",
                f"Report for {period.start:%m/%Y}")
    span = f"{period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}"
    return f"Báo cáo tuần {span}", f"Weekly report {span}"


def _supervisors() -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.role == Role.SUPERVISOR.value,
                                                         User.active.is_(True))))


def build(kind: str, period: Period, now: datetime) -> ReportArchive | None:
    """Build and store the report of ``period`` and notify the supervisors, unless it was stored
    already; the stored row, or None. The caller commits."""
    if db.session.scalar(select(ReportArchive.id).where(ReportArchive.kind == kind,
                                                        ReportArchive.period_start == period.start)):
        return None
    report = summary(period, GROUPS, now=now)
    content = report_workbook(report)
    row = ReportArchive(kind=kind, period_start=period.start, period_end=period.end,
                        filename=filename(report, "xlsx", f"bao-cao-{'thang' if kind == 'monthly' else 'tuan'}"),
                        content_type=CONTENT_TYPE, size=len(content), content=content, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another worker stored it a moment ago: it told the supervisors
        return None
    vi, en = _label(kind, period)
    notify_staff(db.session, [{
        "user_id": user_id, "ticket_id": None, "kind": NOTICE_KIND, "created_at": now,
        "message_vi": f"{vi} đã sẵn sàng: tải về tại Báo cáo › Lưu trữ báo cáo",
        "message_en": f"{en} is ready: download it from Reports › Report archive",
    } for user_id in _supervisors()])
    return row


def run_due(now: datetime | None = None) -> list[dict[str, Any]]:
    """The periodic job: every active schedule's due report, built once; what was built."""
    now = now or datetime.now(UTC)
    today = now.astimezone(zone()).date()
    cal = load_calendar()
    built = []
    for schedule in schedules():
        period = due_period(schedule.kind, today, cal) if schedule.active else None
        if period is None:
            continue
        row = build(schedule.kind, period, now)
        db.session.commit()
        if row is not None:
            log.info("built the %s report of %s..%s", schedule.kind, period.start, period.end)
            built.append({"kind": row.kind, "period_start": row.period_start, "size": row.size})
    db.session.commit()
    return built


def archive_rows() -> list[Any]:
    """The stored reports, newest period first, without their content."""
    return list(db.session.execute(
        select(ReportArchive.id, ReportArchive.kind, ReportArchive.period_start, ReportArchive.period_end,
               ReportArchive.filename, ReportArchive.size, ReportArchive.created_at)
        .order_by(ReportArchive.period_start.desc(), ReportArchive.kind)).all())


def set_active(kind: str, active: bool, actor: User) -> bool:
    """Switch a schedule on or off (audited); whether it changed. The caller commits."""
    row = next(s for s in schedules() if s.kind == kind)
    if row.active == active:
        return False
    row.active = active
    audit.record("report_schedule_update", actor=actor, target_type="report_schedule", target_id=kind,
                 details=audit.changes({"active": not active}, {"active": active}))
    return True
