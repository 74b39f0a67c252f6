"""WTForms for the web UI (Flask-WTF adds the CSRF token to each)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from callcentre.formats.limits import MAX_TEXT, NUL, SURROGATE, text_problem
from callcentre.web.helpers import PRIORITY_LABELS

REQUIRED = _l("Bắt buộc nhập")


def text_error(value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be saved (formats/limits.py), in the page's language; None if it can."""
    problem = text_problem(value, max_length)
    if problem in (NUL, SURROGATE):
        return _("Có ký tự không hợp lệ (ký tự điều khiển NUL); hãy xóa ký tự đó rồi gửi lại")
    if problem is not None:
        return _("Không được dài quá %(max)d ký tự (hiện có %(n)d)", max=max_length, n=len(value))
    return None


class StorableText:
    """A text field's value can be saved: no NUL, at most ``max_length`` characters (refused, never cut)."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __call__(self, form: Form, field: Field) -> None:
        message = text_error(field.data or "", self.max_length)
        if message is not None:
            raise ValidationError(message)


def add_errors(field: Field, *messages: str) -> None:
    """Show ``messages`` under ``field``; its ``errors`` is a tuple until the form is validated."""
    field.errors = [*field.errors, *messages]


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED)])
    next = HiddenField()


class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form: nothing to forge

    code = StringField(_l("Mã biên nhận"), validators=[DataRequired(REQUIRED), Length(max=20)])


class CallForm(FlaskForm):
    """One call, and what came of it: a new ticket, a link to an earlier one, or information only."""

    phone = StringField(_l("Số điện thoại người gọi"), validators=[DataRequired(REQUIRED), StorableText(30)])
    name = StringField(_l("Họ tên"), validators=[Optional(), StorableText(200)])
    outcome = RadioField(_l("Kết quả cuộc gọi"), default="new_ticket", choices=[
        ("new_ticket", _l("Tạo phiếu mới")), ("attach", _l("Gắn vào phiếu đã có")),
        ("info_only", _l("Chỉ cung cấp thông tin"))])
    category = SelectField(_l("Lĩnh vực"), validators=[Optional()], validate_choice=False)
    department = SelectField(_l("Đơn vị xử lý"), validators=[Optional()], validate_choice=False)
    priority = SelectField(_l("Mức độ"), default="normal", choices=list(PRIORITY_LABELS.items()))
    description = TextAreaField(_l("Nội dung phản ánh"), validators=[Optional(), StorableText(MAX_TEXT)])
    address = StringField(_l("Địa chỉ sự việc"), validators=[Optional(), StorableText(500)])
    attach_code = StringField(_l("Mã biên nhận phiếu đã có"), validators=[Optional(), StorableText(20)])
    notes = TextAreaField(_l("Ghi chú cuộc gọi"), validators=[Optional(), StorableText(MAX_TEXT)])
    started_at = HiddenField()
    callback_of = HiddenField()


class AckForm(FlaskForm):
    comment = StringField(_l("Ghi nhận"), validators=[DataRequired(REQUIRED), StorableText(500)])
