"""Twilio webhook helpers: which URL was signed, whether the signature holds, replies.

Twilio signs ``URL + sorted(POST params)`` with the account's auth token
(``X-Twilio-Signature``). Behind a proxy or tunnel the URL Flask sees is not
the one Twilio called, so the public URL is rebuilt from ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

SIGNATURE_HEADER = "X-Twilio-Signature"

# Call leg statuses (CallStatus) that end a call.
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def signed_url(public_base_url: str | None, path: str, query_string: str, request_url: str) -> str:
    """The URL Twilio signed: ``PUBLIC_BASE_URL + path (+ ?query)`` if set, else the request's own."""
    if not public_base_url:
        return request_url
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_twilio_request(auth_token: str, url: str, params: Mapping[str, Any], signature: str | None) -> bool:
    """Check ``X-Twilio-Signature`` with the SDK's validator (it tries the URL with and without port)."""
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


def sms_reply(text: str | None) -> str:
    """TwiML answering an inbound SMS with ``text`` (or with nothing)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


MAX_CALL_SECONDS = 86400  # no call lasts a day; a larger "duration" would overflow the end time


def seconds(value: str | None) -> int | None:
    """Twilio's CallDuration / QueueTime / RecordingDuration (strings of seconds); None if absent
    or not a plausible duration."""
    try:
        secs = max(0, int(value)) if value not in (None, "") else None
    except ValueError:
        return None
    return secs if secs is None or secs <= MAX_CALL_SECONDS else None


def after(start: datetime, secs: int | None, default: datetime | None = None) -> datetime:
    """``start + secs`` (Twilio reports durations, not timestamps), else ``default`` or now."""
    if secs is None:
        return default or datetime.now(UTC)
    return start + timedelta(seconds=secs)
