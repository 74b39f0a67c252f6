"""Zalo: ZNS template messages out, Official Account webhooks in.

Outbound: Zalo Notification Service sends a pre-approved template to the
Zalo account of a phone number: ``POST {ZALO_API_BASE}/message/template``
with the OA's ``access_token`` header and ``{phone, template_id,
template_data, tracking_id}``; the answer is ``{"error": 0, "data":
{"msg_id": ...}}`` or a negative ``error`` code. Template ids are assigned
by Zalo when a template is approved, so they are configuration
(``ZALO_TEMPLATE_IDS="created=123,resolve=456,..."``), keyed by event kind.

Inbound: the OA webhook signs each request with ``X-ZEvent-Signature:
mac=<hex>`` where ``hex = sha256(app_id + raw_body + timestamp +
oa_secret_key)`` and ``timestamp`` is the body's own ``timestamp`` field
(the formula in Zalo's webhook documentation; it is a plain hash of the
concatenation, not an HMAC).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from integrations.sms import OutgoingMessage, ProviderError, SendResult, register

DEFAULT_API_BASE = "https://business.openapi.zalo.me"


def parse_template_ids(value: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"created=123, resolve=456"`` (or a mapping) -> ``{"created": "123", "resolve": "456"}``."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (item.split("=", 1) for item in value.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs if k.strip() and v.strip()}


@register("zalo")
class ZaloZnsProvider:
    name = "zalo"
    channel = "zalo"

    def __init__(self, access_token: str, template_ids: Mapping[str, str],
                 api_base: str = DEFAULT_API_BASE, timeout: float = 10.0) -> None:
        if not access_token:
            raise ValueError("zalo needs ZALO_ACCESS_TOKEN")
        self.access_token = access_token
        self.template_ids = dict(template_ids)
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ZaloZnsProvider:
        return cls(
            access_token=settings.get("ZALO_ACCESS_TOKEN") or "",
            template_ids=parse_template_ids(settings.get("ZALO_TEMPLATE_IDS")),
            api_base=settings.get("ZALO_API_BASE") or DEFAULT_API_BASE,
            timeout=float(settings.get("PROVIDER_HTTP_TIMEOUT") or 10),
        )

    def send(self, message: OutgoingMessage) -> SendResult:
        template_id = self.template_ids.get(message.template or "")
        if not template_id:
            raise ProviderError(f"no ZNS template configured for {message.template!r}", retryable=False)
        body: dict[str, Any] = {
            "phone": message.to.lstrip("+"),  # ZNS wants 84xxxxxxxxx
            "template_id": template_id,
            "template_data": dict(message.params),
            "tracking_id": message.reference,
        }
        try:
            resp = self.session.post(f"{self.api_base}/message/template", json=body, timeout=self.timeout,
                                     headers={"access_token": self.access_token})
        except requests.RequestException as exc:
            raise ProviderError(f"zalo unreachable: {exc}", retryable=True) from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise ProviderError(f"zalo HTTP {resp.status_code}", retryable=True, code=resp.status_code)
        try:
            answer = resp.json()
        except ValueError as exc:
            raise ProviderError(f"zalo HTTP {resp.status_code}: not JSON", retryable=False) from exc
        error = answer.get("error")
        if resp.status_code >= 400 or error not in (0, "0"):
            # Negative codes: unknown phone, no Zalo account, template/quota problems:
            # retrying the same request cannot help; the caller falls back to SMS.
            raise ProviderError(f"zalo error {error}: {answer.get('message')}", retryable=False, code=error)
        return SendResult(provider_message_id=str((answer.get("data") or {}).get("msg_id") or "") or None)


# ----- inbound webhooks --------------------------------------------------------
def webhook_signature(app_id: str, raw_body: str, timestamp: str, secret: str) -> str:
    """The ``X-ZEvent-Signature`` value Zalo sends for this body: ``mac=<sha256 hex>``."""
    digest = hashlib.sha256(f"{app_id}{raw_body}{timestamp}{secret}".encode()).hexdigest()
    return f"mac={digest}"


def verify_webhook(raw_body: bytes, header: str | None, secret: str, app_id: str | None = None) -> bool:
    """Whether ``header`` is Zalo's MAC of ``raw_body``.

    ``app_id``: the configured app id; when given, the body must name the same app.
    """
    if not secret or not header:
        return False
    try:
        text = raw_body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(payload, dict):
        return False
    body_app = str(payload.get("app_id") or "")
    if app_id and body_app and body_app != app_id:
        return False
    expected = webhook_signature(app_id or body_app, text, str(payload.get("timestamp") or ""), secret)
    supplied = header.strip()
    if not supplied.lower().startswith("mac="):
        supplied = "mac=" + supplied
    return hmac.compare_digest(expected.lower(), supplied.lower())


@dataclass(frozen=True)
class ZaloEvent:
    name: str  # event_name: user_send_text, user_submit_info, follow, user_received_message...
    user_id: str | None  # the follower (sender.id / follower.id)
    message_id: str | None  # message.msg_id, our idempotency key where present
    text: str | None
    timestamp: str
    phone: str | None = None  # user_submit_info: the phone the follower chose to share
    name_shared: str | None = None

    @property
    def idempotency_key(self) -> str:
        return self.message_id or f"{self.name}:{self.user_id}:{self.timestamp}"

    @property
    def is_user_message(self) -> bool:
        return self.name.startswith("user_send_")


def parse_event(payload: Mapping[str, Any]) -> ZaloEvent:
    """The fields we use from an OA webhook body (text, or a note for attachments)."""
    sender = payload.get("sender") or payload.get("follower") or {}
    message = payload.get("message") or {}
    info = payload.get("info") or {}
    text = message.get("text")
    if not text and message.get("attachments"):
        urls = [(a.get("payload") or {}).get("url") for a in message["attachments"] if isinstance(a, dict)]
        text = " ".join(["[tệp đính kèm]", *[u for u in urls if u]])
    return ZaloEvent(
        name=str(payload.get("event_name") or ""),
        user_id=str(sender["id"]) if sender.get("id") else None,
        message_id=str(message["msg_id"]) if message.get("msg_id") else None,
        text=text,
        timestamp=str(payload.get("timestamp") or ""),
        phone=info.get("phone") or None,
        name_shared=info.get("name") or None,
    )
