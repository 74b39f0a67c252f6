"""Creating tickets: one transaction, never a half-written ticket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows import sla

from ..errors import field_error
from ..extensions import db
from ..models import Call, Category, Disposition, Ticket, TicketEvent, User, utcnow
from ..receipt import new_receipt_code
from ..sla import clocks
from ..sla.policies import terms_for
from .contacts import get_or_create_contact

INITIAL_STATUS = "received"


def _unique_receipt_code() -> str:
    # 45 random bits: a clash is astronomically rare, but checking costs one indexed read.
    while True:
        code = new_receipt_code()
        if db.session.scalar(select(Ticket.id).where(Ticket.receipt_code == code)) is None:
            return code


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0]
    return first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "..."


def create_ticket(data: dict[str, Any], actor: User | None, actor_label: str | None = None) -> Ticket:
    """Validate references, then add the ticket, its contact link and its first event."""
    category = db.session.scalar(
        select(Category).where(Category.code == data["category"], Category.active.is_(True))
    )
    if category is None:
        raise field_error("category", f"unknown category code '{data['category']}'")
    call = None
    if data.get("call_id") is not None:
        call = db.session.get(Call, data["call_id"])
        if call is None:
            raise field_error("call_id", "no such call")

    # The API requires a contact; a Zalo follower who has not shared a phone yet has none.
    contact_data = data.get("contact")
    contact = get_or_create_contact(
        contact_data["phone"], contact_data.get("name"), contact_data.get("language") or "vi"
    ) if contact_data else None
    location = data.get("location") or {}
    priority = data.get("priority") or "normal"
    terms = terms_for(category.id, priority)
    ticket = Ticket(
        receipt_code=_unique_receipt_code(),
        channel=data["channel"],
        category=category,
        department_id=category.default_department_id,
        priority=priority,
        title=data.get("title") or _title_from(data["description"]),
        description=data["description"],
        commune_code=location.get("commune_code"),
        address=location.get("address"),
        lat=location.get("lat"),
        lng=location.get("lng"),
        contact=contact,
        created_by=actor,
        status=INITIAL_STATUS,
        created_at=utcnow(),
    )
    db.session.add(ticket)
    ticket.calls, ticket.media = [], []  # known empty: the response needs no query for them
    if call is not None:
        ticket.calls.append(call)
        if call.disposition is None:
            call.disposition = Disposition.NEW_TICKET.value
        if call.contact_id is None:
            call.contact = contact
    db.session.add(
        TicketEvent(
            ticket=ticket,
            actor=actor,
            actor_label=actor_label or (None if actor else "citizen"),
            kind="created",
            to_status=INITIAL_STATUS,
            payload={"channel": ticket.channel, "category": category.code,
                     "department": category.default_department.code, "call_id": data.get("call_id")},
            public=True,
        )
    )
    # The resolve clock runs from receipt; the accept clock starts at assignment. Started
    # before any flush, so the ticket is inserted with its deadline in one statement.
    clocks.start(ticket, sla.RESOLVE, ticket.created_at, terms)
    db.session.flush()  # ids for the caller's response
    return ticket
