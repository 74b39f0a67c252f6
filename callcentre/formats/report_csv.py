"""The period report of one grouping as CSV: Vietnamese headers (those of the workbook), UTF-8
with a BOM as the other exports (so spreadsheet programs read the diacritics), numbers as plain
numbers (rates in percent, durations in working hours, as the headers say). Calls are per day,
not per grouping: they are in the workbook and the JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from callcentre.formats.csv_cell import csv_cell
from callcentre.formats.report_xlsx import COLUMNS, Column


def _cell(col: Column | None, value: Any) -> Any:
    if value is None or isinstance(value, str):
        return csv_cell(value)
    assert col is not None
    if col.kind == "rate":
        return round(value * 100, 2)
    if col.kind in ("hours", "rating", "seconds"):
        return round(col.value(value), 2)
    return value


def report_csv(report: dict[str, Any], group: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Mã", "Tên", *[c.title_vi for c in COLUMNS]])
    for row in [*report["groups"][group], report["total"]]:
        writer.writerow([_cell(None, row["key"]), _cell(None, row["name_vi"]),
                         *[_cell(c, row.get(c.key)) for c in COLUMNS]])
    return "\ufeff" + buf.getvalue()
