"""WTForms for the web UI (Flask-WTF adds the CSRF token to each)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from callcentre.web.helpers import PRIORITY_LABELS

REQUIRED = _l("Bắt buộc nhập")


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

    phone = StringField(_l("Số điện thoại người gọi"), validators=[DataRequired(REQUIRED), Length(max=30)])
    name = StringField(_l("Họ tên"), validators=[Optional(), Length(max=200)])
    outcome = RadioField(_l("Kết quả cuộc gọi"), default="new_ticket", choices=[
        ("new_ticket", _l("Tạo phiếu mới")), ("attach", _l("Gắn vào phiếu đã có")),
        ("info_only", _l("Chỉ cung cấp thông tin"))])
    category = SelectField(_l("Lĩnh vực"), validators=[Optional()], validate_choice=False)
    department = SelectField(_l("Đơn vị xử lý"), validators=[Optional()], validate_choice=False)
    priority = SelectField(_l("Mức độ"), default="normal", choices=list(PRIORITY_LABELS.items()))
    description = TextAreaField(_l("Nội dung phản ánh"), validators=[Optional(), Length(max=5000)])
    address = StringField(_l("Địa chỉ sự việc"), validators=[Optional(), Length(max=500)])
    attach_code = StringField(_l("Mã biên nhận phiếu đã có"), validators=[Optional(), Length(max=20)])
    notes = TextAreaField(_l("Ghi chú cuộc gọi"), validators=[Optional(), Length(max=2000)])
    started_at = HiddenField()
    callback_of = HiddenField()


class AckForm(FlaskForm):
    comment = StringField(_l("Ghi nhận"), validators=[DataRequired(REQUIRED), Length(max=500)])
