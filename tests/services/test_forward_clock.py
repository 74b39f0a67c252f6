"""The forward clock: received -> assigned, for new tickets and those a department sends back."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import SlaAlert, SlaClock, SlaPolicy, Ticket, TicketEvent
from callcentre.sla.calendars import calendar_by_id
from callcentre.sla.sweep import process_due
from tests.conftest import fire, ticket_payload
from workflows import sla


def put_policy(api, **overrides):
    body = {"category": "TN-MT", "priority": "normal", "accept_within": "PT1H", "resolve_within": "P2D",
            "warn_at": 0.5, "calendar": "24x7", **overrides}
    resp = api.put("/api/v1/sla/policies", body)
    assert resp.status_code in (200, 201), resp.json
    return resp


def create(api_as, **kw) -> dict:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(**kw))
    assert resp.status_code == 201, resp.json
    return resp.json


def clock(ticket_id: int, kind: str = sla.FORWARD) -> SlaClock:
    return db.session.scalars(sa.select(SlaClock).where(SlaClock.ticket_id == ticket_id,
                                                        SlaClock.kind == kind)).one()


def test_starts_at_creation_with_the_default_and_leaves_the_ticket_deadlines_alone(app, api_as) -> None:
    t = create(api_as)  # no policy for TN-MT: the defaults, on the office calendar
    assert app.config["SLA_DEFAULT_FORWARD"] == "PT5M"
    assert {c["kind"] for c in t["sla"]} == {"forward", "resolve"}
    forward = next(c for c in t["sla"] if c["kind"] == "forward")
    assert forward["running"] and forward["state"] == "on_time" and 0 < forward["remaining_seconds"] <= 300
    with app.app_context():
        row, resolve = clock(t["id"]), clock(t["id"], sla.RESOLVE)
        assert row.budget_seconds == 300 and row.policy_id is None and row.stopped_at is None
        created = db.session.get(Ticket, t["id"]).created_at
        assert row.started_at == created
        assert row.due_at == calendar_by_id(row.calendar_id).add_working_time(created, timedelta(minutes=5))
        ticket = db.session.get(Ticket, t["id"])
        # The forward clock is mirrored on no ticket column.
        assert ticket.resolve_deadline == resolve.due_at and ticket.accept_deadline is None
    assert t["resolve_deadline"] is not None and t["accept_deadline"] is None


def test_policy_value_and_the_default_when_null(app, api_as, monkeypatch) -> None:
    resp = put_policy(api_as("admin"), forward_within="P5D")  # Decree 92/2017: five working days
    assert resp.json["forward_within"] == "P5D"
    t = create(api_as)
    with app.app_context():
        row = clock(t["id"])
        assert row.budget_seconds == 5 * 24 * 3600  # days of the 24x7 calendar are 24 h
        assert row.policy_id == resp.json["id"]
    bad = api_as("admin").put("/api/v1/sla/policies", {"category": "TN-MT", "priority": "normal",
                                                       "accept_within": "PT1H", "resolve_within": "P2D",
                                                       "forward_within": "soon"})
    assert bad.status_code == 422 and "forward_within" in bad.json["errors"]["json"]
    too_long = api_as("admin").put("/api/v1/sla/policies", {"category": "TN-MT", "priority": "normal",
                                                            "accept_within": "PT1H", "resolve_within": "P2D",
                                                            "forward_within": "P" + "9" * 50 + "D"})
    assert too_long.status_code == 422 and "forward_within" in too_long.json["errors"]["json"]
    # Replaced without forward_within: the column is NULL and the configured default applies.
    again = put_policy(api_as("admin"))
    assert again.json["forward_within"] is None
    monkeypatch.setitem(app.config, "SLA_DEFAULT_FORWARD", "PT10M")
    u = create(api_as)
    with app.app_context():
        assert db.session.scalar(sa.select(SlaPolicy.forward_within)) is None
        row = clock(u["id"])
        assert row.budget_seconds == 600 and row.policy_id == again.json["id"]


def test_stops_on_assign_restarts_on_return_stops_on_reject_and_merge(app, api_as) -> None:
    put_policy(api_as("admin"), forward_within="PT10M")
    op, officer = api_as("operator"), api_as("officer")
    t = create(api_as)
    assigned = fire(op, t["id"], "assign")["ticket"]
    assert "forward" in {c["kind"] for c in assigned["sla"]}
    assert next(c for c in assigned["sla"] if c["kind"] == "forward")["state"] == "stopped"
    with app.app_context():
        row = clock(t["id"])
        assert row.stop_reason == "assigned" and row.stopped_at is not None and row.next_check_at is None
        accept_deadline = db.session.get(Ticket, t["id"]).accept_deadline
        resolve_deadline = db.session.get(Ticket, t["id"]).resolve_deadline
        assert accept_deadline is not None
    fire(officer, t["id"], "accept")
    fire(officer, t["id"], "return", reason="Không thuộc thẩm quyền")
    with app.app_context():
        row = clock(t["id"])
        returned_at = db.session.scalars(sa.select(TicketEvent.created_at).where(
            TicketEvent.ticket_id == t["id"], TicketEvent.kind == "return")).one()
        # A fresh, full budget from the return; the one row per (ticket, kind) is reused.
        assert row.stopped_at is None and row.started_at == returned_at and row.budget_seconds == 600
        assert row.due_at == returned_at + timedelta(minutes=10) and not row.warned and not row.breached
        ticket = db.session.get(Ticket, t["id"])
        assert ticket.resolve_deadline == resolve_deadline  # not overwritten by the forward clock
        assert ticket.accept_deadline == accept_deadline  # the stopped accept clock's last deadline
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaClock)
                                 .where(SlaClock.ticket_id == t["id"])) == 3
    fire(op, t["id"], "reject", reason="Không thuộc phạm vi")
    with app.app_context():
        assert clock(t["id"]).stop_reason == "rejected"
    original, dup = create(api_as), create(api_as)
    fire(op, dup["id"], "merge", duplicate_of=original["id"])
    with app.app_context():
        assert clock(dup["id"]).stop_reason == "merged"
        assert clock(original["id"]).stopped_at is None  # the surviving ticket still waits


def test_the_sweep_warns_and_breaches_it_and_tells_the_supervisors(app, api_as) -> None:
    put_policy(api_as("admin"), forward_within="PT10M")
    t = create(api_as)
    waiting = create(api_as)
    fire(api_as("operator"), waiting["id"], "assign")  # forwarded in time: owes nothing
    with app.app_context():
        created = db.session.get(Ticket, t["id"]).created_at
        out = process_due(created + timedelta(minutes=6))  # past the warning at 50% of 10 min
        assert (out.warnings, out.breaches) == (1, 0)
        out = process_due(created + timedelta(minutes=11))
        assert (out.warnings, out.breaches) == (0, 1)
        assert process_due(created + timedelta(minutes=12)).breaches == 0  # recorded once
        alerts = db.session.scalars(sa.select(SlaAlert).order_by(SlaAlert.id)).all()
        assert [(a.ticket_id, a.kind, a.level) for a in alerts] == [(t["id"], "forward", "warning"),
                                                                   (t["id"], "forward", "breach")]
        assert alerts[1].deadline == created + timedelta(minutes=10)
        row = clock(t["id"])
        assert row.breached and row.next_check_at is None
        events = db.session.scalars(sa.select(TicketEvent).where(TicketEvent.ticket_id == t["id"],
                                                                 TicketEvent.kind.like("sla_%"))).all()
        assert [(e.kind, e.payload["clock"]) for e in events] == [("sla_warning", "forward"), ("sla_breach", "forward")]
        assert db.session.get(Ticket, t["id"]).escalation_level == 1
    # The supervisors run the queue: they hear of it; the category's department does not (not yet theirs).
    notes = api_as("supervisor").get("/api/v1/notifications").json["items"]
    assert sorted(n["kind"] for n in notes) == ["sla_forward_breach", "sla_forward_warning"]
    breach = next(n for n in notes if n["kind"] == "sla_forward_breach")
    assert t["receipt_code"] in breach["message_vi"] and "quá hạn chuyển xử lý" in breach["message_vi"]
    assert api_as("head").get("/api/v1/notifications").json["items"] == []
    # The breach review lists it, filtered by kind; the ticket shows the breached clock.
    review = api_as("supervisor").get("/api/v1/sla/breaches?kind=forward").json
    assert [(b["ticket_id"], b["kind"]) for b in review["items"]] == [(t["id"], "forward")]
    assert api_as("supervisor").get("/api/v1/sla/breaches?kind=accept").json["items"] == []
    assert review["items"][0]["department"] is None  # the call centre's lateness, no department's
    assert api_as("officer").get("/api/v1/sla/breaches").json["items"] == []
    shown = api_as("operator").get(f"/api/v1/tickets/{t['id']}").json["sla"]
    assert next(c for c in shown if c["kind"] == "forward")["state"] == "breached"
