"""Zalo: ZNS first for consenting contacts (SMS as the fallback), OA webhooks MAC-verified."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Contact, OutboundMessage, Ticket, TicketEvent
from integrations.zalo import webhook_signature
from tests.conftest import Api, ticket_payload

from .conftest import TELEPHONY_CONFIG

APP_ID, SECRET, FOLLOWER = "4321", "oa-secret-key", "8400000000001"


class FakeZalo:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.error = 0  # a negative code makes ZNS refuse (no Zalo account, template problem)
        self.url = ""


@pytest.fixture()
def fake_zalo() -> Iterator[FakeZalo]:
    fake = FakeZalo()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            fake.requests.append({"path": self.path, "json": body, "token": self.headers.get("access_token")})
            answer = ({"error": 0, "message": "Success", "data": {"msg_id": f"zns-{len(fake.requests)}"}}
                      if fake.error == 0 else {"error": fake.error, "message": "User is not a Zalo user"})
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def zalo_app(app, make_app, fake_twilio, fake_zalo):
    return make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, "ZALO_PROVIDER": "zalo",
                       "ZALO_API_BASE": fake_zalo.url, "ZALO_ACCESS_TOKEN": "zalo-token",
                       "ZALO_TEMPLATE_IDS": "created=1001,request_info=1002,resolve=1003,close=1004",
                       "ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": SECRET})


def _consenting_contact(app, phone: str = "+84912345678") -> None:
    with app.app_context():
        db.session.add(Contact(phone=phone, zalo_user_id=FOLLOWER, zalo_consent=True))
        db.session.commit()


def test_zalo_first_for_a_consenting_contact(zalo_app, tokens, fake_zalo, fake_twilio, run_jobs) -> None:
    _consenting_contact(zalo_app)
    code = Api(zalo_app.test_client(), tokens["operator"]).post("/api/v1/tickets", ticket_payload()).json[
        "receipt_code"]
    run_jobs(zalo_app)
    [req] = fake_zalo.requests
    assert req["path"] == "/message/template" and req["token"] == "zalo-token"
    assert req["json"]["phone"] == "84912345678" and req["json"]["template_id"] == "1001"
    assert req["json"]["template_data"]["code"] == code
    assert fake_twilio.messages == []
    with zalo_app.app_context():
        row = db.session.scalars(sa.select(OutboundMessage)).one()
        assert (row.channel, row.provider, row.status, row.provider_message_id) == ("zalo", "zalo", "sent", "zns-1")


def test_sms_is_the_fallback_when_zalo_refuses(zalo_app, tokens, fake_zalo, fake_twilio, run_jobs) -> None:
    fake_zalo.error = -124
    _consenting_contact(zalo_app)
    Api(zalo_app.test_client(), tokens["operator"]).post("/api/v1/tickets", ticket_payload())
    run_jobs(zalo_app)
    run_jobs(zalo_app)
    assert len(fake_zalo.requests) == 1 and len(fake_twilio.messages) == 1
    with zalo_app.app_context():
        rows = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert [(m.channel, m.status) for m in rows] == [("zalo", "failed"), ("sms", "sent")]
        assert rows[1].idempotency_key == f"{rows[0].event_id}:sms"


def _event(name: str, msg_id: str | None = None, text: str | None = None, **extra: Any) -> bytes:
    body: dict[str, Any] = {"app_id": APP_ID, "event_name": name, "timestamp": "1764000000000",
                            "sender": {"id": FOLLOWER}, "recipient": {"id": "oa-1"}, **extra}
    if msg_id:
        body["message"] = {"msg_id": msg_id, "text": text}
    return json.dumps(body, ensure_ascii=False).encode()


def _post(client, raw: bytes, signature: str | None = None):
    mac = signature or webhook_signature(APP_ID, raw.decode(), json.loads(raw)["timestamp"], SECRET)
    return client.post("/webhooks/zalo", data=raw, content_type="application/json",
                       headers={"X-ZEvent-Signature": mac})


def test_follower_messages_open_then_update_one_ticket(zalo_app) -> None:
    client = zalo_app.test_client()
    first = _event("user_send_text", "m1", "Cống thoát nước ở ấp 3 bị tắc")
    assert _post(client, first).status_code == 200
    assert _post(client, first).status_code == 200  # Zalo retries: acted on once
    assert _post(client, _event("user_send_text", "m2", "Ảnh: nước ngập tới gối")).status_code == 200
    assert _post(client, _event("follow")).status_code == 200  # nothing to file
    with zalo_app.app_context():
        [ticket] = db.session.scalars(sa.select(Ticket)).all()
        assert (ticket.channel, ticket.description, ticket.contact_id) == ("zalo", "Cống thoát nước ở ấp 3 bị tắc",
                                                                          None)
        kinds = [(e.kind, e.note) for e in db.session.scalars(
            sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
        assert kinds == [("created", None), ("citizen_message", "Ảnh: nước ngập tới gối")]


def test_shared_phone_links_the_follower(zalo_app) -> None:
    client = zalo_app.test_client()
    info = _event("user_submit_info", info={"phone": "0912345678", "name": "Trần Thị Bình"})
    assert _post(client, info).status_code == 200
    assert _post(client, _event("user_send_text", "m9", "Xin hỏi giờ làm việc")).status_code == 200
    with zalo_app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        assert (contact.phone, contact.zalo_user_id, contact.zalo_consent) == ("+84912345678", FOLLOWER, True)
        assert db.session.scalars(sa.select(Ticket)).one().contact_id == contact.id


def test_bad_mac_is_refused(zalo_app) -> None:
    client = zalo_app.test_client()
    raw = _event("user_send_text", "m1", "xin chào")
    assert _post(client, raw, signature="mac=" + "0" * 64).status_code == 403
    other_secret = webhook_signature(APP_ID, raw.decode(), "1764000000000", "wrong")
    assert _post(client, raw, signature=other_secret).status_code == 403
    assert client.post("/webhooks/zalo", data=raw, content_type="application/json").status_code == 403
    with zalo_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
