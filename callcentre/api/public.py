"""What a citizen may see or say without logging in: status by receipt code, its QR code, and
their rating or dispute of the answer (with the token of the resolution SMS's link).

Never the citizen's name, phone or description. Rate-limited per client address.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import current_app, send_file
from flask_smorest import Blueprint
from sqlalchemy.orm.exc import StaleDataError

from callcentre.core.extensions import db, limiter
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import HEADER_DOC, check_replay, commit_response
from callcentre.schemas.feedback import FeedbackIn, FeedbackOut
from callcentre.schemas.ticket import PublicTicketOut
from callcentre.services.feedback import REOPENED, FeedbackError, give_feedback, open_until, row_for_token
from callcentre.services.queries import find_public_ticket
from workflows.states import label

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Public lookup (no login)")


QR_INVALID = {"description": "not shaped like a receipt code",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def lookup_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/t/{code}"


@blp.route("/tickets/<string:receipt_code>", methods=["GET"])
@limiter.limit(_public_limit)
@blp.doc(security=[])  # no login: the receipt code is the key
@blp.response(200, PublicTicketOut())
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="not shaped like a receipt code")
def public_ticket(receipt_code: str):
    """Status, category, public answer and dates of a case."""
    return find_public_ticket(receipt_code)


def _qr(receipt_code: str):
    ticket = find_public_ticket(receipt_code)
    return segno.make(lookup_url(ticket.receipt_code), error="m")


@blp.route("/tickets/<string:receipt_code>/qr.png", methods=["GET"])
@limiter.limit(_public_limit)
@blp.doc(security=[], responses={"200": {"description": "PNG QR code of the lookup URL",
                                         "content": {"image/png": {}}},
                                 "422": QR_INVALID})
def qr_png(receipt_code: str):
    """QR code (PNG) encoding ``{PUBLIC_BASE_URL}/t/{receipt_code}``."""
    buf = io.BytesIO()
    _qr(receipt_code).save(buf, kind="png", scale=8, border=2)
    buf.seek(0)
    return send_file(buf, mimetype="image/png", download_name=f"{receipt_code}.png", max_age=3600)


@blp.route("/tickets/<string:receipt_code>/qr.svg", methods=["GET"])
@limiter.limit(_public_limit)
@blp.doc(security=[], responses={"200": {"description": "SVG QR code of the lookup URL",
                                         "content": {"image/svg+xml": {}}},
                                 "422": QR_INVALID})
def qr_svg(receipt_code: str):
    """QR code (SVG) encoding ``{PUBLIC_BASE_URL}/t/{receipt_code}``."""
    buf = io.BytesIO()
    _qr(receipt_code).save(buf, kind="svg", scale=8, border=2, xmldecl=False)
    buf.seek(0)
    return send_file(buf, mimetype="image/svg+xml", download_name=f"{receipt_code}.svg", max_age=3600)


_OUT = FeedbackOut()


def _error_doc(description: str) -> dict[str, Any]:
    return {"description": description, "content": QR_INVALID["content"]}


@blp.route("/tickets/<string:receipt_code>/feedback", methods=["POST"])
@limiter.limit(_public_limit)
@blp.doc(security=[], responses={
    "403": _error_doc("the token is not this ticket's (or a newer SMS replaced it): ``errors.json.token``"),
    "409": _error_doc("the answer was reopened, so there is nothing to rate now: ``errors.json.token``"),
    "410": _error_doc("more than ``REOPEN_WINDOW_DAYS`` since the answer: ``errors.json.token``")},
        parameters=[HEADER_DOC])
@blp.arguments(FeedbackIn())
@blp.response(200, FeedbackOut())
def feedback(data: dict[str, Any], receipt_code: str):
    """Rate the answer (1–5, optional comment) and/or dispute it (``"dispute": true`` reopens the
    ticket for its department). The token is the ``k`` of the link in the resolution SMS; it is good
    for ``REOPEN_WINDOW_DAYS`` after the answer. Rating again replaces the rating. Refusals are in
    the request's language (Vietnamese unless ``Accept-Language: en``), with the field they are about.
    An ``Idempotency-Key`` makes a retry answer the first answer instead of rating twice."""
    replay = check_replay()
    if replay is not None:
        return replay
    ticket = find_public_ticket(receipt_code)
    try:
        row_for_token(ticket, data["token"])
        outcome = give_feedback(ticket, rating=data["rating"], comment=data["comment"], dispute=data["dispute"],
                                via="api")
    except FeedbackError as exc:
        raise ApiError(exc.status, exc.text(), {"json": {exc.field: [exc.text()]}}) from exc
    body = _OUT.dump({
        "receipt_code": ticket.receipt_code, "status": ticket.status,
        "status_label": {"vi": label(ticket.status, "vi"), "en": label(ticket.status, "en")},
        "rating": outcome.rating, "rated_at": outcome.rated_at, "disputed": outcome.disputed,
        "open_until": open_until(ticket)})
    try:
        return commit_response(body, 200)
    except StaleDataError as exc:  # another writer changed the ticket first (SQLite: no row locks)
        db.session.rollback()
        refused = FeedbackError(409, "dispute", REOPENED)
        raise ApiError(409, refused.text(), {"json": {"dispute": [refused.text()]}}) from exc
