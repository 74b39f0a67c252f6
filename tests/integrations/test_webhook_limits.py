"""WEBHOOK_RATELIMIT counts only requests whose signature holds: junk cannot starve Twilio or Zalo."""

from __future__ import annotations

import json

from integrations.zalo import webhook_signature

from .conftest import TELEPHONY_CONFIG
from .test_twilio_webhooks import call_params, post

APP_ID, SECRET = "4321", "oa-secret-key"
ZALO_CONFIG = {"ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": SECRET}


def _zalo(client, msg_id: str, mac: str | None = None):
    raw = json.dumps({"app_id": APP_ID, "event_name": "follow", "timestamp": "1764000000000",
                      "sender": {"id": "8400000000001"}, "recipient": {"id": "oa-1"},
                      "message": {"msg_id": msg_id}}).encode()
    mac = mac or webhook_signature(APP_ID, raw.decode(), "1764000000000", SECRET)
    return client.post("/webhooks/zalo", data=raw, content_type="application/json",
                       headers={"X-ZEvent-Signature": mac})


def test_600_junk_posts_leave_a_signed_twilio_request_its_budget(app, make_app) -> None:
    assert app.config["WEBHOOK_RATELIMIT"] == "600 per minute"  # the default the review flooded
    client = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    params = call_params()
    junk = [post(client, "/webhooks/twilio/voice", params, signature=sig).status_code
            for sig in (None, "AAAA") * 300]
    assert set(junk) == {403} and len(junk) == 600
    resp = post(client, "/webhooks/twilio/voice", params)  # correctly signed, same client address
    assert resp.status_code == 200 and resp.mimetype == "text/xml"


def test_signed_requests_still_count_against_the_limit(make_app) -> None:
    client = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7", "WEBHOOK_RATELIMIT": "3 per minute"}
                      ).test_client()
    statuses = []
    for i in range(3):
        assert {post(client, "/webhooks/twilio/voice", call_params(), signature="bad").status_code
                for _ in range(5)} == {403}
        statuses.append(post(client, "/webhooks/twilio/voice", call_params(sid=f"CA{i:032d}")).status_code)
    statuses.append(post(client, "/webhooks/twilio/voice", call_params(sid="CA" + "9" * 32)).status_code)
    assert statuses == [200, 200, 200, 429]  # three signed calls are the budget; the 15 junk ones never counted


def test_zalo_junk_does_not_use_up_the_signed_events_budget(app, make_app) -> None:
    client = make_app(**{**ZALO_CONFIG, "WEBHOOK_RATELIMIT": "5 per minute"}).test_client()
    assert {_zalo(client, f"junk{i}", mac="mac=" + "0" * 64).status_code for i in range(50)} == {403}
    assert [_zalo(client, f"m{i}").status_code for i in range(6)] == [200] * 5 + [429]
