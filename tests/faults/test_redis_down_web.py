"""Redis dies under a running web server: every rate-limited endpoint keeps answering.

gunicorn serves the app (tests/faults/live_web.py) with its own redis-server, which the test
kills with SIGKILL. Calls, SMS and Zalo webhooks, staff login, the public lookup and Open311
must answer without a 5xx (Flask-Limiter falls back to counting in process memory and says so
once per outage), and /readyz must name the degraded dependency.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from callcentre.core.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from integrations.zalo import webhook_signature
from tests.conftest import ticket_payload
from tests.faults.live_web import LiveWeb
from tests.open311.conftest import form, new_key

AUTH_TOKEN = "fault-auth-token-0123456789abcdef"
ZALO_APP_ID, ZALO_SECRET = "4321", "oa-secret-key"
FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"


@pytest.fixture()
def own_redis() -> Iterator[Path]:
    directory = Path(f"/tmp/cc-down-{uuid.uuid4().hex[:8]}")
    ensure_embedded_redis(directory)
    try:
        yield directory
    finally:
        stop_embedded_redis(directory)


def _kill_redis(directory: Path) -> None:
    pid = int((directory / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)  # a crash: no shutdown, no save
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise RuntimeError("redis-server did not die")


def _twilio(web: LiveWeb, path: str, params: dict[str, str]) -> requests.Response:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{web.url}{path}", params)
    return requests.post(f"{web.url}{path}", data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def _zalo(web: LiveWeb, msg_id: str) -> requests.Response:
    raw = json.dumps({"app_id": ZALO_APP_ID, "event_name": "user_send_text", "timestamp": "1764000000000",
                      "sender": {"id": "8400000000009"}, "recipient": {"id": "oa-1"},
                      "message": {"msg_id": msg_id, "text": "Đèn đường ấp 3 bị hỏng"}}, ensure_ascii=False)
    return requests.post(f"{web.url}/webhooks/zalo", data=raw.encode(), timeout=10,
                         headers={"Content-Type": "application/json",
                                  "X-ZEvent-Signature": webhook_signature(ZALO_APP_ID, raw, "1764000000000",
                                                                          ZALO_SECRET)})


def _login(web: LiveWeb, password: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{web.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no CSRF token on the login page"
    return browser.post(f"{web.url}/login", data={"csrf_token": token.group(1), "username": "operator",
                                                  "password": password}, allow_redirects=False, timeout=10)


def _every_endpoint(web: LiveWeb, code: str, api_key: str, round_: int) -> dict[str, int]:
    call_sid, sms_sid = f"CA{round_:032d}", f"SM{round_:032d}"
    return {
        "voice": _twilio(web, "/webhooks/twilio/voice", {"CallSid": call_sid, "From": "+84912345678",
                                                         "To": "+842733871022", "CallStatus": "ringing"}).status_code,
        "voice status": _twilio(web, "/webhooks/twilio/voice/status",
                                {"CallSid": call_sid, "CallStatus": "completed", "CallDuration": "42"}).status_code,
        "sms": _twilio(web, "/webhooks/twilio/sms", {"MessageSid": sms_sid, "From": "+84912345678",
                                                     "Body": "Cây đổ chắn đường ấp 2"}).status_code,
        "sms lookup": _twilio(web, "/webhooks/twilio/sms", {"MessageSid": sms_sid + "x", "From": "+84912345678",
                                                            "Body": f"TRA {code}"}).status_code,
        "zalo": _zalo(web, f"zmsg-{round_}").status_code,
        "login": _login(web, "Demo@1022").status_code,
        "login wrong": _login(web, "wrong").status_code,
        "lookup page": requests.get(f"{web.url}/t/{code}", timeout=10).status_code,
        "lookup api": requests.get(f"{web.url}/api/v1/public/tickets/{code}", timeout=10).status_code,
        "open311 services": requests.get(f"{web.url}/open311/v2/services.json", timeout=10).status_code,
        "open311 post": requests.post(f"{web.url}/open311/v2/requests.json", data={**form(), "api_key": api_key},
                                      timeout=10).status_code,
    }


def test_redis_killed_under_a_running_web_server(app, api_as, services, own_redis, tmp_path) -> None:
    code = api_as("operator").post("/api/v1/tickets", ticket_payload()).json["receipt_code"]
    api_key = new_key(app)
    web = LiveWeb(services, f"unix://{own_redis / 'redis.sock'}", tmp_path / "gunicorn.log",
                  TWILIO_AUTH_TOKEN=AUTH_TOKEN, ZALO_APP_ID=ZALO_APP_ID, ZALO_APP_SECRET=ZALO_SECRET,
                  VOICE_CALENDAR="24x7")
    try:
        assert requests.get(f"{web.url}/readyz", timeout=10).json()["status"] == "ready"
        healthy = _every_endpoint(web, code, api_key, 1)
        _kill_redis(own_redis)
        down = [_every_endpoint(web, code, api_key, n) for n in (2, 3)]
        ready = requests.get(f"{web.url}/readyz", timeout=10)
    finally:
        web.stop()
    log = web.log()
    expected = {"voice": 200, "voice status": 200, "sms": 200, "sms lookup": 200, "zalo": 200, "login": 302,
                "login wrong": 401, "lookup page": 200, "lookup api": 200, "open311 services": 200}
    for statuses in (healthy, *down):
        assert {k: v for k, v in statuses.items() if k != "open311 post"} == expected, log[-4000:]
        assert statuses["open311 post"] < 500, log[-4000:]
    assert ready.status_code == 200, ready.text  # serving, degraded: not taken out of the load balancer
    body = ready.json()
    assert body["status"] == "degraded" and body["degraded"] == ["redis"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"].startswith("error")
    assert log.count(FALLBACK_WARNING) == 1, log[-4000:]  # once per outage, not once per request
