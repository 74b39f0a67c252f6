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
