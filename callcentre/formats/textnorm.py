"""Vietnamese text helpers: search without diacritics."""

from __future__ import annotations

import unicodedata


def strip_diacritics(text: str) -> str:
    """"Môi trường" -> "Moi truong". đ/Đ do not decompose in Unicode, so map them by hand."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def search_key(text: str) -> str:
    return " ".join(strip_diacritics(text).lower().split())


# The Vietnamese alphabet: its plain letters, and the vowels that take the five tone marks
# (huyền, sắc, hỏi, ngã, nặng). Migration 0011 backfills search keys in SQL with a translate()
# table of these letters; tests check both give ``search_key`` for every one of them.
_PLAIN = "abcdeghiklmnopqrstuvxy"
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def vietnamese_letters() -> str:
    """Every letter of Vietnamese, precomposed (NFC), lower case then upper case (134 with marks)."""
    toned = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES]
    lower = dict.fromkeys([*_PLAIN, "đ", *toned])  # ordered, without repeats
    return "".join(lower) + "".join(ch.upper() for ch in lower)


def diacritic_table() -> tuple[str, str]:
    """``(from, to)`` for SQL ``translate()``: each Vietnamese letter with a mark and its plain letter
    (case kept, as ``strip_diacritics`` keeps it)."""
    marked = [ch for ch in vietnamese_letters() if not ch.isascii()]
    return "".join(marked), "".join(strip_diacritics(ch) for ch in marked)
