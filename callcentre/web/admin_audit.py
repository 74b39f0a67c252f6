"""The audit log page (admin): the same rows and filters as ``GET /api/v1/audit``, times local."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from callcentre.formats.limits import MAX_DATETIME, MIN_DATETIME
from callcentre.http.pagination import paginate
from callcentre.models.audit import ACTIONS, TARGET_TYPES
from callcentre.services.audit import events_query
from callcentre.web.forms import text_error
from callcentre.web.helpers import html_errors, page_args, page_roles, pager
from workflows.roles import Role

bp = Blueprint("web_admin_audit", __name__, url_prefix="/admin")
html_errors(bp)

ACTION_LABELS = {
    "login": _l("Đăng nhập"), "login_failed": _l("Đăng nhập thất bại"), "logout": _l("Đăng xuất"),
    "view_personal_data": _l("Xem dữ liệu cá nhân"), "export_personal_data": _l("Xuất dữ liệu cá nhân"),
    "user_create": _l("Tạo tài khoản"), "user_update": _l("Sửa tài khoản"),
    "token_create": _l("Cấp token API"), "token_revoke": _l("Thu hồi token API"),
    "erase_personal_data": _l("Xóa dữ liệu cá nhân"), "template_update": _l("Sửa mẫu tin nhắn"),
    "department_create": _l("Tạo đơn vị"), "department_update": _l("Sửa đơn vị"),
    "category_create": _l("Tạo lĩnh vực"), "category_update": _l("Sửa lĩnh vực"),
    "policy_update": _l("Sửa chính sách thời hạn"), "calendar_exception_add": _l("Thêm ngày ngoại lệ"),
    "calendar_exception_delete": _l("Xóa ngày ngoại lệ"), "api_client_create": _l("Cấp khóa Open311"),
    "api_client_revoke": _l("Thu hồi khóa Open311"), "routing_rule_create": _l("Thêm quy tắc phân luồng"),
    "routing_rule_update": _l("Sửa quy tắc phân luồng"), "routing_rule_delete": _l("Xóa quy tắc phân luồng"),
    "jurisdiction_apply": _l("Áp dụng bản đồ hành chính"), "report_schedule_update": _l("Sửa lịch báo cáo"),
}
TARGET_LABELS = {"user": _l("Tài khoản"), "token": _l("Token API"), "ticket": _l("Phiếu"),
                 "contact": _l("Người gọi"), "export": _l("Tệp xuất"), "template": _l("Mẫu tin nhắn"),
                 "department": _l("Đơn vị"), "category": _l("Lĩnh vực"), "policy": _l("Chính sách thời hạn"),
                 "calendar": _l("Lịch làm việc"), "api_client": _l("Ứng dụng Open311"),
                 "routing_rule": _l("Quy tắc phân luồng"), "jurisdiction": _l("Địa giới hành chính"),
                 "report_schedule": _l("Lịch báo cáo")}
TEXT_LIMITS = {"actor": 100, "target_id": 64}


def _filters(args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's filters as ``events_query`` takes them, and a message per refused field."""
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, allowed in (("action", ACTIONS), ("target_type", TARGET_TYPES)):
        value = args.get(name, "")
        if value and value not in allowed:
            errors[name] = _("Giá trị không hợp lệ")
        elif value:
            filters[name] = value
    for name, limit in TEXT_LIMITS.items():
        value = args.get(name, "").strip()
        message = text_error(value, limit)
        if message is not None:
            errors[name] = message
        elif value:
            filters[name] = value
    tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    for name in ("from", "to"):
        value = args.get(name, "").strip()
        if not value:
            continue
        try:
            local = datetime.fromisoformat(value) if len(value) <= 32 else None
        except ValueError:
            local = None
        at = (local if local is None or local.tzinfo else local.replace(tzinfo=tz))
        if at is None or not MIN_DATETIME <= at <= MAX_DATETIME:
            errors[name] = _("Ngày giờ không hợp lệ")
        else:
            filters[name] = at
    if "from" in filters and "to" in filters and filters["from"] >= filters["to"]:
        errors["to"] = _("Phải sau thời điểm bắt đầu")
    return filters, errors


@bp.route("/audit")
@page_roles(Role.ADMIN)
def audit_log():
    """Newest first; a refused filter is shown beside its field (422) and the list stays empty."""
    page, per_page = page_args(50)
    filters, errors = _filters(request.args)
    rows, total = paginate(events_query(filters), page, per_page) if not errors else ([], 0)
    return render_template("web/admin_audit.html", rows=rows, p=pager(page, per_page, total), args=request.args,
                           errors=errors, actions=ACTION_LABELS, targets=TARGET_LABELS,
                           as_json=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True)), 422 if errors else 200
