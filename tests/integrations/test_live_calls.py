"""A ringing Twilio call pops on the front desk's consoles: the signed voice webhook publishes the
offered call once (after its commit), and the console's pop-up shows the caller's history."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call
from tests.conftest import Api, ticket_payload
from tests.sse import read_events

from .conftest import TELEPHONY_CONFIG, add_closed_voice_calendar
from .test_twilio_webhooks import CALLER, call_params, post

FAST = {"LIVE_HEARTBEAT_SECONDS": 0.2, "LIVE_STREAM_SECONDS": 2}


def _events(app, token: str, since_ms: int, count: int = 5):
    resp = app.test_client().get(f"/api/v1/events?since={since_ms}", headers={"Authorization": f"Bearer {token}"},
                                 buffered=False)
    assert resp.status_code == 200
    return read_events(resp, count, timeout=1)


def _now_ms() -> int:
    return int(datetime.now().timestamp() * 1000)


def test_an_offered_call_is_published_once_to_the_front_desk(tel_app, make_app, tokens) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, **FAST, "VOICE_CALENDAR": "24x7"})
    earlier = Api(app.test_client(), tokens["operator"]).post("/api/v1/tickets", ticket_payload()).json
    since = _now_ms() - 500
    client = app.test_client()
    assert post(client, "/webhooks/twilio/voice", call_params()).status_code == 200
    assert post(client, "/webhooks/twilio/voice", call_params()).status_code == 200  # Twilio retries
    with app.app_context():
        call = db.session.scalars(sa.select(Call)).one()
    for user in ("operator", "supervisor"):
        got = _events(app, tokens[user], since)
        assert [(m.event, m.data) for m in got if m.event == "call"] == [("call", {"call_id": call.id})], user
    assert _events(app, tokens["officer"], since) == []  # not a department's business
    # The pop-up: the caller's history, for the front desk only.
    op = app.test_client()
    assert op.post("/login", data={"username": "operator", "password": "Demo@1022"}).status_code == 302
    pop = op.get(f"/operator/calls/{call.id}/pop")
    html = pop.get_data(as_text=True)
    assert pop.status_code == 200 and f'data-call-id="{call.id}"' in html and CALLER in html
    code = earlier["receipt_code"]
    assert f"{code[:5]}-{code[5:]}" in html  # the caller's earlier ticket, as the console shows codes
    assert f'data-call-sid="{call.provider_call_id}"' in html
    officer = app.test_client()
    officer.post("/login", data={"username": "officer", "password": "Demo@1022"})
    assert officer.get(f"/operator/calls/{call.id}/pop").status_code == 403
    assert op.get("/operator/calls/999999/pop").status_code == 404
    # Hung up before anyone answered: the pop-up is not shown any more.
    post(client, "/webhooks/twilio/voice/status", call_params(CallStatus="completed", CallDuration="5"))
    assert op.get(f"/operator/calls/{call.id}/pop").status_code == 204


def test_a_call_after_hours_pops_nowhere(tel_app, make_app, tokens) -> None:
    add_closed_voice_calendar(tel_app)
    app = make_app(**{**TELEPHONY_CONFIG, **FAST, "VOICE_CALENDAR": "closed"})
    since = _now_ms() - 500
    xml = post(app.test_client(), "/webhooks/twilio/voice", call_params()).get_data(as_text=True)
    assert "<Record" in xml  # a voicemail: no operator will take it
    assert _events(app, tokens["operator"], since) == []
