"""Citizens' phone numbers never reach a log: every log record is masked when it is made.

``0912345678`` -> ``091*****78``; also ``+84912345678``, ``84912345678``, ``%2B84912345678``
(URL-encoded), grouped forms (``0912 345 678``, ``028.3823.4567``) and other E.164 numbers
(``+14155552671``). It covers messages with their arguments (a request line with
``?phone=0912345678``, a database error quoting its parameters), tracebacks and stack traces.

Installed as the process's log record factory (``install_phone_masking``), so it applies to
every logger and every handler at once — Flask's, werkzeug's, RQ's, gunicorn's error and access
logs (gunicorn.conf.py installs it in the master too) — and to pytest's ``caplog``. Only the
digits' middle is hidden: the first three and last two stay, enough to tell two callers apart.
"""

from __future__ import annotations

import logging
import re
from typing import Any

KEEP_START, KEEP_END = 3, 2
# Not glued to a longer number or word; a URL escape like "%2C" or "%3D" may come just before.
_BEFORE = r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))"
_AFTER = r"(?![0-9A-Za-z])"
_PLUS = r"(?:\+|%2[Bb])"
_PHONE = re.compile(
    rf"{_BEFORE}(?P<plus>{_PLUS})?(?P<number>"
    # Vietnamese: 0 or 84, then 9 or 10 digits, optionally grouped by space, dot or dash.
    r"(?:84|0)[ .-]?\d{1,3}[ .-]?\d{3,4}[ .-]?\d{3,4}"
    # Any other number in E.164 (masked only with its plus sign: a bare digit run may be an id).
    r"|\d{8,15}"
    rf"){_AFTER}"
)


def _phone_digits(match: re.Match[str]) -> str | None:
    """The digits of a match that has a phone number's length, else None (an id, a year...)."""
    plus, digits = match.group("plus"), re.sub(r"\D", "", match.group("number"))
    if digits.startswith("84") and len(digits) in (11, 12):
        return digits
    if digits.startswith("0") and not plus and len(digits) in (10, 11):
        return digits
    return digits if plus and 8 <= len(digits) <= 15 else None


def _mask_match(match: re.Match[str]) -> str:
    digits = _phone_digits(match)
    if digits is None:
        return match.group(0)  # not a phone number's length: leave it
    hidden = len(digits) - KEEP_START - KEEP_END
    return f"{match.group('plus') or ''}{digits[:KEEP_START]}{'*' * hidden}{digits[-KEEP_END:]}"


def mask_phones(text: str) -> str:
    """``text`` with every phone number's middle digits replaced by ``*``."""
    return _PHONE.sub(_mask_match, text)


def remove_phones(text: str, replacement: str) -> str:
    """``text`` with every phone number (as ``mask_phones`` finds them) replaced whole: erasure."""
    return _PHONE.sub(lambda m: m.group(0) if _phone_digits(m) is None else replacement, text)


def mask_record(record: logging.LogRecord) -> None:
    """Mask ``record``'s message (its arguments merged in), traceback and stack in place."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):
        return  # a broken format string: logging reports it when the record is emitted
    masked = mask_phones(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_phones(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_phones(record.stack_info)


class PhoneMaskingFilter(logging.Filter):
    """The same masking as a filter, for a handler configured where the factory is not installed."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install_phone_masking() -> None:
    """Wrap the process's log record factory (once; later calls do nothing)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_phones", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        mask_record(record)
        return record

    factory.masks_phones = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
