"""Message texts per kind, language and channel: data in ``message_templates``, seeded with defaults.

Placeholders (``str.format`` style): ``{code}`` receipt code, ``{link}`` the public
lookup page (for ``resolve``: with the citizen's rating token), ``{status}`` the status label,
``{answer}`` the (shortened) answer, ``{note}`` what the department asks for, ``{main_code}``
the ticket a duplicate was merged into, ``{rating}`` the rating just given, ``{days}`` the
dispute window, ``{minutes}`` how long a one-time code (``otp``; its ``{code}`` is the code) is good
for. Unknown placeholders render empty.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.formats.textnorm import strip_diacritics
from callcentre.models import MessageTemplate
from callcentre.models.types import utcnow

# (kind, language) -> body. "sms" bodies also serve as the record of a Zalo message.
DEFAULTS: dict[tuple[str, str], str] = {
    ("created", "vi"): "Tổng đài 1022 đã tiếp nhận phản ánh của quý vị. Mã biên nhận: {code}. Tra cứu: {link}",
    ("created", "en"): "1022 hotline: your report was received. Receipt code: {code}. Track it: {link}",
    ("request_info", "vi"): "1022: Phản ánh {code} cần bổ sung thông tin: {note}. Vui lòng trả lời tin nhắn này "
                            "hoặc gọi 1022. {link}",
    ("request_info", "en"): "1022: report {code} needs more information: {note}. Please reply to this message or "
                            "call 1022. {link}",
    ("resolve", "vi"): "1022: Phản ánh {code} đã được trả lời: {answer} Nhắn 1-5 để đánh giá (5: rất hài lòng) "
                       "hoặc KHONG nếu chưa được giải quyết. Chi tiết: {link}",
    ("resolve", "en"): "1022: report {code} was answered: {answer} Reply 1-5 to rate it (5: very happy) or KHONG "
                       "if it is not solved. Details: {link}",
    # To the reporter of a ticket merged into the one answered (messaging/outbound.py).
    ("resolve_duplicate", "vi"): "1022: Phản ánh {code} của quý vị trùng với phản ánh {main_code}, đã được trả "
                                 "lời: {answer} Chi tiết: {link}",
    ("resolve_duplicate", "en"): "1022: your report {code} duplicates report {main_code}, which was answered: "
                                 "{answer} Details: {link}",
    ("close", "vi"): "1022: Phản ánh {code} đã kết thúc. Cảm ơn quý vị. {link}",
    ("close", "en"): "1022: report {code} is closed. Thank you. {link}",
    # Replies to inbound SMS (TwiML).
    ("status_reply", "vi"): "1022: Phản ánh {code}: {status}. Chi tiết: {link}",
    ("status_reply", "en"): "1022: report {code}: {status}. Details: {link}",
    ("not_found", "vi"): "1022: Không tìm thấy phản ánh {code} gửi từ số điện thoại này.",
    ("not_found", "en"): "1022: no report {code} was filed from this phone number.",
    ("inbound_created", "vi"): "1022 đã tiếp nhận tin nhắn của quý vị. Mã biên nhận: {code}. Tra cứu: {link}",
    ("inbound_created", "en"): "1022 received your message. Receipt code: {code}. Track it: {link}",
    ("opted_out", "vi"): "1022: Quý vị sẽ không nhận tin nhắn từ 1022 nữa. Nhắn START để nhận lại.",
    ("opted_out", "en"): "1022: you will get no more messages from 1022. Text START to resume.",
    ("opted_in", "vi"): "1022: Quý vị sẽ nhận lại tin nhắn thông báo từ 1022.",
    ("opted_in", "en"): "1022: you will receive 1022 messages again.",
    # Replies to the citizen's answer by SMS: a rating, KHONG, or the information asked for.
    ("feedback_thanks", "vi"): "1022: Cảm ơn quý vị đã đánh giá {rating}/5 cho trả lời phản ánh {code}.",
    ("feedback_thanks", "en"): "1022: thank you for rating the answer to report {code} {rating}/5.",
    ("dispute_received", "vi"): "1022: Đã ghi nhận phản ánh {code} chưa được giải quyết và đã mở lại để xử lý "
                                "tiếp. {link}",
    ("dispute_received", "en"): "1022: noted that report {code} is not solved. It was reopened for further "
                                "work. {link}",
    ("feedback_expired", "vi"): "1022: Phản ánh {code} đã được trả lời quá {days} ngày, không thể đánh giá "
                                "hoặc phản hồi qua tin nhắn nữa. Vui lòng gọi 1022.",
    ("feedback_expired", "en"): "1022: report {code} was answered more than {days} days ago and can no longer "
                                "be rated or disputed by SMS. Please call 1022.",
    ("feedback_reopened", "vi"): "1022: Phản ánh {code} đang được xử lý lại; quý vị sẽ nhận tin nhắn khi có "
                                 "trả lời mới.",
    ("feedback_reopened", "en"): "1022: report {code} is being worked on again; you will get a message with "
                                 "the new answer.",
    ("feedback_none", "vi"): "1022: Số điện thoại này không có phản ánh nào được trả lời trong {days} ngày qua "
                             "để đánh giá. Để phản ánh, hãy nhắn nội dung sự việc.",
    ("feedback_none", "en"): "1022: this phone number has no report answered in the last {days} days to rate. "
                             "To report something, text what happened.",
    # The web report's phone check (services/otp.py): sent even to an opted-out phone, as the
    # citizen asked for it this minute (a transactional message, not a notification).
    ("otp", "vi"): "1022: Mã xác minh phản ánh của quý vị là {code}, có hiệu lực {minutes} phút. Không đưa mã này "
                   "cho bất kỳ ai.",
    ("otp", "en"): "1022: your report verification code is {code}, valid for {minutes} minutes. Do not give this "
                   "code to anyone.",
    ("info_added", "vi"): "1022: Đã bổ sung thông tin của quý vị vào phản ánh {code}. Tra cứu: {link}",
    ("info_added", "en"): "1022: your information was added to report {code}. Track it: {link}",
}
CHANNELS = ("sms", "zalo")


def seed_message_templates() -> int:
    """Insert the default templates that are missing; never overwrite an edited one. Does not commit."""
    dialect = db.session.get_bind().dialect.name
    added = 0
    for channel in CHANNELS:
        for (kind, language), body in DEFAULTS.items():
            result = db.session.execute(
                upsert_insert(dialect, MessageTemplate)
                .values(kind=kind, language=language, channel=channel, body=body, updated_at=utcnow())
                .on_conflict_do_nothing(index_elements=["kind", "language", "channel"])
                .returning(MessageTemplate.id)  # rowcount is -1 here on psycopg; rows are exact
            )
            added += len(result.all())
    return added


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def template_body(kind: str, language: str, channel: str = "sms") -> str:
    """The stored text, else the built-in default (vi when the language has none)."""
    language = language if language in ("vi", "en") else "vi"
    rows = dict(db.session.execute(
        select(MessageTemplate.language, MessageTemplate.body).where(
            MessageTemplate.kind == kind, MessageTemplate.channel == channel,
            MessageTemplate.language.in_((language, "vi")))
    ).all())
    # The language's own default before a Vietnamese text: one edited row must not turn English messages Vietnamese.
    return rows.get(language) or DEFAULTS.get((kind, language)) or rows.get("vi") or DEFAULTS[(kind, "vi")]


def render(kind: str, language: str, params: Mapping[str, str], *, channel: str = "sms",
           strip: bool = False) -> str:
    """The text of ``kind`` for a citizen; ``strip``: Vietnamese without diacritics (GSM-7, cheaper)."""
    return fill(template_body(kind, language, channel), params, strip=strip)


def fill(body: str, params: Mapping[str, str], *, strip: bool = False) -> str:
    """``body`` with its placeholders filled (the admin page previews an unsaved body with it)."""
    text = body.format_map(_Blank(params))
    text = " ".join(text.split())  # an empty placeholder must not leave double spaces
    return strip_diacritics(text) if strip else text


def shorten(text: str | None, limit: int = 120) -> str:
    """An answer short enough for an SMS; the full text is behind the link."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
