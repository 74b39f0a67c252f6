"""Editing the citizen message templates (messaging/templates.py), for admins: list, check, save, reset, preview.

One set of rules for the API and the admin page: a body is not blank, at most ``MAX_BODY``
characters, uses only the placeholders its kind is rendered with, as plain ``{name}`` (no
``{code.attr}``, ``{code!r}`` or ``{code:>9}``: ``str.format`` would evaluate them), and keeps
every placeholder of its default (a resolve without ``{link}`` would lose the rating link).
Messages are in the request's language (Vietnamese first). Nothing here commits: the caller
commits the change with its audit row.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from callcentre.core.extensions import db
from callcentre.formats.limits import text_problem
from callcentre.formats.receipt import display
from callcentre.messaging.templates import CHANNELS, DEFAULTS, fill, shorten
from callcentre.models import MessageTemplate, User
from callcentre.services import audit, feedback
from integrations.sms import SegmentCount, count_segments
from workflows.states import Status, label

MAX_BODY = 1000
LANGUAGES = ("vi", "en")
KINDS = tuple(dict.fromkeys(kind for kind, _language in DEFAULTS))

# The values each kind is rendered with (messaging/outbound.py and inbound.py): any other
# placeholder would render empty, so it is refused.
_TICKET = ("code", "link", "status")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "created": _TICKET, "request_info": (*_TICKET, "note"), "resolve": (*_TICKET, "answer"),
    "close": (*_TICKET, "answer"), "resolve_duplicate": ("code", "main_code", "link", "status", "answer"),
    "status_reply": _TICKET, "not_found": ("code",), "inbound_created": ("code", "link"),
    "opted_out": (), "opted_in": (), "feedback_thanks": (*_TICKET, "rating"),
    "dispute_received": _TICKET, "feedback_expired": (*_TICKET, "days"), "feedback_reopened": _TICKET,
    "feedback_none": ("days",), "info_added": ("code", "link"),
    "otp": ("code", "minutes"),  # services/otp.py: {code} is the one-time code, not a receipt code
}

# The preview's sample ticket (the admin page shows the message as a citizen would get it).
SAMPLE_CODE = "C32HFM3Y0T"
SAMPLE_MAIN_CODE = "K7QW2M9XPB"
SAMPLE_ANSWER = {
    "vi": "Đoàn kiểm tra của phường đã lập biên bản, cơ sở cam kết ngừng đốt lò gạch trước ngày 15 và "
          "khắc phục khói bụi trong tuần này.",
    "en": "The ward inspection team issued a report; the kiln owner promised to stop burning before the 15th "
          "and to fix the smoke this week.",
}
SAMPLE_NOTE = {"vi": "Xin cho biết số nhà và thời gian xảy ra sự việc",
               "en": "Please give the house number and when it happened"}


class TemplateError(ValueError):
    """A refused template change: ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message: str, field: str | None = "body", status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class TemplateView:
    kind: str
    language: str
    channel: str
    body: str  # what is sent now: the stored text, else the default
    default_body: str
    placeholders: tuple[str, ...]  # the ones this kind may use
    required: tuple[str, ...]  # the ones it must keep (those of its default)
    updated_at: datetime | None  # None: never saved, the default applies

    @property
    def customised(self) -> bool:
        return self.body != self.default_body

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.language}:{self.channel}"


def default_body(kind: str, language: str) -> str:
    return DEFAULTS.get((kind, language)) or DEFAULTS[(kind, "vi")]


def required_placeholders(kind: str, language: str) -> tuple[str, ...]:
    """Every placeholder of the default body, in its order."""
    names = [name for _text, name, _spec, _conv in string.Formatter().parse(default_body(kind, language)) if name]
    return tuple(dict.fromkeys(names))


def _known(kind: str, language: str, channel: str) -> None:
    if kind not in PLACEHOLDERS or language not in LANGUAGES or channel not in CHANNELS:
        raise TemplateError(f"no template {kind}:{language}:{channel}", field=None, status=404)


def _view(kind: str, language: str, channel: str, row: MessageTemplate | None) -> TemplateView:
    default = default_body(kind, language)
    return TemplateView(kind, language, channel, row.body if row is not None else default, default,
                        PLACEHOLDERS[kind], required_placeholders(kind, language),
                        row.updated_at if row is not None else None)


def _row(kind: str, language: str, channel: str) -> MessageTemplate | None:
    return db.session.scalar(select(MessageTemplate).where(
        MessageTemplate.kind == kind, MessageTemplate.language == language, MessageTemplate.channel == channel))


def list_templates() -> list[TemplateView]:
    """Every kind × language for SMS, and for Zalo when Zalo is in use (a provider, or a stored
    Zalo text), by kind in the order of the defaults, Vietnamese first."""
    rows = {(r.kind, r.language, r.channel): r for r in db.session.scalars(select(MessageTemplate))}
    channels = ["sms"]
    if current_app.config.get("ZALO_PROVIDER") or any(channel == "zalo" for _k, _l, channel in rows):
        channels.append("zalo")
    return [_view(kind, language, channel, rows.get((kind, language, channel)))
            for channel in channels for kind in KINDS for language in LANGUAGES
            if kind in PLACEHOLDERS]


def get_template(kind: str, language: str, channel: str) -> TemplateView:
    _known(kind, language, channel)
    return _view(kind, language, channel, _row(kind, language, channel))


def _shown(names: tuple[str, ...]) -> str:
    return ", ".join("{" + n + "}" for n in names) or _("(không có)")


def check_body(kind: str, language: str, body: str) -> str:
    """The body as it will be stored (trimmed), or ``TemplateError`` saying what is wrong."""
    problem = text_problem(body, MAX_BODY)
    if problem == "too_long":
        raise TemplateError(_("Không được dài quá %(max)d ký tự (hiện có %(n)d)", max=MAX_BODY, n=len(body)))
    if problem is not None:
        raise TemplateError(_("Có ký tự không hợp lệ (ký tự điều khiển NUL); hãy xóa ký tự đó rồi gửi lại"))
    body = body.strip()
    if not body:
        raise TemplateError(_("Hãy nhập nội dung tin nhắn"))
    allowed = PLACEHOLDERS[kind]
    try:
        parts = list(string.Formatter().parse(body))
    except ValueError:  # a "{" or "}" without its pair
        raise TemplateError(_("Có dấu { hoặc } lẻ; biến phải viết đủ cặp ngoặc, ví dụ {code}")) from None
    used: list[str] = []
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            written = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
            raise TemplateError(_("Biến %(name)s không dùng được trong mẫu này; chỉ dùng: %(allowed)s",
                                  name=written, allowed=_shown(allowed)))
        used.append(name)
    missing = [name for name in required_placeholders(kind, language) if name not in used]
    if missing:
        raise TemplateError(_("Thiếu biến bắt buộc: %(names)s", names=_shown(tuple(missing))))
    return body


def _save(kind: str, language: str, channel: str, body: str, actor: User | None) -> TemplateView:
    row = _row(kind, language, channel)
    before = row.body if row is not None else default_body(kind, language)
    if body != before:
        if row is None:
            row = MessageTemplate(kind=kind, language=language, channel=channel, body=body)
            db.session.add(row)
        else:
            row.body = body
        db.session.flush()
        audit.record("template_update", actor=actor, target_type="template",
                     target_id=f"{kind}:{language}:{channel}", details={"before": before, "after": body})
    return _view(kind, language, channel, row)


def update_template(kind: str, language: str, channel: str, body: str, actor: User | None) -> TemplateView:
    """Store a checked body (audited when it changes); the next message of that kind uses it."""
    _known(kind, language, channel)
    return _save(kind, language, channel, check_body(kind, language, body), actor)


def reset_template(kind: str, language: str, channel: str, actor: User | None) -> TemplateView:
    """Back to the built-in default text (audited when it changes)."""
    _known(kind, language, channel)
    return _save(kind, language, channel, default_body(kind, language), actor)


@dataclass(frozen=True)
class Preview:
    body: str
    count: SegmentCount


def sample_values(kind: str, language: str) -> dict[str, str]:
    """A sample ticket's values, of realistic lengths (the answer and note shortened as the real ones)."""
    link = f"{current_app.config['PUBLIC_BASE_URL']}/t/{SAMPLE_CODE}"
    if kind == "resolve":
        link = feedback.feedback_link(SAMPLE_CODE)  # with the rating token's mask, of the token's length
    return {"code": SAMPLE_CODE, "link": link, "status": label(Status.IN_PROGRESS, language),
            "answer": shorten(SAMPLE_ANSWER[language]), "note": shorten(SAMPLE_NOTE[language], 100),
            "main_code": display(SAMPLE_MAIN_CODE), "rating": "5", "days": str(feedback.window().days),
            "minutes": "10"}


def preview(kind: str, language: str, channel: str, body: str) -> Preview:
    """The message ``body`` gives for the sample ticket, with the encoding and parts billed
    (diacritics stripped for SMS when ``SMS_STRIP_DIACRITICS``, as messaging/outbound.py sends)."""
    _known(kind, language, channel)
    text = check_body(kind, language, body)
    strip = channel == "sms" and bool(current_app.config.get("SMS_STRIP_DIACRITICS"))
    rendered = fill(text, sample_values(kind, language), strip=strip)
    return Preview(rendered, count_segments(rendered))
