"""A realistic day of hotline calls, logged the way they really are: Twilio's signed webhooks,
the operator's console (a signed-in browser session), and ``POST /api/v1/calls``.

``log_call_mix`` logs them and returns the scenario: per inbound call its outcome and, for an
answered one, the seconds it waited and was talked; ``expected_figures`` recomputes the
call-centre figures from that scenario alone (no SQL), for the tests to compare with
``GET /api/v1/calls/summary`` and the supervisor dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre.core.extensions import db
from callcentre.models import Call
from tests.conftest import Api

from .conftest import TELEPHONY_CONFIG, add_closed_voice_calendar, sign

BASE = "https://1022.example.vn"  # PUBLIC_BASE_URL of the test config
HOTLINE = "+842733871022"
PASSWORD = "Demo@1022"


@dataclass(frozen=True)
class Logged:
    """One inbound call as the test logged it."""

    name: str
    phone: str
    sid: str | None
    outcome: str  # answered | abandoned | voicemail | waiting
    wait: int | None = None  # seconds from start to answer
    talk: int | None = None  # seconds from answer to end


@dataclass
class Mix:
    inbound: list[Logged]
    callbacks: int  # call-backs the operators made (outbound calls)
    called_back: int  # unanswered calls marked called back


def sid(n: int) -> str:
    return f"CA{n:032d}"


def twilio(client: FlaskClient, path: str, call_sid: str, phone: str, query: str = "", **params: str) -> None:
    form = {"CallSid": call_sid, "From": phone, "To": HOTLINE, "AccountSid": TELEPHONY_CONFIG["TWILIO_ACCOUNT_SID"],
            "CallStatus": "ringing", **params}
    url = f"{BASE}{path}" + (f"?{query}" if query else "")
    resp = client.post(path + (f"?{query}" if query else ""), data=form,
                       headers={"X-Twilio-Signature": sign(url, form)})
    assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:200])


def answered_call(client: FlaskClient, call_sid: str, phone: str, wait: int, talk: int) -> None:
    """Rings, waits ``wait`` s in the queue, is bridged to an operator, ends ``talk`` s later."""
    twilio(client, "/webhooks/twilio/voice", call_sid, phone)
    twilio(client, "/webhooks/twilio/voice", call_sid, phone, "step=queue", QueueResult="bridged", QueueTime=str(wait))
    twilio(client, "/webhooks/twilio/voice/status", call_sid, phone, CallStatus="completed",
           CallDuration=str(wait + talk))


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def console(client: FlaskClient, phone: str, outcome: str, *, call: str | None = None, callback: int | None = None,
            **fields: str) -> None:
    """The operator's screen pop for ``phone`` (``?call=`` the CallSid, ``?callback=`` a call-back),
    then the form saved as it was shown (its hidden fields included)."""
    query: dict[str, Any] = {"phone": phone}
    if call:
        query["call"] = call
    if callback:
        query["callback"] = callback
    page = client.get("/operator", query_string=query).get_data(as_text=True)
    hidden = dict(re.findall(r'<input[^>]*name="(started_at|callback_of|provider_call_id)"[^>]*value="([^"]*)"', page))
    assert hidden["started_at"], "the screen pop stamps when the call was taken"
    resp = client.post("/operator", data={"phone": phone, "outcome": outcome, "priority": "normal", **hidden, **fields})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def _call_id(app: Flask, call_sid: str) -> int:
    with app.app_context():
        return db.session.scalars(sa.select(Call.id).where(Call.provider_call_id == call_sid)).one()


def log_call_mix(app: Flask, make_app: Callable[..., Flask], tokens: dict[str, str]) -> Mix:
    tel = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    add_closed_voice_calendar(app)
    night = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "closed"}).test_client()
    operator = signed_in(app, "operator")
    api = Api(app.test_client(), tokens["operator"])
    mix: list[Logged] = []

    # Answered fast and slow, Twilio's webhooks only.
    answered_call(tel, sid(1), "+84912000001", wait=8, talk=180)
    mix.append(Logged("fast", "+84912000001", sid(1), "answered", 8, 180))
    answered_call(tel, sid(2), "+84912000002", wait=45, talk=300)
    mix.append(Logged("slow", "+84912000002", sid(2), "answered", 45, 300))

    # Hung up in the queue; later called back from the console's call-back list.
    twilio(tel, "/webhooks/twilio/voice", sid(3), "+84912000003")
    twilio(tel, "/webhooks/twilio/voice", sid(3), "+84912000003", "step=queue", QueueResult="hangup", QueueTime="30")
    twilio(tel, "/webhooks/twilio/voice/status", sid(3), "+84912000003", CallStatus="completed", CallDuration="30")
    mix.append(Logged("abandoned", "+84912000003", sid(3), "abandoned"))
    console(operator, "+84912000003", "info_only", callback=_call_id(app, sid(3)), notes="Đã gọi lại, đã hướng dẫn")

    # After hours: a voicemail, then its call-back from the console.
    twilio(night, "/webhooks/twilio/voice", sid(4), "+84912000004")
    recording = {"RecordingSid": "RE" + "4" * 32, "RecordingUrl": "https://api.twilio.com/rec/RE4",
                 "RecordingDuration": "31"}
    twilio(night, "/webhooks/twilio/voice/recording", sid(4), "+84912000004", **recording)
    twilio(night, "/webhooks/twilio/voice/recording", sid(4), "+84912000004", RecordingStatus="completed", **recording)
    twilio(night, "/webhooks/twilio/voice/status", sid(4), "+84912000004", CallStatus="completed", CallDuration="60")
    mix.append(Logged("voicemail", "+84912000004", sid(4), "voicemail"))
    console(operator, "+84912000004", "info_only", callback=_call_id(app, sid(4)), notes="Đã gọi lại theo lời nhắn")

    # Ringing: the console pops the number (no CallSid) and the operator opens a ticket while
    # Twilio has not yet said the call was bridged; then it does, and the call ends.
    twilio(tel, "/webhooks/twilio/voice", sid(5), "+84912000005")
    console(operator, "+84912000005", "new_ticket", category="TN-MT",
            description="Khói từ lò đốt rác gần chợ, đề nghị kiểm tra")
    twilio(tel, "/webhooks/twilio/voice", sid(5), "+84912000005", "step=queue", QueueResult="bridged", QueueTime="12")
    twilio(tel, "/webhooks/twilio/voice/status", sid(5), "+84912000005", CallStatus="completed", CallDuration="100")
    mix.append(Logged("console by number", "+84912000005", sid(5), "answered", 12, 88))

    # Answered at exactly the service-level limit; the screen pop carried the CallSid.
    twilio(tel, "/webhooks/twilio/voice", sid(6), "+84912000006")
    twilio(tel, "/webhooks/twilio/voice", sid(6), "+84912000006", "step=queue", QueueResult="bridged", QueueTime="20")
    console(operator, "+84912000006", "info_only", call=sid(6), notes="Hỏi giờ làm việc của bộ phận một cửa")
    twilio(tel, "/webhooks/twilio/voice/status", sid(6), "+84912000006", CallStatus="completed", CallDuration="80")
    mix.append(Logged("console by CallSid", "+84912000006", sid(6), "answered", 20, 60))

    # Ended, then logged through the API with the CallSid and the operator's own (rougher) times.
    answered_call(tel, sid(7), "+84912000007", wait=25, talk=120)
    now = datetime.now(UTC)
    resp = api.post("/api/v1/calls", {"provider_call_id": sid(7), "from_number": "0912000007",
                                      "started_at": (now - timedelta(minutes=3)).isoformat(),
                                      "answered_at": (now - timedelta(minutes=2)).isoformat(),
                                      "ended_at": now.isoformat(), "disposition": "info_only"})
    assert resp.status_code == 200 and resp.json["id"] == _call_id(app, sid(7)), resp.json
    mix.append(Logged("API after webhook", "+84912000007", sid(7), "answered", 25, 120))

    # A call the provider never saw (another line), logged through the API alone.
    start = now - timedelta(minutes=10)
    resp = api.post("/api/v1/calls", {"from_number": "0912000008", "started_at": start.isoformat(),
                                      "answered_at": (start + timedelta(seconds=5)).isoformat(),
                                      "ended_at": (start + timedelta(seconds=245)).isoformat()})
    assert resp.status_code == 201, resp.json
    mix.append(Logged("API only", "+84912000008", None, "answered", 5, 240))

    # Still in the queue.
    twilio(tel, "/webhooks/twilio/voice", sid(9), "+84912000009")
    mix.append(Logged("waiting", "+84912000009", sid(9), "waiting"))
    return Mix(mix, callbacks=2, called_back=2)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def expected_figures(mix: Mix, service_level: int = 20) -> dict[str, Any]:
    """The figures, from what the test logged."""
    by = {o: [c for c in mix.inbound if c.outcome == o] for o in ("answered", "abandoned", "voicemail", "waiting")}
    answered, total = by["answered"], len(mix.inbound)
    waits = [c.wait for c in answered if c.wait is not None]
    talks = [c.talk for c in answered if c.talk is not None]
    return {
        "total": total, "answered": len(answered), "abandoned": len(by["abandoned"]),
        "voicemail": len(by["voicemail"]), "waiting": len(by["waiting"]),
        "callbacks": mix.callbacks, "called_back": mix.called_back,
        "answered_pct": _pct(len(answered), total), "abandoned_pct": _pct(len(by["abandoned"]), total),
        "voicemail_pct": _pct(len(by["voicemail"]), total),
        "aht_seconds": round(sum(talks) / len(talks), 1),
        "asa_seconds": round(sum(waits) / len(waits), 1),
        "service_level_seconds": service_level,
        "service_level_pct": _pct(sum(w <= service_level for w in waits), len(answered) + len(by["abandoned"])),
    }
