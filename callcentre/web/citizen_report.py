"""/phan-anh: a citizen files a report on the web, verified by an SMS code (docs/citizen_report.md).

Made for a phone first and usable without JavaScript: the page posts the whole form to
``/phan-anh/ma`` for the code (the typed text comes back; photos must be chosen again) and to
``/phan-anh`` to file. With static/citizen_report.js the code is asked for without leaving the
page, categories are searched without diacritics, a point is tapped on the offline map or taken
from the phone's location (only when the citizen presses the button), and open reports nearby
are listed as the citizen types (``GET /api/v1/public/reports/nearby``) to follow one ("+1").
Filed: a 303 to the receipt page (a reload files nothing again; the code is used once anyway).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import select
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp

from callcentre.core.extensions import db, limiter
from callcentre.core.storage import MediaRejected
from callcentre.formats.extent import LANDMARKS, PROVINCE
from callcentre.formats.geo import communes
from callcentre.formats.limits import MAX_TEXT
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.receipt import display
from callcentre.formats.textnorm import search_key
from callcentre.http.errors import ApiError
from callcentre.http.request_guard import checks_own_text
from callcentre.models import Category, Ticket
from callcentre.schemas.public_report import OTP_PATTERN, PublicReportIn
from callcentre.services import citizen_reports, otp
from callcentre.services.queries import find_public_ticket
from callcentre.web.forms import REQUIRED, StorableText, add_errors
from callcentre.web.helpers import html_errors, lang

bp = Blueprint("web_citizen_report", __name__)
html_errors(bp)

MAP_WIDTH, MAP_HEIGHT = 340, 200  # the SVG's viewBox: the province's extent (formats/extent.py)


def _limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


class ReportForm(FlaskForm):
    category = SelectField(_l("Lĩnh vực"), validate_choice=False)
    description = TextAreaField(_l("Nội dung phản ánh"), validators=[Optional(), StorableText(MAX_TEXT)])
    commune_code = SelectField(_l("Xã, phường, đặc khu nơi xảy ra sự việc"), validate_choice=False)
    address = StringField(_l("Địa chỉ, nơi xảy ra (số nhà, đường, ấp, khu phố)"),
                          validators=[Optional(), StorableText(500)])
    lat = HiddenField()
    lng = HiddenField()
    media = MultipleFileField(_l("Ảnh (không bắt buộc, tối đa 3 ảnh)"))
    name = StringField(_l("Họ tên (không bắt buộc)"), validators=[Optional(), StorableText(200)])
    phone = StringField(_l("Số điện thoại"), validators=[DataRequired(REQUIRED), StorableText(30)])
    otp = StringField(_l("Mã xác minh (6 chữ số trong tin nhắn)"),
                      validators=[Optional(), Regexp(OTP_PATTERN, message=_l("Mã xác minh gồm đúng 6 chữ số"))])
    follow = HiddenField()


def _categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name_vi)))


def _commune_choices() -> list[tuple[str, str]]:
    return [("", "—"), *sorted(communes().items(), key=lambda item: search_key(item[1]))]


def _form() -> ReportForm:
    form = ReportForm()
    form.category.choices = [("", "—"), *((c.code, c.name_vi) for c in _categories())]
    form.commune_code.choices = _commune_choices()
    return form


def _point(lat: float, lng: float) -> tuple[float, float]:
    """Where ``lat``, ``lng`` fall on the map's viewBox."""
    x = (lng - PROVINCE.west) / (PROVINCE.east - PROVINCE.west) * MAP_WIDTH
    y = (PROVINCE.north - lat) / (PROVINCE.north - PROVINCE.south) * MAP_HEIGHT
    return round(x, 1), round(y, 1)


def _coordinates(form: ReportForm) -> tuple[float | None, float | None]:
    try:
        lat, lng = float(form.lat.data or ""), float(form.lng.data or "")
    except ValueError:
        return None, None
    return (lat, lng) if PROVINCE.contains(lat, lng) else (None, None)


def _nearby(form: ReportForm) -> list[citizen_reports.NearbyReport]:
    lat, lng = _coordinates(form)
    commune = form.commune_code.data if form.commune_code.data in communes() else None
    if not form.category.data or (commune is None and lat is None):
        return []
    return citizen_reports.nearby(form.category.data, commune, lat, lng)


def _page(form: ReportForm, status: int = 200, notice: str | None = None) -> ResponseReturnValue:
    lat, lng = _coordinates(form)
    return render_template(
        "web/citizen_report.html", form=form, categories=_categories(), search_key=search_key,
        nearby=_nearby(form), notice=notice, extent=PROVINCE, map_size=(MAP_WIDTH, MAP_HEIGHT),
        landmarks=[(name, *_point(la, ln)) for name, la, ln in LANDMARKS],
        marker=_point(lat, lng) if lat is not None and lng is not None else None,
        otp_minutes=current_app.config["OTP_TTL_SECONDS"] // 60, otp_tries=current_app.config["OTP_MAX_ATTEMPTS"],
        this_page=url_for("web_citizen_report.form_page")), status


@bp.route("/phan-anh", methods=["GET"])
@limiter.limit(_limit)
def form_page() -> ResponseReturnValue:
    return _page(_form())


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/phan-anh/ma", methods=["POST"])
@limiter.limit(_limit)
@checks_own_text
def send_code() -> ResponseReturnValue:
    """The "send the code" button: JSON for the page's script, else the page again with the notice."""
    form = _form()
    sent, problem, status, wait = None, None, 202, None
    try:
        otp.issue(to_e164(form.phone.data or ""), get_remote_address() or "unknown", lang())
        sent = _("Đã gửi mã xác minh đến số %(phone)s. Mã có hiệu lực %(n)d phút.",
                 phone=form.phone.data, n=current_app.config["OTP_TTL_SECONDS"] // 60)
        wait = current_app.config["OTP_RESEND_SECONDS"]
    except InvalidPhone:
        problem, status = _("Số điện thoại không hợp lệ; ví dụ 0912345678"), 422
    except otp.OtpRefused as exc:
        problem, status, wait = exc.text(), exc.status, exc.retry_after
    if _wants_json():
        return {"ok": sent is not None, "message": sent or problem, "field": "phone", "resend_after": wait}, status
    if problem:
        add_errors(form.phone, problem)
    # Only the phone is checked here: the rest of the form comes back as typed.
    return _page(form, status if problem else 200, notice=sent)


def _photos() -> list[Any]:
    return [f.stream for f in request.files.getlist("media") if f.filename or f.content_length]


_FIELD_TEXT = {
    "category": _l("Hãy chọn lĩnh vực"), "description": _l("Hãy mô tả sự việc"),
    "commune_code": _l("Hãy chọn xã, phường nơi xảy ra, nhập địa chỉ hoặc chọn điểm trên bản đồ"),
    "lat": _l("Điểm đã chọn nằm ngoài tỉnh Đồng Tháp"), "phone": _l("Số điện thoại không hợp lệ; ví dụ 0912345678"),
    "otp": _l("Hãy nhập mã xác minh 6 chữ số đã nhận qua tin nhắn"), "follow": _l("Không theo dõi được phản ánh này"),
}


def _show(form: ReportForm, field: str, text: str) -> None:
    target = getattr(form, "commune_code" if field in ("lat", "lng") else field, None) or form.description
    add_errors(target, text)


@bp.route("/phan-anh", methods=["POST"])
@limiter.limit(_limit)
@checks_own_text  # an overlong or NUL field is shown beside it, with what was typed
def submit() -> ResponseReturnValue:
    form = _form()
    valid = form.validate()
    raw = {k: (getattr(form, k).data or "") for k in ("category", "description", "commune_code", "address", "lat",
                                                    "lng", "name", "phone", "otp", "follow")}
    raw["language"] = lang()
    if not raw["otp"]:
        add_errors(form.otp, str(_FIELD_TEXT["otp"]))
        valid = False
    try:
        data = PublicReportIn().load(raw) if valid else None
    except ValidationError as exc:
        for field in exc.messages_dict:
            _show(form, field, str(_FIELD_TEXT.get(field, _("Giá trị không hợp lệ"))))
        data = None
    if data is None:
        return _page(form, 422)
    uploads = _photos()
    if len(uploads) > citizen_reports.MAX_PHOTOS:
        add_errors(form.media, _("Chỉ gửi được tối đa %(n)d ảnh", n=citizen_reports.MAX_PHOTOS))
        return _page(form, 422)
    try:
        photos = citizen_reports.read_photos(uploads)
        filed = citizen_reports.file_report(data, photos)
    except MediaRejected:
        add_errors(form.media, _("Ảnh không hợp lệ: chỉ nhận ảnh JPEG, PNG hoặc WebP, tối đa %(mb)d MB mỗi ảnh",
                                 mb=current_app.config["MEDIA_MAX_BYTES"] // (1024 * 1024)))
        return _page(form, 422)
    except citizen_reports.ReportRefused as exc:
        db.session.rollback()
        _show(form, exc.field, str(_FIELD_TEXT.get(exc.field, _("Giá trị không hợp lệ"))))
        return _page(form, exc.status)
    except otp.OtpRefused as exc:
        db.session.rollback()
        add_errors(form.otp, exc.text())
        return _page(form, exc.status)
    try:
        db.session.commit()
    except BaseException:
        citizen_reports.discard(filed.stored_keys)
        raise
    return redirect(url_for("web_citizen_report.done", receipt_code=filed.ticket.receipt_code), code=303)


submit._roles = frozenset({"sms-code"})  # type: ignore[attr-defined]  # route audit: the phone's code
send_code._roles = frozenset({"sms-code"})  # type: ignore[attr-defined]
form_page._roles = frozenset({"public"})  # type: ignore[attr-defined]  # open to anyone, like /t


@bp.route("/phan-anh/da-gui/<string:receipt_code>")
@limiter.limit(_limit)
def done(receipt_code: str) -> ResponseReturnValue:
    """The receipt: the code in large type and its QR code. Only what the lookup page shows."""
    try:
        ticket = find_public_ticket(receipt_code)
    except ApiError as exc:
        return render_template("web/error.html", code=exc.status, description=_("Không tìm thấy phiếu")), exc.status
    followed = db.session.get(Ticket, ticket.duplicate_of_id) if ticket.duplicate_of_id else None
    return render_template("web/citizen_report_done.html", code=ticket.receipt_code,
                           code_display=display(ticket.receipt_code),
                           followed=display(followed.receipt_code) if followed is not None else None)


done._roles = frozenset({"receipt-code"})  # type: ignore[attr-defined]  # the receipt code is the key
