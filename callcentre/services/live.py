"""Live screens: "something new" published to Redis Streams after commit, read by the SSE stream.

The database stays the source of truth; an event only tells a screen what to reload (a call to
pop, an inbox, the notice badge, the dashboard's figures). Events are written where they happen
and published only once their transaction has committed (``on_commit``), to one Redis Stream per
audience, trimmed with ``XADD MAXLEN ~``:

- ``live:u:<user id>``: one person's notices;
- ``live:intake``: calls offered to the front desk (the hotline's one shared Twilio queue offers
  every call to every operator: messaging/voice.py);
- ``live:d:<department id>``: that department's tickets moved (its inbox);
- ``live:supervision``: every ticket moved and every SLA alert (the dashboard, every inbox).

A reader (``Reader``, behind ``GET /api/v1/events``) blocks on one ``XREAD`` over its audiences'
streams. Its position is a Last-Event-ID such as ``u:1712-0,i:1712-3``: one stream id per
audience, so a dropped stream resumes exactly where it stopped; a position trimmed away, or a
stream cut by a Redis failure, is told to reload everything from the database (``resync``).
Redis down: a publish is skipped (and skipped for a few seconds more, so requests do not each
wait on it) and opening a stream raises ``Unavailable``; pages then refresh on a timer instead.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import redis
from flask import Flask, current_app

from callcentre.core.after_commit import on_commit
from callcentre.core.extensions import SessionLike
from callcentre.core.redis_client import resolve_redis_url
from callcentre.models import User
from workflows.roles import INTAKE, MANAGERS, Role

log = logging.getLogger(__name__)

PREFIX = "live:"
INTAKE_AUDIENCE = "intake"
SUPERVISION = "supervision"
# Settings (config.py) and their defaults.
DEFAULTS = {"LIVE_HEARTBEAT_SECONDS": 15, "LIVE_STREAM_SECONDS": 300, "LIVE_MAX_STREAMS_PER_USER": 5,
            "LIVE_STREAM_MAXLEN": 1000}
RETRY_AFTER_SECONDS = 30  # Redis down or too many streams: when to try again
PUBLISH_PAUSE_SECONDS = 5.0  # after a failed publish, skip publishing for this long
READER_CONNECTIONS = 2000  # Redis connections one process may hold for its open streams
EVICT = "_evict"  # a control entry on a user's stream, never passed to a browser
RECHECK_SECONDS = 60.0  # an open stream checks its login (signed out? deactivated?) this often
# XREAD's answer (decode_responses): [(stream key, [(entry id, {field: value}), ...]), ...]
XReadReply = list[tuple[str, list[tuple[str, dict[str, str]]]]] | dict[str, list[tuple[str, dict[str, str]]]] | None
_STREAM_ID = re.compile(r"^\d{1,15}-\d{1,19}$")
_MAX_POSITION_LENGTH = 400


_open_readers: weakref.WeakSet[Reader] = weakref.WeakSet()
_stopping = False  # this process is shutting down: no new streams, the open ones end now


class Unavailable(Exception):
    """Redis cannot be reached: no stream now."""


def setting(app: Flask, name: str) -> float:
    return float(app.config.get(name, DEFAULTS[name]))


def user_audience(user_id: int) -> str:
    return f"u:{user_id}"


def department_audience(department_id: int) -> str:
    return f"d:{department_id}"


def audiences_of(user: User) -> dict[str, str]:
    """What a user's stream reads: short name (as in the Last-Event-ID) -> audience."""
    out = {"u": user_audience(user.id)}
    if user.role in INTAKE or user.role == Role.ADMIN:
        out["i"] = INTAKE_AUDIENCE
    if user.role in MANAGERS:
        out["s"] = SUPERVISION
    elif user.is_department_staff and user.department_id:
        out["d"] = department_audience(user.department_id)
    return out


# ---------------------------------------------------------------- publishing

def _client(app: Flask, name: str, **options: Any) -> redis.Redis:
    conn = app.extensions.get(name)
    if conn is None:
        conn = redis.Redis.from_url(resolve_redis_url(app), decode_responses=True, **options)
        app.extensions[name] = conn
    return conn


def _publisher(app: Flask) -> redis.Redis:
    # Short timeouts: a publish runs inside the request that committed, which must not wait long.
    return _client(app, "live_publisher", socket_connect_timeout=0.5, socket_timeout=1.0)


def publish(session: SessionLike, kind: str, audiences: Iterable[str], data: dict[str, Any]) -> None:
    """Tell ``audiences`` that ``kind`` happened, once the session's transaction commits."""
    targets = sorted(set(audiences))
    if not targets:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, is a proxy
    on_commit(session, lambda: _publish_after_commit(app, kind, targets, data))


def _publish_after_commit(app: Flask, kind: str, audiences: list[str], data: dict[str, Any]) -> None:
    publish_now(app, kind, audiences, data)


@dataclass
class _PublishState:
    paused_until: float = 0.0  # a Redis that just failed is not asked again for a few seconds
    warned_at: float = -math.inf


def publish_now(app: Flask, kind: str, audiences: Iterable[str], data: dict[str, Any]) -> bool:
    """XADD the event to each audience's stream (one round trip); False if Redis was not reached."""
    state: _PublishState = app.extensions.setdefault("live_publish_state", _PublishState())
    now = time.monotonic()
    if now < state.paused_until:
        return False
    entry = {"kind": kind, "data": json.dumps(data, ensure_ascii=False, separators=(",", ":"))}
    maxlen = int(setting(app, "LIVE_STREAM_MAXLEN"))
    try:
        with _publisher(app).pipeline(transaction=False) as pipe:
            for audience in audiences:
                pipe.xadd(PREFIX + audience, entry, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
            pipe.execute()
    except (redis.RedisError, OSError) as exc:
        state.paused_until = now + PUBLISH_PAUSE_SECONDS
        if now - state.warned_at > 60:  # once a minute per process, not once per request
            state.warned_at = now
            log.warning("live events not published (Redis unreachable: %s); screens fall back to refreshing", exc)
        return False
    return True


# ---------------------------------------------------------------- reading


def _as_tuple(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def parse_position(text: str | None, names: Iterable[str]) -> dict[str, str] | None:
    """``u:1712-0,i:1712-3`` -> {"u": "1712-0", "i": "1712-3"} (only the names this user reads);
    None when absent or malformed (the reader then starts afresh and asks for a resync)."""
    if not text or len(text) > _MAX_POSITION_LENGTH:
        return None
    wanted = set(names)
    out: dict[str, str] = {}
    for part in text.split(","):
        name, _, stream_id = part.strip().partition(":")
        if not _STREAM_ID.match(stream_id):
            return None
        if name in wanted:
            out[name] = stream_id
    return out or None


def format_position(position: dict[str, str]) -> str:
    return ",".join(f"{name}:{stream_id}" for name, stream_id in position.items())


def sse(event: str | None = None, data: Any = None, event_id: str | None = None, retry_ms: int | None = None,
        comment: str | None = None) -> str:
    """One Server-Sent Events message (JSON data has no newline, so one ``data:`` line)."""
    lines = []
    if comment is not None:
        lines.append(f": {comment}")
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.append("data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


@dataclass(eq=False)  # compared (and hashed, in _open_readers) by identity
class Reader:
    """One open stream of one user: its Redis client, streams, position and slot."""

    conn: redis.Redis
    user_id: int
    keys: dict[str, str]  # short name -> Redis key
    position: dict[str, str]
    heartbeat: float
    lifetime: float
    slot: str
    resync: bool = False
    still_allowed: Callable[[], bool] = field(default=lambda: True)
    recheck_every: float = RECHECK_SECONDS
    client_gone: Callable[[], bool] = field(default=lambda: False)

    def events(self) -> Iterator[str]:
        """The response body: position first, then events and heartbeats until the lifetime ends,
        the login ends or Redis fails; the browser's EventSource then reconnects by itself."""
        try:
            # A reconnect within 1-4 s, spread so that a restarted server is not hit by all at once.
            retry = 1000 + uuid.uuid4().int % 3000
            yield sse(event_id=format_position(self.position), retry_ms=retry, comment="live")
            if self.resync:
                yield sse("resync", {}, event_id=format_position(self.position))
            yield from self._loop()
        finally:
            self.release()

    def _loop(self) -> Iterator[str]:
        started = checked = wrote = time.monotonic()
        names = {key: name for name, key in self.keys.items()}
        while (left := self.lifetime - (time.monotonic() - started)) > 0 and not _stopping:
            # One wait per heartbeat: an idle stream costs one XREAD every LIVE_HEARTBEAT_SECONDS.
            block_ms = max(1, int(min(self.heartbeat, left) * 1000))
            try:
                got: XReadReply = self.conn.xread(  # type: ignore[assignment]  # typed for sync and async
                    {key: self.position[name] for name, key in self.keys.items()}, count=100, block=block_ms)
            except (redis.RedisError, OSError, ValueError) as exc:  # ValueError: its socket closed under it
                if not _stopping:
                    log.info("live stream of user %s ends: Redis failed (%s)", self.user_id, exc)
                    # Events published while Redis is away are lost: the screen reloads from the
                    # database, and again once its stream is back (static/live.js).
                    yield sse("resync", {}, event_id=format_position(self.position))
                return
            replies = got.items() if isinstance(got, dict) else (got or [])  # RESP3 answers a map
            entries = sorted(((_as_tuple(entry_id), names[key], entry_id, fields)
                              for key, items in replies for entry_id, fields in items),
                             key=lambda e: e[0])
            for _, name, entry_id, fields in entries:
                self.position[name] = entry_id
                try:
                    data = json.loads(fields.get("data") or "{}")
                except ValueError:
                    data = {}
                kind = fields.get("kind", "message")
                if kind == EVICT:  # the user opened one stream too many: the oldest one ends
                    if data.get("slot") == self.slot:
                        yield sse("closed", {}, event_id=format_position(self.position))
                        return
                    continue
                yield sse(kind, data, event_id=format_position(self.position))
                wrote = time.monotonic()
            if self.client_gone():
                return
            if time.monotonic() - wrote >= self.heartbeat:
                yield sse(comment="ping")  # keeps proxies from closing an idle response
                wrote = time.monotonic()
            if time.monotonic() - checked >= self.recheck_every:
                checked = time.monotonic()
                if not self.still_allowed():
                    return  # signed out or deactivated meanwhile: the reconnect gets a 401

    def release(self) -> None:
        try:
            self.conn.zrem(_slots_key(self.user_id), self.slot)
        except (redis.RedisError, OSError, ValueError):
            pass  # the slot expires by itself


def _slots_key(user_id: int) -> str:
    return f"{PREFIX}streams:{user_id}"


def _reader_client(app: Flask) -> redis.Redis:
    # XREAD blocks for up to a heartbeat: the socket timeout must be longer than that. Each open
    # stream holds one connection while it waits: redis-py's default pool (100) would refuse the
    # 101st stream of a process; gunicorn's worker_connections (1000) bounds them before this does.
    return _client(app, "live_reader", socket_connect_timeout=2.0,
                   socket_timeout=setting(app, "LIVE_HEARTBEAT_SECONDS") + 10.0,
                   max_connections=READER_CONNECTIONS)


def open_reader(app: Flask, user: User, last_event_id: str | None, since_ms: int | None = None,
                still_allowed: Callable[[], bool] | None = None,
                client_gone: Callable[[], bool] | None = None) -> Reader:
    """A reader for ``user`` from ``last_event_id`` (a resume), else from ``since_ms`` (the page's
    render time, so nothing between render and connect is missed), else from now.

    Raises ``Unavailable`` (Redis down)."""
    conn = _reader_client(app)
    names = audiences_of(user)
    keys = {name: PREFIX + audience for name, audience in names.items()}
    lifetime = setting(app, "LIVE_STREAM_SECONDS")
    slot = uuid.uuid4().hex
    try:
        maxlen = int(setting(app, "LIVE_STREAM_MAXLEN"))
        _take_slot(conn, user.id, slot, int(setting(app, "LIVE_MAX_STREAMS_PER_USER")), lifetime + 60, maxlen)
        position, resync = _start_position(conn, keys, parse_position(last_event_id, keys), last_event_id,
                                           since_ms, maxlen)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable(str(exc)) from exc
    if _stopping:
        conn.zrem(_slots_key(user.id), slot)
        raise Unavailable("this worker is shutting down")
    reader = Reader(conn, user.id, keys, position, setting(app, "LIVE_HEARTBEAT_SECONDS"), lifetime, slot, resync,
                    recheck_every=min(RECHECK_SECONDS, lifetime / 3))
    if still_allowed is not None:
        reader.still_allowed = still_allowed
    if client_gone is not None:
        reader.client_gone = client_gone
    _open_readers.add(reader)
    return reader


def stop_streams() -> int:
    """End every open stream of this process now (gunicorn.conf.py calls it when a worker starts to
    stop): their blocked XREADs fail, the responses end, and the browsers reconnect to a worker
    that stays instead of holding this one for its graceful timeout. Returns how many were open."""
    global _stopping
    _stopping = True
    readers = list(_open_readers)
    pools = {id(r.conn.connection_pool): r.conn.connection_pool for r in readers}
    for pool in pools.values():
        pool.disconnect(inuse_connections=True)
    return len(readers)


_TAKE_SLOT = """
local key, stream = KEYS[1], KEYS[2]
local now, ttl, limit, slot, evict = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local maxlen = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
redis.call('ZADD', key, now + ttl, slot)
redis.call('EXPIRE', key, math.floor(ttl) + 60)
local excess = redis.call('ZCARD', key) - limit
if excess <= 0 then return 0 end
for _, old in ipairs(redis.call('ZRANGE', key, 0, excess - 1)) do
  if old ~= slot then
    redis.call('ZREM', key, old)
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'kind', evict, 'data', cjson.encode({slot = old}))
  end
end
return excess
"""


def _take_slot(conn: redis.Redis, user_id: int, slot: str, limit: int, ttl: float, maxlen: int) -> None:
    """Hold one of the user's LIVE_MAX_STREAMS_PER_USER slots: a sorted set of their open streams,
    scored by when each would expire on its own (a worker killed mid-stream leaks nothing longer).
    Past the limit the oldest streams are told to end (an ``_evict`` entry on the user's own
    stream, which every one of their readers reads): most often a tab already closed, whose stream
    the server has not noticed yet; else the page the user opened first, which then refreshes on a
    timer instead (static/live.js)."""
    # One script, so that tabs opened at the same moment see each other: with a separate read
    # and evict, two of them could both count the same stale total and end a live tab.
    conn.eval(_TAKE_SLOT, 2, _slots_key(user_id), PREFIX + user_audience(user_id),
              time.time(), ttl, limit, slot, EVICT, maxlen)


def _start_position(conn: redis.Redis, keys: dict[str, str], resume: dict[str, str] | None,
                    raw: str | None, since_ms: int | None, maxlen: int) -> tuple[dict[str, str], bool]:
    """(position, resync): where to read from, and whether the screen must reload everything."""
    seconds, micros = conn.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    # From now: "<ms-1>-0" precedes any entry added from this millisecond on.
    fresh = f"{now_ms - 1}-0"
    if since_ms is not None and now_ms - 600_000 <= since_ms <= now_ms:
        fresh = f"{since_ms}-0"
    resync = bool(raw) and resume is None  # a Last-Event-ID we cannot read
    if resume and any(_as_tuple(v)[0] > now_ms + 60_000 for v in resume.values()):
        resume, resync = None, True  # a position from the future: not one this Redis gave
    position = {name: (resume or {}).get(name, fresh) for name in keys}
    if resume is None and since_ms is None:
        return position, resync
    with conn.pipeline(transaction=False) as pipe:
        for key in keys.values():
            pipe.xinfo_stream(key)
        infos = pipe.execute(raise_on_error=False)
    for (name, _key), info in zip(keys.items(), infos, strict=True):
        if isinstance(info, Exception):
            if not isinstance(info, redis.ResponseError):
                raise info
            continue  # no such stream yet: nothing was published there, nothing lost
        here = _as_tuple(position[name])
        first = (info.get("first-entry") or [None])[0]
        # Trimming keeps at least MAXLEN entries: a shorter stream was never trimmed.
        if first and int(info.get("length", 0)) >= maxlen and _as_tuple(first) > here:
            resync = True  # entries after the position were trimmed away
    return position, resync


# ---------------------------------------------------------------- what is published, and to whom


def call_offered(session: SessionLike, call_id: int) -> None:
    """A call entered the hotline's queue: pop it on the front desk's consoles."""
    publish(session, "call", [INTAKE_AUDIENCE], {"call_id": call_id})


def ticket_moved(session: SessionLike, ticket_id: int, trigger: str, departments: Iterable[int | None]) -> None:
    """A trigger fired: the departments it left and reached reload their inbox, supervisors their figures."""
    audiences = [SUPERVISION, *(department_audience(d) for d in departments if d)]
    publish(session, "ticket", audiences, {"ticket_id": ticket_id, "trigger": trigger})


def ticket_received(session: SessionLike, ticket_id: int) -> None:
    """A new ticket, on any channel: the supervisors' figures reload (the dashboard, the wall)."""
    publish(session, "ticket", [SUPERVISION], {"ticket_id": ticket_id, "trigger": "created"})


def notices_added(session: SessionLike, user_ids: Iterable[int]) -> None:
    """New in-app notices (Notification rows): those users' badges reload."""
    publish(session, "notice", [user_audience(u) for u in user_ids], {})


def sla_alerted(session: SessionLike, department_ids: Iterable[int | None]) -> None:
    """New SLA warnings or breaches: the dashboard and the departments' inboxes reload."""
    publish(session, "sla", [SUPERVISION, *(department_audience(d) for d in department_ids if d)], {})
