"""One-time codes by SMS: the phone check before a citizen's web report is filed (docs/citizen_report.md).

* **Issued** (``issue``): 6 random digits, stored only as an HMAC-SHA256 with ``OTP_SECRET`` (a
  database dump does not give the codes away), good for ``OTP_TTL_SECONDS``. Another code for the
  same phone only after ``OTP_RESEND_SECONDS``, at most ``OTP_PHONE_HOURLY`` an hour (counted in the
  database: exact across workers), and at most ``OTP_ADDRESS_HOURLY`` an hour per client address
  (counted in the rate limiter's Redis; during a Redis outage in this process's memory). Only the
  newest code of a phone counts: a resend replaces the one before.
* **Sent at once**, from the request, not through the notification queue: the citizen is waiting
  for it, a code is worthless after its minutes (no RQ retries for an hour, no quiet-hours delay),
  and so the code never rests anywhere (Redis job, message row) but in the provider's request.
  The ``outbound_messages`` row keeps the text with the code masked, for the record and the bill.
  An opted-out phone gets it too: the citizen asked for it this minute, it is a transactional
  message (the opt-out checks of messaging/outbound.py stay for every notification).
* **Verified once** (``verify``): each try is claimed by one conditional UPDATE before the code is
  compared (so ``OTP_MAX_ATTEMPTS`` bounds the comparisons even under concurrent guesses), compared
  in constant time, and a correct code is marked used in the caller's transaction, the one that
  writes the ticket: two simultaneous submissions with one code make one ticket (PostgreSQL: the
  second UPDATE waits for the first commit, then matches nothing; SQLite: one writer at a time).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import CursorResult, delete, select, text, update

from callcentre.core.extensions import db, limiter
from callcentre.messaging.templates import render
from callcentre.models import Contact, MessageStatus, OneTimeCode, OutboundMessage
from callcentre.models.types import utcnow
from integrations.sms import OutgoingMessage, ProviderError, count_segments, create_provider

log = logging.getLogger(__name__)
PURPOSE = "web_report"
DIGITS = 6
MASK = "•" * DIGITS  # what the stored message row shows instead of the code
KIND = "otp"  # the message template (messaging/templates.py)
_ADDRESS_SCOPE = "otp-address"
_memory_limiter = MovingWindowRateLimiter(MemoryStorage())  # while the limiter's Redis is down

# reason -> (HTTP status, the input it is about, what the citizen reads); gettext at use.
REASONS: dict[str, tuple[int, str, Any]] = {
    "resend_too_soon": (429, "phone", _l("Vui lòng đợi %(seconds)d giây rồi yêu cầu gửi lại mã.")),
    "phone_limit": (429, "phone", _l("Số điện thoại này đã nhận quá nhiều mã trong một giờ; vui lòng thử lại "
                                     "sau %(minutes)d phút hoặc gọi 1022.")),
    "address_limit": (429, "phone", _l("Có quá nhiều yêu cầu mã từ mạng của quý vị; vui lòng thử lại sau "
                                       "%(minutes)d phút hoặc gọi 1022.")),
    "send_failed": (503, "phone", _l("Chưa gửi được tin nhắn mã xác minh; vui lòng thử lại sau ít phút.")),
    "no_code": (422, "otp", _l("Chưa có mã xác minh nào được gửi đến số này; hãy bấm “Gửi mã xác minh” trước.")),
    "wrong": (422, "otp", _l("Mã xác minh không đúng; còn %(left)d lần thử.")),
    "wrong_last": (429, "otp", _l("Mã xác minh không đúng và đã hết số lần thử; hãy yêu cầu gửi mã mới.")),
    "expired": (410, "otp", _l("Mã xác minh đã hết hạn; hãy yêu cầu gửi mã mới.")),
    "used": (409, "otp", _l("Mã xác minh này đã được dùng; mỗi mã chỉ gửi được một phản ánh. Nếu quý vị vừa "
                            "gửi, phản ánh đã được tiếp nhận và mã biên nhận đã được gửi qua tin nhắn.")),
    "too_many_tries": (429, "otp", _l("Đã nhập sai quá nhiều lần; hãy yêu cầu gửi mã mới.")),
}


class OtpRefused(Exception):
    """A code not issued or not accepted: ``status``, the ``field`` at fault, the ``reason`` key."""

    def __init__(self, reason: str, retry_after: int | None = None, **params: int) -> None:
        self.status, self.field, self._text = REASONS[reason]
        super().__init__(reason)
        self.reason, self.retry_after, self.params = reason, retry_after, params

    def text(self) -> str:
        """In the request's language (Vietnamese unless the citizen chose English)."""
        return str(self._text) % self.params if self.params else str(self._text)


@dataclass(frozen=True)
class Issued:
    phone: str
    expires_at: datetime
    resend_at: datetime


def _settings() -> dict[str, Any]:
    return current_app.config


def code_hash(phone: str, code: str) -> str:
    """The stored form of ``code`` for ``phone``: HMAC-SHA256, keyed with ``OTP_SECRET``."""
    secret = _settings()["OTP_SECRET"] or hmac.new(
        _settings()["SECRET_KEY"].encode(), b"one-time codes", hashlib.sha256).hexdigest()
    return hmac.new(secret.encode(), f"{PURPOSE}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock_phone(phone: str) -> None:
    """PostgreSQL: one issuer per phone at a time (until commit), so the resend and hourly checks
    hold under concurrent requests. SQLite runs one writer at a time anyway."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"otp:{phone}".encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _address_item() -> RateLimitItem:
    return parse(f"{_settings()['OTP_ADDRESS_HOURLY']} per hour")


def _address_check(address: str, hit: bool) -> bool:
    """Test (or count) one code for the client address in the rate limiter's storage."""
    item = _address_item()
    try:
        strategy = limiter.limiter
        return strategy.hit(item, _ADDRESS_SCOPE, address) if hit else strategy.test(item, _ADDRESS_SCOPE, address)
    except Exception:  # noqa: BLE001 - any storage failure (Redis down): count in this process
        log.warning("rate-limit storage unreachable: counting one-time codes per address in memory")
        return (_memory_limiter.hit(item, _ADDRESS_SCOPE, address) if hit
                else _memory_limiter.test(item, _ADDRESS_SCOPE, address))


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


def issue(phone: str, address: str, language: str = "vi") -> Issued:
    """Make a code for ``phone`` (E.164), asked from client ``address``, and send it; commits.
    Raises ``OtpRefused`` (429 too soon or too many, 503 not sent) having sent nothing."""
    cfg = _settings()
    now = utcnow()
    _lock_phone(phone)
    hour_ago = now - timedelta(hours=1)
    recent = db.session.scalars(select(OneTimeCode.created_at).where(
        OneTimeCode.purpose == PURPOSE, OneTimeCode.phone == phone, OneTimeCode.created_at > hour_ago)
        .order_by(OneTimeCode.created_at.desc())).all()
    resend = timedelta(seconds=cfg["OTP_RESEND_SECONDS"])
    if recent and recent[0] + resend > now:
        wait = _seconds(recent[0] + resend - now)
        raise OtpRefused("resend_too_soon", wait, seconds=wait)
    if len(recent) >= cfg["OTP_PHONE_HOURLY"]:
        wait = _seconds(recent[-1] + timedelta(hours=1) - now)
        raise OtpRefused("phone_limit", wait, minutes=max(1, wait // 60))
    if not _address_check(address, hit=False):
        raise OtpRefused("address_limit", 3600, minutes=60)
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    row = OneTimeCode(purpose=PURPOSE, phone=phone, code_hash=code_hash(phone, code), attempts=0, created_at=now,
                      expires_at=now + timedelta(seconds=cfg["OTP_TTL_SECONDS"]))
    db.session.add(row)
    db.session.flush()
    message = _message_row(row, language)
    db.session.commit()  # the code counts (resend, hourly limits) before it leaves
    _address_check(address, hit=True)
    _send(row, message, code)
    return Issued(phone, row.expires_at, row.created_at + resend)


def _params(code: str) -> dict[str, str]:
    return {"code": code, "minutes": str(max(1, _settings()["OTP_TTL_SECONDS"] // 60))}


def _text(code: str, language: str) -> str:
    return render(KIND, language, _params(code), strip=bool(_settings().get("SMS_STRIP_DIACRITICS")))


def _message_row(row: OneTimeCode, language: str) -> OutboundMessage:
    contact_id = db.session.scalar(select(Contact.id).where(Contact.phone == row.phone))
    sample = _text("0" * DIGITS, language)  # the same length and encoding as the real text
    seg = count_segments(sample)
    message = OutboundMessage(
        ticket_id=None, contact_id=contact_id, event_id=None, kind=KIND, channel="sms",
        provider=_settings()["SMS_PROVIDER"], idempotency_key=f"otp:{secrets.token_urlsafe(16)}", to=row.phone,
        body=_text(MASK, language), language=language, encoding=seg.encoding, segments=seg.segments,
        status=MessageStatus.SENDING.value, attempts=1)
    db.session.add(message)
    return message


def _send(row: OneTimeCode, message: OutboundMessage, code: str) -> None:
    cfg = _settings()
    callback = (f"{cfg['PUBLIC_BASE_URL']}/webhooks/twilio/sms/status?message_id={message.id}"
                if message.provider == "twilio" else None)
    outgoing = OutgoingMessage(to=row.phone, body=_text(code, message.language), reference=message.idempotency_key,
                               template=KIND, params=_params(code), status_callback=callback)
    try:
        result = create_provider(message.provider, cfg).send(outgoing)
    except ProviderError as exc:
        log.error("one-time code message %s not sent: %s", message.id, exc)
        message.status, message.last_error = MessageStatus.FAILED.value, str(exc)[:1000]
        # A code nobody received must not hold back the next one, nor count against the phone.
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.id == row.id))
        db.session.commit()
        raise OtpRefused("send_failed", 60) from exc
    # Conditional: a delivery report that raced ahead may already have moved it on.
    db.session.execute(update(OutboundMessage).where(
        OutboundMessage.id == message.id, OutboundMessage.status == MessageStatus.SENDING.value)
        .values(status=MessageStatus.SENT.value, provider_message_id=result.provider_message_id, updated_at=utcnow()))
    db.session.commit()


def verify(phone: str, code: str) -> OneTimeCode:
    """Accept ``code`` for ``phone`` and mark it used in the current transaction (the caller commits
    it with the ticket, or rolls both back). Call before any other write of the request: a wrong
    code commits its counted try. Raises ``OtpRefused``."""
    cfg = _settings()
    now = utcnow()
    newest = db.session.scalar(select(OneTimeCode.id).where(
        OneTimeCode.purpose == PURPOSE, OneTimeCode.phone == phone)
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc()).limit(1))
    if newest is None:
        raise OtpRefused("no_code")
    # Claim one try: only a live, unused code with tries left matches.
    claimed = cast(CursorResult[Any], db.session.execute(
        update(OneTimeCode).where(OneTimeCode.id == newest, OneTimeCode.used_at.is_(None),
                                  OneTimeCode.expires_at > now, OneTimeCode.attempts < cfg["OTP_MAX_ATTEMPTS"])
        .values(attempts=OneTimeCode.attempts + 1))).rowcount
    row = db.session.get(OneTimeCode, newest, populate_existing=True)
    assert row is not None
    if claimed != 1:
        db.session.rollback()
        if row.used_at is not None:
            raise OtpRefused("used")
        if row.expires_at <= now:
            raise OtpRefused("expired")
        raise OtpRefused("too_many_tries")
    if not hmac.compare_digest(row.code_hash, code_hash(phone, code)):
        left = cfg["OTP_MAX_ATTEMPTS"] - row.attempts
        db.session.commit()  # the try counts, whatever happens next
        raise OtpRefused("wrong", left=left) if left > 0 else OtpRefused("wrong_last")
    row.used_at = now
    db.session.flush()
    return row

