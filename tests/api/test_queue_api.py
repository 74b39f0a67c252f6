"""GET /api/v1/queue: the tickets waiting in ``received``, by forwarding deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import SlaClock
from tests.conftest import fire, ticket_payload
from workflows import sla


def new_ticket(api_as, **kw) -> dict:
    resp = api_as("operator").post("/api/v1/tickets", ticket_payload(**kw))
    assert resp.status_code == 201, resp.json
    return resp.json


def set_forward_due(app, ticket_id: int, due: datetime) -> None:
    with app.app_context():
        db.session.execute(sa.update(SlaClock).where(SlaClock.ticket_id == ticket_id, SlaClock.kind == sla.FORWARD)
                           .values(due_at=due))
        db.session.commit()


def test_queue_orders_by_forward_deadline_and_flags_returned_tickets(app, api_as) -> None:
    op, officer = api_as("operator"), api_as("officer")
    sms = new_ticket(api_as, channel="sms", description="Cống thoát nước bị tắc ở hẻm 5")
    web = new_ticket(api_as, channel="web", description="Đèn đường hỏng trên đường Lê Lợi")
    returned = new_ticket(api_as, channel="app", description="Rác thải đổ trộm bên kênh")
    gone = new_ticket(api_as, description="Đã chuyển đi")
    fire(op, returned["id"], "assign")
    fire(officer, returned["id"], "return", reason="Không thuộc thẩm quyền Sở NN&MT")
    fire(op, gone["id"], "assign")  # no longer waiting: not in the queue
    now = datetime.now(UTC)
    # The web ticket's deadline is earliest, then the SMS one's; the returned one restarted its clock last.
    set_forward_due(app, web["id"], now + timedelta(minutes=1))
    set_forward_due(app, sms["id"], now + timedelta(minutes=2))
    body = op.get("/api/v1/queue").json
    assert [i["id"] for i in body["items"]] == [web["id"], sms["id"], returned["id"]]
    assert body["total"] == 3 and body["page"] == 1 and body["total_is_estimate"] is False
    by_id = {i["id"]: i for i in body["items"]}
    assert by_id[sms["id"]]["channel"] == "sms" and by_id[sms["id"]]["returned"] is None
    assert datetime.fromisoformat(by_id[sms["id"]]["forward_deadline"]) == now + timedelta(minutes=2)
    back = by_id[returned["id"]]["returned"]
    assert back["reason"] == "Không thuộc thẩm quyền Sở NN&MT"
    assert back["department"]["code"] == "SNNMT" and back["department"]["name_vi"]
    assert datetime.fromisoformat(back["at"]) <= datetime.now(UTC)
    # The returned ticket's forward clock restarted at the return: its deadline is after it.
    assert datetime.fromisoformat(by_id[returned["id"]]["forward_deadline"]) > datetime.fromisoformat(back["at"])
    # Each item is a ticket list item (same fields as GET /tickets) plus the queue's two.
    listed = op.get("/api/v1/tickets").json["items"][0]
    assert set(by_id[sms["id"]]) == set(listed) | {"forward_deadline", "returned"}
    # A ticket with no running forward clock (stored before it existed) comes last, oldest first.
    with app.app_context():
        db.session.execute(sa.delete(SlaClock).where(SlaClock.ticket_id == web["id"], SlaClock.kind == sla.FORWARD))
        db.session.commit()
    items = op.get("/api/v1/queue").json["items"]
    assert [i["id"] for i in items] == [sms["id"], returned["id"], web["id"]]
    assert items[-1]["forward_deadline"] is None


def test_equal_deadlines_then_oldest_first_and_pagination(app, api_as) -> None:
    ids = [new_ticket(api_as, description=f"Phản ánh số {n}")["id"] for n in range(5)]
    due = datetime.now(UTC) + timedelta(minutes=3)
    for tid in ids:
        set_forward_due(app, tid, due)
    sup = api_as("supervisor")
    first = sup.get("/api/v1/queue?per_page=2").json
    assert [i["id"] for i in first["items"]] == ids[:2] and first["total"] == 5 and first["per_page"] == 2
    last = sup.get("/api/v1/queue?per_page=2&page=3").json
    assert [i["id"] for i in last["items"]] == ids[4:]
    assert sup.get("/api/v1/queue?per_page=2&page=4").json["items"] == []
    bad = sup.get("/api/v1/queue?per_page=0")
    assert bad.status_code == 422 and "per_page" in bad.json["errors"]["query"]
    assert sup.get("/api/v1/queue?page=abc").status_code == 422
    unknown = sup.get("/api/v1/queue?status=closed")  # no filters: a misspelt or foreign one is named
    assert unknown.status_code == 422 and "status" in unknown.json["errors"]["query"]


def test_roles(api_as) -> None:
    new_ticket(api_as)
    assert api_as(None).get("/api/v1/queue").status_code == 401
    assert api_as("officer").get("/api/v1/queue").status_code == 403
    assert api_as("head").get("/api/v1/queue").status_code == 403
    for user in ("operator", "supervisor", "admin"):
        assert api_as(user).get("/api/v1/queue").status_code == 200, user
