"""Helpers of the citizen-feedback tests: a ticket taken to its answer through the API, the
resolution SMS read off the fake Twilio, signed inbound SMS."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from tests.conftest import Api, ticket_payload

from .conftest import TELEPHONY_CONFIG, FakeTwilio, sign

BASE = "https://1022.example.vn"  # PUBLIC_BASE_URL of the test config
CALLER = "+84912345678"  # ticket_payload()'s phone, in E.164
LINK = re.compile(r"https://1022\.example\.vn/t/(?P<code>[0-9A-Z]{10})\?k=(?P<token>[A-Za-z0-9_-]{16})")


def api(app: Flask, tokens: dict[str, str], user: str | None) -> Api:
    return Api(app.test_client(), tokens[user] if user else None)


def fire(app: Flask, tokens: dict[str, str], user: str, ticket_id: int, trigger: str, **fields: Any) -> dict:
    resp = api(app, tokens, user).post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json
    return resp.json


def answered_ticket(app: Flask, tokens: dict[str, str], answer: str = "Đã kiểm tra, lò gạch đã ngừng đốt.",
                    **payload: Any) -> dict:
    """A new ticket, assigned to SNNMT, accepted and answered by its officer."""
    resp = api(app, tokens, "operator").post("/api/v1/tickets", ticket_payload(**payload))
    assert resp.status_code == 201, resp.json
    ticket = resp.json
    fire(app, tokens, "operator", ticket["id"], "assign")
    fire(app, tokens, "officer", ticket["id"], "accept")
    fire(app, tokens, "officer", ticket["id"], "resolve", answer=answer)
    return ticket


def sent_to(fake: FakeTwilio, phone: str = CALLER) -> list[str]:
    """The bodies of the SMS sent to ``phone``, in order."""
    return [m["Body"] for m in fake.messages if m["To"] == phone]


def feedback_token(fake: FakeTwilio, code: str, phone: str = CALLER) -> str:
    """The token of the last link to ``/t/{code}`` sent to ``phone``."""
    found = [m for body in sent_to(fake, phone) for m in LINK.finditer(body) if m["code"] == code]
    assert found, sent_to(fake, phone)
    return found[-1]["token"]


def sms(sid: str, body: str, sender: str = CALLER) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "From": sender, "To": TELEPHONY_CONFIG["TWILIO_FROM_NUMBER"],
            "Body": body, "NumMedia": "0"}


def text_in(client: Any, sid: str, body: str, sender: str = CALLER) -> str:
    """POST a correctly signed inbound SMS; the text of the TwiML reply ('' when none)."""
    params = sms(sid, body, sender)
    resp = client.post("/webhooks/twilio/sms", data=params,
                       headers={"X-Twilio-Signature": sign(f"{BASE}/webhooks/twilio/sms", params)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    message = ElementTree.fromstring(resp.get_data(as_text=True)).find("Message")
    return message.text or "" if message is not None else ""


def rows(app: Flask, model: Any, *where: Any) -> list[Any]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(model).where(*where).order_by(model.id)))
        db.session.expunge_all()
        return found
