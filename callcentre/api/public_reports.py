"""A citizen's own web report, verified by an SMS code (no login): docs/citizen_report.md.

``POST /otp`` sends the code; ``POST /`` files the report (JSON, or multipart with up to 3 photos
as ``media``); ``GET /nearby`` lists open reports like it nearby, to follow one instead ("+1":
``follow``). Refusals name the field and are in the request's language (Vietnamese unless
``Accept-Language: en``). Rate-limited per client address.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from flask import current_app, g, request, url_for
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from marshmallow import ValidationError

from callcentre.core.extensions import limiter
from callcentre.core.storage import MediaRejected
from callcentre.formats.receipt import display
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import HEADER_DOC, check_replay, commit_response
from callcentre.schemas.public_report import (
    NearbyPage,
    NearbyQuery,
    OtpRequestIn,
    OtpRequestOut,
    PublicReportIn,
    PublicReportMultipart,
    PublicReportOut,
)
from callcentre.services import citizen_reports, otp

blp = Blueprint("public_reports", __name__, url_prefix="/api/v1/public/reports",
                description="Citizen web reports (no login)")

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_REFUSALS = {
    "404": {"description": "``follow`` names no open report that can be followed", "content": _ERROR},
    "409": {"description": "the code was already used (``errors.json.otp``), or the report followed closed",
            "content": _ERROR},
    "410": {"description": "the code expired: ask for another", "content": _ERROR},
    "429": {"description": "too many wrong tries for this code, or too many requests", "content": _ERROR},
}


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def _masked(phone: str) -> str:
    return phone[:5] + "*" * max(0, len(phone) - 7) + phone[-2:]


@blp.after_request
def _with_retry_after(response: Any) -> Any:
    """A refused code says when to try again (``Retry-After``), as a 429 of the rate limiter does."""
    wait = g.get("otp_retry_after")
    if wait and response.status_code in (429, 503):
        response.headers["Retry-After"] = str(wait)
    return response


def _raise(exc: otp.OtpRefused) -> NoReturn:
    g.otp_retry_after = exc.retry_after
    raise ApiError(exc.status, exc.text(), {"json": {exc.field: [exc.text()]}}) from exc


@blp.route("/otp", methods=["POST"])
@limiter.limit(_public_limit)
@blp.doc(security=[], responses={"503": {"description": "the SMS could not be sent: try again shortly",
                                         "content": _ERROR}})
@blp.arguments(OtpRequestIn())
@blp.response(202, OtpRequestOut())
def request_code(data: dict[str, Any]):
    """Send a 6-digit code by SMS to ``phone``, good for 10 minutes and 5 tries (``OTP_*`` settings).

    Another code for the same phone after 60 s (429 with ``Retry-After`` before), at most a few an
    hour per phone and per client address. Sent also to a phone that opted out of notifications:
    the citizen asked for it (a transactional message). A new code replaces the one before."""
    try:
        issued = otp.issue(data["phone"], get_remote_address(), data["language"])
    except otp.OtpRefused as exc:
        _raise(exc)
    return {"phone": _masked(issued.phone), "expires_at": issued.expires_at, "resend_at": issued.resend_at}


request_code._roles = frozenset({"sms-code"})  # route audit: the phone's code is the key


def _report_input() -> tuple[dict[str, Any], list[Any]]:
    """The report from a JSON body or a (multipart) form, validated; the uploaded photo streams."""
    if request.is_json:
        raw, location, uploads = request.get_json(silent=True), "json", []
        if not isinstance(raw, dict):
            raise ApiError(422, "invalid input", {"json": {"_schema": ["a JSON object is expected"]}})
    else:
        raw, location = request.form.to_dict(), "form"
        uploads = [f for f in request.files.getlist("media") if f.filename or f.content_length]
        if set(request.files) - {"media"}:
            raise ApiError(422, "invalid input", {"files": {"_schema": ["photos go in 'media'"]}})
    try:
        data = PublicReportIn().load(raw)
    except ValidationError as exc:
        raise ApiError(422, "invalid input", {location: exc.messages}) from exc
    if len(uploads) > citizen_reports.MAX_PHOTOS:
        raise ApiError(422, "invalid input", {"files": {"media": [f"at most {citizen_reports.MAX_PHOTOS} photos"]}})
    return data, [u.stream for u in uploads]


def _body_hash() -> str:
    """The request's identity for Idempotency-Key: the parsed fields and the photos' bytes."""
    digest = hashlib.sha256()
    if request.is_json:
        digest.update(request.get_data())
    else:
        digest.update(json.dumps(sorted(request.form.items(multi=True)), ensure_ascii=False).encode())
        for upload in request.files.getlist("media"):
            digest.update(b"\0" + upload.stream.read())
            upload.stream.seek(0)
    return digest.hexdigest()


@blp.route("", methods=["POST"])
@limiter.limit(_public_limit)
@blp.doc(security=[], parameters=[HEADER_DOC], responses=_REFUSALS, requestBody={"required": True, "content": {
    "application/json": {"schema": PublicReportIn},
    "multipart/form-data": {"schema": PublicReportMultipart}}})
@blp.response(201, PublicReportOut())
def file_report():
    """File a report with the code of ``POST /otp`` (channel ``web``); the receipt code comes back and
    by SMS. With ``follow`` (the receipt code of an open report of ``GET /nearby``) the citizen
    follows that report instead ("+1"): their own ticket is merged into it and they are told of its
    answer. A wrong code is 422 (its try counted), an expired one 410, a used one 409; nothing else
    is written. Photos are checked by content and stored without their metadata (GPS, device)."""
    replay = check_replay(_body_hash())
    if replay is not None:
        return replay
    data, uploads = _report_input()
    try:
        photos = citizen_reports.read_photos(uploads)
        filed = citizen_reports.file_report(data, photos)
    except MediaRejected as exc:
        raise ApiError(422, "invalid input", {"files": {"media": [str(exc)]}}) from exc
    except citizen_reports.ReportRefused as exc:
        raise ApiError(exc.status, exc.reason, {"json": {exc.field: [exc.reason]}}) from exc
    except otp.OtpRefused as exc:
        _raise(exc)
    ticket = filed.ticket
    body = {"receipt_code": ticket.receipt_code, "receipt_code_display": display(ticket.receipt_code),
            "status": ticket.status,
            "lookup_url": f"{current_app.config['PUBLIC_BASE_URL']}/t/{ticket.receipt_code}",
            "qr_svg": url_for("public.qr_svg", receipt_code=ticket.receipt_code),
            "followed": filed.followed.receipt_code if filed.followed else None}
    try:
        resp = commit_response(PublicReportOut().dump(body), 201)
    except BaseException:
        citizen_reports.discard(filed.stored_keys)
        raise
    if resp.headers.get("Idempotent-Replayed"):  # a concurrent twin won: our files belong to no ticket
        citizen_reports.discard(filed.stored_keys)
    return resp


file_report._roles = frozenset({"sms-code"})  # route audit: the phone's code is the key


@blp.route("/nearby", methods=["GET"])
@limiter.limit(_public_limit)
@blp.doc(security=[])
@blp.arguments(NearbyQuery(), location="query")
@blp.response(200, NearbyPage())
def nearby(query: dict[str, Any]):
    """Open reports of the category in the same commune or within 300 m, of the last 30 days, among
    those filed publicly (app, web): category, commune, street (no house number), date, status."""
    return {"items": citizen_reports.nearby(query["category"], query["commune_code"], query["lat"], query["lng"])}


nearby._roles = frozenset({"public"})  # route audit: open, like the lookup
