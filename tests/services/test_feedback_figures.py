"""The supervisor's citizen figures per department (services/feedback.py), recomputed from the
ratings and disputes this test makes: average rating, answers sent, disputes, dispute rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.messaging.outbound import notify_event
from callcentre.models import Ticket, TicketEvent
from callcentre.services.feedback import figures_by_department, give_feedback
from tests.conftest import ticket_payload


def _answered(api_as, category: str = "TN-MT") -> int:
    ticket = api_as("operator").post("/api/v1/tickets", ticket_payload(category=category)).json
    officer = "officer" if category == "TN-MT" else "officer_ct"
    for user, trigger, fields in (("operator", "assign", {}), (officer, "accept", {}),
                                  (officer, "resolve", {"answer": "Đã xử lý."})):
        resp = api_as(user).post(f"/api/v1/tickets/{ticket['id']}/transitions", {"trigger": trigger, **fields})
        assert resp.status_code == 200, resp.json
    return ticket["id"]


def test_average_rating_and_dispute_rate_per_department(app, api_as) -> None:
    happy, unhappy, old = _answered(api_as), _answered(api_as), _answered(api_as)
    other = _answered(api_as, "CONG-THUONG")
    with app.app_context():
        give_feedback(db.session.get(Ticket, happy), rating=5, via="web")
        give_feedback(db.session.get(Ticket, unhappy), rating=2, dispute=True, via="sms")
        give_feedback(db.session.get(Ticket, other), rating=3, via="api")
        # An answer and a rating from before the period count in none of its figures.
        long_ago = datetime.now(UTC) - timedelta(days=40)
        give_feedback(db.session.get(Ticket, old), rating=1, via="web", now=long_ago + timedelta(days=1))
        db.session.execute(sa.update(TicketEvent).where(TicketEvent.ticket_id == old).values(created_at=long_ago))
        db.session.commit()
        rows = {r["department"]: r for r in figures_by_department(14)}
    assert rows["SNNMT"] == {"department": "SNNMT", "name_vi": rows["SNNMT"]["name_vi"],
                             "name_en": rows["SNNMT"]["name_en"], "ratings": 2, "average_rating": 3.5,
                             "answers": 2, "disputes": 1, "dispute_rate": 0.5}
    assert (rows["SCT"]["ratings"], rows["SCT"]["average_rating"], rows["SCT"]["answers"],
            rows["SCT"]["disputes"], rows["SCT"]["dispute_rate"]) == (1, 3.0, 1, 0, 0.0)
    assert set(rows) == {"SNNMT", "SCT"}


def test_an_answer_counts_for_the_department_that_gave_it(app, api_as) -> None:
    # Disputed, reopened, then moved to another department: the answer and its dispute stay
    # SNNMT's; the ticket's events name the department of their moment.
    ticket_id = _answered(api_as)
    with app.app_context():
        answer = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id,
                                                                   TicketEvent.kind == "resolve"))
        notify_event(answer)  # the answer SMS, with the rating link the citizen follows
        give_feedback(db.session.get(Ticket, ticket_id), rating=1, dispute=True, via="web")
        db.session.commit()
    moved = api_as("operator").post(f"/api/v1/tickets/{ticket_id}/transitions",
                                    {"trigger": "reassign", "department": "SCT"})
    assert moved.status_code == 200, moved.json
    with app.app_context():
        rows = {r["department"]: r for r in figures_by_department(14)}
        named = dict(db.session.execute(sa.select(TicketEvent.kind, TicketEvent.department_id)
                                        .where(TicketEvent.ticket_id == ticket_id)).all())
        departments = dict(db.session.execute(sa.text("SELECT code, id FROM departments")).all())
    assert (rows["SNNMT"]["answers"], rows["SNNMT"]["disputes"]) == (1, 1) and "SCT" not in rows
    assert named["resolve"] == named["citizen_dispute"] == departments["SNNMT"]
    assert named["reassign"] == departments["SCT"] and named["created"] == departments["SNNMT"]


def test_the_supervisor_page_shows_them(app, api_as, client) -> None:
    ticket_id = _answered(api_as)
    with app.app_context():
        give_feedback(db.session.get(Ticket, ticket_id), rating=4, dispute=True, via="web")
        db.session.commit()
    client.post("/login", data={"username": "supervisor", "password": "Demo@1022"})
    page = client.get("/supervisor?days=7").get_data(as_text=True)
    section = page[page.index('id="fbk-h"'):page.index('id="ext-h"')]
    assert "Đánh giá của công dân (7 ngày)" in section
    assert "<td>4.0</td><td>1</td>" in section and "<td>1</td><td>1</td>" in section and "100.0%" in section
