"""``GET /api/v1/events``: the live screens' one Server-Sent Events stream (services/live.py).

Signed in by the session cookie (the pages' EventSource) or a bearer token, role-checked like
every endpoint. The stream holds no database connection (the login is re-checked once a minute
on a short one of its own) and no sync worker: it refuses to run on a server that serves one
request at a time (gunicorn's sync worker), since it would hold that worker for minutes.
Not in the OpenAPI document: a client reads it with EventSource, not a JSON client (README).
"""

from __future__ import annotations

import select as io_select
import socket
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ServiceUnavailable

from callcentre.core.extensions import db
from callcentre.http.auth import authenticated_user, roles_required
from callcentre.models import ApiToken, StaffSession, User, hash_token, utcnow
from callcentre.services import live
from workflows.roles import STAFF

bp = Blueprint("events", __name__, url_prefix="/api/v1")
UNAVAILABLE = "Chưa mở được luồng sự kiện, trang sẽ tự làm mới định kỳ / live events unavailable, try again later"
ONE_AT_A_TIME = ("Máy chủ này phục vụ từng yêu cầu một (gunicorn sync): không có luồng sự kiện / "
                 "this server handles one request at a time (gunicorn sync worker): no live events")


@bp.route("/events")
@roles_required(*STAFF)
def stream():
    """text/event-stream: ``call``, ``ticket``, ``notice``, ``sla`` and ``resync`` events, a
    comment every LIVE_HEARTBEAT_SECONDS; closed after LIVE_STREAM_SECONDS (the browser
    reconnects with ``Last-Event-ID``), or with a ``closed`` event when the same account opens
    more than LIVE_MAX_STREAMS_PER_USER (the oldest ends). ``?since=<ms>``: from the page's render."""
    user = authenticated_user()
    if _one_request_at_a_time(request.environ):
        raise ServiceUnavailable(description=ONE_AT_A_TIME,
                                 retry_after=int(live.setting(current_app, "LIVE_STREAM_SECONDS")))
    last_event_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    since = request.args.get("since", "")
    since_ms = int(since) if since.isdigit() and len(since) <= 15 else None
    try:
        reader = live.open_reader(current_app, user, last_event_id, since_ms, _login_still_valid(user),
                                  _client_gone(request.environ))
    except live.Unavailable as exc:
        current_app.logger.warning("live stream refused: Redis unreachable (%s)", exc)
        raise ServiceUnavailable(description=UNAVAILABLE, retry_after=live.RETRY_AFTER_SECONDS) from None
    # The request's database session is removed when this view returns, before the body streams.
    return Response(reader.events(), mimetype="text/event-stream",
                    headers={"X-Accel-Buffering": "no"})  # nginx: pass each event on at once


def _one_request_at_a_time(environ: dict[str, Any]) -> bool:
    """gunicorn's sync worker (its SERVER_SOFTWARE is plain ``gunicorn/…``, one thread)."""
    return str(environ.get("SERVER_SOFTWARE", "")).startswith("gunicorn/") and not environ.get("wsgi.multithread")


def _client_gone(environ: dict[str, Any]) -> Callable[[], bool] | None:
    """Whether the browser closed the connection (readable with nothing to read: its FIN), from the
    server's socket (gunicorn's or Werkzeug's); None where the server does not give it."""
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None:
        return None

    def gone() -> bool:
        try:
            readable, _, _ = io_select.select([sock], [], [], 0)
            return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    return gone


def _login_still_valid(user: User) -> Callable[[], bool]:
    """Whether this login (web session or API token) still stands, on a short connection of its own."""
    engine = db.engine
    user_id = user.id
    session_id = g.get("staff_session_id")
    header = request.headers.get("Authorization", "")
    token_hash = hash_token(header[7:].strip()) if g.get("auth_via_token") else None

    def check() -> bool:
        try:
            with engine.connect() as conn:
                if token_hash is not None:
                    token = conn.execute(select(ApiToken.revoked_at, ApiToken.expires_at, User.active)
                                         .join(User, User.id == ApiToken.user_id)
                                         .where(ApiToken.token_hash == token_hash, User.id == user_id)).first()
                    return bool(token and token.revoked_at is None and utcnow() < token.expires_at and token.active)
                web = conn.execute(select(StaffSession.ended_at, User.active)
                                   .join(User, User.id == StaffSession.user_id)
                                   .where(StaffSession.id == session_id, User.id == user_id)).first()
                return bool(web and web.ended_at is None and web.active)
        except SQLAlchemyError:
            return False  # the database is down: end the stream; the reconnect answers 503

    return check


def init_app(app: Flask) -> None:
    """The blueprint, and ``live_events_url()`` for the pages (base.html)."""
    app.register_blueprint(bp)

    @app.context_processor
    def _live_events() -> dict[str, Any]:
        def live_events_url() -> str:
            # From the page's render time: an event between render and connect still arrives.
            return url_for("events.stream", since=int(time.time() * 1000)) if current_user.is_authenticated else ""

        return {"live_events_url": live_events_url}
