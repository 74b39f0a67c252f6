"""The message-provider interface, the provider registry, and SMS segment counting.

A provider turns an :class:`OutgoingMessage` into a :class:`SendResult` or
raises :class:`ProviderError`; ``retryable`` tells the caller whether trying
again later can help (provider down, rate-limited) or not (invalid number,
template rejected). Providers are looked up by name from configuration
(``SMS_PROVIDER=twilio``), so a deployment switches providers without code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = [
    "GSM7_BASIC", "GSM7_EXTENDED", "MessageProvider", "OutgoingMessage", "ProviderError", "SegmentCount",
    "SendResult", "available_providers", "count_segments", "create_provider", "is_gsm7", "register",
]


@dataclass(frozen=True)
class OutgoingMessage:
    to: str  # E.164 phone number
    body: str  # the rendered text (SMS), also kept for the record on template channels
    reference: str  # the caller's idempotency key: logged and passed on where the provider allows
    template: str | None = None  # event kind, for template channels (Zalo ZNS)
    params: Mapping[str, str] = field(default_factory=dict)  # template parameters
    status_callback: str | None = None  # delivery-report URL, where the provider supports one


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    # Our status once the provider has accepted it: "sent" (delivery reports come later).
    status: str = "sent"


class ProviderError(Exception):
    """Sending failed. ``retryable``: whether the same request may succeed later."""

    def __init__(self, message: str, *, retryable: bool, code: str | int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@runtime_checkable
class MessageProvider(Protocol):
    name: str
    channel: str  # "sms" | "zalo" | "any" (the console stand-in)

    def send(self, message: OutgoingMessage) -> SendResult: ...


ProviderFactory = Callable[[Mapping[str, Any]], MessageProvider]


class ProviderClass(Protocol):
    """A provider class, as ``register`` takes it: it builds itself from the settings."""

    def from_settings(self, settings: Mapping[str, Any], /) -> MessageProvider: ...


P = TypeVar("P", bound=ProviderClass)

# Built-in providers by dotted path, imported on first use: the twilio SDK is
# only loaded where it is configured.
_BUILTIN: dict[str, str] = {
    "console": "integrations.console_sms:ConsoleProvider",
    "twilio": "integrations.twilio_sms:TwilioSmsProvider",
    "zalo": "integrations.zalo:ZaloZnsProvider",
}
_REGISTRY: dict[str, ProviderFactory] = {}


def register(name: str) -> Callable[[P], P]:
    """Class decorator: make ``name`` selectable in configuration (``cls.from_settings``)."""

    def decorator(cls: P) -> P:
        _REGISTRY[name] = cls.from_settings
        return cls

    return decorator


def available_providers() -> list[str]:
    return sorted(set(_BUILTIN) | set(_REGISTRY))


def create_provider(name: str, settings: Mapping[str, Any]) -> MessageProvider:
    """The provider called ``name``, configured from ``settings`` (e.g. a Flask config)."""
    if name not in _REGISTRY and name in _BUILTIN:
        module, _, attr = _BUILTIN[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        _REGISTRY.setdefault(name, cls.from_settings)
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise LookupError(f"unknown message provider {name!r}; known: {available_providers()}") from None
    return factory(settings)


# ----- segment counting ------------------------------------------------------
# GSM 03.38 default alphabet (ESC, 0x1B, left out: it only introduces the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153  # septets; a concatenated part loses 7 to its header
UCS2_SINGLE, UCS2_MULTI = 70, 67  # UTF-16 code units


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "gsm7" | "ucs2"
    segments: int  # what the operator bills
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _pack(costs: list[int], single: int, multi: int) -> int:
    """Parts needed when no character may be split across parts (ESC pairs, surrogate pairs)."""
    total = sum(costs)
    if total <= single:
        return 1 if total else 0
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentCount:
    """Encoding and billed parts of ``text``: GSM-7 160/153 or UCS-2 70/67.

    One character outside GSM-7 (any Vietnamese letter with a diacritic, đ)
    makes the whole message UCS-2.
    """
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        return SegmentCount("gsm7", _pack(costs, GSM7_SINGLE, GSM7_MULTI), sum(costs))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentCount("ucs2", _pack(costs, UCS2_SINGLE, UCS2_MULTI), sum(costs))
