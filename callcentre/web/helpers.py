"""Shared bits of the web UI: the role gate, HTML errors, Jinja filters, CSV, paging."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from callcentre.formats.csv_cell import csv_cell
from callcentre.formats.limits import MAX_PAGE
from callcentre.formats.receipt import display as receipt_display
from callcentre.http.pagination import Total
from workflows.roles import Role
from workflows.states import Status
from workflows.states import label as status_label

F = TypeVar("F", bound=Callable[..., Any])


def lang() -> str:
    return str(get_locale() or "vi")


def home_endpoint(user: Any) -> str:
    if user.role == Role.OPERATOR:
        return "web_operator.console"
    if user.is_department_staff:
        return "web_department.inbox"
    if user.role == Role.ADMIN:
        return "web_admin_home.home"
    return "web_supervisor.dashboard"


def page_roles(*roles: Role | str) -> Callable[[F], F]:
    """Like ``auth.roles_required`` for pages: anonymous -> login page, wrong role -> 403 page.

    ``"*"`` means any signed-in staff member. Admin always passes. Sets ``_roles`` for the route audit.
    """
    allowed = {str(r) for r in roles} | {Role.ADMIN.value}

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
            if "*" not in allowed and current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper._roles = allowed  # type: ignore[attr-defined]  # read by the route-audit test
        return cast(F, wrapper)  # wraps() kept view's signature

    return decorator


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user passes ``endpoint``'s page_roles gate (the nav shows only those)."""
    allowed = getattr(current_app.view_functions.get(endpoint), "_roles", None)
    return bool(current_user.is_authenticated and allowed and ("*" in allowed or current_user.role in allowed))


def html_errors(bp: Any) -> None:
    """Errors raised by a page's view render as HTML, not the API's JSON."""

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code and exc.code >= 500:
            from callcentre.core.extensions import db

            db.session.rollback()
        return render_template("web/error.html", code=exc.code, description=exc.description), exc.code or 500


# -- formatting ---------------------------------------------------------------

def localtime(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if value is None:
        return ""
    tz = ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))
    return value.astimezone(tz).strftime(fmt)


def isodate(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def duration(seconds: float | int | None) -> str:
    """Working time left (or overdue) as "3 giờ 20 phút" / "3 h 20 min"."""
    if seconds is None:
        return ""
    s = abs(int(seconds))
    hours, minutes = s // 3600, (s % 3600) // 60
    text = _("%(h)d giờ %(m)d phút", h=hours, m=minutes) if hours else _("%(m)d phút", m=max(minutes, 0))
    if s < 60:
        text = _("%(s)d giây", s=s)
    return text


def sla_state(clocks: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The most urgent running clock of a ticket (from the schema's ``sla`` field)."""
    running = [c for c in clocks if c["state"] != "stopped" and c["remaining_seconds"] is not None]
    if not running:
        return None
    return min(running, key=lambda c: c["remaining_seconds"])


STATE_LABELS = {"on_time": _l("Đúng hạn"), "at_risk": _l("Sắp quá hạn"), "breached": _l("Quá hạn")}


PRIORITY_LABELS = {"normal": _l("Bình thường"), "high": _l("Cao"), "urgent": _l("Khẩn cấp")}
CHANNEL_LABELS = {"phone": _l("Điện thoại 1022"), "app": _l("Ứng dụng"), "web": _l("Cổng thông tin"),
                  "zalo": "Zalo", "sms": "SMS", "walk_in": _l("Trực tiếp")}
# An SLA clock (and its alerts) by kind, as "Quá hạn (tiếp nhận)" names it.
CLOCK_LABELS = {"accept": _l("tiếp nhận"), "resolve": _l("trả lời"), "forward": _l("chuyển xử lý")}
EVENT_LABELS = {"created": _l("Tạo phiếu"), "comment": _l("Ghi chú nội bộ"), "call_attached": _l("Gắn cuộc gọi"),
                "merged_in": _l("Gộp phiếu trùng vào"), "sla_warning": _l("Cảnh báo sắp quá hạn"),
                "sla_breach": _l("Quá hạn"), "attachment": _l("Đính kèm tệp"),
                "publication": _l("Đổi quyết định công khai trả lời")}
# A call's ``disposition`` (models.call.Disposition).
DISPOSITION_LABELS = {"new_ticket": _l("Tạo phiếu mới"), "added_to_ticket": _l("Gắn vào phiếu đã có"),
                      "info_only": _l("Chỉ cung cấp thông tin"), "abandoned": _l("Bỏ máy khi chờ"),
                      "prank": _l("Cuộc gọi quấy rối"), "voicemail": _l("Để lại lời nhắn"),
                      "callback_done": _l("Đã gọi lại")}


def event_label(kind: str) -> str:
    from workflows.definition import BY_NAME

    spec = BY_NAME.get(kind)
    if spec is not None:
        return spec.label(lang())
    return str(EVENT_LABELS.get(kind, kind))


def install(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["receipt"] = receipt_display
    app.jinja_env.filters["number"] = format_decimal  # 10.000 in Vietnamese, 10,000 in English

    @app.context_processor
    def _web_globals() -> dict[str, Any]:
        return {
            "lang": lang,
            "status_label": lambda s: status_label(s, lang()),
            "state_label": lambda s: str(STATE_LABELS.get(s, s)),
            "name_of": lambda row: (getattr(row, "name_en", None) if lang() == "en" else None)
            or getattr(row, "name_vi", ""),
            "page_url": page_url,
            "may_open": may_open,
            "event_label": event_label,
            "priority_label": lambda p: str(PRIORITY_LABELS.get(p, p)),
            "channel_label": lambda c: str(CHANNEL_LABELS.get(c, c)),
            "clock_label": lambda k: str(CLOCK_LABELS.get(k, k)),
        }


# -- lists --------------------------------------------------------------------

def page_args(default_per_page: int = 20, param: str = "page") -> tuple[int, int]:
    try:
        page = min(MAX_PAGE, max(1, int(request.args.get(param, 1))))  # the deepest page a list serves
    except ValueError:
        page = 1
    try:
        per_page = min(100, max(1, int(request.args.get("per_page", default_per_page))))
    except ValueError:
        per_page = default_per_page
    return page, per_page


def page_url(page: int, param: str = "page", **extra: Any) -> str:
    """The current URL with another page (filters and the other lists' pages kept)."""
    args = {**request.args.to_dict(), **extra, param: page}
    if g.get("list_endpoint"):  # a list re-rendered by a POST view links back to its GET page
        return url_for(g.list_endpoint, **args)
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


def pager(page: int, per_page: int, total: Total | int) -> dict[str, Any]:
    """The pager macro's figures. ``estimate``: the count stopped at ``total`` and there are more
    (http/pagination.py), shown as "more than 10,000"; ``has_next`` then follows a full page."""
    counted = total if isinstance(total, Total) else Total(total)
    pages = max(1, math.ceil(counted.count / per_page))
    has_next = page < pages or (counted.is_estimate and counted.count >= page * per_page)
    return {"page": page, "per_page": per_page, "total": counted.count, "pages": pages,
            "estimate": counted.is_estimate, "has_next": has_next}


def wants_csv() -> bool:
    return request.args.get("format") == "csv"


CSV_CHUNK_ROWS = 500


def streamed_rows(stmt: Any) -> Iterator[Any]:
    """The rows of ``stmt``, read while the response streams: executed on first use (by then the
    view's session is closed, and the stream's context has a session of its own), ``CSV_CHUNK_ROWS``
    at a time (``yield_per``: a server-side cursor on PostgreSQL), so memory stays flat."""
    from callcentre.core.extensions import db

    yield from db.session.execute(stmt.execution_options(yield_per=CSV_CHUNK_ROWS))


def csv_times() -> Callable[[datetime | None], str]:
    """How every export writes a timestamp: in local time (``DEFAULT_TIMEZONE``; the headers say
    "giờ Việt Nam"), as "2026-12-04 09:15:00", nothing for None. The zone is looked up once per
    export, not per cell, and ``isoformat`` beats ``strftime``: a 100,000-row breach export formats
    300,000 of them."""
    zone = ZoneInfo(current_app.config.get("DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))

    def cell(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).isoformat(" ", "seconds")[:19]

    return cell


def csv_labels(labels: Mapping[str, Any], capitalise: bool = False) -> dict[str, str]:
    """A label map translated once into the request's language, for an export's rows to look
    codes up in (``.get(code, code)``: an unknown code is written as it is). ``capitalise``: a
    label written to go inside a sentence ("tiếp nhận") starts its own cell with a capital."""
    texts = {code: str(text) for code, text in labels.items()}
    return {code: text[:1].upper() + text[1:] for code, text in texts.items()} if capitalise else texts


def status_labels() -> dict[str, str]:
    """Every ticket status's label in the request's language."""
    return {s.value: status_label(s.value, lang()) for s in Status}


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> Response:
    """UTF-8 with BOM so spreadsheet programs show Vietnamese correctly; every cell through ``csv_cell``.

    Streamed: the header goes out at once, then the rows in chunks of ``CSV_CHUNK_ROWS`` as
    ``rows`` gives them (an export reads the database with a server-side cursor), so neither the
    first byte nor the memory waits for the whole file. Build anything that may fail with an
    error page before calling this: once streaming, the status is sent."""

    def generate() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([csv_cell(h) for h in header])
        yield "\ufeff" + buf.getvalue()
        buf.seek(0)
        buf.truncate()
        for n, row in enumerate(rows, 1):
            writer.writerow([csv_cell(v) for v in row])
            if n % CSV_CHUNK_ROWS == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
