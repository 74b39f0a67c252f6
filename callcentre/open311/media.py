"""``/media/<key>``: uploaded photos served back (keys are random, so not enumerable).

Only a photo that belongs to a ticket is served (a file left by a write that did not commit is
not), and only a citizen's: staff uploads are internal (services/publication.py; staff see them
through web/attachments.py). Served with the type recorded at upload (the bytes were re-encoded
as that type: core/images.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from callcentre.core.extensions import db, limiter
from callcentre.core.storage import KEY_PATTERN, get_storage
from callcentre.models import TicketMedia
from callcentre.services.publication import publicly_served_media

bp = Blueprint("media", __name__)


@bp.route("/media/<key>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def media(key: str) -> ResponseReturnValue:
    if not KEY_PATTERN.match(key):
        abort(404)
    content_type = db.session.scalar(select(TicketMedia.content_type)
                                     .where(TicketMedia.storage_key == key, publicly_served_media()))
    if content_type is None:
        abort(404)
    try:
        stream = get_storage().open(key)
    except FileNotFoundError:
        abort(404)
    # Shown in the browser, saved under its key's name if the user saves it.
    resp = send_file(stream, mimetype=content_type, max_age=86400, download_name=key, as_attachment=False)
    # Never let a browser guess another type from the bytes.
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
