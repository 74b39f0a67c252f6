"""Fixtures for telephony tests: a local stand-in for Twilio's Messages API and a configured app.

The real ``twilio`` SDK talks to ``FakeTwilio`` over HTTP (``TWILIO_API_BASE``):
nothing of ours is mocked, only Twilio's servers are replaced.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.messaging.outbox import dispatch_all
from callcentre.models import WorkCalendar

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+84901000022"


@dataclass
class FakeTwilio:
    """Records each Messages API request; ``fail_status`` makes it answer like a Twilio outage."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_status: int | None = None
    fail_code: int = 20500
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[dict[str, str]]:
        return [r["form"] for r in self.requests if r["path"].endswith("/Messages.json") and r["ok"]]


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            with fake.lock:
                failing = fake.fail_status
                fake.requests.append({"path": self.path, "form": form, "auth": self.headers.get("Authorization"),
                                      "ok": failing is None})
            if failing is not None:
                self._answer(failing, {"code": fake.fail_code, "message": "Service unavailable",
                                       "more_info": "https://www.twilio.com/docs/errors/20500",
                                       "status": failing})
                return
            if not self.path.startswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"):
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            sid = "SM" + uuid.uuid4().hex
            self._answer(201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": form.get("To"),
                               "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                               "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                               "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json"})

    return Handler


@pytest.fixture()
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


TELEPHONY_CONFIG: dict[str, Any] = {
    "SMS_PROVIDER": "twilio",
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_FROM_NUMBER": FROM_NUMBER,
    "SMS_QUIET_HOURS": "",  # tests choose their own hour
    "SMS_RETRY_INTERVALS": "1,1",
}


@pytest.fixture()
def tel_app(app: Flask, make_app: Callable[..., Flask], fake_twilio: FakeTwilio) -> Flask:
    """An app on the test database and Redis (tables emptied by ``app``), sending SMS via the fake."""
    return make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url})


@pytest.fixture()
def run_jobs() -> Callable[..., None]:
    """Do what a worker does until nothing is left: dispatch the notification outbox (its thread,
    messaging/outbox.py) and drain the default queue (and its scheduler: due retries, enqueue_at)."""

    def run(app: Flask, scheduler: bool = True) -> None:
        # One burst, then another only while the last one wrote notifying events: an extra burst
        # a second later would also run retries that are not due yet in the test's story.
        for attempt in range(10):
            with app.app_context():
                dispatched = dispatch_all()
            if attempt and not dispatched:
                return
            make_worker(app, ["default"]).work(burst=True, with_scheduler=scheduler)

    return run


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params)


def add_closed_voice_calendar(app: Flask, name: str = "closed") -> None:
    """A calendar open one minute a day, three hours from now: closed at this moment, so a call
    gets the after-hours voicemail. Use with ``VOICE_CALENDAR=name``."""
    with app.app_context():
        later = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(hours=3)
        span = [[f"{later:%H}:00", f"{later:%H}:01"]]
        db.session.add(WorkCalendar(name=name, hours={str(d): span for d in range(7)}, holidays_country=None,
                                    always_open=False))
        db.session.commit()
