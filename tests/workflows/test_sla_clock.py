"""SLA clock maths on the working calendar: start, warn, pause, resume, extend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from workflows import sla
from workflows.calendar import default_calendar, twenty_four_seven

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def test_start_sets_warning_at_75_percent_and_deadline() -> None:
    # Monday 2026-11-23 08:00 local, 4 working hours -> 13:30+... : 08:00 + 3.5h = 11:30, +0.5h = 14:00
    clock = sla.start(timedelta(hours=4), 0.75, local(2026, 11, 23, 8), CAL)
    assert clock.due_at == local(2026, 11, 23, 14).astimezone(UTC)
    assert clock.warn_at == local(2026, 11, 23, 11).astimezone(UTC)  # 3h of 4h
    assert clock.next_check_at == clock.warn_at


def test_pause_freezes_and_resume_shifts_the_deadline() -> None:
    clock = sla.start(timedelta(hours=4), 0.75, local(2026, 11, 23, 8), CAL)
    sla.pause(clock, local(2026, 11, 23, 9), CAL)  # 1h used, 3h left
    assert clock.paused and clock.due_at is None and clock.next_check_at is None
    assert clock.remaining == timedelta(hours=3)
    # Resumed Tuesday 24/11 08:00, but 24/11 is Vietnam Culture Day (a holiday from
    # 2026): counting restarts Wednesday 07:00, + 3h = 10:00.
    sla.resume(clock, local(2026, 11, 24, 8), CAL)
    assert clock.due_at == local(2026, 11, 25, 10).astimezone(UTC)


def test_alerts_are_owed_once_and_both_after_an_outage() -> None:
    clock = sla.start(timedelta(hours=4), 0.75, local(2026, 11, 23, 8), CAL)
    assert sla.due_alerts(clock, local(2026, 11, 23, 10)) == []
    late = local(2026, 11, 23, 15)
    owed = sla.due_alerts(clock, late)
    assert [a.level for a in owed] == ["warning", "breach"]
    assert all(a.deadline == local(2026, 11, 23, 14).astimezone(UTC) for a in owed)
    assert sla.due_alerts(clock, late) == []
    sla.after_alerts(clock, CAL)
    assert clock.next_check_at is None


def test_extension_moves_the_deadline_and_rearms_alerts() -> None:
    clock = sla.start(timedelta(hours=4), 0.75, local(2026, 11, 23, 8), CAL)
    sla.due_alerts(clock, local(2026, 11, 23, 14, 30))
    new = local(2026, 11, 25, 17).astimezone(UTC)
    sla.extend_to(clock, new, local(2026, 11, 23, 15), CAL)
    assert clock.due_at == new
    assert not clock.warned and not clock.breached and clock.next_check_at is not None


def test_remaining_is_working_time_and_negative_when_overdue() -> None:
    clock = sla.start(timedelta(hours=4), 0.75, local(2026, 11, 23, 8), CAL)
    assert sla.remaining_at(clock, local(2026, 11, 23, 10), CAL) == timedelta(hours=2)
    assert sla.remaining_at(clock, local(2026, 11, 23, 13), CAL) == timedelta(minutes=30)  # lunch does not count
    assert sla.remaining_at(clock, local(2026, 11, 23, 16), CAL) == -timedelta(hours=2)


def test_twenty_four_seven_clock() -> None:
    clock = sla.start(timedelta(seconds=2), 0.5, datetime(2026, 11, 22, 23, 0, tzinfo=UTC), twenty_four_seven())
    assert clock.due_at == datetime(2026, 11, 22, 23, 0, 2, tzinfo=UTC)
    assert clock.warn_at == datetime(2026, 11, 22, 23, 0, 1, tzinfo=UTC)
