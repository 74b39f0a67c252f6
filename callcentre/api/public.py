"""What a citizen may see without logging in: status by receipt code, and its QR code.

Never the citizen's name, phone or description. Rate-limited per client address.
"""

from __future__ import annotations

import io

import segno
from flask import current_app, send_file
from flask_smorest import Blueprint

from callcentre.core.extensions import limiter
from callcentre.schemas.ticket import PublicTicketOut
from callcentre.services.queries import find_public_ticket

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
