"""``/media/<key>``: uploaded photos served back (keys are random, so not enumerable)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from callcentre.core.extensions import limiter
from callcentre.core.storage import EXTENSIONS, get_storage

bp = Blueprint("media", __name__)
_TYPES = {ext: content_type for content_type, ext in EXTENSIONS.items()}


@bp.route("/media/<key>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def media(key: str) -> ResponseReturnValue:
    try:
        stream = get_storage().open(key)
    except FileNotFoundError:
        abort(404)
    resp = send_file(stream, mimetype=_TYPES[key.rsplit(".", 1)[1]], max_age=86400)
    # Never let a browser guess another type from the bytes.
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
