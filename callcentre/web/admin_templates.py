"""The message templates page (admin): each SMS/Zalo text with its placeholders, a live preview
and the parts it is billed as; save and reset through services/message_templates.py, as the API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from callcentre.core.extensions import db
from callcentre.formats.limits import MAX_TEXT
from callcentre.services import message_templates as templates
from callcentre.services.message_templates import Preview, TemplateError, TemplateView
from callcentre.web.helpers import html_errors, page_roles
from integrations.sms import SegmentCount
from workflows.roles import Role

bp = Blueprint("web_admin_templates", __name__, url_prefix="/admin")
html_errors(bp)

KIND_LABELS = {
    "created": _l("Tiếp nhận phản ánh"), "request_info": _l("Đề nghị bổ sung thông tin"),
    "resolve": _l("Trả lời phản ánh"), "resolve_duplicate": _l("Trả lời phản ánh trùng"),
    "close": _l("Kết thúc phản ánh"), "status_reply": _l("Trả lời tra cứu trạng thái"),
    "not_found": _l("Không tìm thấy phản ánh"), "inbound_created": _l("Tiếp nhận tin nhắn SMS"),
    "opted_out": _l("Ngừng nhận tin"), "opted_in": _l("Nhận tin trở lại"),
    "feedback_thanks": _l("Cảm ơn đánh giá"), "dispute_received": _l("Ghi nhận chưa được giải quyết"),
    "feedback_expired": _l("Quá hạn đánh giá"), "feedback_reopened": _l("Đang xử lý lại"),
    "feedback_none": _l("Không có phản ánh để đánh giá"), "info_added": _l("Đã bổ sung thông tin"),
}
LANGUAGE_LABELS = {"vi": _l("Tiếng Việt"), "en": _l("Tiếng Anh")}
PLACEHOLDER_LABELS = {
    "code": _l("mã biên nhận"), "link": _l("trang tra cứu"), "status": _l("trạng thái"),
    "answer": _l("nội dung trả lời (rút gọn)"), "note": _l("thông tin cần bổ sung"),
    "main_code": _l("mã phản ánh đã trả lời"), "rating": _l("điểm đánh giá"), "days": _l("số ngày"),
}


def _key(kind: str, language: str, channel: str) -> str:
    return f"{kind}-{language}-{channel}"


def _page(failed: dict[str, Any] | None = None, status: int = 200):
    """The table: one row per kind and channel, one cell per language. ``failed``: the refused
    form's key, typed body and message, shown in place of the stored text."""
    failed = failed or {}
    rows: dict[tuple[str, str], dict[str, TemplateView]] = {}
    shown: dict[str, Preview | None] = {}  # each text's preview as the page opens (the script updates it)
    for view in templates.list_templates():
        rows.setdefault((view.channel, view.kind), {})[view.language] = view
        key = _key(view.kind, view.language, view.channel)
        try:
            shown[key] = templates.preview(view.kind, view.language, view.channel,
                                           failed["body"] if failed.get("key") == key else view.body)
        except TemplateError:
            shown[key] = None
    return render_template("web/admin_templates.html", rows=rows, kinds=KIND_LABELS, languages=LANGUAGE_LABELS,
                           placeholders=PLACEHOLDER_LABELS, failed=failed, key=_key, shown=shown,
                           summary=_summary, max_body=templates.MAX_BODY), status


def _summary(count: SegmentCount) -> str:
    encoding = _("Unicode (có dấu)") if count.encoding == "ucs2" else _("không dấu (GSM-7)")
    return _("%(n)d phần tin nhắn, %(units)d ký tự, %(encoding)s", n=count.segments, units=count.units,
             encoding=encoding)


@bp.route("/templates")
@page_roles(Role.ADMIN)
def templates_page():
    return _page()


@bp.route("/templates/<kind>/<language>/<channel>", methods=["POST"])
@page_roles(Role.ADMIN)
def save_template(kind: str, language: str, channel: str):
    """Save (``action=save``) or reset to the default (``action=reset``); a refused body is shown
    again beside its field (422), nothing written."""
    action = request.form.get("action", "save")
    body = request.form.get("body", "")
    actor = current_user._get_current_object()
    try:
        if action == "reset":
            templates.reset_template(kind, language, channel, actor)
        elif action == "save":
            templates.update_template(kind, language, channel, body, actor)
        else:
            abort(400)
    except TemplateError as exc:
        if exc.status == 404:
            abort(404)
        db.session.rollback()
        return _page({"key": _key(kind, language, channel), "body": body, "message": str(exc)}, 422)
    db.session.commit()
    flash(_("Đã khôi phục nội dung mặc định") if action == "reset" else _("Đã lưu mẫu tin nhắn"), "success")
    return redirect(url_for("web_admin_templates.templates_page") + f"#tpl-{_key(kind, language, channel)}")


@bp.route("/templates/preview", methods=["POST"])
@page_roles(Role.ADMIN)
def preview():
    """The message a body gives for a sample ticket, with its parts (the page shows it as the
    admin types). Writes nothing; a refused body is a 422 whose ``error`` says why."""
    form = request.form
    kind, language, channel = form.get("kind", ""), form.get("language", ""), form.get("channel", "")
    body = form.get("body", "")
    if len(body) > MAX_TEXT:  # far past the limit: not worth counting
        return jsonify({"error": _("Không được dài quá %(max)d ký tự (hiện có %(n)d)", max=templates.MAX_BODY,
                                   n=len(body))}), 422
    try:
        shown = templates.preview(kind, language, channel, body)
    except TemplateError as exc:
        return jsonify({"error": str(exc)}), 404 if exc.status == 404 else 422
    count = shown.count
    return jsonify({"body": shown.body, "segments": count.segments, "units": count.units,
                    "encoding": count.encoding, "message": _summary(count)})
