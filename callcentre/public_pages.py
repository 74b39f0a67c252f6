"""``/t/<code>``: the QR code's target. Until the web UI lands it answers the public JSON."""

from __future__ import annotations

from flask import Blueprint, current_app

from .api.public import find_public_ticket
from .extensions import limiter
from .schemas.ticket import PublicTicketOut

bp = Blueprint("public_pages", __name__)


@bp.route("/t/<string:receipt_code>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def lookup(receipt_code: str):
    return PublicTicketOut().dump(find_public_ticket(receipt_code))
