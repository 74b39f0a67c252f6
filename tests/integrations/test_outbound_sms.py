"""Citizen SMS on workflow events: real SDK -> local fake Twilio, real worker, real database."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.messaging import seed_message_templates
from callcentre.messaging.outbound import notify_event, quiet_until
from callcentre.models import Contact, MessageTemplate, OutboundMessage, TicketEvent
from integrations.sms import count_segments
from tests.conftest import Api, free_port, ticket_payload

from .conftest import ACCOUNT_SID, FROM_NUMBER, TELEPHONY_CONFIG


def _api(app, tokens, user: str) -> Api:
    return Api(app.test_client(), tokens[user])


def _new_ticket(app, tokens, **kw) -> dict:
    resp = _api(app, tokens, "operator").post("/api/v1/tickets", ticket_payload(**kw))
    assert resp.status_code == 201, resp.json
    return resp.json


def _fire(app, tokens, user: str, ticket_id: int, trigger: str, **fields) -> None:
    resp = _api(app, tokens, user).post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json


def _messages(app) -> list[OutboundMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_receipt_sms_goes_out_once_through_twilio(tel_app, tokens, fake_twilio, run_jobs) -> None:
    ticket = _new_ticket(tel_app, tokens)
    run_jobs(tel_app)
    assert len(fake_twilio.messages) == 1
    sent = fake_twilio.messages[0]
    assert sent["To"] == "+84912345678" and sent["From"] == FROM_NUMBER
    assert ticket["receipt_code"] in sent["Body"]
    assert f"https://1022.example.vn/t/{ticket['receipt_code']}" in sent["Body"]
    assert "tiếp nhận" in sent["Body"]  # Vietnamese by default, UTF-8 intact
    assert sent["StatusCallback"].startswith("https://1022.example.vn/webhooks/twilio/sms/status?message_id=")
    assert fake_twilio.requests[0]["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    [row] = _messages(tel_app)
    assert (row.status, row.kind, row.provider, row.attempts) == ("sent", "created", "twilio", 1)
    assert row.provider_message_id.startswith("SM") and row.idempotency_key == f"{row.event_id}:sms"
    assert row.encoding == "ucs2" and row.segments == count_segments(row.body).segments >= 2
    # The same event notified again (a retried job, a repair): nothing new is sent.
    with tel_app.app_context():
        assert notify_event(row.event_id) == [row.id]
    get_queue("default", tel_app).enqueue("callcentre.messaging.outbound.send_message", row.id)
    run_jobs(tel_app)
    assert len(fake_twilio.messages) == 1 and len(_messages(tel_app)) == 1


def test_a_retried_app_report_is_one_ticket_and_one_sms(tel_app, tokens, fake_twilio, run_jobs) -> None:
    # On PostgreSQL the keyed intake is one autocommitted statement: its after-commit hooks must still run,
    # and the replay must not notify again.
    api = _api(tel_app, tokens, "operator")
    headers = {"Idempotency-Key": "app-retry-1"}
    first = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    again = api.post("/api/v1/tickets", ticket_payload(), headers=headers)
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert again.headers.get("Idempotent-Replayed") == "true"
    run_jobs(tel_app)
    assert len(fake_twilio.messages) == 1
    assert first.json["receipt_code"] in fake_twilio.messages[0]["Body"]
    [row] = _messages(tel_app)
    assert row.event_id == first.json["events"][0]["id"]


def test_workflow_events_notify_the_citizen(tel_app, tokens, fake_twilio, run_jobs) -> None:
    tid = _new_ticket(tel_app, tokens)["id"]
    _fire(tel_app, tokens, "operator", tid, "assign")
    _fire(tel_app, tokens, "officer", tid, "accept")
    _fire(tel_app, tokens, "officer", tid, "request_info", note="Xin số nhà cụ thể")
    _fire(tel_app, tokens, "officer", tid, "info_received")
    _fire(tel_app, tokens, "officer", tid, "resolve", answer="Đã xử phạt cơ sở vi phạm và yêu cầu khắc phục.")
    _fire(tel_app, tokens, "operator", tid, "close")
    run_jobs(tel_app)
    kinds = [m.kind for m in _messages(tel_app)]
    assert kinds == ["created", "request_info", "resolve", "close"]
    bodies = [m["Body"] for m in fake_twilio.messages]
    assert len(bodies) == 4
    assert "Xin số nhà cụ thể" in bodies[1]
    assert "Đã xử phạt cơ sở vi phạm" in bodies[2]


def test_english_contact_and_no_diacritics_option(tel_app, make_app, tokens, fake_twilio, run_jobs) -> None:
    app = make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, "SMS_STRIP_DIACRITICS": True})
    _new_ticket(app, tokens)
    _new_ticket(app, tokens, contact={"phone": "0987654321", "name": "John", "language": "en"})
    run_jobs(app)
    vi, en = _messages(app)
    assert vi.body.startswith("Tong dai 1022 da tiep nhan phan anh") and vi.encoding == "gsm7"
    assert vi.segments == count_segments(vi.body).segments == (1 if len(vi.body) <= 160 else 2)
    assert en.body.startswith("1022 hotline: your report was received") and en.language == "en"
    assert {m["Body"] for m in fake_twilio.messages} == {vi.body, en.body}


def test_opted_out_contact_is_never_messaged(tel_app, tokens, fake_twilio, run_jobs) -> None:
    _new_ticket(tel_app, tokens)
    with tel_app.app_context():
        contact = db.session.scalars(sa.select(Contact)).one()
        contact.sms_opted_out_at = datetime.now(UTC)
        db.session.commit()
    run_jobs(tel_app)
    assert fake_twilio.requests == []
    [row] = _messages(tel_app)
    assert row.status == "suppressed"


def test_provider_down_then_back_sends_each_message_exactly_once(tel_app, tokens, fake_twilio, run_jobs) -> None:
    fake_twilio.fail_status = 503
    for phone in ("0912345678", "0987654321", "0901234567"):
        _new_ticket(tel_app, tokens, contact={"phone": phone})
    run_jobs(tel_app)
    assert len(fake_twilio.requests) == 3 and fake_twilio.messages == []
    rows = _messages(tel_app)
    assert {(m.status, m.attempts) for m in rows} == {("queued", 1)}
    assert all("503" in m.last_error for m in rows)
    fake_twilio.fail_status = None  # Twilio is back
    time.sleep(1.2)  # the first retry interval (SMS_RETRY_INTERVALS=1,1)
    run_jobs(tel_app)
    run_jobs(tel_app)  # nothing left to do: no duplicate
    assert sorted(m["To"] for m in fake_twilio.messages) == ["+84901234567", "+84912345678", "+84987654321"]
    assert {(m.status, m.attempts) for m in _messages(tel_app)} == {("sent", 2)}


def test_failed_after_the_last_try_and_visible_to_supervisors(tel_app, tokens, fake_twilio, run_jobs) -> None:
    fake_twilio.fail_status = 500
    tid = _new_ticket(tel_app, tokens)["id"]
    for _ in range(3):  # first try + 2 retries
        run_jobs(tel_app)
        time.sleep(1.1)
    run_jobs(tel_app)
    assert len(fake_twilio.requests) == 3
    [row] = _messages(tel_app)
    assert (row.status, row.attempts) == ("failed", 3)
    resp = _api(tel_app, tokens, "supervisor").get("/api/v1/messages?status=failed")
    assert resp.status_code == 200
    assert [(m["id"], m["ticket_id"], m["status"]) for m in resp.json["items"]] == [(row.id, tid, "failed")]
    assert _api(tel_app, tokens, "operator").get("/api/v1/messages").status_code == 403
    bad = _api(tel_app, tokens, "supervisor").get("/api/v1/messages?status=lost")
    assert bad.status_code == 422 and "status" in bad.json["errors"]["query"]


def test_permanent_provider_error_is_not_retried(tel_app, tokens, fake_twilio, run_jobs) -> None:
    fake_twilio.fail_status, fake_twilio.fail_code = 400, 21211  # invalid 'To'
    _new_ticket(tel_app, tokens)
    run_jobs(tel_app)
    time.sleep(1.1)
    run_jobs(tel_app)
    assert len(fake_twilio.requests) == 1
    [row] = _messages(tel_app)
    assert (row.status, row.attempts) == ("failed", 1) and "400" in row.last_error


def test_quiet_hours_defer_to_the_morning_unless_urgent(make_app, app, tokens, fake_twilio, run_jobs) -> None:
    now_local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(second=0, microsecond=0)
    quiet = f"{now_local:%H:%M}-{now_local + timedelta(hours=2):%H:%M}"  # a night that starts now
    tel = make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": fake_twilio.url, "SMS_QUIET_HOURS": quiet})
    _new_ticket(tel, tokens)
    _new_ticket(tel, tokens, contact={"phone": "0987654321"}, priority="urgent")
    run_jobs(tel)
    normal, urgent = _messages(tel)
    assert normal.status == "queued" and normal.scheduled_for is not None
    assert normal.scheduled_for > datetime.now(UTC)
    assert urgent.status == "sent" and urgent.scheduled_for is None
    assert [m["To"] for m in fake_twilio.messages] == ["+84987654321"]
    scheduled = get_queue("default", tel).scheduled_job_registry.get_job_ids()
    assert f"send-{normal.id}" in scheduled


def test_quiet_until_spans_midnight() -> None:
    tz = "Asia/Ho_Chi_Minh"
    at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 22:30 local
    assert quiet_until(at, "21:00-07:00", tz) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 07:00 local
    assert quiet_until(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), "21:00-07:00", tz) == datetime(
        2026, 3, 3, 0, 0, tzinfo=UTC)  # 03:00 local, same morning
    assert quiet_until(datetime(2026, 3, 2, 5, 0, tzinfo=UTC), "21:00-07:00", tz) is None  # noon
    assert quiet_until(at, "", tz) is None


def test_console_provider_is_the_embedded_default(app, tokens, make_app, run_jobs) -> None:
    console = make_app(SMS_QUIET_HOURS="")
    assert console.config["SMS_PROVIDER"] == "console"
    _new_ticket(console, tokens)
    run_jobs(console)
    [row] = _messages(console)
    assert row.status == "sent" and row.provider == "console" and row.provider_message_id.startswith("console-")


def test_templates_are_seeded_once_and_editable(tel_app, tokens, fake_twilio, run_jobs) -> None:
    with tel_app.app_context():
        first = seed_message_templates()
        db.session.commit()
        assert first > 0 and seed_message_templates() == 0
        row = db.session.scalars(sa.select(MessageTemplate).where(
            MessageTemplate.kind == "created", MessageTemplate.language == "vi",
            MessageTemplate.channel == "sms")).one()
        row.body = "1022: đã nhận, mã {code}"
        db.session.commit()
    code = _new_ticket(tel_app, tokens)["receipt_code"]
    run_jobs(tel_app)
    assert fake_twilio.messages[0]["Body"] == f"1022: đã nhận, mã {code}"


def test_segment_counting() -> None:
    assert count_segments("a" * 160) == count_segments("a" * 160).__class__("gsm7", 1, 160)
    assert count_segments("a" * 161).segments == 2
    assert count_segments("[" * 80).segments == 1 and count_segments("[" * 81).segments == 2  # ESC pairs
    assert count_segments("đ" * 70).encoding == "ucs2" and count_segments("đ" * 70).segments == 1
    assert count_segments("đ" * 71).segments == 2 and count_segments("đ" * 135).segments == 3


def test_created_event_row_links_the_event(tel_app, tokens, run_jobs) -> None:
    _new_ticket(tel_app, tokens)
    run_jobs(tel_app)
    [row] = _messages(tel_app)
    with tel_app.app_context():
        assert db.session.get(TicketEvent, row.event_id).kind == "created"


def test_redis_lost_before_dispatch_loses_nothing(tel_app, tokens, fake_twilio, run_jobs) -> None:
    """The notification waits in the database (the outbox), not in Redis."""
    from callcentre.core.redis_client import get_redis

    _new_ticket(tel_app, tokens)
    get_redis(tel_app).flushdb()
    run_jobs(tel_app)
    assert len(fake_twilio.messages) == 1 and [m.status for m in _messages(tel_app)] == ["sent"]


def test_jobs_lost_with_redis_are_repaired_from_the_database(tel_app, tokens, fake_twilio, run_jobs) -> None:
    from callcentre.core.redis_client import get_redis
    from callcentre.messaging.outbox import dispatch_all
    from callcentre.messaging.repair import repair

    _new_ticket(tel_app, tokens)
    with tel_app.app_context():
        assert repair() == (0, 0)  # waiting in the outbox is not lost
        assert dispatch_all() == 1  # the notify job is in Redis now, and the outbox row gone
    get_redis(tel_app).flushdb()  # Redis lost the notification job
    run_jobs(tel_app)
    assert fake_twilio.messages == [] and _messages(tel_app) == []
    with tel_app.app_context():
        assert repair() == (1, 0)
    run_jobs(tel_app)
    assert len(fake_twilio.messages) == 1
    with tel_app.app_context():
        assert repair() == (0, 0)  # nothing left: sent rows are never re-sent


def test_unreachable_provider_is_retried(app, make_app, tokens, run_jobs) -> None:
    down = make_app(**{**TELEPHONY_CONFIG, "TWILIO_API_BASE": f"http://127.0.0.1:{free_port()}"})
    _new_ticket(down, tokens)
    run_jobs(down)
    [row] = _messages(down)
    assert (row.status, row.attempts) == ("queued", 1) and "unreachable" in row.last_error
