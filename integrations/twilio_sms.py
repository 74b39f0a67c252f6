"""SMS through Twilio's Messages API, with the official SDK.

``TWILIO_API_BASE`` (unset in production) points the SDK at another host: the
SDK builds every Messages URL from ``client.api.base_url`` (twilio 9.x,
``twilio.base.domain.Domain.absolute_url``) and leaves it alone unless an
edge/region is configured, so tests aim it at a local HTTP server that
behaves like Twilio instead of patching the SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from integrations.sms import OutgoingMessage, ProviderError, SendResult, register

# Twilio error codes that will fail the same way however often we retry
# (invalid/unreachable 'To', blocked, opted out on Twilio's side).
PERMANENT_CODES = frozenset({21211, 21214, 21407, 21408, 21610, 21612, 21614, 30003, 30004, 30005, 30006})


def is_retryable_status(status: int, code: int | None = None) -> bool:
    """429 and 5xx are worth retrying; other 4xx are our request's fault."""
    if code is not None and code in PERMANENT_CODES:
        return False
    return status == 429 or status >= 500


@register("twilio")
class TwilioSmsProvider:
    name = "twilio"
    channel = "sms"

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 api_base: str | None = None, timeout: float = 10.0) -> None:
        if not (account_sid and auth_token and from_number):
            raise ValueError("twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER")
        self.from_number = from_number
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TwilioSmsProvider:
        return cls(
            account_sid=settings.get("TWILIO_ACCOUNT_SID") or "",
            auth_token=settings.get("TWILIO_AUTH_TOKEN") or "",
            from_number=settings.get("TWILIO_FROM_NUMBER") or "",
            api_base=settings.get("TWILIO_API_BASE") or None,
            timeout=float(settings.get("PROVIDER_HTTP_TIMEOUT") or 10),
        )

    def send(self, message: OutgoingMessage) -> SendResult:
        kwargs: dict[str, Any] = {"to": message.to, "from_": self.from_number, "body": message.body}
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            raise ProviderError(f"twilio {exc.status}: {exc.msg}", code=exc.code,
                                retryable=is_retryable_status(exc.status, exc.code)) from exc
        except TwilioServiceException as exc:  # the RFC 9457 error shape of newer endpoints
            raise ProviderError(f"twilio {exc.status}: {exc.title}", code=exc.code,
                                retryable=is_retryable_status(exc.status, exc.code)) from exc
        except (requests.RequestException, TwilioException) as exc:
            # Connection refused, timeout, TLS: the provider is unreachable, not refusing.
            raise ProviderError(f"twilio unreachable: {exc}", retryable=True) from exc
        status = created.status or "queued"
        if status in ("failed", "undelivered", "canceled"):
            raise ProviderError(f"twilio answered status {status}", retryable=False)
        return SendResult(provider_message_id=created.sid, status="sent")
