"""Working calendars stored as data, cached per process by revision."""

from __future__ import annotations

import threading
from datetime import time

from sqlalchemy import select

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.models import WorkCalendar
from workflows.calendar import WorkingCalendar

WORKING_HOURS = "working_hours"
TWENTY_FOUR_SEVEN = "24x7"
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    str(d): [["07:00", "11:30"], ["13:30", "17:00"]] for d in range(5)
}

_HELD = "held_work_calendars"  # session.info key: rows kept alive for the identity map
_cache: dict[tuple[int, int, object], WorkingCalendar] = {}
_lock = threading.Lock()


def ensure_default_calendars() -> None:
    """Create the two built-in calendars if missing (safe under concurrency)."""
    dialect = db.session.get_bind().dialect.name
    for name, hours, country, always in (
        (WORKING_HOURS, DEFAULT_HOURS, "VN", False),
        (TWENTY_FOUR_SEVEN, {}, None, True),
    ):
        db.session.execute(
            upsert_insert(dialect, WorkCalendar).values(name=name, tz="Asia/Ho_Chi_Minh", hours=hours,
                                                        holidays_country=country, always_open=always, revision=1)
            .on_conflict_do_nothing(index_elements=["name"])
        )


def calendar_row(name: str) -> WorkCalendar:
    row = db.session.scalar(select(WorkCalendar).where(WorkCalendar.name == name))
    if row is None:
        ensure_default_calendars()
        row = db.session.scalar(select(WorkCalendar).where(WorkCalendar.name == name))
    if row is None:
        raise LookupError(f"no calendar named '{name}'")
    return row


def _parse_hours(hours: dict[str, list[list[str]]]) -> dict[int, tuple[tuple[time, time], ...]]:
    return {
        int(day): tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans)
        for day, spans in hours.items()
    }


def to_working_calendar(row: WorkCalendar) -> WorkingCalendar:
    """The pure calendar for a row; rebuilt only when the row's revision changes."""
    # updated_at too: a re-created row (tests, restores) may reuse an id and revision.
    key = (row.id, row.revision, row.updated_at)
    cal = _cache.get(key)
    if cal is None:
        days_off = frozenset(e.day for e in row.exceptions if e.kind == "day_off")
        extra = frozenset(e.day for e in row.exceptions if e.kind == "working_day")
        hours = _parse_hours(row.hours or {})
        cal = WorkingCalendar(
            name=row.name, tz=row.tz, hours={d: hours.get(d, ()) for d in range(7)},
            holidays_country=row.holidays_country, days_off=days_off, extra_working_days=extra,
            always_open=row.always_open,
        )
        with _lock:
            _cache[key] = cal
    return cal


def load_calendar(name: str = WORKING_HOURS) -> WorkingCalendar:
    return to_working_calendar(calendar_row(name))


def calendar_by_id(calendar_id: int) -> WorkingCalendar:
    """The clock's calendar, read at most once per transaction of the session.

    The session's identity map holds rows weakly, so ``session.get`` in a loop over clocks would
    SELECT the calendar again for every clock; holding the row in ``session.info`` keeps it there
    (a commit expires it, so the next transaction reads it afresh)."""
    session = db.session
    row = session.get(WorkCalendar, calendar_id)
    if row is None:
        raise LookupError(calendar_id)
    session.info.setdefault(_HELD, {})[calendar_id] = row
    return to_working_calendar(row)
