"""Working-time arithmetic: hand-checked deadlines in Asia/Ho_Chi_Minh (UTC+7, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    WorkingCalendar,
    deadline_for,
    default_calendar,
    twenty_four_seven,
)

ICT = timezone(timedelta(hours=7))
CAL = default_calendar()
H = timedelta(hours=1)
M = timedelta(minutes=1)


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Local Vietnamese wall time as an aware datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=ICT)


# 2025-03-10 is a Monday in a week without holidays.
@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (vn(2025, 3, 10, 11), H, vn(2025, 3, 10, 14)),  # across lunch
        (vn(2025, 3, 10, 16, 30), H, vn(2025, 3, 11, 7, 30)),  # across the night
        (vn(2025, 3, 14, 16), 2 * H, vn(2025, 3, 17, 8)),  # Fri -> Mon
        (vn(2025, 3, 15, 10), 30 * M, vn(2025, 3, 17, 7, 30)),  # starts on Saturday
        (vn(2025, 3, 10, 11), 30 * M, vn(2025, 3, 10, 11, 30)),  # ends exactly at 11:30
        (vn(2025, 3, 10, 12), 30 * M, vn(2025, 3, 10, 14)),  # starts in the lunch break
        (vn(2025, 3, 10, 5), 8 * H, vn(2025, 3, 10, 17)),  # one whole day, ends at close
    ],
)
def test_add_working_time(start: datetime, duration: timedelta, expected: datetime) -> None:
    result = CAL.add_working_time(start, duration)
    assert result == expected
    assert result.tzinfo is UTC


def test_zero_duration_is_start_and_negative_rejected() -> None:
    assert CAL.add_working_time(vn(2025, 3, 15, 10), timedelta(0)) == vn(2025, 3, 15, 10)
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(vn(2025, 3, 10, 9), -M)


def test_naive_datetimes_rejected() -> None:
    naive = datetime(2025, 3, 10, 9)
    for call in (
        lambda: CAL.add_working_time(naive, H),
        lambda: CAL.working_time_between(naive, vn(2025, 3, 11)),
        lambda: CAL.next_working_instant(naive),
        lambda: CAL.is_working_time(naive),
        lambda: deadline_for(CAL, naive, "PT1H"),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_utc_and_local_inputs_agree_and_output_is_utc() -> None:
    as_utc = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)  # == Mon 11:00 +07:00
    assert as_utc == vn(2025, 3, 10, 11)
    a, b = CAL.add_working_time(as_utc, H), CAL.add_working_time(vn(2025, 3, 10, 11), H)
    assert a == b == datetime(2025, 3, 10, 7, 0, tzinfo=UTC)
    assert a.tzinfo is UTC and b.tzinfo is UTC
    # A zoneinfo input gives the same instant too.
    hcm = datetime(2025, 3, 10, 11, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert CAL.add_working_time(hcm, H) == a


def test_instants() -> None:
    assert CAL.is_working_time(vn(2025, 3, 10, 7))
    assert not CAL.is_working_time(vn(2025, 3, 10, 11, 30))  # intervals are half-open
    assert not CAL.is_working_time(vn(2025, 3, 15, 9))  # Saturday
    assert CAL.next_working_instant(vn(2025, 3, 10, 9)) == vn(2025, 3, 10, 9)
    assert CAL.next_working_instant(vn(2025, 3, 10, 11, 30)) == vn(2025, 3, 10, 13, 30)
    assert CAL.next_working_instant(vn(2025, 3, 14, 17)) == vn(2025, 3, 17, 7)


def test_tet_2027_dates_from_holidays_package() -> None:
    # holidays 0.109: Tết is Sat 6 Feb 2027; 29 Tết and giao thừa (Thu 4, Fri 5) plus
    # mùng 2-5 (Sun 7 to Wed 10): Thu 4 to Wed 10 Feb is one closed block.
    closed = [date(2027, 2, d) for d in range(4, 11)]
    assert [d for d in closed if CAL.is_working_day(d)] == []
    assert CAL.is_working_day(date(2027, 2, 3))
    assert CAL.is_working_day(date(2027, 2, 11))


def test_deadline_started_before_tet_lands_after_it() -> None:
    start = vn(2027, 2, 3, 15)  # Wed afternoon, last working day before Tết
    # 2h left on Wed, then Thu 11 Feb from 07:00.
    assert CAL.add_working_time(start, 4 * H) == vn(2027, 2, 11, 9)
    # One working day (8h): 2h Wed + 4.5h morning + 1.5h afternoon of Thu 11.
    assert deadline_for(CAL, start, "P1D") == vn(2027, 2, 11, 15)
    assert deadline_for(CAL, start, "P10D") == vn(2027, 2, 24, 15)


def test_hung_kings_day_2027() -> None:
    assert not CAL.is_working_day(date(2027, 4, 16))  # Fri, 10/3 lunar
    assert CAL.add_working_time(vn(2027, 4, 15, 16), 2 * H) == vn(2027, 4, 19, 8)


def test_reunification_and_labour_day_2027() -> None:
    # 30/4 is Fri; 1/5 is Sat, observed on Mon 3/5.
    for d in (date(2027, 4, 30), date(2027, 5, 1), date(2027, 5, 3)):
        assert not CAL.is_working_day(d)
    assert CAL.add_working_time(vn(2027, 4, 29, 16, 30), H) == vn(2027, 5, 4, 7, 30)


def test_national_day_with_adjacent_day_2027() -> None:
    assert not CAL.is_working_day(date(2027, 9, 2))  # Thu
    assert not CAL.is_working_day(date(2027, 9, 3))  # Fri, the adjacent day
    assert CAL.add_working_time(vn(2027, 9, 1, 17), H) == vn(2027, 9, 6, 8)


def test_government_day_swap_from_package_2025() -> None:
    # 2025: Fri 2 May off in exchange for working Sat 26 April.
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.add_working_time(vn(2025, 4, 25, 16), 2 * H) == vn(2025, 4, 26, 8)


def test_extra_working_day_and_typhoon_day_off() -> None:
    fri = vn(2027, 3, 5, 16)  # Fri; Sat 6 and Mon 8 March are ordinary days
    assert CAL.add_working_time(fri, 2 * H) == vn(2027, 3, 8, 8)
    swapped = default_calendar(extra_working_days={date(2027, 3, 6)})
    assert swapped.is_working_day(date(2027, 3, 6))
    assert swapped.add_working_time(fri, 2 * H) == vn(2027, 3, 6, 8)  # Mon-Fri hours
    typhoon = default_calendar(days_off={date(2027, 3, 8)})
    assert not typhoon.is_working_day(date(2027, 3, 8))
    assert typhoon.add_working_time(fri, 2 * H) == vn(2027, 3, 9, 8)
    both = default_calendar(days_off={date(2027, 3, 6)}, extra_working_days={date(2027, 3, 6)})
    assert not both.is_working_day(date(2027, 3, 6))  # days_off wins


def test_twenty_four_seven_adds_plain_time() -> None:
    urgent = twenty_four_seven()
    start = vn(2027, 2, 6, 10)  # Tết, a Saturday
    assert urgent.add_working_time(start, 30 * H) == vn(2027, 2, 7, 16)
    assert deadline_for(urgent, start, "P1DT2H") == start + timedelta(hours=26)
    assert urgent.working_time_between(start, vn(2027, 2, 8, 10)) == 48 * H
    assert urgent.is_working_time(start) and urgent.standard_day == 24 * H


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (vn(2025, 3, 10, 11), vn(2025, 3, 10, 14), H),  # lunch does not count
        (vn(2025, 3, 10, 16, 30), vn(2025, 3, 11, 7, 30), H),  # nor the night
        (vn(2025, 3, 14, 16), vn(2025, 3, 17, 8), 2 * H),  # nor the weekend
        (vn(2025, 3, 10, 0), vn(2025, 3, 17, 0), 40 * H),  # a whole week
        (vn(2025, 3, 15, 8), vn(2025, 3, 16, 20), timedelta(0)),
    ],
)
def test_working_time_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert CAL.working_time_between(start, end) == expected
    assert CAL.working_time_between(end, start) == -expected


def test_add_working_days_uses_standard_day() -> None:
    assert CAL.standard_day == 8 * H  # 4.5h morning + 3.5h afternoon
    assert CAL.add_working_days(vn(2025, 3, 10, 10), 1) == vn(2025, 3, 11, 10)
    assert CAL.add_working_days(vn(2025, 3, 14, 16), 1, 30 * M) == vn(2025, 3, 17, 16, 30)
    assert deadline_for(CAL, vn(2025, 3, 10, 10), "P1DT30M") == vn(2025, 3, 11, 10, 30)
    with pytest.raises(ValueError):
        CAL.add_working_days(vn(2025, 3, 10, 10), -1)


def test_custom_hours_and_dst_zone() -> None:
    # Evening shift ending at midnight (time(0) = end of day), Saturdays only.
    evening = WorkingCalendar("evening", hours={5: ((time(18), time(0)),)}, holidays_country=None)
    assert evening.standard_day == 6 * H
    assert evening.add_working_time(vn(2025, 3, 15, 23), 2 * H) == vn(2025, 3, 22, 19)
    # Paris springs forward on Sun 30 March 2025; Mon 09:00 CEST is 07:00 UTC.
    paris = WorkingCalendar("paris", tz="Europe/Paris", hours={0: ((time(9), time(17)),)}, holidays_country=None)
    start = datetime(2025, 3, 24, 16, tzinfo=ZoneInfo("Europe/Paris"))
    assert paris.add_working_time(start, 2 * H) == datetime(2025, 3, 31, 8, tzinfo=UTC)


def test_invalid_calendars_and_no_working_time() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar("overlap", hours={0: ((time(8), time(12)), (time(11), time(13)))})
    with pytest.raises(ValueError):
        WorkingCalendar("empty", hours={})
    mondays = {date(2025, 1, 6) + timedelta(weeks=w) for w in range(600)}
    closed = WorkingCalendar("closed", hours={0: ((time(8), time(9)),)}, days_off=mondays, holidays_country=None)
    with pytest.raises(ValueError, match="no working time"):
        closed.add_working_time(vn(2025, 1, 1), H)


def test_calendar_is_hashable_and_comparable() -> None:
    assert default_calendar() == CAL and hash(default_calendar()) == hash(CAL)
    assert default_calendar(days_off={date(2027, 3, 8)}) != CAL


# ----- properties -------------------------------------------------------------
ZONES = st.sampled_from(
    [UTC, ICT, timezone(timedelta(hours=-5, minutes=-30)), ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Europe/Paris")]
)
STARTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=ZONES)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=30 * 8 * H)
PROPS = settings(max_examples=200, deadline=None)


@PROPS
@given(STARTS, DURATIONS)
def test_between_inverts_add(start: datetime, d: timedelta) -> None:
    end = CAL.add_working_time(start, d)
    assert CAL.working_time_between(CAL.next_working_instant(start), end) == d
    assert end >= start


@PROPS
@given(STARTS, DURATIONS, DURATIONS)
def test_add_is_monotonic(start: datetime, d1: timedelta, d2: timedelta) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    assert CAL.add_working_time(start, d1) <= CAL.add_working_time(start, d2)


@PROPS
@given(STARTS, DURATIONS.filter(lambda d: d > timedelta(0)), DURATIONS)
def test_add_is_additive(start: datetime, a: timedelta, b: timedelta) -> None:
    assert CAL.add_working_time(CAL.add_working_time(start, a), b) == CAL.add_working_time(start, a + b)


def _day_by_day(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The plain definition: every local day's intervals clipped to [start, end)."""
    s, e = start.astimezone(UTC), end.astimezone(UTC)
    total, d = timedelta(0), s.astimezone(cal.zone).date()
    while d <= e.astimezone(cal.zone).date():
        for a, b in cal.intervals(d):
            total += max(timedelta(0), min(b, e) - max(a, s))
        d += timedelta(days=1)
    return total


LONG_SPANS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1200))
TYPHOON = WorkingCalendar("typhoon", days_off=frozenset({date(2026, 3, 2), date(2026, 9, 30)}),
                          extra_working_days=frozenset({date(2026, 5, 9)}))


@PROPS
@given(STARTS, LONG_SPANS)
def test_between_over_years_counts_whole_months_exactly(start: datetime, span: timedelta) -> None:
    # Whole months inside the span are counted from a per-month cache: the same as day by day,
    # across holidays, closures, make-up days, month and year ends.
    for cal in (CAL, TYPHOON):
        assert cal.working_time_between(start, start + span) == _day_by_day(cal, start, start + span)
        assert cal.working_time_between(start + span, start) == -_day_by_day(cal, start, start + span)


def test_between_on_month_boundaries() -> None:
    assert CAL.working_time_between(vn(2026, 1, 1), vn(2026, 3, 1)) == _day_by_day(CAL, vn(2026, 1, 1), vn(2026, 3, 1))
    assert CAL.working_time_between(vn(2025, 12, 31, 16), vn(2027, 1, 1, 8)) == \
        _day_by_day(CAL, vn(2025, 12, 31, 16), vn(2027, 1, 1, 8))
