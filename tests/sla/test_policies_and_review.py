"""SLA policies, detection in-process (injected clock), breach review, summary, calendars."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.core.jobs import make_worker
from callcentre.models import Notification, SlaAlert, SlaClock, Ticket, TicketEvent
from callcentre.sla import policies
from callcentre.sla.calendars import WORKING_HOURS, calendar_row
from callcentre.sla.sweep import process_due, sweep
from tests.conftest import ticket_payload
from workflows.calendar import default_calendar


def put_policy(api, **overrides):
    # A day to forward (tests/services/test_forward_clock.py tests that clock): these are about the others.
    body = {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H", "resolve_within": "P2D",
            "forward_within": "P1D", "warn_at": 0.5, **overrides}
    return api.put("/api/v1/sla/policies", body)


def create(api_as, **kw) -> dict:
    return api_as("operator").post("/api/v1/tickets", ticket_payload(**kw)).json


def fire(api, tid: int, trigger: str, **fields):
    return api.post(f"/api/v1/tickets/{tid}/transitions", {"trigger": trigger, **fields})


def test_policy_put_validates_and_new_tickets_use_it_at_once(api_as) -> None:
    admin = api_as("admin")
    bad = admin.put("/api/v1/sla/policies", {"category": "NOPE", "priority": "meh", "accept_within": "P1M",
                                             "resolve_within": "soon", "warn_at": 2, "calendar": "x"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"priority", "accept_within", "resolve_within", "warn_at"}
    assert put_policy(admin, category="NOPE").json["errors"]["json"] == {"category": ["unknown category code 'NOPE'"]}
    assert put_policy(admin, calendar="moon").status_code == 422
    assert put_policy(api_as("officer")).status_code == 403
    assert put_policy(api_as("operator")).status_code == 403
    resp = put_policy(admin)
    assert resp.status_code == 201 and resp.json["calendar"] == "working_hours"
    assert put_policy(api_as("supervisor"), resolve_within="P3D").status_code == 200  # replaced
    listed = admin.get("/api/v1/sla/policies").json
    assert [(p["category"], p["priority"], p["resolve_within"]) for p in listed] == [("TN-MT", "normal", "P3D")]
    before = datetime.now(UTC)
    t = create(api_as)
    deadline = datetime.fromisoformat(t["resolve_deadline"])
    created = datetime.fromisoformat(t["created_at"])
    assert deadline == default_calendar().add_working_time(created, timedelta(hours=24))  # 3 working days of 8h
    assert created >= before - timedelta(seconds=1)
    [clock] = [c for c in t["sla"] if c["kind"] != "forward"]
    assert clock["kind"] == "resolve" and clock["running"] and clock["state"] == "on_time"
    assert 0 < clock["remaining_seconds"] <= 24 * 3600


def test_a_policy_stored_before_the_365_day_bound_gets_the_defaults(app, api_as, caplog, monkeypatch) -> None:
    # Written with SQL, as an old row could be: the API refuses such a policy since the bound (422).
    with app.app_context():
        calendar_id = calendar_row(WORKING_HOURS).id  # the calendars are made on first use
        db.session.execute(sa.text(
            "INSERT INTO sla_policies (category_id, priority, accept_within, resolve_within, warn_at, calendar_id,"
            " updated_at) SELECT id, 'normal', 'PT1H', 'P99999999D', 0.5, :calendar, CURRENT_TIMESTAMP"
            " FROM categories WHERE code = 'TN-MT'"), {"calendar": calendar_id})
        db.session.commit()
        policy_id = db.session.scalar(sa.text("SELECT id FROM sla_policies"))
    assert policy_id is not None
    assert put_policy(api_as("admin"), resolve_within="P99999999D").status_code == 422
    monkeypatch.setattr(policies, "_warned", set())  # ids restart per test: forget other tests' warnings
    monkeypatch.setattr(policies.log, "disabled", False)  # alembic's fileConfig (migrations) disables it
    with caplog.at_level(logging.WARNING, logger="callcentre.sla.policies"):
        first, second = create_response(api_as), create_response(api_as)
    assert first.status_code == second.status_code == 201
    assert app.config["SLA_DEFAULT_RESOLVE"] == "P10D"
    created = datetime.fromisoformat(first.json["created_at"])
    # The default: 10 working days of 8 h on the office calendar, not the policy's 99999999 days.
    assert datetime.fromisoformat(first.json["resolve_deadline"]) == \
        default_calendar().add_working_time(created, timedelta(hours=80))
    with app.app_context():
        clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == first.json["id"],
                                                            SlaClock.kind == "resolve")).one()
        assert clock.policy_id is None and clock.warn_fraction == app.config["SLA_DEFAULT_WARN_AT"]
    warnings = [r for r in caplog.records if r.name == "callcentre.sla.policies"]
    assert len(warnings) == 1  # once per policy, not once per ticket
    assert warnings[0].levelno == logging.WARNING
    assert f"SLA policy {policy_id} " in warnings[0].getMessage() and "P99999999D" in warnings[0].getMessage()
    assert "912345678" not in caplog.text  # phone-free


def create_response(api_as, **kw):
    return api_as("operator").post("/api/v1/tickets", ticket_payload(**kw))


def test_urgent_policy_on_the_24x7_calendar(api_as) -> None:
    put_policy(api_as("admin"), priority="urgent", accept_within="PT10M", resolve_within="PT2H", calendar="24x7")
    t = create(api_as, priority="urgent")
    assert datetime.fromisoformat(t["resolve_deadline"]) - datetime.fromisoformat(t["created_at"]) == timedelta(hours=2)


def test_detection_records_each_alert_once_escalates_and_notifies(app, api_as, count) -> None:
    put_policy(api_as("admin"), accept_within="PT1H", resolve_within="PT4H", calendar="24x7")
    t = create(api_as)
    fire(api_as("operator"), t["id"], "assign")
    with app.app_context():
        created = db.session.get(Ticket, t["id"]).created_at
        out = process_due(created + timedelta(minutes=40))  # accept warning at 50% of 1h
        assert (out.warnings, out.breaches) == (1, 0)
        out = process_due(created + timedelta(hours=5))  # everything overdue: both breaches + resolve warning
        assert (out.warnings, out.breaches) == (1, 2)
        again = process_due(created + timedelta(hours=6))  # a job run twice records nothing new
        assert (again.warnings, again.breaches) == (0, 0)
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.escalation_level == 2
        alerts = db.session.scalars(sa.select(SlaAlert).order_by(SlaAlert.id)).all()
        assert [(a.kind, a.level) for a in alerts] == [("accept", "warning"), ("accept", "breach"),
                                                       ("resolve", "warning"), ("resolve", "breach")]
        events = db.session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == t["id"])).all()
        assert events.count("sla_breach") == 2 and events.count("sla_warning") == 2
    # The department head hears of every breach; supervisors of the missed resolve deadline.
    head_notes = api_as("head").get("/api/v1/notifications").json
    assert {n["kind"] for n in head_notes["items"]} >= {"sla_accept_breach", "sla_resolve_breach"}
    sup_notes = api_as("supervisor").get("/api/v1/notifications").json["items"]
    assert [n["kind"] for n in sup_notes] == ["sla_resolve_breach"]
    assert t["receipt_code"] in sup_notes[0]["message_vi"] and "quá hạn" in sup_notes[0]["message_vi"]
    assert count(Notification, Notification.user_id.isnot(None)) >= 4
    read = api_as("supervisor").post(f"/api/v1/notifications/{sup_notes[0]['id']}/read")
    assert read.status_code == 200 and read.json["read_at"]
    assert api_as("officer").post(f"/api/v1/notifications/{sup_notes[0]['id']}/read").status_code == 404


def test_breach_review_filters_and_acknowledge(app, api_as) -> None:
    put_policy(api_as("admin"), accept_within="PT1H", resolve_within="PT4H", calendar="24x7")
    put_policy(api_as("admin"), category="CONG-THUONG", accept_within="PT1H", resolve_within="PT4H", calendar="24x7")
    env, trade = create(api_as), create(api_as, category="CONG-THUONG")
    with app.app_context():
        process_due(datetime.now(UTC) + timedelta(hours=5))
    sup = api_as("supervisor")
    page = sup.get("/api/v1/sla/breaches").json
    assert page["total"] == 2
    item = page["items"][0]
    assert {"ticket_id", "receipt_code", "kind", "deadline", "detected_at"} <= item.keys()
    assert {i["receipt_code"] for i in page["items"]} == {env["receipt_code"], trade["receipt_code"]}
    assert sup.get("/api/v1/sla/breaches?department=SCT").json["total"] == 1
    assert sup.get("/api/v1/sla/breaches?category=TN-MT").json["items"][0]["ticket_id"] == env["id"]
    assert sup.get("/api/v1/sla/breaches?level=warning").json["total"] == 2
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert sup.get("/api/v1/sla/breaches", query_string={"detected_from": later}).json["total"] == 0
    # Department staff see only their own department's breaches.
    assert api_as("officer").get("/api/v1/sla/breaches").json["total"] == 1
    alert_id = sup.get("/api/v1/sla/breaches?department=SNNMT").json["items"][0]["id"]
    assert sup.post(f"/api/v1/sla/breaches/{alert_id}/acknowledge", {"comment": " "}).status_code == 422
    assert api_as("head").post(f"/api/v1/sla/breaches/{alert_id}/acknowledge", {"comment": "ok"}).status_code == 403
    resp = sup.post(f"/api/v1/sla/breaches/{alert_id}/acknowledge", {"comment": "Đã nhắc Sở NN&MT"})
    assert resp.status_code == 200
    assert resp.json["acknowledged_by"] == "supervisor" and resp.json["ack_comment"] == "Đã nhắc Sở NN&MT"
    assert sup.post(f"/api/v1/sla/breaches/{alert_id}/acknowledge", {"comment": "again"}).status_code == 409
    assert sup.get("/api/v1/sla/breaches?acknowledged=false").json["total"] == 1
    assert sup.get("/api/v1/sla/breaches?acknowledged=true").json["items"][0]["id"] == alert_id


def test_at_risk_and_summary(app, api_as) -> None:
    put_policy(api_as("admin"), accept_within="PT1H", resolve_within="PT3H", calendar="24x7")
    soon, later, done = create(api_as), create(api_as), create(api_as)
    with app.app_context():
        db.session.execute(sa.update(SlaClock).where(SlaClock.ticket_id == later["id"])
                           .values(due_at=datetime.now(UTC) + timedelta(days=3)))
        db.session.commit()
    for user, trigger, fields in (("operator", "assign", {}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "xong"})):
        fire(api_as(user), done["id"], trigger, **fields)
    risky = api_as("supervisor").get("/api/v1/sla/at-risk?within=PT4H").json
    assert [r["ticket_id"] for r in risky] == [soon["id"]]
    assert risky[0]["kind"] == "resolve" and 0 < risky[0]["remaining_seconds"] <= 3 * 3600
    assert api_as("supervisor").get("/api/v1/sla/at-risk?within=P5D").status_code == 200
    assert api_as("supervisor").get("/api/v1/sla/at-risk?within=soon").status_code == 422
    rows = {r["department"]: r for r in api_as("supervisor").get("/api/v1/sla/summary").json}
    env = rows["SNNMT"]
    assert (env["open"], env["at_risk"], env["breached"], env["resolved"]) == (2, 1, 0, 1)
    assert env["on_time_rate"] == 1.0
    assert env["median_time_to_accept_seconds"] is not None and env["median_time_to_resolve_seconds"] > 0
    assert rows["SCT"]["open"] == 0 and rows["SCT"]["on_time_rate"] is None
    assert [r["department"] for r in api_as("officer").get("/api/v1/sla/summary").json] == ["SNNMT"]


def test_adding_a_day_off_recomputes_open_deadlines(app, api_as) -> None:
    put_policy(api_as("admin"), resolve_within="P3D")
    t = create(api_as)
    old = datetime.fromisoformat(t["resolve_deadline"])
    local_day = old.astimezone(default_calendar().zone).date()
    resp = api_as("supervisor").post("/api/v1/sla/calendars/working_hours/exceptions",
                                     {"date": local_day.isoformat(), "kind": "day_off", "note": "Bão số 9"})
    assert resp.status_code == 201
    assert {"date": local_day.isoformat(), "kind": "day_off", "note": "Bão số 9"} in [
        {k: e[k] for k in ("date", "kind", "note")} for e in resp.json["exceptions"]]
    make_worker(app, ["default"]).work(burst=True)  # runs the recompute job
    new = datetime.fromisoformat(api_as("operator").get(f"/api/v1/tickets/{t['id']}").json["resolve_deadline"])
    expected = default_calendar(days_off=[local_day]).add_working_time(
        datetime.fromisoformat(t["created_at"]), timedelta(hours=24))
    assert new == expected and new > old
    assert api_as("operator").post("/api/v1/sla/calendars/working_hours/exceptions",
                                   {"date": "2027-01-04", "kind": "day_off"}).status_code == 403
    assert api_as("admin").post("/api/v1/sla/calendars/mars/exceptions",
                                {"date": "2027-01-04", "kind": "day_off"}).status_code == 404


def test_sweep_repairs_lost_timers(app, api_as) -> None:
    from callcentre.core.redis_client import get_redis
    from callcentre.sla import timers

    put_policy(api_as("admin"), accept_within="PT10M", resolve_within="PT20M", calendar="24x7")
    t = create(api_as)
    with app.app_context():
        clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == t["id"],
                                                            SlaClock.kind == "resolve")).one()
        epoch = timers.epoch_of(clock.next_check_at)
    assert timers.missing_epochs([epoch], app) == []  # scheduled after the commit
    get_redis(app).flushdb()  # Redis loses everything
    assert timers.missing_epochs([epoch], app) == [epoch]
    with app.app_context():
        assert sweep()["timers_recreated"] == 1
    assert timers.missing_epochs([epoch], app) == []


def test_resolving_cancels_the_timer_nobody_needs(app, api_as) -> None:
    from callcentre.sla import timers

    put_policy(api_as("admin"), accept_within="PT10M", resolve_within="PT20M", calendar="24x7")
    t = create(api_as)
    with app.app_context():
        clock = db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == t["id"],
                                                            SlaClock.kind == "resolve")).one()
        epoch = timers.epoch_of(clock.next_check_at)
    for user, trigger, fields in (("operator", "assign", {}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "xong"})):
        assert fire(api_as(user), t["id"], trigger, **fields).status_code == 200
    assert timers.missing_epochs([epoch], app) == [epoch]
