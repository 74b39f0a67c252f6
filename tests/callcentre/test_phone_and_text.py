import pytest

from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.textnorm import search_key, strip_diacritics


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("091-234-5678", "+84912345678"),
        ("0273 3123456", "+842733123456"),  # Tiền Giang landline, area code 0273
    ],
)
def test_vietnamese_numbers_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "hello", "0912"])
def test_invalid_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_diacritics_are_stripped_including_d_with_stroke() -> None:
    assert strip_diacritics("Môi trường Đồng Tháp đường") == "Moi truong Dong Thap duong"
    assert search_key("  Tài nguyên   và MÔI TRƯỜNG ") == "tai nguyen va moi truong"
