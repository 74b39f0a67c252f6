"""The public form of an address and of coordinates (services/publication.py), without a database."""

from __future__ import annotations

import pytest

from callcentre.services.publication import coarse, public_address


@pytest.mark.parametrize(("filed", "shown"), [
    ("12 Lê Lợi, Mỹ Tho", "Lê Lợi, Mỹ Tho"),
    ("Số 12/3 đường Lê Lợi, Phường 1, Mỹ Tho", "đường Lê Lợi, Phường 1, Mỹ Tho"),
    ("số nhà 45, hẻm 12 Nguyễn Huệ, Ấp 3, xã Mỹ Hội", "Nguyễn Huệ, Ấp 3, xã Mỹ Hội"),
    ("123A-125 Trần Hưng Đạo", "Trần Hưng Đạo"),
    ("45/2B Lê Lợi", "Lê Lợi"),
    ("Hẻm 45/12 Lê Lợi", "Lê Lợi"),
    ("SN 7 ngõ 3 Hùng Vương", "Hùng Vương"),
    ("SỐ 9 NGUYỄN TRÃI", "NGUYỄN TRÃI"),
    ("12 đường 30/4, phường 2", "đường 30/4, phường 2"),  # a street named after a date stays
    ("Chợ Mỹ Tho", "Chợ Mỹ Tho"),
    ("Tổ 5, khóm 2", "Tổ 5, khóm 2"),  # neighbourhood groups, not a door
    ("Km 5 Quốc lộ 1A", "Km 5 Quốc lộ 1A"),
    ("12", None),
    ("", None),
    (None, None),
])
def test_the_house_number_never_leaves(filed: str | None, shown: str | None) -> None:
    assert public_address(filed) == shown


def test_coordinates_are_rounded_to_about_100_m() -> None:
    assert (coarse(10.367891), coarse(106.361234), coarse(None)) == (10.368, 106.361, None)
    # 0.001° of latitude is 111 m: the public point is never more than ~80 m from the filed one.
    assert abs(coarse(10.3675) - 10.3675) <= 0.0005
