"""The province's extent on a map, for the web report's offline "map" and its checks.

Đồng Tháp after the 1 July 2025 merger (with the former Tiền Giang) lies within about
10.05–11.05° N and 105.15–106.85° E. The web form draws this box as an SVG with a few towns
as landmarks (no map tiles from the internet), and a point outside it is refused: the
hotline handles this province only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Extent:
    south: float
    north: float
    west: float
    east: float

    def contains(self, lat: float, lng: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lng <= self.east


PROVINCE = Extent(south=10.05, north=11.05, west=105.15, east=106.85)
# Landmarks drawn on the map: (name, lat, lng), approximate town centres.
LANDMARKS: tuple[tuple[str, float, float], ...] = (
    ("Mỹ Tho", 10.360, 106.360),
    ("Cao Lãnh", 10.460, 105.633),
    ("Sa Đéc", 10.292, 105.758),
    ("Hồng Ngự", 10.808, 105.341),
    ("Cai Lậy", 10.408, 106.117),
    ("Gò Công", 10.366, 106.673),
    ("Tân Hồng", 10.880, 105.460),
)
