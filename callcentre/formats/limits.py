"""The bounds every input shares: what the database, the date arithmetic and a reader can hold.

One module so that the API's schemas, the web forms, Open311 and the request guard refuse the
same values: an id PostgreSQL's ``integer`` cannot store, a page no one reads, a year 1 date
that overflows when converted to UTC, a NUL byte PostgreSQL's ``text`` refuses, a lone
surrogate UTF-8 cannot encode, a 1 MB "answer".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

MAX_ID = 2**31 - 1  # PostgreSQL ``integer``; every primary key and reference
MAX_PAGE = 10_000  # deeper than anyone pages; filters narrow a list instead
MAX_PER_PAGE = 100
# Dates and times accepted anywhere (filters, call times, calendar days): far from the ends of
# ``datetime`` so that a time zone conversion or a deadline computed from them cannot overflow.
MIN_YEAR, MAX_YEAR = 2000, 2100
MIN_DATETIME = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
MAX_DATETIME = datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)
YEARS_PATTERN = "^(20[0-9]{2}|2100)-"  # the same bound for OpenAPI clients
# Free text written by staff: notes, answers, reasons, call notes, ticket descriptions.
MAX_TEXT = 5000
MAX_SHORT_TEXT = 200  # names, titles, codes, search terms
MAX_JSON_DEPTH = 32  # objects and arrays inside each other in one request body

# A NUL or a lone UTF-16 surrogate (JSON can spell one: "\ud800"): not storable, not encodable.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
# The same rule for OpenAPI clients (JSON Schema pattern; surrogates are never valid in JSON Schema text).
NO_NUL_PATTERN = "^[^\\u0000]*$"

NUL = "nul"
SURROGATE = "surrogate"
TOO_LONG = "too_long"
PROBLEM_TEXT = {
    NUL: "must not contain NUL characters",
    SURROGATE: "must be valid Unicode text (a lone surrogate is not a character)",
    TOO_LONG: "must be at most {max} characters",
}


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """``NUL``, ``SURROGATE`` or ``TOO_LONG`` when ``value`` may not be stored; None when it may.
    Too long is refused, never cut: a cut answer would be published as if it were whole."""
    found = _UNSTORABLE.search(value)
    if found is not None:
        return NUL if found.group() == "\x00" else SURROGATE
    if max_length is not None and len(value) > max_length:
        return TOO_LONG
    return None


def has_unstorable(value: str) -> bool:
    return _UNSTORABLE.search(value) is not None


def has_surrogate(value: str) -> bool:
    return _SURROGATES.search(value) is not None


def id_in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID


def datetime_in_range(value: datetime) -> bool:
    """``value`` aware (as the schemas load it) and between 2000 and 2100."""
    return MIN_DATETIME <= value <= MAX_DATETIME


def date_in_range(value: date) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR
