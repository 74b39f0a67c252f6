"""/ioc: the operations-centre wall (supervisor, admin), and /ioc/data, its figures as JSON.

The page is a frame drawn once (the map's grid included); static/ioc.js fills it from /ioc/data
and reloads that when the live stream says something moved, or on a timer when the stream is
down (docs/web.md, "The operations-centre wall"). Labels, names and local times are made here,
in the page's language, so the script only places text.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from callcentre.formats.extent import LANDMARKS, Extent
from callcentre.formats.receipt import display as receipt_display
from callcentre.services.ioc import MAX_POINTS, PROVINCE_EXTENT, snapshot
from callcentre.web.helpers import CHANNEL_LABELS, CLOCK_LABELS, duration, html_errors, lang, localtime, page_roles
from workflows.roles import MANAGERS

bp = Blueprint("web_ioc", __name__)
html_errors(bp)

MAP_WIDTH = 1000  # SVG user units; the height follows the extent's shape
GRID_STEP = 0.1  # degrees between grid lines
LABEL_EVERY = 5  # every fifth line (0.5°) carries its degree


class Projection:
    """Latitude/longitude to SVG x/y: equirectangular, longitudes shrunk by cos(mid latitude) so
    that a kilometre is as long across as up (at 10.5° N the two differ by under 2%)."""

    def __init__(self, extent: Extent, width: float = MAP_WIDTH) -> None:
        self.extent = extent
        self.width = width
        self._shrink = math.cos(math.radians((extent.north + extent.south) / 2))
        self.scale = width / ((extent.east - extent.west) * self._shrink)  # units per degree of latitude
        self.height = round((extent.north - extent.south) * self.scale, 1)

    def xy(self, lat: float, lng: float) -> tuple[float, float]:
        x = (lng - self.extent.west) * self._shrink * self.scale
        y = (self.extent.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def grid(self) -> dict[str, list[dict[str, Any]]]:
        """Lines of equal latitude and longitude every GRID_STEP, with a label every LABEL_EVERY."""
        e = self.extent

        def steps(low: float, high: float) -> list[tuple[float, bool]]:
            first, last = math.ceil(round(low / GRID_STEP, 6)), math.floor(round(high / GRID_STEP, 6))
            return [(round(i * GRID_STEP, 1), i % LABEL_EVERY == 0) for i in range(first, last + 1)]

        return {
            "lats": [{"y": self.xy(v, e.west)[1], "label": f"{v:.1f}°N" if major else "", "major": major}
                     for v, major in steps(e.south, e.north)],
            "lngs": [{"x": self.xy(e.south, v)[0], "label": f"{v:.1f}°E" if major else "", "major": major}
                     for v, major in steps(e.west, e.east)],
        }


PROJECTION = Projection(PROVINCE_EXTENT)


@bp.route("/ioc")
@page_roles(*MANAGERS)
def wall():
    # The towns (approximate centres, formats/extent.py) only orient the eye: no boundary is drawn.
    towns = [{"name": name, "xy": PROJECTION.xy(lat, lng), "east": lng > PROVINCE_EXTENT.east - 0.3}
             for name, lat, lng in LANDMARKS]  # near the east edge, the name goes under its mark
    return render_template("web/ioc.html", projection=PROJECTION, grid=PROJECTION.grid(), towns=towns,
                           data_url=url_for("web_ioc.data"), max_points=MAX_POINTS)


@bp.route("/ioc/data")
@page_roles(*MANAGERS)
def data():
    response = jsonify(wall_data(snapshot(current_user._get_current_object())))
    response.headers["Cache-Control"] = "no-store"  # figures of now, never a cached copy
    return response


def _name(row: dict[str, Any]) -> str:
    return str((row.get("name_en") if lang() == "en" else None) or row.get("name_vi") or row.get("code") or "—")


def _late(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    if days:
        return _("%(d)d ngày %(h)d giờ", d=days, h=rest // 3600)
    return duration(seconds)


def _radius(count: int) -> float:
    """A dot's radius in map units (the map is MAP_WIDTH across): 9 for one report, growing with
    the square root of the count."""
    return round(min(32.0, 9 + 4 * math.sqrt(count - 1)), 1)


def wall_data(snap: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as the page shows it: labels in the page's language, local times, map x/y."""
    received, work, place = snap["received"], snap["open"], snap["map"]
    return {
        "generated_at": snap["generated_at"].isoformat(),
        "updated": localtime(snap["generated_at"], "%H:%M:%S"),
        "day": localtime(snap["day_start"], "%d/%m/%Y"),
        "calls": snap["calls"],
        "received": {"total": received["total"],
                     "channels": [{"channel": r["channel"], "count": r["count"],
                                   "label": str(CHANNEL_LABELS.get(r["channel"], r["channel"]))}
                                  for r in received["by_channel"]]},
        "open": {
            "open": work["open"], "at_risk": work["at_risk"], "breached": work["breached"],
            "departments": [{"code": r["code"], "name": _name(r), "open": r["open"], "at_risk": r["at_risk"],
                             "breached": r["breached"]} for r in work["departments"]],
            "others": {**work["others"], "label": _("%(n)d đơn vị khác", n=work["others"]["departments"])},
        },
        "breaches": [{
            "id": b["id"],
            "receipt": receipt_display(b["receipt_code"]) if b["receipt_code"] else _("(phiếu bảo mật)"),
            "department": _name({"code": b["department"], "name_vi": b["name_vi"], "name_en": b["name_en"]})
            if b["department"] else _("(chưa có đơn vị)"),
            "clock": _("Quá hạn %(clock)s", clock=CLOCK_LABELS.get(b["kind"], b["kind"])),
            "late": "" if b["late_seconds"] < 60 else _("trễ %(t)s", t=_late(b["late_seconds"])) if b["running"]
            else _("đã trễ %(t)s", t=_late(b["late_seconds"])),
            "detected": localtime(b["detected_at"], "%H:%M %d/%m"),
            "running": b["running"], "acknowledged": b["acknowledged"],
        } for b in snap["breaches"]],
        "map": {
            "points": [{"x": x, "y": y, "r": _radius(p["count"]), "count": p["count"]}
                       for p in place["points"] for x, y in [PROJECTION.xy(p["lat"], p["lng"])]],
            "truncated": place["points_truncated"],
            "on_map": place["on_map"], "outside": place["outside"], "without_location": place["without_location"],
            "commune_only": place["commune_only"],
            "communes": [{"code": r["code"], "name": r["name"], "count": r["count"], "commune_only": r["commune_only"]}
                         for r in place["communes"]],
            "other_communes": {**place["other_communes"],
                               "label": _("%(n)d xã, phường khác", n=place["other_communes"]["communes"])},
        },
    }
