"""Creating tickets: the one write path of every channel and every database.

The API, the operator console, Open311, inbound SMS, Zalo and voicemail all call
``create_ticket``. It writes the contact, the ticket, its resolve clock and its first history
event (with the citizen's receipt notification, see services/history.py) in the caller's
transaction; the caller commits, with its Idempotency-Key record if it has one
(http/idempotency.py). The SLA timer is scheduled after that commit (sla/timers.py).

The department comes from services/routing.py:route (rule, commune People's Committee, or the
category's default), the same for every channel; a commune the address names is stored as the
ticket's ``commune_code`` (the address text is kept as filed). A staff member's ``department``
override wins; the first history event says which it was (``routed_by``).

The ticket's columns come from the validated input itself (``ticket_columns``): a new field is a
column on ``Ticket``, its migration and a field of ``schemas.ticket.TicketCreate`` (at the top
level, or in ``location``) — nothing here lists columns by hand.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.http.errors import field_error
from callcentre.models import Call, Category, Department, Disposition, Priority, Ticket, User, utcnow
from callcentre.services import live
from callcentre.services.contacts import get_or_create_contact
from callcentre.services.history import record_event
from callcentre.services.metrics import count_ticket_created
from callcentre.services.routing import OVERRIDE, route
from callcentre.services.search import ticket_search_text
from callcentre.sla import clocks
from callcentre.sla.policies import terms_for
from workflows import sla
from workflows.states import Status

# Input keys that are not ticket columns of the same name: they are resolved to rows here.
_REFERENCES = frozenset({"category", "contact", "location", "call_id", "department"})
_TICKET_COLUMNS = frozenset(Ticket.__table__.columns.keys())


def ticket_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The ticket's own column values in validated intake ``data``: its top-level keys and those of
    ``location`` that name a ``Ticket`` column."""
    flat = {**{k: v for k, v in data.items() if k not in _REFERENCES}, **(data.get("location") or {})}
    return {k: v for k, v in flat.items() if k in _TICKET_COLUMNS}


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0]
    return first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "..."


def _free_receipt_code() -> str:
    # 45 random bits: a taken code is astronomically rare, but a look costs one indexed read.
    while True:
        code = new_receipt_code()
        if not db.session.scalar(select(exists().where(Ticket.receipt_code == code))):
            return code


def _override(code: str | None, actor: User | None) -> Department | None:
    """The department a staff member chose instead of the routing's, if any."""
    if not code:
        return None
    if actor is None:  # a citizen's channel never routes itself
        raise ValueError("a department override needs a staff actor")
    dept = db.session.scalar(select(Department).where(Department.code == code, Department.active.is_(True)))
    if dept is None:
        raise field_error("department", f"unknown department code '{code}'")
    return dept


def create_ticket(data: dict[str, Any], actor: User | None, actor_label: str | None = None) -> Ticket:
    """Write a ticket from validated ``data`` (``schemas.ticket.TicketCreate``); never commits.

    ``actor`` is the staff member who filed it, or None for a citizen's own channel, then named by
    ``actor_label`` ("citizen", "open311:<client>"). ``data["department"]``: a staff member's
    override of the routing (a department code). Raises ``ApiError`` (422) for an unknown
    category, call or department.
    """
    session = db.session
    category = session.scalar(select(Category).options(joinedload(Category.default_department))
                              .where(Category.code == data["category"], Category.active.is_(True)))
    if category is None:
        raise field_error("category", f"unknown category code '{data['category']}'")
    call = None
    if data.get("call_id") is not None:
        call = session.get(Call, data["call_id"])
        if call is None:
            raise field_error("call_id", "no such call")
    override = _override(data.get("department"), actor)
    person = data.get("contact")
    contact = None if not person else get_or_create_contact(
        person["phone"], person.get("name"), person.get("language") or "vi")
    now = utcnow()
    columns = ticket_columns(data)
    columns["title"] = columns.get("title") or _title_from(data["description"])
    columns["priority"] = columns.get("priority") or Priority.NORMAL.value  # channels without a choice
    routed = route(category, columns.get("commune_code"), columns.get("address"))
    columns["commune_code"] = routed.commune_code
    department = override or routed.department
    routed_by = OVERRIDE if department.id != routed.department.id else routed.reason
    # Read before the ticket joins the session: a query after ``add`` would autoflush it, and
    # the deadline would then cost an UPDATE of the row just inserted.
    terms = terms_for(category.id, columns["priority"])
    receipt_code = _free_receipt_code()
    ticket = Ticket(**columns, receipt_code=receipt_code, category=category,
                    department=department, contact=contact, created_by=actor,
                    status=Status.RECEIVED.value, escalation_level=0, created_at=now, updated_at=now)
    for empty in ("calls", "media", "events"):  # a new ticket has none: the answer need not read them
        set_committed_value(ticket, empty, [])
    # Derived, not input: the caller's name as known and as given now (they may differ).
    ticket.search_text = ticket_search_text(ticket.title, ticket.description, ticket.address, ticket.receipt_code,
                                            contact.name if contact else None, (person or {}).get("name"))
    session.add(ticket)
    # The resolve clock runs from receipt, the forward clock until assignment; the accept clock starts at it.
    clocks.start(ticket, sla.RESOLVE, now, terms)
    clocks.start(ticket, sla.FORWARD, now, terms)
    # No flush of its own: record_event's one flush writes the ticket, its clock and the event.
    record_event(session, ticket, "created", actor=actor, actor_label=actor_label or (None if actor else "citizen"),
                 to_status=ticket.status, public=True, at=now,
                 payload={"channel": ticket.channel, "category": category.code,
                          "department": department.code, "routed_by": routed_by,
                          "commune_found": routed.commune_found, "call_id": data.get("call_id")})
    count_ticket_created(session, ticket.channel)  # once the caller's commit stands
    live.ticket_received(session, ticket.id)  # the wall, the dashboard: after commit
    if call is not None:
        call.tickets.append(ticket)
        call.disposition = call.disposition or Disposition.NEW_TICKET.value
        if call.contact_id is None and contact is not None:
            call.contact = contact
        session.flush()
    return ticket
