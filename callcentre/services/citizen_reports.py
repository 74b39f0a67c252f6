"""The citizen's web report (docs/citizen_report.md): reports nearby, "+1" on one, and filing.

Shared by ``/phan-anh`` (web/citizen_report.py) and ``/api/v1/public/reports`` (api/public_reports.py).

* **Nearby** (``nearby``): open reports of the same category, filed in the last ``NEARBY_DAYS`` days,
  in the same commune or within ``NEARBY_METRES`` of the point, among those a public list may show
  (``publication.publicly_listed``: filed publicly on the app or the web, not confidential). Only
  category, commune, the address without house number, date and status are shown: never the
  description or photos (another citizen's words), never a name or phone.
* **Filing** (``file_report``): every check first (category, the report followed, photos), then the
  SMS code (services/otp.py), then the ticket through the one intake (``create_ticket``, channel
  ``web``: the receipt SMS follows as on every channel) and its photos, re-encoded without
  metadata like Open311's (core/storage.py). Never commits: the caller commits, and on failure
  deletes the stored files (``discard``).
* **"+1"** (``follow``): the follower's own ticket, merged at once into the one followed through the
  workflow (``merge``, fired by the citizen): the follower gets their own receipt code, and the
  answer of the followed report reaches them as it reaches every merged duplicate's reporter
  (messaging/outbound.py ``resolve_duplicate``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from callcentre.core.extensions import db
from callcentre.core.storage import get_storage, read_image
from callcentre.formats.geo import communes
from callcentre.formats.receipt import display
from callcentre.models import Category, Channel, Ticket, TicketMedia
from callcentre.models.types import utcnow
from callcentre.services import otp
from callcentre.services.publication import coarse, public_address, publicly_listed
from callcentre.services.tickets import create_ticket
from callcentre.services.workflow import fire, lock_ticket
from workflows.definition import WorkflowError
from workflows.states import OPEN_VALUES, label

NEARBY_METRES = 300
NEARBY_DAYS = 30
NEARBY_LIMIT = 5
MAX_PHOTOS = 3
_EARTH_METRES = 6_371_000
_DEGREE_METRES = 111_320  # one degree of latitude


class ReportRefused(Exception):
    """A report that cannot be filed as sent: ``status``, the ``field`` at fault, ``reason`` (English)."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


@dataclass(frozen=True)
class NearbyReport:
    receipt_code: str
    receipt_code_display: str
    category: dict[str, str]
    commune_code: str | None
    commune_name: str | None
    address: str | None
    status: str
    status_label: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    followed: Ticket | None
    stored_keys: list[str]


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine); plenty for a few hundred metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_METRES * math.asin(math.sqrt(h))


def _open_listed(now: datetime) -> Any:
    return and_(publicly_listed(), Ticket.status.in_(OPEN_VALUES), Ticket.duplicate_of_id.is_(None),
                Ticket.created_at >= now - timedelta(days=NEARBY_DAYS))


def nearby(category: str, commune_code: str | None = None, lat: float | None = None,
           lng: float | None = None) -> list[NearbyReport]:
    """Open reports like the one being written (see the module's docstring), newest first."""
    if commune_code is None and (lat is None or lng is None):
        return []
    now = utcnow()
    places = []
    if commune_code is not None:
        places.append(Ticket.commune_code == commune_code)
    if lat is not None and lng is not None:
        # A box around the point in SQL (with room for the rounding below), the circle in Python.
        dlat = NEARBY_METRES / _DEGREE_METRES + 0.001
        dlng = NEARBY_METRES / (_DEGREE_METRES * max(0.1, math.cos(math.radians(lat)))) + 0.001
        places.append(and_(Ticket.lat.between(lat - dlat, lat + dlat), Ticket.lng.between(lng - dlng, lng + dlng)))
    rows = db.session.scalars(
        select(Ticket).join(Ticket.category).options(joinedload(Ticket.category))
        .where(Category.code == category, _open_listed(now), or_(*places))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(50)).all()
    return [_view(t) for t in rows if _is_near(t, commune_code, lat, lng)][:NEARBY_LIMIT]


def _is_near(ticket: Ticket, commune_code: str | None, lat: float | None, lng: float | None) -> bool:
    if commune_code is not None and ticket.commune_code == commune_code:
        return True
    if lat is None or lng is None or ticket.lat is None or ticket.lng is None:
        return False
    # From the public (rounded) point: the answer must not help to find the exact one.
    return metres_between(lat, lng, coarse(ticket.lat) or 0.0, coarse(ticket.lng) or 0.0) <= NEARBY_METRES


def _view(ticket: Ticket) -> NearbyReport:
    category = ticket.category
    return NearbyReport(
        receipt_code=ticket.receipt_code, receipt_code_display=display(ticket.receipt_code),
        category={"code": category.code, "name_vi": category.name_vi, "name_en": category.name_en},
        commune_code=ticket.commune_code, commune_name=communes().get(ticket.commune_code or ""),
        address=public_address(ticket.address), status=ticket.status,
        status_label={"vi": label(ticket.status, "vi"), "en": label(ticket.status, "en")},
        created_at=ticket.created_at)


def followable(receipt_code: str) -> Ticket:
    """The open, publicly listed report ``receipt_code`` (canonical) names; ``ReportRefused`` 404 if none."""
    ticket = db.session.scalar(select(Ticket).options(joinedload(Ticket.category))
                               .where(Ticket.receipt_code == receipt_code, _open_listed(utcnow())))
    if ticket is None:
        raise ReportRefused(404, "follow", "no open report with this receipt code can be followed")
    return ticket


def active_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise ReportRefused(422, "category", f"unknown category code '{code}'")
    return category


def read_photos(uploads: Iterable[IO[bytes]]) -> list[tuple[bytes, str]]:
    """Each photo checked by content and re-encoded without metadata (core/storage.py); raises
    ``core.storage.MediaRejected`` for one that is not an accepted image."""
    cfg = current_app.config
    photos = [read_image(stream, cfg["MEDIA_MAX_BYTES"], cfg["MEDIA_MAX_PIXELS"]) for stream in uploads]
    if len(photos) > MAX_PHOTOS:
        raise ReportRefused(422, "media", f"at most {MAX_PHOTOS} photos")
    return photos


def _description(data: dict[str, Any], followed: Ticket | None) -> str:
    if data.get("description"):
        return str(data["description"])
    assert followed is not None  # the schema asks for a description without ``follow``
    # Staff read it: the follower's own ticket says what it is.
    return f"Công dân cùng phản ánh sự việc của phiếu {display(followed.receipt_code)} (+1 trên cổng phản ánh)."


def file_report(data: dict[str, Any], photos: list[tuple[bytes, str]]) -> Filed:
    """Write the report of validated ``data`` (``schemas.public_report.PublicReportIn``) and its photos.

    Raises ``ReportRefused`` or ``otp.OtpRefused`` having written nothing but a counted wrong try."""
    followed = followable(data["follow"]) if data.get("follow") else None
    category = followed.category if followed is not None else active_category(data["category"])
    if len(photos) > MAX_PHOTOS:
        raise ReportRefused(422, "media", f"at most {MAX_PHOTOS} photos")
    otp.verify(data["phone"], data["otp"])  # the first write: a wrong code commits only its try
    location = {k: data.get(k) for k in ("commune_code", "address", "lat", "lng")}
    if followed is not None and not any(v is not None for v in location.values()):
        location["commune_code"] = followed.commune_code
    ticket = create_ticket({
        "channel": Channel.WEB.value, "category": category.code, "description": _description(data, followed),
        "contact": {"phone": data["phone"], "name": data.get("name"), "language": data.get("language") or "vi"},
        "location": location, "priority": "normal", "confidential": False,
    }, None, actor_label="citizen")
    storage, saved = get_storage(), []
    try:
        for blob, content_type in photos:
            key = storage.save(io.BytesIO(blob), "upload", content_type)
            saved.append(key)
            db.session.add(TicketMedia(ticket_id=ticket.id, storage_key=key, content_type=content_type,
                                       size=len(blob)))
        if followed is not None:
            target = lock_ticket(followed.id)  # PostgreSQL: queued behind a concurrent change of it
            if target is None or target.status not in OPEN_VALUES:
                raise ReportRefused(409, "follow", "the report followed is no longer open")
            try:
                fire(ticket, "merge", {"duplicate_of": target.id}, None, actor_label="citizen")
            except WorkflowError as exc:
                raise ReportRefused(exc.status, "follow", exc.message) from exc
        db.session.flush()
    except BaseException:
        discard(saved)
        raise
    return Filed(ticket, followed, saved)


def discard(keys: Iterable[str]) -> None:
    """Delete stored photos of a write that did not commit."""
    storage = get_storage()
    for key in keys:
        storage.delete(key)
