"""A citizen's personal data (Decree 13/2023): an admin exports everything held about one contact,
erases it on request, and the retention job erases contacts whose time is up — the tickets stay
for the statistics, every act is in the audit log."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.core.storage import get_storage
from callcentre.messaging.outbound import notify_event
from callcentre.models import AuditEvent, Call, Contact, OutboundMessage, Ticket, TicketEvent, TicketMedia
from callcentre.services.personal_data import ERASED, apply_retention
from tests.open311.conftest import BASE, form, image_bytes, new_key

NAME = "Nguyễn Văn An"
TEXT = "Khói bụi từ lò gạch, gọi lại cho Nguyễn Văn An số 0912 345 678 sau 17h"


def _filed(app, client, api_as) -> tuple[int, int]:
    """A report from the app with a photo, answered (with an SMS), and a call from the same phone."""
    data = {**form(description=TEXT), "api_key": new_key(app), "media": (io.BytesIO(image_bytes("JPEG")), "a.jpg")}
    resp = client.post(f"{BASE}/requests.json", data=data)
    assert resp.status_code == 201, resp.json
    with app.app_context():
        ticket = db.session.scalars(sa.select(Ticket).where(Ticket.receipt_code == resp.json[0]["service_request_id"])
                                    ).one()
        ticket_id, contact_id = ticket.id, ticket.contact_id
    for user, trigger, fields in (("operator", "assign", {"department": "SNNMT"}), ("officer", "accept", {}),
                                  ("officer", "resolve", {"answer": "Đã làm việc với ông Nguyễn Văn An."})):
        done = api_as(user).post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
        assert done.status_code == 200, done.json
    with app.app_context():
        event_id = db.session.scalar(sa.select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id,
                                                                     TicketEvent.kind == "resolve"))
        notify_event(event_id)
    call = api_as("operator").post("/api/v1/calls", {"direction": "inbound", "from_number": "0912345678"})
    assert call.status_code == 201, call.json
    assert contact_id is not None
    return ticket_id, contact_id


def test_an_admin_exports_everything_held_about_a_citizen(app, client, api_as) -> None:
    ticket_id, contact_id = _filed(app, client, api_as)
    url = f"/api/v1/contacts/{contact_id}/export"
    assert api_as("supervisor").get(url).status_code == 403
    assert api_as(None).get(url).status_code == 401
    assert api_as("admin").get("/api/v1/contacts/999999/export").status_code == 404
    got = api_as("admin").get(url)
    assert got.status_code == 200, got.json
    data = got.json
    assert data["contact"]["phone"] == "+84912345678" and data["contact"]["name"] == NAME
    [ticket] = data["tickets"]
    assert ticket["description"] == TEXT and ticket["address"] == "12 Lê Lợi, Mỹ Tho" and len(ticket["photos"]) == 1
    assert len(data["calls"]) == 1 and any(m["kind"] == "resolve" for m in data["messages"])
    with app.app_context():
        row = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export_personal_data")).one()
        assert row.actor_label == "admin" and row.target_id == str(contact_id)


def test_erasing_a_citizen_keeps_the_ticket_and_removes_them_from_everything(app, client, api_as) -> None:
    ticket_id, contact_id = _filed(app, client, api_as)
    with app.app_context():
        [photo_key] = db.session.scalars(sa.select(TicketMedia.storage_key).where(TicketMedia.ticket_id == ticket_id))
    assert api_as("supervisor").post(f"/api/v1/contacts/{contact_id}/erase", {}).status_code == 403
    done = api_as("admin").post(f"/api/v1/contacts/{contact_id}/erase", {})
    assert done.status_code == 200, done.json
    assert done.json == {"contact_id": contact_id, "tickets": 1, "calls": 1, "messages": done.json["messages"],
                         "photos": 1} and done.json["messages"] >= 1
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert contact.phone == f"erased-{contact_id}" and contact.name is None and not contact.sms_consent
        ticket = db.session.get(Ticket, ticket_id)
        # The statistics stay: the ticket, its category, department, commune, status and dates.
        assert ticket.status == "resolved" and ticket.category.code == "TN-MT" and ticket.resolved_at is not None
        for text in (ticket.title, ticket.description, ticket.public_answer, ticket.search_text,
                     *(e.note or "" for e in ticket.events)):
            assert "0912" not in text and "345 678" not in text and NAME not in text, text
        assert ERASED in ticket.description and ERASED in (ticket.public_answer or "")
        assert ticket.address == "Lê Lợi, Mỹ Tho" and ticket.lat == 10.36
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMedia)
                                 .where(TicketMedia.ticket_id == ticket_id)) == 0
        calls = db.session.scalars(sa.select(Call)).all()
        assert [c.from_number for c in calls] == ["erased"]
        for m in db.session.scalars(sa.select(OutboundMessage).where(OutboundMessage.ticket_id == ticket_id)):
            assert m.to == ERASED and NAME not in m.body
        audited = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "erase_personal_data")).one()
        assert audited.target_id == str(contact_id) and audited.details["photos"] == 1
    try:
        with app.app_context(), get_storage(app).open(photo_key or ""):
            raise AssertionError("the photo file is still stored")
    except FileNotFoundError:
        pass
    # Nothing finds them by their number any more.
    assert api_as("operator").get("/api/v1/contacts?phone=0912345678").json["contact"] is None
    assert api_as("operator").get("/api/v1/tickets?phone=0912345678").json["total"] == 0
    # Asked again: nothing more to do, nothing fails.
    again = api_as("admin").post(f"/api/v1/contacts/{contact_id}/erase", {})
    assert again.status_code == 200 and again.json["photos"] == 0


def _contact_with_ticket(app, phone: str, closed_days_ago: int | None, status: str = "closed") -> int:
    with app.app_context():
        contact = Contact(phone=phone, name="Trần Thị Bích", created_at=datetime.now(UTC) - timedelta(days=3000))
        db.session.add(contact)
        db.session.flush()
        ticket = db.session.scalars(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1)).first()
        assert ticket is not None
        clone: dict[str, Any] = {c.name: getattr(ticket, c.name) for c in Ticket.__table__.columns
                                 if c.name not in ("id", "receipt_code", "version")}
        when = datetime.now(UTC) - timedelta(days=closed_days_ago or 0)
        clone.update(contact_id=contact.id, status=status, description="Gọi Trần Thị Bích 0987 654 321",
                     receipt_code=f"R{phone[-9:]}", created_at=when, closed_at=when if status == "closed" else None,
                     resolved_at=when if status == "closed" else None)
        db.session.execute(sa.insert(Ticket).values(**clone))
        db.session.commit()
        return contact.id


def test_the_retention_job_erases_only_citizens_whose_time_is_up(app, api_as) -> None:
    assert api_as("operator").post("/api/v1/tickets", {
        "channel": "phone", "category": "TN-MT", "description": "mẫu", "contact": {"phone": "0900000001"}}
    ).status_code == 201
    old = _contact_with_ticket(app, "+84987654321", closed_days_ago=2000)
    recent = _contact_with_ticket(app, "+84987654322", closed_days_ago=30)
    still_open = _contact_with_ticket(app, "+84987654323", closed_days_ago=2000, status="in_progress")
    called = _contact_with_ticket(app, "+84987654324", closed_days_ago=2000)
    with app.app_context():
        db.session.add(Call(direction="inbound", from_number="+84987654324", started_at=datetime.now(UTC)))
        db.session.commit()
        assert apply_retention() == 1
        assert db.session.get(Contact, old).phone == f"erased-{old}"
        [desc] = db.session.scalars(sa.select(Ticket.description).where(Ticket.contact_id == old))
        assert "0987" not in desc and "Trần Thị Bích" not in desc
        for kept in (recent, still_open, called):
            assert not db.session.get(Contact, kept).phone.startswith("erased-")
        assert db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "erase_personal_data")
                                  ).one()["reason"] == "retention"
        assert apply_retention() == 0  # done once
