"""The jurisdiction's administrative units, from `vietnam-provinces`."""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, Ward

# Đồng Tháp after the 1 July 2025 merger (with the former Tiền Giang).
DEFAULT_PROVINCE_CODE = 82


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
