"""POST /requests: a client application files a citizen's report (channel ``app``).

The ticket is made by ``services.tickets.create_ticket`` like on every other
channel, so the citizen gets the same receipt code, SMS and lookup. Ticket,
photos' rows and the Idempotency-Key record commit in one transaction; stored
files of a write that did not commit are deleted again.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcentre.core.extensions import db, limiter
from callcentre.core.storage import MediaRejected, get_storage, read_image
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.http.idempotency import check_replay, commit_response
from callcentre.models import Category, Channel, TicketMedia
from callcentre.open311.auth import post_rate_limit, rate_limit_key, require_client
from callcentre.open311.blueprint import bp
from callcentre.open311.definitions import validate_answers
from callcentre.open311.errors import bad_request
from callcentre.open311.formats import respond
from callcentre.open311.params import param
from callcentre.services.tickets import create_ticket

_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
MAX_DESCRIPTION = 5000
MAX_MEDIA_URL = 1000
_NOT_IN_URL = frozenset('<>"\\')  # never valid unencoded; a backslash reads as "/" in browsers
MAX_UPLOADS = 5  # photos per request


def _render(body: Any, status: int) -> Response:
    return respond(body, "service_requests", "request", status)


def form_hash() -> str:
    """The request's identity for Idempotency-Key: the parsed form and the files' bytes
    (the raw body is gone once the form was parsed; multipart boundaries differ per send)."""
    digest = hashlib.sha256()
    fields = sorted((k, v) for k, values in request.form.lists() for v in values)
    digest.update(json.dumps(fields, ensure_ascii=False).encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
        digest.update(name.encode() + b"\0")
        while chunk := upload.stream.read(64 * 1024):
            digest.update(chunk)
        upload.stream.seek(0)
    return digest.hexdigest()


def _float(name: str, low: float, high: float) -> float | None:
    raw = param(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"{name} must be a number (WGS84 degrees)") from None
    if not low <= value <= high:
        raise bad_request(f"{name} must be between {low} and {high}")
    return value


def _answers() -> dict[str, list[str]]:
    answers: dict[str, list[str]] = {}
    for key, values in request.form.lists():
        match = _ATTRIBUTE.match(key)
        if match:
            answers.setdefault(match.group(1), []).extend(values)
    return answers


def _location(problems: list[str]) -> dict[str, Any]:
    from callcentre.formats.geo import commune_exists

    lat, lng = _float("lat", -90, 90), _float("long", -180, 180)
    address, address_id = param("address_string"), param("address_id")
    if (lat is None) != (lng is None):
        problems.append("lat and long go together")
    if lat is None and not address and not address_id:
        problems.append("a location is required: lat and long, address_string or address_id")
    if address and len(address) > 500:
        problems.append("address_string is longer than 500 characters")
    if address_id and not commune_exists(address_id):
        problems.append(f"address_id '{address_id}' is not a known commune/ward code")
    return {"lat": lat, "lng": lng, "address": address, "commune_code": address_id}


def _contact(problems: list[str]) -> dict[str, Any] | None:
    raw = param("phone")
    if raw is None:
        # The receipt code and the answer reach the citizen by SMS, as on every channel.
        problems.append("phone is required: the citizen is sent the receipt code and the answer by SMS")
        return None
    try:
        phone = to_e164(raw)
    except InvalidPhone as exc:
        problems.append(f"phone: {exc}")
        return None
    # A Vietnamese name reads family name first: "Nguyễn Văn" (last_name) "An" (first_name).
    name = " ".join(p for p in (param("last_name"), param("first_name")) if p)[:200] or None
    lang = param("lang")
    return {"phone": phone, "name": name, "language": lang if lang in ("vi", "en") else "vi"}


def is_media_url(url: str) -> bool:
    """An ``https`` URL with a host, no user:password part, no whitespace or control characters."""
    if len(url) > MAX_MEDIA_URL or any(c.isspace() or not c.isprintable() or c in _NOT_IN_URL for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return False
    return (parts.scheme == "https" and bool(parts.hostname)
            and parts.username is None and parts.password is None)


def _media_url(problems: list[str]) -> str | None:
    """Stored as given; shown only as a link or ``src`` (JSON/XML values, escaped attributes)."""
    url = param("media_url")
    if url is not None and not is_media_url(url):
        problems.append(f"media_url must be an https URL of at most {MAX_MEDIA_URL} characters, "
                        "without spaces or a user name/password")
    return url


def _uploads(problems: list[str]) -> list[tuple[bytes, str]]:
    images: list[tuple[bytes, str]] = []
    uploads = request.files.getlist("media")
    if len(uploads) > MAX_UPLOADS:
        problems.append(f"media: at most {MAX_UPLOADS} photos per request")
        return images
    for upload in uploads:
        if not upload.filename and not upload.content_length:
            continue  # an empty file input
        try:
            images.append(read_image(upload.stream, current_app.config["MEDIA_MAX_BYTES"],
                                     current_app.config["MEDIA_MAX_PIXELS"]))
        except MediaRejected as exc:
            problems.append(f"media: {exc}")
    return images


def _ticket_data(category: Category) -> tuple[dict[str, Any], str | None, list[tuple[bytes, str]]]:
    """Every check before any write; all problems at once, as one 400."""
    problems: list[str] = []
    lines, attribute_problems = validate_answers(category.code, _answers())
    problems += attribute_problems
    location, contact = _location(problems), _contact(problems)
    media_url, images = _media_url(problems), _uploads(problems)
    description = param("description")
    if description and len(description) > MAX_DESCRIPTION:
        problems.append(f"description is longer than {MAX_DESCRIPTION} characters")
    if problems:
        raise bad_request(*problems)
    # The spec makes description optional; a ticket needs words, so fall back to the service and answers.
    text = "\n".join([description or category.name_vi, *lines])
    data = {"channel": Channel.APP.value, "category": category.code, "description": text,
            "contact": contact, "location": location}
    return data, media_url, images


@bp.route("/requests.<fmt>", methods=["POST"])
@limiter.limit(post_rate_limit, key_func=rate_limit_key)
def create_request() -> ResponseReturnValue:
    client = require_client()
    replay = check_replay(form_hash(), _render)
    if replay is not None:
        return replay
    code = param("service_code")
    if code is None:
        raise bad_request("service_code is required")
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise bad_request(f"service_code '{code}' is not a known service (see services.xml)")
    data, media_url, images = _ticket_data(category)

    ticket = create_ticket(data, None, actor_label=f"open311:{client.name}")
    storage, saved = get_storage(), []
    try:
        if media_url:
            db.session.add(TicketMedia(ticket_id=ticket.id, url=media_url))
        for blob, content_type in images:
            key = storage.save(io.BytesIO(blob), "upload", content_type)
            saved.append(key)
            db.session.add(TicketMedia(ticket_id=ticket.id, storage_key=key, content_type=content_type,
                                          size=len(blob)))
        body = [{"service_request_id": ticket.receipt_code, "token": ticket.receipt_code,
                 "service_notice": _notice(category), "account_id": None}]
        resp = commit_response(body, 201, _render)
    except BaseException:
        for key in saved:
            storage.delete(key)
        raise
    if resp.headers.get("Idempotent-Replayed"):
        for key in saved:  # a concurrent twin won the race: our files belong to no ticket
            storage.delete(key)
    return resp


def _notice(category: Category) -> str:
    department = category.default_department
    return (f"Đã tiếp nhận; {department.name_vi} xử lý. Mã biên nhận gửi qua SMS. "
            f"/ Received; handled by {department.name_en}. The receipt code is sent by SMS.")
