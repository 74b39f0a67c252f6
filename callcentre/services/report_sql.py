"""SQL pieces of the reports that each database spells its own way, or that SQLAlchemy has no
word for: seconds between two timestamps, the local day of a timestamp, an exact median (an
aggregate where the database has one, else ranked rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Integer, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):  # noqa: N801 - used like a SQL function
    """``seconds_between(later, earlier)``: ``later - earlier`` in seconds (a float)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (models/types.py); julianday reads the
    # milliseconds of it.
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def day_starts(days: Sequence[date], zone: ZoneInfo) -> list[datetime]:
    """The UTC instant each local day of ``days`` begins."""
    return [datetime.combine(d, time.min, zone).astimezone(UTC) for d in days]


def day_index(column: ColumnElement[Any] | QueryableAttribute[Any], starts: Sequence[datetime]) -> ColumnElement[int]:
    """Which of the days beginning at ``starts`` (ascending) ``column`` falls on: 0 .. len-1, and
    -1 before the first. A CASE over the days' UTC starts, so every database and every time zone
    (summer time included) agree with the local calendar."""
    whens = [(column >= start, i) for i, start in reversed(list(enumerate(starts)))]
    return case(*whens, else_=-1).cast(Integer) if whens else case(else_=-1)


def medians(value: ColumnElement[Any], group: ColumnElement[Any] | QueryableAttribute[Any],
            *where: ColumnElement[bool]) -> Select:
    """Rows ``(group, median of value)`` over the rows matching ``where`` (NULL values left out).

    Exact, with the definition of ``statistics.median``: the middle value, or the mean of the
    two middle ones. ``ROW_NUMBER()`` and ``COUNT()`` over each group's partition pick them, in
    the database (PostgreSQL and SQLite alike); nothing but one row per group comes back."""
    ranked = (
        select(group.label("grp"), value.label("v"),
               func.row_number().over(partition_by=group, order_by=value).label("rn"),
               func.count().over(partition_by=group).label("n"))
        .where(*where, value.is_not(None))
        .subquery()
    )
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return select(ranked.c.grp, func.avg(ranked.c.v)).where(middle).group_by(ranked.c.grp)


def has_median_aggregate(dialect_name: str) -> bool:
    """Whether ``median()`` works as an aggregate on this database (PostgreSQL's ordered-set
    ``percentile_cont``); elsewhere use ``medians()``."""
    return dialect_name == "postgresql"


def median(value: ColumnElement[Any]) -> ColumnElement[float]:
    """The exact median of ``value`` over a group, NULLs left out (PostgreSQL only, see
    ``has_median_aggregate``): ``percentile_cont(0.5)`` interpolates halfway between the two
    middle values, which is ``statistics.median``'s mean of them."""
    return func.percentile_cont(0.5).within_group(value)
