"""The citizen's dispute (``citizen_dispute``): the declared rule, and the window as the database
and the service apply it (``REOPEN_WINDOW_DAYS`` after the answer, to the second)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import Notification, Ticket, TicketEvent
from callcentre.services.feedback import EXPIRED, FeedbackError, give_feedback
from tests.conftest import ticket_payload
from workflows.definition import SYSTEM_TRIGGERS, TicketFacts, WorkflowError, check

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)


def facts(status: str, role: str, answered_ago: timedelta, own: bool = True) -> TicketFacts:
    return TicketFacts(status=status, role=role, own_department=own, now=NOW, resolved_at=NOW - answered_ago,
                       reopen_window=WINDOW)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_the_citizen_disputes_within_the_window_to_the_second(status: str) -> None:
    assert "citizen_dispute" in SYSTEM_TRIGGERS  # fired with no user (services/feedback.py)
    inside = facts(status, "system", WINDOW)
    check("citizen_dispute", inside)
    assert inside.status == "in_progress"
    late = facts(status, "system", WINDOW + timedelta(seconds=1))
    with pytest.raises(WorkflowError) as exc:
        check("citizen_dispute", late)
    assert exc.value.status == 409 and "7" in exc.value.message and late.status == status


@pytest.mark.parametrize(("role", "ago", "code"), [
    ("operator", timedelta(days=1), None),  # a citizen who phones it in
    ("operator", timedelta(days=8), 409),
    ("supervisor", timedelta(days=30), None),  # managers may reopen after the window
    ("department_officer", timedelta(days=1), 403),  # the department does not dispute its own answer
    ("department_head", timedelta(days=1), 403),
])
def test_staff_record_a_phoned_in_dispute_by_the_same_rule(role: str, ago: timedelta, code: int | None) -> None:
    f = facts("resolved", role, ago, own=False)
    if code is None:
        check("citizen_dispute", f)
        assert f.status == "in_progress"
    else:
        with pytest.raises(WorkflowError) as exc:
            check("citizen_dispute", f)
        assert exc.value.status == code


@pytest.mark.parametrize("trigger", ["citizen_dispute", "reopen"])
def test_never_from_a_ticket_that_is_not_answered(trigger: str) -> None:
    for status in ("received", "assigned", "in_progress", "awaiting_citizen", "rejected", "duplicate"):
        with pytest.raises(WorkflowError) as exc:
            check(trigger, facts(status, "system" if trigger == "citizen_dispute" else "supervisor", timedelta(0)))
        assert exc.value.status == 409


def _answered(api_as) -> dict:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload()).json
    for user, trigger, fields in (("operator", "assign", {}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "Đã xử lý."})):
        resp = api_as(user).post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    return ticket


def test_the_service_applies_the_window_of_the_answer_to_the_second(app, api_as) -> None:
    ticket = _answered(api_as)
    with app.app_context():
        row = db.session.get(Ticket, ticket["id"])
        answered = row.resolved_at
        with pytest.raises(FeedbackError) as exc:
            give_feedback(row, dispute=True, via="api", now=answered + WINDOW + timedelta(seconds=1))
        assert (exc.value.status, exc.value.reason) == (410, EXPIRED)
        db.session.rollback()
        row = db.session.get(Ticket, ticket["id"])
        outcome = give_feedback(row, rating=2, dispute=True, via="api", now=answered + WINDOW)
        db.session.commit()
        assert (outcome.status, outcome.rating, outcome.disputed) == ("in_progress", 2, True)
        kinds = db.session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket["id"])
                                   .order_by(TicketEvent.id)).all()
        assert kinds[-2:] == ["citizen_feedback", "citizen_dispute"]
        reopened = db.session.get(Ticket, ticket["id"])
        assert reopened.resolved_at is None and reopened.closed_at is None


def test_an_operator_records_a_phoned_in_dispute_and_the_department_is_told(app, api_as, count) -> None:
    ticket = _answered(api_as)
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    assert api_as("officer").post(path, {"trigger": "citizen_dispute"}).status_code == 403
    resp = api_as("operator").post(path, {"trigger": "citizen_dispute", "note": "Công dân gọi: vẫn còn khói"})
    assert resp.status_code == 200, resp.json
    [event] = [e for e in resp.json["ticket"]["events"] if e["id"] == resp.json["event_id"]]
    assert (event["kind"], event["actor"], event["note"]) == ("citizen_dispute", "operator",
                                                              "Công dân gọi: vẫn còn khói")
    assert count(Notification, Notification.kind == "citizen_dispute") == 2
    detail = api_as("supervisor").get(f"/api/v1/tickets/{ticket['id']}").json
    assert detail["status"] == "in_progress" and detail["feedback"]["disputes"] == 1
