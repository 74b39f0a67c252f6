"""Local days and working time in SQL, for the period reports (services/report_summary.py).

* ``local_day(ts)``: the local calendar day of a timestamp as an integer (days since
  2000-01-01), an equality key the database can hash-join on. PostgreSQL converts with
  ``timezone(zone, ts)`` (any zone, summer time included); SQLite, the development database,
  adds the zone's fixed UTC offset (Asia/Ho_Chi_Minh has had none other since 1975).
* ``WorkingDays``: a calendar's working intervals for a range of local days, sent with the
  statement as a small ``VALUES`` table (one row per day: the working seconds before the day,
  then its intervals as seconds since the range's first instant). The working time between two
  timestamps is then ``W(end) - W(start)``, where ``W(t)`` is the row of ``t``'s day: its
  working seconds before, plus the part of each interval before ``t``. The same arithmetic as
  ``WorkingCalendar.working_time_between`` (half-open intervals, holidays, day swaps, ad-hoc
  closures), done by the database over the tickets' rows: no ticket comes back to Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, FromClause, Integer, and_, case, column, literal, values
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from callcentre.models.types import UTCDateTime
from callcentre.services.report_sql import seconds_between
from workflows.calendar import WorkingCalendar

EPOCH = date(2000, 1, 1)
_JULIAN_EPOCH = 2451544.5  # julianday('2000-01-01')


def day_number(d: date) -> int:
    """What ``local_day`` gives for a timestamp on local day ``d``."""
    return d.toordinal() - EPOCH.toordinal()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class local_day(FunctionElement[int]):  # noqa: N801 - used like a SQL function
    """``local_day(ts)`` for the zone and offset given to the constructor (rendered inline: a
    zone name from the configuration, checked by ``ZoneInfo``, so that GROUP BY sees the same
    expression as the select list)."""

    type = Integer()
    inherit_cache = False

    def __init__(self, ts: ColumnElement[Any] | QueryableAttribute[Any], zone: ZoneInfo, offset: int) -> None:
        self.zone_name, self.offset = zone.key, int(offset)
        super().__init__(ts)


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    (ts,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(timezone({_quote(element.zone_name)}, {ts}) AS DATE) - DATE '2000-01-01')"


@compiles(local_day)
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    (ts,) = (compiler.process(c, **kw) for c in element.clauses)
    # date() of a SQLite timestamp string is exact; julianday of a date is N.5 exactly.
    return f"CAST(julianday(date({ts}, '{element.offset:+d} seconds')) - {_JULIAN_EPOCH} AS INTEGER)"


def fixed_offset(zone: ZoneInfo, first: date) -> int:
    """The zone's UTC offset in seconds on ``first`` (what SQLite's ``local_day`` adds)."""
    offset = datetime.combine(first, time(12), zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _day_spans(cal: WorkingCalendar, d: date) -> list[tuple[datetime, datetime]]:
    if cal.always_open:
        zone = cal.zone
        return [(datetime.combine(d, time.min, zone).astimezone(UTC),
                 datetime.combine(d + timedelta(days=1), time.min, zone).astimezone(UTC))]
    return list(cal.intervals(d))  # the calendar's own cached intervals (UTC, half-open)


@dataclass
class WorkingDays:
    """The working intervals of ``cal`` for local days ``first`` .. ``last`` (see the module)."""

    cal: WorkingCalendar
    zone: ZoneInfo
    first: date
    last: date
    base: datetime = field(init=False)
    width: int = field(init=False)
    table: FromClause = field(init=False)

    def __post_init__(self) -> None:
        self.base = datetime.combine(self.first, time.min, self.zone).astimezone(UTC)
        rows: list[tuple[int, float, list[tuple[int, int]]]] = []
        before = 0.0
        d = self.first
        while d <= self.last:
            spans = [(int((a - self.base).total_seconds()), int((b - self.base).total_seconds()))
                     for a, b in _day_spans(self.cal, d)]
            rows.append((day_number(d), before, spans))
            before += sum(b - a for a, b in spans)
            d += timedelta(days=1)
        self.width = max([len(s) for _, _, s in rows] + [1])
        cols = [column("k", Integer), column("before", Float)]
        for i in range(self.width):
            cols += [column(f"a{i}", Integer), column(f"b{i}", Integer)]
        data = []
        for k, before_s, spans in rows:
            padded = spans + [(0, 0)] * (self.width - len(spans))  # an empty interval adds nothing
            data.append((k, before_s, *[x for span in padded for x in span]))
        # A CTE: one VALUES list however many timestamps join it (SQLite has no column aliases
        # on a VALUES in FROM).
        self.table = values(*cols, name="working_days", literal_binds=True).data(data).cte("working_days")

    def offset(self) -> int:
        return fixed_offset(self.zone, self.first)

    def day(self, ts: ColumnElement[Any] | QueryableAttribute[Any]) -> local_day:
        return local_day(ts, self.zone, self.offset())

    def at(self, ts: ColumnElement[Any] | QueryableAttribute[Any], name: str) -> tuple[FromClause, ColumnElement[bool],
                                                                                   ColumnElement[float]]:
        """(an alias of the table to join, its ON clause, ``W(ts)`` in seconds) for a timestamp."""
        row = self.table.alias(name)
        x = seconds_between(ts, literal(self.base, UTCDateTime()))
        within: ColumnElement[float] = row.c.before
        for i in range(self.width):
            a, b = row.c[f"a{i}"], row.c[f"b{i}"]
            within = within + case((x <= a, 0), (x >= b, b - a), else_=x - a)
        return row, and_(row.c.k == self.day(ts)), within
