"""Query and form parameters as the specification defines them, with 400s that say why."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from callcentre.formats.limits import MAX_PAGE, MAX_YEAR, MIN_YEAR, date_in_range, has_unstorable
from callcentre.open311.errors import bad_request, not_found
from workflows.states import NOT_OPEN_VALUES, OPEN_VALUES

MAX_SPAN = timedelta(days=90)  # "may not span more than 90 days"
# The spec suggests 1000; a keyless caller gets at most 100 a page (docs/open311.md, publication).
MAX_PAGE_SIZE = 100
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def param(name: str) -> str | None:
    """A query or form value, stripped; blank counts as absent."""
    value = request.values.get(name)
    value = value.strip() if value is not None else None
    return value or None


def check_storable_values() -> None:
    """No NUL (PostgreSQL's text cannot hold one) in any query or form value: the spec's 400.
    The app's request guard leaves Open311's forms to this, read after its body limit is set."""
    for name, value in request.values.items(multi=True):
        if has_unstorable(name) or has_unstorable(str(value)):
            shown = name.replace("\x00", "\\0")
            raise bad_request(f"{shown} must not contain NUL characters")


def comma_list(name: str) -> list[str]:
    return [part.strip() for part in (param(name) or "").split(",") if part.strip()]


def language() -> str:
    """``?lang=vi|en``, else the Accept-Language header, else Vietnamese."""
    lang = param("lang")
    if lang in ("vi", "en"):
        return lang
    return request.accept_languages.best_match(["vi", "en"]) or "vi"


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def local_iso(value: datetime | None) -> str | None:
    """Times leave in local time with their offset: ``2026-11-23T08:00:00+07:00``."""
    return None if value is None else value.astimezone(local_zone()).isoformat(timespec="seconds")


def check_jurisdiction() -> None:
    """One jurisdiction per deployment: absent is fine, another one is not found."""
    given = param("jurisdiction_id")
    served = current_app.config["OPEN311_JURISDICTION_ID"]
    if given is not None and given != served:
        raise not_found(f"jurisdiction_id '{given}' not found; this endpoint serves '{served}'")


def parse_datetime(name: str, value: str) -> datetime:
    """W3C date/time with a timezone; a bare date means local midnight. Returns UTC, of the years
    2000 to 2100 (formats/limits.py): the 90-day window around year 1 or 9999 overflows."""
    malformed = bad_request(f"{name} must be a W3C date/time, e.g. 2026-11-23T08:00:00+07:00")
    if _DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:  # 2026-13-45
            raise malformed from None
        if not date_in_range(day):
            raise bad_request(f"{name} must be in the years {MIN_YEAR} to {MAX_YEAR}")
        return datetime(day.year, day.month, day.day, tzinfo=local_zone()).astimezone(UTC)
    # An unencoded "+07:00" in a query string arrives as " 07:00".
    text = value.replace(" ", "+") if "T" in value else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise malformed from None
    if parsed.tzinfo is None:
        raise bad_request(f"{name} needs a timezone, e.g. 2026-11-23T08:00:00+07:00 or ...Z")
    if not date_in_range(parsed):
        raise bad_request(f"{name} must be in the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed.astimezone(UTC)


def date_range(now: datetime) -> tuple[datetime, datetime]:
    """start_date/end_date; missing ends default to a 90-day window (ending now)."""
    raw_start, raw_end = param("start_date"), param("end_date")
    start = parse_datetime("start_date", raw_start) if raw_start else None
    end = parse_datetime("end_date", raw_end) if raw_end else None
    if start is None:
        end = end or now
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise bad_request("end_date is before start_date")
    if end - start > MAX_SPAN:
        raise bad_request("start_date and end_date may not span more than 90 days")
    return start, end


def page_params() -> tuple[int, int]:
    """The common ``page``/``page_size`` extension; page_size defaults to (and is at most) ``MAX_PAGE_SIZE``."""
    values = {}
    for name, default, ceiling in (("page", 1, MAX_PAGE), ("page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)):
        raw = param(name)
        try:
            value = int(raw) if raw is not None else default
        except ValueError:
            raise bad_request(f"{name} must be a whole number") from None
        if value < 1:
            raise bad_request(f"{name} must be 1 or more")
        if value > ceiling:
            raise bad_request(f"{name} must be between 1 and {ceiling}")
        values[name] = value
    return values["page"], values["page_size"]


def status_filter() -> frozenset[str] | None:
    """``status=open,closed`` as internal statuses; None means all."""
    wanted = comma_list("status")
    if not wanted:
        return None
    unknown = [s for s in wanted if s not in ("open", "closed")]
    if unknown:
        raise bad_request(f"status must be open and/or closed (got '{', '.join(unknown)}')")
    statuses: frozenset[str] = frozenset()
    if "open" in wanted:
        statuses |= frozenset(OPEN_VALUES)
    if "closed" in wanted:
        statuses |= frozenset(NOT_OPEN_VALUES)
    return statuses


def public_status(internal: str) -> str:
    return "open" if internal in OPEN_VALUES else "closed"
