"""Call-centre figures from a realistic mix of calls, logged by the webhooks, the console and the
API: one row per provider call, and every figure of ``GET /api/v1/calls/summary`` and of the
supervisor dashboard equal to the figure recomputed from the calls the test logged."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Call
from tests.conftest import Api

from .call_mix import answered_call, console, expected_figures, log_call_mix, sid, signed_in, twilio
from .conftest import TELEPHONY_CONFIG

FIGURES = ("total", "answered", "abandoned", "voicemail", "waiting", "callbacks", "called_back", "answered_pct",
           "abandoned_pct", "voicemail_pct", "aht_seconds", "asa_seconds", "service_level_seconds",
           "service_level_pct")


def _rows(app) -> list[Call]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Call).order_by(Call.id)))
        db.session.expunge_all()
        return rows


def _kpis(html: str) -> dict[str, str]:
    """Each figure's shown value, its markup (the unit's smaller type) left out."""
    return {name: re.sub(r"<[^>]+>", "", value) for name, value in
            re.findall(r'data-figure="(\w+)"><b>(.*?)</b>', html)}


def test_each_figure_equals_the_one_recomputed_from_the_logged_calls(app, make_app, tokens) -> None:
    mix = log_call_mix(app, make_app, tokens)
    rows = _rows(app)

    # One row per provider call, whichever paths logged it; the call-backs are outbound rows.
    assert len(rows) == len(mix.inbound) + mix.callbacks
    inbound = {c.from_number: c for c in rows if c.direction == "inbound"}
    assert len(inbound) == len(mix.inbound)
    for logged in mix.inbound:
        row = inbound[logged.phone]
        assert row.provider_call_id == logged.sid, logged.name
        if logged.outcome == "answered":  # the provider's times stood: the console's and the API's filled in
            assert round((row.answered_at - row.started_at).total_seconds()) == logged.wait, logged.name
            assert row.duration_seconds == logged.talk, logged.name
        else:
            assert row.answered_at is None, logged.name
    assert inbound["+84912000005"].operator_id is not None and inbound["+84912000005"].disposition == "new_ticket"
    assert (inbound["+84912000003"].disposition, inbound["+84912000004"].disposition) == ("callback_done",) * 2
    assert {c.from_number for c in rows if c.direction == "outbound"} == {"+84912000003", "+84912000004"}

    expected = expected_figures(mix)
    assert expected == {**expected, "total": 9, "answered": 6, "abandoned": 1, "voicemail": 1, "waiting": 1,
                        "aht_seconds": 164.7, "asa_seconds": 19.2, "service_level_pct": 57.1}

    supervisor = Api(app.test_client(), tokens["supervisor"])
    summary = supervisor.get("/api/v1/calls/summary?days=7")
    assert summary.status_code == 200, summary.json
    body = summary.json
    assert {name: body[name] for name in FIGURES} == expected
    assert body["days"] == 7 and len(body["per_day"]) == 7
    assert sum(d["calls"] for d in body["per_day"]) == expected["total"]
    assert sum(d["callbacks"] for d in body["per_day"]) == mix.callbacks
    today = body["per_day"][-1]
    assert (today["answered"], today["abandoned"], today["voicemail"]) == (6, 1, 1)

    # The dashboard shows the same figures (seconds rounded to whole seconds).
    html = signed_in(app, "supervisor").get("/supervisor?days=7").get_data(as_text=True)
    kpis = _kpis(html)
    assert kpis == {
        "total": str(expected["total"]), "answered_pct": f"{expected['answered_pct']}%",
        "abandoned_pct": f"{expected['abandoned_pct']}%", "voicemail_pct": f"{expected['voicemail_pct']}%",
        "service_level_pct": f"{expected['service_level_pct']}%",
        "asa_seconds": f"{round(expected['asa_seconds'])} giây",
        "aht_seconds": f"{round(expected['aht_seconds'])} giây",
        "callbacks": str(expected["callbacks"]),
    }
    assert "trả lời trong 20 giây" in html
    csv = signed_in(app, "supervisor").get("/supervisor?csv=calls&days=7").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff") == ("Ngày,Số cuộc gọi đến,Được trả lời,Bị bỏ nhỡ,"
                                                     "Để lại lời nhắn,Đã gọi lại")
    assert csv.splitlines()[-1].endswith(",9,6,1,1,2")


def test_service_level_follows_its_setting_and_the_summary_is_for_managers(app, make_app, tokens) -> None:
    tel = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    answered_call(tel, sid(1), "+84912000001", wait=8, talk=60)
    answered_call(tel, sid(2), "+84912000002", wait=30, talk=60)
    strict = make_app(SERVICE_LEVEL_SECONDS=10)
    body = Api(strict.test_client(), tokens["supervisor"]).get("/api/v1/calls/summary?days=1").json
    assert (body["service_level_seconds"], body["service_level_pct"], body["asa_seconds"]) == (10, 50.0, 19.0)
    lax = Api(make_app(SERVICE_LEVEL_SECONDS=30).test_client(), tokens["admin"]).get("/api/v1/calls/summary").json
    assert (lax["service_level_pct"], lax["days"], len(lax["per_day"])) == (100.0, 30, 30)
    for bad in ("0", "367", "x"):
        resp = Api(app.test_client(), tokens["supervisor"]).get(f"/api/v1/calls/summary?days={bad}")
        assert resp.status_code == 422 and "days" in resp.json["errors"]["query"]
    for role in ("operator", "officer", "head"):
        assert Api(app.test_client(), tokens[role]).get("/api/v1/calls/summary").status_code == 403
    with app.app_context():  # no calls: no figure is a division by zero
        db.session.execute(sa.delete(Call))
        db.session.commit()
    empty = Api(app.test_client(), tokens["supervisor"]).get("/api/v1/calls/summary?days=1").json
    assert (empty["total"], empty["answered_pct"], empty["aht_seconds"], empty["asa_seconds"],
            empty["service_level_pct"]) == (0, None, None, None, None)


def test_the_console_takes_the_call_it_was_offered_not_an_older_missed_one(app, make_app, tokens) -> None:
    tel = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    phone = "+84912000011"
    # Twenty minutes ago the same caller hung up in the queue: still owed a call-back.
    twilio(tel, "/webhooks/twilio/voice", sid(11), phone)
    twilio(tel, "/webhooks/twilio/voice/status", sid(11), phone, CallStatus="no-answer")
    with app.app_context():
        missed = db.session.scalars(sa.select(Call).where(Call.provider_call_id == sid(11))).one()
        missed.started_at -= timedelta(minutes=20)
        missed.ended_at -= timedelta(minutes=20)
        db.session.commit()
    # Now they call again and an operator takes it.
    twilio(tel, "/webhooks/twilio/voice", sid(12), phone)
    console(signed_in(app, "operator"), phone, "info_only", notes="Hỏi lại việc cũ")
    calls = {c.provider_call_id: c for c in _rows(app)}
    assert set(calls) == {sid(11), sid(12)}
    assert (calls[sid(11)].disposition, calls[sid(11)].operator_id) == ("abandoned", None)
    assert calls[sid(12)].notes == "Hỏi lại việc cũ" and calls[sid(12)].answered_at is not None
    # A third call from that number that Twilio never saw (typed in by hand) is a row of its own.
    console(signed_in(app, "operator"), phone, "info_only", notes="Gọi qua số máy lẻ")
    assert len(_rows(app)) == 3


def test_a_console_call_with_its_callsid_before_any_webhook_is_still_one_call(app, make_app, tokens) -> None:
    tel = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"}).test_client()
    phone = "+84912000013"
    console(signed_in(app, "operator"), phone, "info_only", call=sid(13), notes="Webhook đến chậm")
    twilio(tel, "/webhooks/twilio/voice", sid(13), phone)
    twilio(tel, "/webhooks/twilio/voice/status", sid(13), phone, CallStatus="completed", CallDuration="90")
    [call] = _rows(app)
    assert call.provider_call_id == sid(13) and call.notes == "Webhook đến chậm" and call.provider_status == "completed"
    # Another operator's console cannot log that CallSid as theirs.
    head = signed_in(app, "supervisor")
    page = head.get("/operator", query_string={"phone": phone, "call": sid(13)}).get_data(as_text=True)
    started = re.search(r'name="started_at" type="hidden" value="([^"]*)"', page).group(1)
    resp = head.post("/operator", data={"phone": phone, "outcome": "info_only", "priority": "normal",
                                        "started_at": started, "provider_call_id": sid(13)})
    assert resp.status_code == 422 and "đã được một tổng đài viên khác ghi nhận" in resp.get_data(as_text=True)
    assert len(_rows(app)) == 1


@pytest.mark.parametrize("round_", range(3))
def test_webhooks_and_the_api_logging_one_call_at_once_leave_one_row(app, make_app, tokens, round_) -> None:
    tel_app = make_app(**{**TELEPHONY_CONFIG, "VOICE_CALENDAR": "24x7"})
    phone, call_sid = "+84912000020", sid(20 + round_)
    barrier = threading.Barrier(3)
    results: list[int] = []

    def webhook(path: str, **params: str) -> None:
        client = tel_app.test_client()
        barrier.wait()
        twilio(client, path, call_sid, phone, **params)
        results.append(200)

    def api() -> None:
        client = Api(app.test_client(), tokens["operator"])
        barrier.wait()
        resp = client.post("/api/v1/calls", {"provider_call_id": call_sid, "from_number": phone,
                                             "notes": "ghi qua API"})
        results.append(resp.status_code)

    threads = [threading.Thread(target=webhook, args=("/webhooks/twilio/voice",)),
               threading.Thread(target=webhook, args=("/webhooks/twilio/voice/status",),
                                kwargs={"CallStatus": "in-progress"}),
               threading.Thread(target=api)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) in ([200, 200, 200], [200, 200, 201])
    [call] = _rows(app)
    assert (call.provider_call_id, call.notes, call.operator_id is not None) == (call_sid, "ghi qua API", True)
