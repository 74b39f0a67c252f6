"""CSV cells no spreadsheet program evaluates: every CSV the app writes (web/helpers.py exports,
formats/report_csv.py) passes its cells through ``csv_cell``."""

from __future__ import annotations

import re
from typing import Any

# A cell starting with one of these is a formula to Excel/LibreOffice/Sheets ("=HYPERLINK(...)",
# "@SUM(...)", "+cmd|..."; tab and CR hide one behind whitespace).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed plain number ("+84912345678", "-3600", "-1.5") computes nothing: it stays as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet program evaluates: text that would start a
    formula gets a leading ``'`` (shown as text, the OWASP advice). Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
