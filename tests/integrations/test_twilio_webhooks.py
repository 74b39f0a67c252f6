"""Twilio webhooks (voice, SMS) with signatures from the SDK's RequestValidator."""

from __future__ import annotations

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call, Contact, OutboundMessage, Ticket, WebhookReceipt
from tests.conftest import Api, ticket_payload

from .conftest import TELEPHONY_CONFIG, add_closed_voice_calendar, sign

BASE = "https://1022.example.vn"  # PUBLIC_BASE_URL of the test config: the URL Twilio was given
CALLER = "+84912345678"


def post(client, path: str, params: dict[str, str], query: str = "", signature: str | None = "valid"):
    url = f"{BASE}{path}" + (f"?{query}" if query else "")
    headers = {}
    if signature == "valid":
        headers["X-Twilio-Signature"] = sign(url, params)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(path + (f"?{query}" if query else ""), data=params, headers=headers)


def call_params(sid: str = "CA" + "a" * 32, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "From": CALLER, "To": "+842733871022", "CallStatus": "ringing",
            "AccountSid": TELEPHONY_CONFIG["TWILIO_ACCOUNT_SID"], **extra}


def _calls(app) -> list[Call]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Call).order_by(Call.id)))
        db.session.expunge_all()
        return rows


def test_incoming_call_in_office_hours_is_logged_and_queued(tel_app, make_app, fake_twilio) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"})
    client = app.test_client()
    resp = post(client, "/webhooks/twilio/voice", call_params())
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    xml = resp.get_data(as_text=True)
    assert "<Gather" in xml and 'language="vi-VN"' in xml and "ghi âm" in xml
    assert "<Enqueue" in xml and ">operators</Enqueue>" in xml
    assert f"{BASE}/webhooks/twilio/voice?step=menu" in xml
    # Twilio retries the same CallSid: still one call.
    assert post(client, "/webhooks/twilio/voice", call_params()).status_code == 200
    [call] = _calls(app)
    assert (call.provider_call_id, call.from_number, call.direction) == ("CA" + "a" * 32, CALLER, "inbound")
    assert call.contact_id is not None and call.started_at is not None


def test_bad_missing_or_replayed_signatures_are_refused(tel_app) -> None:
    client = tel_app.test_client()
    params = call_params()
    assert post(client, "/webhooks/twilio/voice", params, signature=None).status_code == 403
    assert post(client, "/webhooks/twilio/voice", params, signature="AAAA").status_code == 403
    # A valid signature replayed against another webhook, or with changed parameters.
    other = sign(f"{BASE}/webhooks/twilio/sms", params)
    assert post(client, "/webhooks/twilio/voice", params, signature=other).status_code == 403
    tampered = sign(f"{BASE}/webhooks/twilio/voice", params)
    assert post(client, "/webhooks/twilio/voice", {**params, "From": "+84987654321"},
                signature=tampered).status_code == 403
    wrong_token = sign(f"{BASE}/webhooks/twilio/voice", params).replace("A", "B")
    assert post(client, "/webhooks/twilio/voice", params, signature=wrong_token).status_code in (403,)
    assert _calls(tel_app) == []


def test_no_auth_token_configured_refuses_everything(app, make_app) -> None:
    bare = make_app(VOICE_CALENDAR="24x7")  # TWILIO_AUTH_TOKEN unset
    assert post(bare.test_client(), "/webhooks/twilio/voice", call_params()).status_code == 403


def test_english_on_key_press(tel_app, make_app) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"})
    client = app.test_client()
    post(client, "/webhooks/twilio/voice", call_params())
    resp = post(client, "/webhooks/twilio/voice", call_params(Digits="1"), query="step=menu")
    xml = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'language="en-US"' in xml and "may be recorded" in xml
    assert "<Enqueue" in xml
    with app.app_context():
        assert db.session.scalars(sa.select(Contact)).one().language == "en"


def test_answered_call_gets_its_times_and_is_no_callback(tel_app, make_app, tokens) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"})
    client = app.test_client()
    post(client, "/webhooks/twilio/voice", call_params())
    post(client, "/webhooks/twilio/voice", call_params(QueueResult="bridged", QueueTime="20"), query="step=queue")
    post(client, "/webhooks/twilio/voice/status", call_params(CallStatus="completed", CallDuration="200"))
    [call] = _calls(app)
    assert call.provider_status == "completed" and call.disposition is None
    assert (call.answered_at - call.started_at).total_seconds() == 20
    assert (call.ended_at - call.started_at).total_seconds() == 200 and call.duration_seconds == 180
    listed = Api(app.test_client(), tokens["operator"]).get("/api/v1/calls/callbacks").json
    assert listed["total"] == 0


def test_unanswered_calls_are_abandoned_and_listed_for_call_back(tel_app, make_app, tokens) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"})
    client = app.test_client()
    hung_up, no_answer = "CA" + "1" * 32, "CA" + "2" * 32
    post(client, "/webhooks/twilio/voice", call_params(hung_up))
    post(client, "/webhooks/twilio/voice", call_params(hung_up, QueueResult="hangup", QueueTime="45"),
         query="step=queue")
    post(client, "/webhooks/twilio/voice/status", call_params(hung_up, CallStatus="completed", CallDuration="50"))
    # A status callback for a call whose first webhook never reached us: logged from the callback.
    post(client, "/webhooks/twilio/voice/status", call_params(no_answer, CallStatus="no-answer"))
    post(client, "/webhooks/twilio/voice/status", call_params(no_answer, CallStatus="ringing"))  # late, ignored
    calls = {c.provider_call_id: c for c in _calls(app)}
    assert calls[hung_up].disposition == "abandoned" and calls[hung_up].answered_at is None
    assert (calls[no_answer].disposition, calls[no_answer].provider_status) == ("abandoned", "no-answer")
    resp = Api(app.test_client(), tokens["operator"]).get("/api/v1/calls/callbacks")
    assert resp.status_code == 200
    assert [c["provider_call_id"] for c in resp.json["items"]] == [hung_up, no_answer]
    assert resp.json["items"][0]["from_number"] == CALLER
    assert Api(app.test_client(), tokens["officer"]).get("/api/v1/calls/callbacks").status_code == 403
    # The operator calls back and marks it done: off the list.
    op = Api(app.test_client(), tokens["operator"])
    assert op.patch(f"/api/v1/calls/{calls[hung_up].id}", {"disposition": "callback_done"}).status_code == 200
    assert op.get("/api/v1/calls/callbacks").json["total"] == 1


def test_after_hours_voicemail_becomes_a_call_back_task(tel_app, make_app, tokens) -> None:
    add_closed_voice_calendar(tel_app)
    app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "closed"})
    client = app.test_client()
    xml = post(client, "/webhooks/twilio/voice", call_params()).get_data(as_text=True)
    assert "ngoài giờ làm việc" in xml and "<Record" in xml and "<Enqueue" not in xml
    assert f'recordingStatusCallback="{BASE}/webhooks/twilio/voice/recording"' in xml
    rec = call_params(RecordingSid="RE" + "3" * 32, RecordingUrl="https://api.twilio.com/rec/RE333",
                      RecordingDuration="31")
    action = post(client, "/webhooks/twilio/voice/recording", rec)
    assert action.status_code == 200 and "<Hangup" in action.get_data(as_text=True)
    status = post(client, "/webhooks/twilio/voice/recording", {**rec, "RecordingStatus": "completed"})
    assert status.status_code == 200 and "<Say" not in status.get_data(as_text=True)
    post(client, "/webhooks/twilio/voice/status", call_params(CallStatus="completed", CallDuration="60"))
    [call] = _calls(app)
    assert call.recording_url == "https://api.twilio.com/rec/RE333" and call.disposition == "voicemail"
    items = Api(app.test_client(), tokens["supervisor"]).get("/api/v1/calls/callbacks").json["items"]
    assert [(c["id"], c["recording_url"]) for c in items] == [(call.id, call.recording_url)]


# ----- SMS --------------------------------------------------------------------
def sms(sid: str, body: str, sender: str = CALLER) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "From": sender, "To": TELEPHONY_CONFIG["TWILIO_FROM_NUMBER"],
            "Body": body, "NumMedia": "0"}


def _tickets(app) -> list[Ticket]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Ticket).order_by(Ticket.id)))
        db.session.expunge_all()
        return rows


def test_inbound_sms_opens_a_ticket_once_and_replies_with_its_code(tel_app, fake_twilio, run_jobs) -> None:
    client = tel_app.test_client()
    text = "Đèn đường ở phường 5 Mỹ Tho bị hỏng 3 ngày nay"
    first = post(client, "/webhooks/twilio/sms", sms("SM" + "1" * 32, text))
    assert first.status_code == 200 and first.mimetype == "text/xml"
    [ticket] = _tickets(tel_app)
    assert (ticket.channel, ticket.description) == ("sms", text)
    assert ticket.receipt_code in first.get_data(as_text=True)
    # Twilio retries the same MessageSid: the same reply, no second ticket.
    again = post(client, "/webhooks/twilio/sms", sms("SM" + "1" * 32, text))
    assert again.get_data() == first.get_data() and len(_tickets(tel_app)) == 1
    run_jobs(tel_app)
    assert fake_twilio.messages == []  # the TwiML reply carried the receipt code; no second SMS


def test_status_lookup_only_for_the_tickets_own_contact(tel_app, tokens) -> None:
    client = tel_app.test_client()
    code = Api(client, tokens["operator"]).post("/api/v1/tickets", ticket_payload()).json["receipt_code"]
    mine = post(client, "/webhooks/twilio/sms", sms("SM" + "2" * 32, f"TRA {code[:5]}-{code[5:]}"))
    assert "Tiếp nhận" in mine.get_data(as_text=True) and code in mine.get_data(as_text=True)
    bare = post(client, "/webhooks/twilio/sms", sms("SM" + "3" * 32, code.lower()))
    assert "Tiếp nhận" in bare.get_data(as_text=True)
    stranger = post(client, "/webhooks/twilio/sms", sms("SM" + "4" * 32, f"TRA {code}", sender="+84987654321"))
    body = stranger.get_data(as_text=True)
    assert "Không tìm thấy" in body and "Tiếp nhận" not in body
    assert len(_tickets(tel_app)) == 1  # look-ups open no tickets


def test_stop_and_start(tel_app, tokens, fake_twilio, run_jobs) -> None:
    client = tel_app.test_client()
    assert "không nhận tin nhắn" in post(client, "/webhooks/twilio/sms", sms("SM" + "5" * 32, "huy")).get_data(
        as_text=True)
    Api(client, tokens["operator"]).post("/api/v1/tickets", ticket_payload())
    run_jobs(tel_app)
    assert fake_twilio.messages == []
    with tel_app.app_context():
        assert db.session.scalars(sa.select(OutboundMessage)).one().status == "suppressed"
    post(client, "/webhooks/twilio/sms", sms("SM" + "6" * 32, "START"))
    with tel_app.app_context():
        contact = db.session.scalars(sa.select(Contact).where(Contact.phone == CALLER)).one()
        assert contact.can_receive_sms
    assert len(_tickets(tel_app)) == 1  # keywords open no tickets


def test_delivery_reports_update_the_message(tel_app, tokens, fake_twilio, run_jobs) -> None:
    client = tel_app.test_client()
    Api(client, tokens["operator"]).post("/api/v1/tickets", ticket_payload())
    run_jobs(tel_app)
    with tel_app.app_context():
        msg = db.session.scalars(sa.select(OutboundMessage)).one()
        mid, sid = msg.id, msg.provider_message_id
    path, query = "/webhooks/twilio/sms/status", f"message_id={mid}"

    def report(status: str, **extra: str):
        return post(client, path, {"MessageSid": sid, "MessageStatus": status, **extra}, query=query)

    assert report("delivered").status_code == 204
    assert report("sent").status_code == 204  # late and out of order: ignored
    bad = post(client, path, {"MessageSid": sid, "MessageStatus": "failed"}, query=query, signature="x")
    assert bad.status_code == 403
    with tel_app.app_context():
        assert db.session.get(OutboundMessage, mid).status == "delivered"
    unknown = post(client, path, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "failed"})
    assert unknown.status_code == 204


def test_undelivered_report_records_the_error(tel_app, tokens, fake_twilio, run_jobs) -> None:
    client = tel_app.test_client()
    Api(client, tokens["operator"]).post("/api/v1/tickets", ticket_payload())
    run_jobs(tel_app)
    with tel_app.app_context():
        msg = db.session.scalars(sa.select(OutboundMessage)).one()
        sid = msg.provider_message_id
    # Without our message_id: found by Twilio's MessageSid.
    post(client, "/webhooks/twilio/sms/status", {"MessageSid": sid, "MessageStatus": "undelivered",
                                                 "ErrorCode": "30003"})
    with tel_app.app_context():
        msg = db.session.scalars(sa.select(OutboundMessage)).one()
        assert msg.status == "undelivered" and "30003" in msg.last_error
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookReceipt)) == 0


def test_lookup_parsing() -> None:
    from callcentre.formats.receipt import new_receipt_code
    from callcentre.messaging.inbound import receipt_code_in

    code = new_receipt_code()
    assert receipt_code_in(f"TRA {code}") == (code, True)
    assert receipt_code_in(f"tra cứu {code[:5]}-{code[5:]}") == (code, True)
    assert receipt_code_in(code.lower()) == (code, False)
    assert receipt_code_in("TRA 12345-67890")[1] is True  # code-shaped: a (mistyped) look-up
    assert receipt_code_in("Tra lai tien dien") == (None, False)  # "trả lại": a report
    assert receipt_code_in("Tra tien dien") == (None, False)
    assert receipt_code_in("Đèn đường hỏng") == (None, False)


def test_unknown_code_with_tra_opens_no_ticket(tel_app) -> None:
    client = tel_app.test_client()
    body = post(client, "/webhooks/twilio/sms", sms("SM" + "7" * 32, "TRA ABCDE-FGHJK")).get_data(as_text=True)
    assert "Không tìm thấy" in body and _tickets(tel_app) == []


def test_requests_without_twilio_ids_are_rejected(tel_app) -> None:
    client = tel_app.test_client()
    assert post(client, "/webhooks/twilio/voice", {"From": CALLER}).status_code == 400
    assert post(client, "/webhooks/twilio/voice/status", {"CallStatus": "completed"}).status_code == 400
    assert post(client, "/webhooks/twilio/sms", {"From": CALLER, "Body": "xin chào"}).status_code == 400
    assert _calls(tel_app) == [] and _tickets(tel_app) == []
