"""Addresses written with the units before 1 July 2025: which commune of the merged Đồng Tháp they
are in now ("Phường 4, TP Mỹ Tho" -> Phường Đạo Thạnh).

Citizens keep writing the address they always had. The old -> new table of the former Đồng Tháp
and Tiền Giang provinces (``legacy_communes.json``, from vietnam-address-converter's mapping:
scripts/build_legacy_communes.py) gives, for an old district and ward, the new ward or commune.
An old ward split between several new ones gives nothing (the operator chooses), as does an old
ward named without its district when that name is found in several ("Phường 1").
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from callcentre.formats.geo import DEFAULT_PROVINCE_CODE, communes
from callcentre.formats.textnorm import search_key

DATA = Path(__file__).with_name("legacy_communes.json")
# Compared without diacritics, lower case: the type words that open a ward's or a district's name.
_WARD_WORDS = ("thi tran", "phuong", "xa", "tt.", "tt", "p.", "p", "x.")
_DISTRICT_WORDS = ("thanh pho", "thi xa", "huyen", "quan", "tp.", "tp", "tx.", "tx", "h.", "q.")
_PROVINCES = ("dong thap", "tien giang")
_MAX_LENGTH = 500  # Ticket.address


def _name_key(name: str, words: tuple[str, ...]) -> str:
    """ "Thành Phố Mỹ Tho" -> "my tho", "Phường 01" -> "1", "P.4" -> "4"."""
    key = search_key(name).strip(" .,")
    for word in words:
        if key.startswith(word) and (word.endswith(".") or key[len(word):len(word) + 1] in (" ", "")
                                     or key[len(word):len(word) + 1].isdigit()):
            key = key[len(word):].strip(" .")
            break
    return re.sub(r"\b0+(\d)", r"\1", key)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[tuple[str, str], frozenset[str]], dict[str, frozenset[str]]]:
    """(old district, old ward) -> new names, and old ward -> new names (over every district)."""
    by_pair: dict[tuple[str, str], set[str]] = {}
    by_ward: dict[str, set[str]] = {}
    for _province, district, ward, new in json.loads(DATA.read_text(encoding="utf-8"))["rows"]:
        key = (_name_key(district, _DISTRICT_WORDS), _name_key(ward, _WARD_WORDS))
        by_pair.setdefault(key, set()).add(new)
        by_ward.setdefault(key[1], set()).add(new)
    return ({k: frozenset(v) for k, v in by_pair.items()}, {k: frozenset(v) for k, v in by_ward.items()})


def _starts_with(part: str, words: tuple[str, ...]) -> bool:
    return any(part.startswith(w) and (w.endswith(".") or part[len(w):len(w) + 1] in (" ", "")
                                       or part[len(w):len(w) + 1].isdigit()) for w in words)


def _parts(address: str) -> tuple[str | None, str | None, str | None]:
    """The ward, district and province an address names (each its key), read from its comma-separated
    parts, the ward and district possibly in one part ("phường 1 thành phố Mỹ Tho")."""
    ward = district = province = None
    for raw in re.split(r"[,;\n]", search_key(address)):
        part = raw.strip(" .-")
        split = re.search(r"\s(thanh pho|thi xa|huyen|quan|tp\.?|tx\.?)\s", f" {part} ")
        if split and _starts_with(part, _WARD_WORDS) and split.start() > 0:
            part, rest = part[:split.start()].strip(), part[split.start():].strip()
            district = district or _name_key(rest, _DISTRICT_WORDS)
        if part.startswith("tinh "):
            province = part[5:].strip()
        elif _starts_with(part, _DISTRICT_WORDS):
            district = district or _name_key(part, _DISTRICT_WORDS)
        elif _starts_with(part, _WARD_WORDS) and ward is None:
            ward = _name_key(part, _WARD_WORDS)
    return ward, district, province


def names_old_district(address: str | None) -> bool:
    """Whether ``address`` is written with a district (huyện, thành phố, thị xã): the units before
    2025 (the merged province has none), so its ward is to be read with the old table first."""
    return bool(address) and len(address or "") <= _MAX_LENGTH and _parts(address or "")[1] is not None


def find_old_commune(address: str | None, province_code: int = DEFAULT_PROVINCE_CODE) -> str | None:
    """The code of the commune (formats/geo.py) that the pre-2025 ward of ``address`` became, or None."""
    if not address or len(address) > _MAX_LENGTH or province_code != DEFAULT_PROVINCE_CODE:
        return None
    ward, district, province = _parts(address)
    if not ward or (province is not None and province not in _PROVINCES):
        return None
    by_pair, by_ward = _table()
    names = by_pair.get((district, ward)) if district else by_ward.get(ward)
    if not names or len(names) != 1:
        return None
    [name] = names
    codes = [code for code, n in communes(province_code).items() if n == name]
    return codes[0] if len(codes) == 1 else None
