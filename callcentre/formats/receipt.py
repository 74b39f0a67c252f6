"""Receipt codes (mã biên nhận) citizens read out, type or scan.

Nine random Crockford base32 symbols (45 bits: not sequential, not
enumerable) and one Luhn mod-32 check symbol, so any single mistyped symbol
and any swap of two adjacent symbols is rejected instead of matching somebody
else's case. Case-insensitive; O→0 and I/L→1 as Crockford prescribes;
hyphens and spaces ignored. Shown as ``XXXXX-XXXXX``.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = {"O": "0", "I": "1", "L": "1"}
BODY_LENGTH = 9
CODE_LENGTH = BODY_LENGTH + 1


class InvalidReceiptCode(ValueError):
    pass


def _check_symbol(body: str) -> str:
    # Luhn mod N (N=32): double every second symbol from the right.
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_receipt_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + _check_symbol(body)


def normalize(text: str) -> str:
    """Canonical form of a typed code, or InvalidReceiptCode."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t")
    cleaned = "".join(_ALIASES.get(ch, ch) for ch in cleaned)
    if len(cleaned) != CODE_LENGTH or any(ch not in _VALUE for ch in cleaned):
        raise InvalidReceiptCode("a receipt code has 10 letters and digits")
    if _check_symbol(cleaned[:-1]) != cleaned[-1]:
        raise InvalidReceiptCode("receipt code check symbol does not match (mistyped?)")
    return cleaned


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"
