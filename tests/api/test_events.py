"""GET /api/v1/events: who may read it, what each role reads, resuming, and Redis down.

Real Redis streams, real after-commit publishing; the stream is read from the test client
(``buffered=False``) with short heartbeats and lifetimes so that each read ends quickly.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_redis
from callcentre.models import Department, Notification, User
from callcentre.services import live
from tests.conftest import ticket_payload
from tests.sse import messages, read_events

FAST = {"LIVE_HEARTBEAT_SECONDS": 0.2, "LIVE_STREAM_SECONDS": 3}


def _ids(app) -> dict[str, int]:
    with app.app_context():
        users = {u.username: u.id for u in db.session.scalars(sa.select(User))}
        depts = {f"dept:{d.code}": d.id for d in db.session.scalars(sa.select(Department))}
    return {**users, **depts}


def _stream(client, token: str | None = None, **headers: str):
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(headers.pop("path", "/api/v1/events"), headers={**auth, **headers}, buffered=False)


def _since(ms_ago: int = 2000) -> str:
    return f"/api/v1/events?since={int(time.time() * 1000) - ms_ago}"


@pytest.fixture()
def fast_app(app, make_app):
    return make_app(**FAST)


def test_the_stream_needs_a_login_and_answers_event_stream(fast_app, tokens) -> None:
    client = fast_app.test_client()
    anonymous = client.get("/api/v1/events")
    assert anonymous.status_code == 401 and anonymous.json["code"] == 401
    assert _stream(client, "not-a-token").status_code == 401
    resp = _stream(client, tokens["officer"])
    assert resp.status_code == 200
    assert resp.mimetype == "text/event-stream" and resp.headers["X-Accel-Buffering"] == "no"
    assert resp.headers["Cache-Control"] == "no-store"
    first = next(messages(resp.response))
    resp.close()
    assert first.comment == "live" and 1000 <= (first.retry or 0) <= 4000
    assert first.id is not None and first.id.startswith("u:")  # a position from the start


def test_a_web_session_reads_it_too(fast_app) -> None:
    client = fast_app.test_client()
    assert client.post("/login", data={"username": "head", "password": "Demo@1022"}).status_code == 302
    resp = _stream(client)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    resp.close()


def test_each_role_reads_only_its_audiences(fast_app, tokens) -> None:
    ids = _ids(fast_app)
    snnmt, sct = ids["dept:SNNMT"], ids["dept:SCT"]
    since = _since(1000)  # each stream below starts from just before these events
    for kind, audience in (("call", live.INTAKE_AUDIENCE), ("ticket", live.department_audience(snnmt)),
                           ("ticket", live.department_audience(sct)), ("sla", live.SUPERVISION),
                           ("notice", live.user_audience(ids["officer"])),
                           ("notice", live.user_audience(ids["operator"]))):
        assert live.publish_now(fast_app, kind, [audience], {"to": audience})
    seen = {}
    for user in ("officer", "officer_ct", "head", "operator", "supervisor", "admin"):
        resp = _stream(fast_app.test_client(), tokens[user], path=since)
        seen[user] = sorted(m.data["to"] for m in read_events(resp, 10, timeout=1))
    dept = live.department_audience
    assert seen["officer"] == sorted([dept(snnmt), live.user_audience(ids["officer"])])
    assert seen["officer_ct"] == [dept(sct)]
    assert seen["head"] == [dept(snnmt)]
    assert seen["operator"] == sorted([live.INTAKE_AUDIENCE, live.user_audience(ids["operator"])])
    assert seen["supervisor"] == sorted([live.INTAKE_AUDIENCE, live.SUPERVISION])
    assert seen["admin"] == sorted([live.INTAKE_AUDIENCE, live.SUPERVISION])


def test_a_dropped_stream_resumes_after_its_last_event_id(fast_app, tokens) -> None:
    ids = _ids(fast_app)
    audience = live.department_audience(ids["dept:SNNMT"])
    for n in range(1, 4):
        live.publish_now(fast_app, "ticket", [audience], {"n": n})
    first = read_events(_stream(fast_app.test_client(), tokens["officer"], path=_since()), 1)
    assert [m.data["n"] for m in first] == [1]
    # Dropped after event 1; two more arrive meanwhile (and one for someone else).
    live.publish_now(fast_app, "ticket", [audience], {"n": 4})
    live.publish_now(fast_app, "ticket", [live.department_audience(ids["dept:SCT"])], {"n": 99})
    again = read_events(_stream(fast_app.test_client(), tokens["officer"], **{"Last-Event-ID": first[0].id}), 5,
                        timeout=1.5)
    assert [m.data["n"] for m in again] == [2, 3, 4]  # none lost, none twice, in order
    # The same through ?last_event_id= (a page reconnecting by itself after a refusal).
    query = read_events(_stream(fast_app.test_client(), tokens["officer"],
                                path=f"/api/v1/events?last_event_id={again[0].id}"), 5, timeout=1.5)
    assert [m.data["n"] for m in query] == [3, 4]


def test_an_event_published_while_the_stream_waits_arrives_at_once(fast_app, tokens) -> None:
    ids = _ids(fast_app)
    resp = _stream(fast_app.test_client(), tokens["operator"])
    stream = messages(resp.response)
    next(stream)  # the position: the stream is open and reading
    sent = time.monotonic()
    threading.Timer(0.3, live.publish_now, (fast_app, "call", [live.INTAKE_AUDIENCE], {"call_id": 7})).start()
    got = next(m for m in stream if m.event is not None)
    elapsed = time.monotonic() - sent
    resp.close()
    assert (got.event, got.data) == ("call", {"call_id": 7})
    assert elapsed < 2.0, elapsed
    assert ids  # (the operator's own audience was read too; nothing else arrived)


def test_a_trimmed_or_unreadable_position_asks_for_a_resync(app, make_app, tokens) -> None:
    small = make_app(**FAST, LIVE_STREAM_MAXLEN=10)
    ids = _ids(small)
    audience = live.department_audience(ids["dept:SNNMT"])
    live.publish_now(small, "ticket", [audience], {"n": 0})
    first = read_events(_stream(small.test_client(), tokens["officer"], path=_since()), 1)
    for n in range(1, 300):  # MAXLEN ~ trims whole nodes (100 entries): event 1 is long gone
        live.publish_now(small, "ticket", [audience], {"n": n})
    resumed = read_events(_stream(small.test_client(), tokens["officer"], **{"Last-Event-ID": first[0].id}), 1)
    assert resumed[0].event == "resync"
    garbled = read_events(_stream(small.test_client(), tokens["officer"], **{"Last-Event-ID": "u:x,zz"}), 1)
    assert garbled[0].event == "resync"
    # A position within what is kept: no resync, just the events after it.
    with small.app_context():
        kept = get_redis(small).xrevrange(live.PREFIX + audience, count=3)
    position = f"d:{kept[-1][0].decode()}"
    tail = read_events(_stream(small.test_client(), tokens["officer"], **{"Last-Event-ID": position}), 5, timeout=1)
    assert [m.event for m in tail] == ["ticket", "ticket"] and tail[-1].data == {"n": 299}


def test_redis_down_answers_503_with_retry_after_and_pages_still_work(app, make_app, tokens) -> None:
    down = make_app(**FAST, REDIS_URL="redis://127.0.0.1:1/0")
    client = down.test_client()
    resp = client.get("/api/v1/events", headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
    assert resp.json["code"] == 503 and "luồng sự kiện" in resp.json["message"]
    # Writes that publish still succeed (the event is skipped, the database is the truth).
    created = client.post("/api/v1/tickets", json=ticket_payload(),
                          headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert created.status_code == 201
    moved = client.post(f"/api/v1/tickets/{created.json['id']}/transitions", json={"trigger": "assign"},
                        headers={"Authorization": f"Bearer {tokens['operator']}"})
    assert moved.status_code == 200, moved.json
    assert client.post("/login", data={"username": "officer", "password": "Demo@1022"}).status_code == 302
    page = client.get("/department")
    assert page.status_code == 200 and b'id="notices"' in page.data


def test_past_the_limit_per_user_the_oldest_stream_ends(app, make_app, tokens) -> None:
    limited = make_app(**FAST, LIVE_MAX_STREAMS_PER_USER=2)
    client = limited.test_client()
    one, two = _stream(client, tokens["officer"]), _stream(client, tokens["officer"])
    assert (one.status_code, two.status_code) == (200, 200)
    first, second = messages(one.response), messages(two.response)
    next(first), next(second)  # both open and reading
    third = _stream(client, tokens["officer"])  # a third tab (or a closed one not noticed yet)
    assert third.status_code == 200
    assert [m.event for m in first if m.event] == ["closed"]  # the oldest is told, and ends
    other = _stream(client, tokens["head"])  # another account: its own budget, nobody evicted
    assert other.status_code == 200
    with limited.app_context():  # two slots held: the second stream's and the third's
        assert get_redis(limited).zcard(f"{live.PREFIX}streams:{_ids(limited)['officer']}") == 2
    live.publish_now(limited, "notice", [live.user_audience(_ids(limited)["officer"])], {})
    assert next(m.event for m in second if m.event) == "notice"  # the second still runs, and the
    assert [m.event for m in read_events(third, 1)] == ["notice"]  # control entry never showed
    for resp in (one, two, other):
        resp.close()


def test_a_sync_gunicorn_worker_refuses_the_stream(fast_app, tokens) -> None:
    resp = fast_app.test_client().get(
        "/api/v1/events", headers={"Authorization": f"Bearer {tokens['operator']}"},
        environ_overrides={"SERVER_SOFTWARE": "gunicorn/27.0.1", "wsgi.multithread": False})
    assert resp.status_code == 503 and "gunicorn sync" in resp.json["message"]


def test_a_stream_ends_soon_after_its_login_does(app, make_app) -> None:
    slow = make_app(LIVE_HEARTBEAT_SECONDS=0.2, LIVE_STREAM_SECONDS=9)  # the login rechecked every 3 s
    client = slow.test_client()
    assert client.post("/login", data={"username": "officer", "password": "Demo@1022"}).status_code == 302
    resp = _stream(client)
    stream = messages(resp.response)
    next(stream)
    started = time.monotonic()
    signed_out = slow.test_client()
    signed_out.set_cookie("session", client.get_cookie("session").value)
    assert signed_out.post("/logout").status_code == 302  # ends the server-side session
    assert all(m.event is None for m in stream)  # runs to its end: only heartbeats
    assert time.monotonic() - started < 7  # not the 9 s lifetime
    assert _stream(client).status_code == 401


def test_transitions_publish_only_once_committed(fast_app, tokens, api_as) -> None:
    ids = _ids(fast_app)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    assert api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions",
                                   {"trigger": "assign"}).status_code == 200
    r = get_redis(fast_app)
    [(entry_id, fields)] = r.xrange(live.PREFIX + live.department_audience(ids["dept:SNNMT"]))
    assert fields[b"kind"] == b"ticket" and b'"trigger":"assign"' in fields[b"data"]
    # Supervisors hear of the new ticket, then of its assignment.
    supervision = r.xrange(live.PREFIX + live.SUPERVISION)
    assert [b'"trigger":"created"' in f[b"data"] for _, f in supervision] == [True, False]
    # A transition rolled back publishes nothing.
    from callcentre.services.workflow import fire, lock_ticket

    with fast_app.app_context():
        fire(lock_ticket(ticket["id"]), "accept", {}, db.session.get(User, ids["officer"]))
        db.session.rollback()
        db.session.commit()  # a later commit must not carry the rolled-back event
    assert r.xlen(live.PREFIX + live.SUPERVISION) == 2


def test_sla_notices_reach_their_readers_badges(fast_app, tokens, api_as) -> None:
    from callcentre.sla.sweep import process_due

    ids = _ids(fast_app)
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    api_as("operator").post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": "assign"})
    with fast_app.app_context():
        out = process_due(datetime.now(UTC) + timedelta(days=60))  # everything overdue
        notified = set(db.session.scalars(sa.select(Notification.user_id)))
    assert out.breaches >= 1 and {ids["officer"], ids["head"], ids["supervisor"]} <= notified
    for user in ("officer", "head", "supervisor"):
        got = read_events(_stream(fast_app.test_client(), tokens[user], path=_since(5000)), 10, timeout=1.5)
        assert "notice" in {m.event for m in got}, user
        assert "sla" in {m.event for m in got}, user
    operator = read_events(_stream(fast_app.test_client(), tokens["operator"], path=_since(5000)), 10, timeout=1)
    assert operator == []  # no notice of theirs, no department, no dashboard
