"""The citizen's rating or dispute of an answer (``POST /api/v1/public/tickets/{code}/feedback``).

Refusals are in the request's language, Vietnamese unless English was asked for
(``Accept-Language``, ``?lang=``): the citizen's own app shows them as they are.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validates, validates_schema

from callcentre.formats.limits import NO_NUL_PATTERN, TOO_LONG, text_problem
from callcentre.models.feedback import MAX_COMMENT, RATINGS
from callcentre.schemas.common import UTCDateTime

_NOT_TEXT = _l("Phải là một chuỗi ký tự")


class _Said(fields.Field):
    """A field whose error messages are lazy texts: raised in the request's language, as a list
    like marshmallow's own (a lazy text is no ``str``, which marshmallow would not wrap)."""

    def make_error(self, key: str, **kwargs: Any) -> ValidationError:
        message = self.error_messages.get(key)
        if message is not None and not isinstance(message, str | bytes):  # a lazy_gettext text
            return ValidationError(str(message))
        return super().make_error(key, **kwargs)


class _String(_Said, fields.String):
    pass


class _Integer(_Said, fields.Integer):
    pass


class _Boolean(_Said, fields.Boolean):
    pass


def _storable(value: str, max_length: int) -> None:
    problem = text_problem(value, max_length)
    if problem == TOO_LONG:
        raise ValidationError(_("Không được dài quá %(max)d ký tự (hiện có %(n)d)", max=max_length, n=len(value)))
    if problem is not None:
        raise ValidationError(_("Có ký tự không hợp lệ (ký tự điều khiển NUL); hãy xóa ký tự đó rồi gửi lại"))


class FeedbackIn(Schema):
    error_messages = {"unknown": _l("Trường không có trong yêu cầu đánh giá (chỉ token, rating, comment, dispute)")}

    token = _String(required=True, metadata={
        "description": "the ``k`` of the link in the resolution SMS", "maxLength": 64, "pattern": NO_NUL_PATTERN},
        error_messages={"required": _l("Thiếu mã đánh giá (k) trong đường dẫn tin nhắn"), "invalid": _NOT_TEXT,
                        "null": _l("Thiếu mã đánh giá (k) trong đường dẫn tin nhắn")})
    rating = _Integer(load_default=None, allow_none=True, strict=True, metadata={
        "minimum": RATINGS.start, "maximum": RATINGS.stop - 1, "description": "1 (very unhappy) to 5 (very happy)"},
        error_messages={"invalid": _l("Điểm đánh giá là một số từ 1 đến 5")})
    comment = _String(load_default=None, allow_none=True, metadata={
        "maxLength": MAX_COMMENT, "pattern": NO_NUL_PATTERN,
        "description": "optional; seen by staff only, never published"},
        error_messages={"invalid": _NOT_TEXT})
    dispute = _Boolean(load_default=False, metadata={
        "description": "true: the answer did not solve the problem; the ticket is reopened"},
        error_messages={"invalid": _l("Phải là true hoặc false")})

    @validates("token")
    def _token(self, value: str, **_kw: Any) -> None:
        if len(value) > 64 or text_problem(value) is not None:
            raise ValidationError(_("Mã đánh giá không đúng"))

    @validates("rating")
    def _rating(self, value: int | None, **_kw: Any) -> None:
        if value is not None and value not in RATINGS:
            raise ValidationError(_("Điểm đánh giá là một số từ 1 đến 5"))

    @validates("comment")
    def _comment(self, value: str | None, **_kw: Any) -> None:
        if value is not None:
            _storable(value, MAX_COMMENT)

    @validates_schema
    def _something(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("rating") is None and not data.get("dispute"):
            raise ValidationError(_("Hãy chọn điểm đánh giá từ 1 đến 5, hoặc gửi phản hồi chưa được giải quyết"),
                                  field_name="rating")


class FeedbackOut(Schema):
    receipt_code = fields.String()
    status = fields.String(metadata={"description": "``in_progress`` once a dispute reopened the ticket"})
    status_label = fields.Dict(keys=fields.String(), values=fields.String())
    rating = fields.Integer(allow_none=True)
    rated_at = UTCDateTime(allow_none=True)
    disputed = fields.Boolean(metadata={"description": "this request reopened the ticket"})
    open_until = UTCDateTime(allow_none=True, metadata={
        "description": "until when the answer may still be rated or disputed; null once reopened"})



def feedback_view(ticket: Any) -> dict[str, Any] | None:
    """The ticket's ``feedback`` for staff: ``{"rating", "comment", "at", "disputes"}``, or None when
    the citizen has said nothing. ``at``: when they last rated or disputed; ``disputes``: its
    ``citizen_dispute`` events."""
    from datetime import UTC

    if not any(e.kind == "resolve" for e in ticket.events):
        return None  # never answered, so never rated: no read (a new ticket's answer costs none)
    disputes = [e.created_at for e in ticket.events if e.kind == "citizen_dispute"]
    row = ticket.feedback
    rated = row is not None and (row.rating is not None or row.comment is not None)
    if not rated and not disputes:
        return None
    at = max([*disputes, *([row.rated_at] if rated and row.rated_at else [])], default=None)
    return {"rating": row.rating if rated else None, "comment": row.comment if rated else None,
            "at": at.astimezone(UTC).isoformat() if at else None, "disputes": len(disputes)}


# ``feedback`` in the ticket detail, as the OpenAPI document shows it.
FEEDBACK_DOC: dict[str, Any] = {
    "type": "object", "nullable": True,
    "description": "the citizen's rating of the answer (staff only: the comment is never published); "
                   "null until the citizen rates or disputes",
    "properties": {
        "rating": {"type": "integer", "minimum": 1, "maximum": 5, "nullable": True},
        "comment": {"type": "string", "nullable": True},
        "at": {"type": "string", "format": "date-time", "nullable": True,
               "description": "when the citizen last rated or disputed"},
        "disputes": {"type": "integer", "description": "how many times the citizen disputed an answer"},
    },
}
