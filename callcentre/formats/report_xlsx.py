"""The period report as an .xlsx workbook (services/report_summary.py gives the figures).

One sheet per grouping, a sheet of calls per day, and "Định nghĩa" (what each figure means).
Vietnamese headers whatever the reader's language (the file is passed around as it is); counts
are numbers, rates fractions shown as percentages, durations working hours as numbers, the
period's dates real dates and the build time a local (Asia/Ho_Chi_Minh) date-time.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# openpyxl ships no type hints (and its stubs are not a dependency here).
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _same(v: Any) -> Any:
    return v


def _hours(v: Any) -> float:
    return float(v) / 3600


@dataclass(frozen=True)
class Column:
    key: str
    title_vi: str
    kind: str  # "count" | "rate" | "hours" | "rating" | "seconds"

    def value(self, v: Any) -> Any:
        """The figure as the workbook stores it (None stays an empty cell)."""
        fn: Callable[[Any], Any] = _hours if self.kind == "hours" else _same
        return None if v is None else fn(v)

    @property
    def number_format(self) -> str:
        return {"count": "0", "rate": "0.0%", "hours": "0.00", "rating": "0.00", "seconds": "0.0"}[self.kind]


COLUMNS = (
    Column("received", "Tiếp nhận", "count"),
    Column("resolved", "Đã trả lời", "count"),
    Column("on_time", "Đúng hạn", "count"),
    Column("late", "Trễ hạn", "count"),
    Column("on_time_rate", "Tỷ lệ đúng hạn (%)", "rate"),
    Column("overdue", "Quá hạn chưa xử lý xong", "count"),
    Column("rejected", "Không tiếp nhận", "count"),
    Column("duplicates", "Trùng", "count"),
    Column("time_to_accept_median_seconds", "Thời gian nhận xử lý, trung vị (giờ làm việc)", "hours"),
    Column("time_to_accept_p90_seconds", "Thời gian nhận xử lý, P90 (giờ làm việc)", "hours"),
    Column("time_to_resolve_median_seconds", "Thời gian giải quyết, trung vị (giờ làm việc)", "hours"),
    Column("time_to_resolve_p90_seconds", "Thời gian giải quyết, P90 (giờ làm việc)", "hours"),
    Column("ratings", "Lượt đánh giá", "count"),
    Column("average_rating", "Điểm đánh giá trung bình (1–5)", "rating"),
    Column("answers", "Lượt trả lời đã gửi", "count"),
    Column("disputes", "Lượt phản hồi chưa hài lòng", "count"),
    Column("dispute_rate", "Tỷ lệ phản hồi chưa hài lòng (%)", "rate"),
)
CALL_COLUMNS = (
    Column("calls", "Cuộc gọi đến", "count"),
    Column("answered", "Đã trả lời", "count"),
    Column("abandoned", "Bỏ máy", "count"),
    Column("voicemail", "Hộp thư thoại", "count"),
    Column("waiting", "Đang chờ", "count"),
    Column("callbacks", "Gọi lại (cuộc gọi đi)", "count"),
    Column("answered_rate", "Tỷ lệ trả lời (%)", "rate"),
    Column("abandoned_rate", "Tỷ lệ bỏ máy (%)", "rate"),
    Column("asa_seconds", "Thời gian chờ trả lời trung bình, ASA (giây)", "seconds"),
    Column("aht_seconds", "Thời gian xử lý trung bình, AHT (giây)", "seconds"),
    Column("service_level", "Mức phục vụ (%)", "rate"),
)
SHEETS = {"category": "Lĩnh vực", "department": "Đơn vị", "channel": "Kênh", "commune": "Xã, phường",
          "priority": "Mức độ ưu tiên"}
GROUP_TITLES = {"category": "Báo cáo theo lĩnh vực", "department": "Báo cáo theo đơn vị xử lý",
                "channel": "Báo cáo theo kênh tiếp nhận", "commune": "Báo cáo theo xã, phường",
                "priority": "Báo cáo theo mức độ ưu tiên"}
# (term, definition): docs/reports.md says the same at more length.
DEFINITIONS = (
    ("Kỳ báo cáo", "Từ 00:00 ngày đầu đến 24:00 ngày cuối, giờ Việt Nam (Asia/Ho_Chi_Minh), tính cả hai ngày."),
    ("Tiếp nhận", "Số phiếu được tạo trong kỳ."),
    ("Đã trả lời", "Số phiếu được trả lời trong kỳ (thời điểm trả lời gần nhất nằm trong kỳ)."),
    ("Đúng hạn", "Phiếu đã trả lời trong kỳ mà hạn giải quyết chưa từng bị vượt (không có cảnh báo quá hạn)."),
    ("Trễ hạn", "Phiếu đã trả lời trong kỳ mà hạn giải quyết đã bị vượt ít nhất một lần."),
    ("Quá hạn", "Phiếu tiếp nhận trong kỳ, đến lúc lập báo cáo vẫn đang xử lý (không chờ công dân bổ sung) "
                "và đã qua hạn giải quyết."),
    ("Không tiếp nhận", "Phiếu tiếp nhận trong kỳ, hiện ở trạng thái không tiếp nhận."),
    ("Trùng", "Phiếu tiếp nhận trong kỳ, hiện được gộp vào phiếu khác (trùng)."),
    ("Thời gian nhận xử lý", "Giờ làm việc từ lúc chuyển cho đơn vị đến lúc đơn vị nhận xử lý, của các phiếu "
                             "đã trả lời trong kỳ."),
    ("Thời gian giải quyết", "Giờ làm việc từ lúc tiếp nhận đến lúc trả lời, của các phiếu đã trả lời trong kỳ."),
    ("Giờ làm việc", "Theo lịch làm việc 'working_hours': thứ Hai–thứ Sáu 7:00–11:30 và 13:30–17:00, trừ ngày "
                     "lễ, ngày nghỉ bù và ngày nghỉ đột xuất; cộng các ngày làm bù."),
    ("Trung vị, P90", "Giá trị ở vị trí 50% và 90% của dãy đã sắp xếp, nội suy tuyến tính giữa hai giá trị kề."),
    ("Đánh giá", "Các lượt công dân chấm điểm (1–5) trong kỳ; tính cho đơn vị đã trả lời."),
    ("Phản hồi chưa hài lòng", "Số lượt công dân phản hồi câu trả lời chưa giải quyết được vấn đề trong kỳ, "
                               "chia cho số câu trả lời đã gửi trong kỳ."),
    ("Cuộc gọi", "Cuộc gọi đến đường dây 1022 bắt đầu trong kỳ, theo ngày; cuộc gọi không thuộc lĩnh vực nào "
                 "nên không chia theo lĩnh vực, đơn vị."),
    ("ASA, AHT", "ASA: thời gian trung bình từ lúc gọi đến lúc được trả lời; AHT: thời gian trung bình một cuộc "
                 "gọi đã trả lời (từ lúc trả lời đến lúc kết thúc)."),
    ("Mức phục vụ", "Tỷ lệ cuộc gọi được trả lời trong số giây quy định (SERVICE_LEVEL_SECONDS), trên các "
                    "cuộc gọi đã trả lời và bỏ máy."),
)
_BOLD = Font(bold=True)


def _local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)  # a spreadsheet has no time zones


def _head(sheet: Worksheet, title: str, report: dict[str, Any]) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["Từ ngày", report["period_from"], "Đến ngày", report["period_to"]])
    for cell in ("B2", "D2"):
        sheet[cell].number_format = "DD/MM/YYYY"
    sheet.append(["Lập lúc", _local(report["generated_at"], report["timezone"]), "Múi giờ", report["timezone"],
                  "Lịch làm việc", report["calendar"]])
    sheet["B3"].number_format = "DD/MM/YYYY HH:MM"


def _table(sheet: Worksheet, first: list[str], columns: tuple[Column, ...],
           rows: list[tuple[list[Any], dict[str, Any]]]) -> None:
    sheet.append([*first, *[c.title_vi for c in columns]])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = _BOLD
    for lead, row in rows:
        sheet.append([*lead, *[c.value(row.get(c.key)) for c in columns]])
        for i, col in enumerate(columns, start=len(first) + 1):
            sheet.cell(sheet.max_row, i).number_format = col.number_format
    sheet.freeze_panes = sheet.cell(header_row + 1, len(first) + 1)
    for i in range(1, len(first) + len(columns) + 1):
        sheet.column_dimensions[get_column_letter(i)].width = 28 if i == len(first) else 14


def report_workbook(report: dict[str, Any]) -> bytes:
    """The workbook of ``report`` (``summary(period, GROUPS)``: every grouping)."""
    book = Workbook()
    book.remove(book.active)
    for group, rows in report["groups"].items():
        sheet = book.create_sheet(SHEETS[group])
        _head(sheet, GROUP_TITLES[group], report)
        total = report["total"]
        _table(sheet, ["Mã", "Tên"], COLUMNS,
               [([r["key"], r["name_vi"]], r) for r in rows] + [([None, total["name_vi"]], total)])
        sheet[sheet.max_row][1].font = _BOLD
    calls = book.create_sheet("Cuộc gọi")
    _head(calls, "Cuộc gọi đến đường dây 1022 theo ngày", report)
    _table(calls, ["Ngày"], CALL_COLUMNS,
           [([r["day"]], r) for r in report["calls"]["per_day"]] + [(["Tổng cộng"], report["calls"]["total"])])
    for (cell,) in calls.iter_rows(min_row=5, max_row=calls.max_row - 1, max_col=1):
        cell.number_format = "DD/MM/YYYY"
    definitions = book.create_sheet("Định nghĩa")
    definitions.append(["Chỉ số", "Định nghĩa"])
    for cell in definitions[1]:
        cell.font = _BOLD
    for term, text in DEFINITIONS:
        definitions.append([term, text])
    definitions.append(["Mức phục vụ (giây)", report["calls"]["service_level_seconds"]])
    definitions.column_dimensions["A"].width = 26
    definitions.column_dimensions["B"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: dict[str, Any], extension: str, kind: str = "bao-cao") -> str:
    """``bao-cao_2025-04-01_2025-04-30.xlsx``: ASCII, so every browser keeps it."""
    return f"{kind}_{report['period_from'].isoformat()}_{report['period_to'].isoformat()}.{extension}"
