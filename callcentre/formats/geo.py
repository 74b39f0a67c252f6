"""The jurisdiction's administrative units, from `vietnam-provinces`, and finding one in an address.

Only the units since 1 July 2025 (province and commune/ward): the package carries no earlier
districts or wards; an address written with a pre-2025 unit ("Phường 4, TP Mỹ Tho") is read by
formats/legacy_address.py (docs/intake.md, "Routing by place").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vietnam_provinces import Province, Ward

from callcentre.formats.textnorm import strip_diacritics

# Đồng Tháp after the 1 July 2025 merger (with the former Tiền Giang).
DEFAULT_PROVINCE_CODE = 82

# How an address names the unit's type before its name: the word and its abbreviations.
# "tp"/"tx" (city, town) are deliberately absent: since 2025 they are no units, and "TP Mỹ Tho"
# now spans several wards.
_TYPE_WORDS = {
    "phường": ("phường", "p."),
    "xã": ("xã", "x."),
    "đặc khu": ("đặc khu", "đk."),
    "thị trấn": ("thị trấn", "tt."),  # none since 2025; other provinces' data may still name one
}


@lru_cache(maxsize=4)
def communes(province_code: int = DEFAULT_PROVINCE_CODE) -> dict[str, str]:
    """Commune/ward code -> name, for one province."""
    return {
        str(int(w.code)): w.name
        for w in Ward.iter_all()
        if int(w.province_code) == province_code
    }


def province_name(province_code: int = DEFAULT_PROVINCE_CODE) -> str:
    for p in Province.iter_all():
        if int(p.code) == province_code:
            return p.name
    raise KeyError(province_code)


def commune_exists(code: str, province_code: int = DEFAULT_PROVINCE_CODE) -> bool:
    return code in communes(province_code)


def commune_name(code: str | None, province_code: int = DEFAULT_PROVINCE_CODE) -> str | None:
    return communes(province_code).get(code) if code else None


def _lower(text: str) -> str:
    """NFC, lower case, one space between words."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _unmarked(text: str) -> str:
    """``text`` without diacritics, character for character (so positions stay those of ``text``)."""
    return "".join(plain if len(plain := strip_diacritics(ch)) == 1 else ch for ch in text)


def _split(name: str) -> tuple[str, str] | None:
    """"Phường Mỹ Tho" -> ("phường", "mỹ tho")."""
    lowered = _lower(name)
    for kind in _TYPE_WORDS:
        if lowered.startswith(kind + " "):
            return kind, lowered[len(kind) + 1:]
    return None


@lru_cache(maxsize=8)
def _patterns(province_code: int, marks: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One regex per commune: its type word or abbreviation (group ``kind``), then its name, as whole words."""
    out = []
    fold = (lambda s: s) if marks else _unmarked
    for code, name in communes(province_code).items():
        split = _split(name)
        if split is None:
            continue
        kind, base = split
        # "p." may touch the name ("P.Mỹ Tho"); a full word needs a space after it.
        prefix = "|".join(re.escape(fold(w)) + (r"\s*" if w.endswith(".") else r"\s+") for w in _TYPE_WORDS[kind])
        body = r"\s+".join(re.escape(fold(part)) for part in base.split())
        out.append((code, re.compile(rf"(?<!\w)(?P<kind>{prefix}){body}(?!\w)")))
    return tuple(out)


_KINDS = frozenset(w for words in _TYPE_WORDS.values() for w in words)


def _found(text: str, province_code: int, marks: bool) -> set[str]:
    """The communes named in ``text`` (already ``_lower``); a name inside a longer one found at the
    same place ("xã Tân Phú" in "xã Tân Phú Đông") does not count.

    Without diacritics a match counts only if it was typed without any, or with its type word
    spelt right: "cách xa Tân Hương" is "far from Tân Hương", not "xã Tân Hương".
    """
    searched = text if marks else _unmarked(text)
    hits = []
    for code, pattern in _patterns(province_code, marks):
        for m in pattern.finditer(searched):
            typed = text[m.start():m.end()]
            kind = text[m.start("kind"):m.end("kind")].strip()
            if marks or typed == m.group(0) or kind in _KINDS:
                hits.append((m.start(), m.end(), code))
    return {code for start, end, code in hits
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in hits)}


def find_commune(address: str | None, province_code: int = DEFAULT_PROVINCE_CODE) -> str | None:
    """The code of the one commune/ward of the province that ``address`` names ("phường Mỹ Tho",
    "P. Mỹ Tho", "xa Tan Huong"), else None (none, or several: ambiguous).

    Names are compared with their diacritics first, so "Xã Tân Thạnh" is not "Xã Tân Thành";
    only when that finds nothing are they compared without (typed without marks, or with the
    other tone placement, "Hoà"/"Hòa"), where those two are one name and so ambiguous.
    """
    if not address or not address.strip():
        return None
    text = _lower(address)
    for marks in (True, False):
        found = _found(text, province_code, marks)
        if found:
            return found.pop() if len(found) == 1 else None
    return None
