"""ISO 8601 durations for SLA definitions (``PT30S``, ``P3D``, ``P1DT2H``, ``P2W``).

Only day-based units are accepted: years and months have no fixed length and,
in working-time arithmetic, no sensible meaning, so they are rejected.  A week
is 7 days (ISO 8601); when a duration is applied to a working calendar a "day"
means one *working* day, so ``P1W`` means 7 working days - write ``P5D`` for a
five-working-day week.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

__all__ = ["MAX_DAYS", "format_duration", "parse_duration", "parse_duration_parts"]

# No SLA, window or extension is longer than a year of working days; a longer one ("P99999999D")
# would keep a worker counting working days for minutes and overflow the deadline's year.
MAX_DAYS = 365

_WEEKS = re.compile(r"P(?P<weeks>\d+)W")
_DAY_TIME = re.compile(
    r"P(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d{1,6})?)S)?)?"
)
# Date part containing Y or M (months) - detected only to give a useful error.
_CALENDAR_UNITS = re.compile(r"P(?:\d+(?:[.,]\d+)?[YMWD])*\d+(?:[.,]\d+)?[YM]")


def parse_duration_parts(text: str) -> tuple[int, timedelta]:
    """Split an ISO 8601 duration into ``(days, rest)``.

    ``days`` counts whole days (weeks x 7 included) so that a caller can treat
    them as working days; ``rest`` is the ``T`` part (hours/minutes/seconds).
    Raises ``ValueError`` for garbage, years/months, negative or zero durations, and for
    durations longer than ``MAX_DAYS`` (working-time arithmetic walks every day of them).
    """
    if not isinstance(text, str):
        raise TypeError(f"ISO 8601 duration must be a string, got {type(text).__name__}")
    days, rest = _parse_parts(text)
    if days * 86400 + rest.total_seconds() > MAX_DAYS * 86400:
        raise ValueError(f"duration longer than {MAX_DAYS} days: {text!r}")
    return days, rest


@lru_cache(maxsize=512)  # a handful of policy durations, parsed for every ticket taken in
def _parse_parts(text: str) -> tuple[int, timedelta]:
    raw = text.strip().upper()
    if raw.startswith("-"):
        raise ValueError(f"negative durations are not allowed: {text!r}")
    if _CALENDAR_UNITS.match(raw):
        raise ValueError(f"years and months are not supported in durations (ambiguous length): {text!r}")
    if m := _WEEKS.fullmatch(raw):
        days, rest = int(m["weeks"]) * 7, timedelta(0)
    elif (m := _DAY_TIME.fullmatch(raw)) and raw not in ("P", "PT"):
        days = int(m["days"] or 0)
        seconds = Decimal((m["seconds"] or "0").replace(",", "."))
        try:
            rest = timedelta(
                hours=int(m["hours"] or 0),
                minutes=int(m["minutes"] or 0),
                # Integer microseconds keep "PT0.1S" exact (no float rounding).
                microseconds=int(seconds * 1_000_000),
            )
        except OverflowError as exc:
            raise ValueError(f"duration out of range: {text!r}") from exc
    else:
        raise ValueError(f"invalid ISO 8601 duration {text!r}; expected PnDTnHnMnS or PnW, e.g. 'P1DT2H'")
    if days == 0 and rest == timedelta(0):
        raise ValueError(f"duration must be positive: {text!r}")
    return days, rest


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration into a plain (calendar-time) ``timedelta`` (of any length)."""
    if not isinstance(text, str):
        raise TypeError(f"ISO 8601 duration must be a string, got {type(text).__name__}")
    days, rest = _parse_parts(text)
    try:
        return timedelta(days=days) + rest
    except OverflowError as exc:
        raise ValueError(f"duration out of range: {text!r}") from exc


def format_duration(td: timedelta) -> str:
    """Canonical ISO 8601 form of a non-negative ``timedelta``: ``P1DT2H30M``, ``PT0.5S``.

    ``parse_duration(format_duration(td)) == td`` for every positive ``td``.  Whole
    24h periods are written as days, so this is the inverse of ``parse_duration``
    (calendar time), not of the working-day reading of ``parse_duration_parts``.
    """
    if td < timedelta(0):
        raise ValueError(f"cannot format a negative duration: {td!r}")
    if td == timedelta(0):
        return "PT0S"
    hours, rem = divmod(td.seconds, 3600)
    minutes, seconds = divmod(rem, 60)
    date_part = f"{td.days}D" if td.days else ""
    time_part = f"{hours}H" if hours else ""
    time_part += f"{minutes}M" if minutes else ""
    if td.microseconds:
        time_part += f"{seconds}.{td.microseconds:06d}".rstrip("0") + "S"
    elif seconds:
        time_part += f"{seconds}S"
    return f"P{date_part}" + (f"T{time_part}" if time_part else "")
