"""Working-time arithmetic for SLA deadlines.

A :class:`WorkingCalendar` describes when the office is open: per-weekday
opening intervals in a local time zone, Vietnamese public holidays (from the
``holidays`` package, including the government day swaps it models), ad-hoc
closures and make-up working days.  Every public method takes timezone-aware
datetimes (any zone) and returns UTC; naive datetimes raise ``ValueError``.
Intervals are half-open ``[start, end)``: 11:30 is *not* working time, but a
deadline may fall exactly on 11:30.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from workflows.durations import parse_duration_parts

__all__ = ["WorkingCalendar", "deadline_for", "default_calendar", "twenty_four_seven"]

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]

_OFFICE_DAY: DayHours = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_HOURS: Mapping[int, DayHours] = MappingProxyType({wd: _OFFICE_DAY if wd < 5 else () for wd in range(7)})
# Longest run of consecutive days without working time before we give up
# (a misconfigured calendar would otherwise loop forever).
MAX_CLOSED_DAYS = 3660
_ZERO = timedelta(0)
_DAY = timedelta(days=1)


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up working weekend days) of ``country`` for ``year``.

    ``weekend_workdays`` holds the Saturdays the government swaps into working
    days (e.g. 2025-04-26 in exchange for 2025-05-02).  A swap may straddle New
    Year, so neighbouring years are merged in.
    """
    days_off = frozenset(holidays.country_holidays(country, years=year))
    swaps: set[date] = set()
    for y in (year - 1, year, year + 1):
        swaps.update(holidays.country_holidays(country, years=y).weekend_workdays)
    return days_off, frozenset(d for d in swaps if d.year == year)


def _to_utc(dt: datetime) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed (attach a timezone): {dt!r}")
    return dt.astimezone(UTC)


def _normalise_hours(hours: Mapping[int, Iterable[Interval]]) -> Mapping[int, DayHours]:
    out: dict[int, DayHours] = {}
    for wd in range(7):
        intervals = tuple(sorted(hours.get(wd, ())))
        prev_end = time(0)
        for start, end in intervals:
            # time(0) as an end means midnight at the end of the day.
            if start.tzinfo or end.tzinfo or start < prev_end or not (start < end or end == time(0)):
                raise ValueError(f"invalid or overlapping working hours for weekday {wd}: {intervals}")
            prev_end = end if end != time(0) else time.max
        out[wd] = intervals
    if set(hours) - set(range(7)):
        raise ValueError(f"weekday keys must be 0 (Mon)..6 (Sun), got {sorted(hours)}")
    return MappingProxyType(out)


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours + holidays of one service desk; hashable so lookups can be cached."""

    name: str
    tz: str = "Asia/Ho_Chi_Minh"
    # Weekday (0=Mon) -> sorted, non-overlapping (start, end) local times.
    hours: Mapping[int, DayHours] = field(default_factory=lambda: DEFAULT_HOURS, hash=False)
    holidays_country: str | None = "VN"
    # Ad-hoc closures (typhoon, ...): beat everything else.
    days_off: frozenset[date] = frozenset()
    # Make-up working days (a worked Saturday): use the standard day's hours.
    extra_working_days: frozenset[date] = frozenset()
    # 24/7 calendar for urgent categories: every instant is working time.
    always_open: bool = False

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # fail fast on an unknown zone
        object.__setattr__(self, "hours", _normalise_hours(self.hours))
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        if not self.always_open and not any(self.hours.values()):
            raise ValueError(f"calendar {self.name!r} has no working hours at all")

    # ----- days -------------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances per key

    @property
    def standard_hours(self) -> DayHours:
        """Monday's hours (else the first weekday that has any): a "normal" day."""
        return next((self.hours[wd] for wd in range(7) if self.hours[wd]), ())

    @property
    def standard_day(self) -> timedelta:
        """Working time in one standard working day (8h by default, 24h if always open)."""
        if self.always_open:
            return _DAY
        return sum((_length(s, e) for s, e in self.standard_hours), _ZERO)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` has any working time: days_off > extra days > holidays > weekday hours."""
        if self.always_open:
            return True
        if d in self.days_off:
            return False
        if d in self.extra_working_days:
            return True
        if self.holidays_country:
            off, swapped_in = _public_holidays(self.holidays_country, d.year)
            if d in off:
                return False
            if d in swapped_in:
                return True
        return bool(self.hours[d.weekday()])

    def intervals(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        return _day_intervals(self, d)

    # ----- instants ---------------------------------------------------------
    def _open_spans(self, start_utc: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working spans ``[a, b)`` (UTC) after ``start_utc``, the first one clipped."""
        d = start_utc.astimezone(self.zone).date()
        closed = 0
        while closed < MAX_CLOSED_DAYS:
            found = False
            for a, b in self.intervals(d):
                if b > start_utc:
                    found = True
                    yield max(a, start_utc), b
            closed = 0 if found else closed + 1
            d += _DAY
        raise ValueError(f"calendar {self.name!r}: no working time within {MAX_CLOSED_DAYS} days")

    def is_working_time(self, dt: datetime) -> bool:
        utc = _to_utc(dt)
        if self.always_open:
            return True
        return any(a <= utc < b for a, b in self.intervals(utc.astimezone(self.zone).date()))

    def next_working_instant(self, dt: datetime) -> datetime:
        """``dt`` itself if it is working time, else the next opening (UTC)."""
        utc = _to_utc(dt)
        if self.always_open:
            return utc
        return next(self._open_spans(utc))[0]

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """Earliest instant (UTC) by which ``duration`` of working time has elapsed.

        Counting starts at ``start`` or, outside hours, at the next opening; a
        result landing on an interval end stays there (11:30, not 13:30).  Whole
        intervals and closed days are skipped in O(1) each, never minute by minute.
        """
        utc = _to_utc(start)
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative: {duration!r}")
        if self.always_open or duration == _ZERO:
            return utc + duration
        remaining = duration
        for a, b in self._open_spans(utc):
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        raise AssertionError("unreachable: _open_spans raises when exhausted")  # pragma: no cover

    def add_working_days(self, start: datetime, days: int, rest: timedelta = _ZERO) -> datetime:
        """Add ``days`` working days plus ``rest`` of working time.

        A working day is a fixed amount of working time, :attr:`standard_day`
        (Monday's total hours: 8h by default; 24h for an always-open calendar),
        not "the same clock time N days later": 1 day from Mon 10:00 is Tue 10:00,
        and from Mon 16:00 it is Tue 16:00 even across the lunch break.
        """
        if days < 0:
            raise ValueError(f"days must not be negative: {days}")
        return self.add_working_time(start, self.standard_day * days + rest)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; negative if ``end < start``."""
        s, e = _to_utc(start), _to_utc(end)
        if e < s:
            return -self.working_time_between(e, s)
        if self.always_open:
            return e - s
        total = _ZERO
        first, last = s.astimezone(self.zone).date(), e.astimezone(self.zone).date()
        d = first
        while d <= last:
            # A whole month strictly inside the span counts at once: the time left on a ticket
            # overdue for two years is 24 cached months, not 730 days (inbox lists, exports).
            if d.day == 1 and d > first and _month_end(d) < last:
                total += _month_working_time(self, d.year, d.month)
                d = _month_end(d) + _DAY
                continue
            for a, b in self.intervals(d):
                lo, hi = max(a, s), min(b, e)
                if hi > lo:
                    total += hi - lo
            d += _DAY
        return total


def _length(start: time, end: time) -> timedelta:
    """Wall-clock length of an interval (DST-free: a standard day is a fixed amount)."""
    ref = date(2001, 1, 1)
    return datetime.combine(ref + _DAY if end == time(0) else ref, end) - datetime.combine(ref, start)


def _bounds(d: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    # Subtract in UTC: same-tzinfo aware subtraction in Python ignores DST shifts.
    end_day = d + _DAY if end == time(0) else d
    return (
        datetime.combine(d, start, tzinfo=tz).astimezone(UTC),
        datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC),
    )


def _month_end(d: date) -> date:
    return date(d.year, 12, 31) if d.month == 12 else date(d.year, d.month + 1, 1) - _DAY


@functools.lru_cache(maxsize=4096)
def _month_working_time(cal: WorkingCalendar, year: int, month: int) -> timedelta:
    """All the working time of a local month (cached like ``_day_intervals``: the calendar is
    hashable and immutable, so a changed calendar is another key)."""
    total, d = _ZERO, date(year, month, 1)
    while d.month == month:
        total += sum((b - a for a, b in cal.intervals(d)), _ZERO)
        d += _DAY
    return total


@functools.lru_cache(maxsize=8192)
def _day_intervals(cal: WorkingCalendar, d: date) -> tuple[tuple[datetime, datetime], ...]:
    """UTC working intervals of local day ``d`` (cached: the calendar is hashable)."""
    if not cal.is_working_day(d):
        return ()
    # A make-up day on a normally closed weekday uses the standard hours.
    local = cal.hours[d.weekday()] or cal.standard_hours
    return tuple(_bounds(d, s, e, cal.zone) for s, e in local)


def default_calendar(
    name: str = "vn-office",
    *,
    days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
    holidays_country: str | None = "VN",
    tz: str = "Asia/Ho_Chi_Minh",
) -> WorkingCalendar:
    """Government office hours: Mon-Fri 07:00-11:30 and 13:30-17:00, VN holidays."""
    return WorkingCalendar(
        name=name,
        tz=tz,
        holidays_country=holidays_country,
        days_off=frozenset(days_off),
        extra_working_days=frozenset(extra_working_days),
    )


def twenty_four_seven(name: str = "24x7") -> WorkingCalendar:
    """Calendar for urgent categories: every instant counts, holidays included."""
    return WorkingCalendar(name=name, tz="UTC", holidays_country=None, always_open=True)


def deadline_for(calendar: WorkingCalendar, start: datetime, iso_duration: str) -> datetime:
    """Deadline (UTC) for an ISO 8601 SLA: ``nD`` are working days, the ``T`` part working time.

    On an always-open calendar this is plain ``start + duration``.
    """
    days, rest = parse_duration_parts(iso_duration)
    return calendar.add_working_days(start, days, rest)
