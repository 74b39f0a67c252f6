"""Tickets: intake, filtered lists, detail with history."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth import INTAKE, STAFF, authenticated_user, roles_required, visible_department_ids
from ..errors import ApiError
from ..extensions import db
from ..idempotency import commit_response, remember_key
from ..models import Category, Contact, Department, Ticket, TicketEvent, User
from ..phone import InvalidPhone, to_e164
from ..schemas.common import page_envelope
from ..schemas.ticket import TicketCreate, TicketDetailOut, TicketQuery, TicketSummaryOut
from ..services.tickets import create_ticket
from .pagination import envelope, paginate

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets (phản ánh, kiến nghị)")

TicketList = page_envelope(TicketSummaryOut, "TicketPage")


def load_visible_ticket(ticket_id: int, user: User, *, detail: bool = False) -> Ticket:
    """The ticket if this user may see it: 404 if missing, 403 if another department's."""
    options = [joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact),
               selectinload(Ticket.clocks)]
    if detail:
        options += [selectinload(Ticket.events).joinedload(TicketEvent.actor), selectinload(Ticket.calls)]
    ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(*options))
    if ticket is None:
        raise ApiError(404, "no such ticket")
    allowed = visible_department_ids(user)
    if allowed is not None and ticket.department_id not in allowed:
        raise ApiError(403, "this ticket belongs to another department")
    return ticket


# One instance for every request: building a schema (and its nested ones) costs more than a dump.
_DETAIL = TicketDetailOut()


@blp.route("", methods=["POST"])
@roles_required(*INTAKE)
@blp.arguments(TicketCreate())  # an instance: given the class, webargs builds the schema every request
@blp.response(201, TicketDetailOut())
@blp.alt_response(422, description="invalid input: the fields and the reasons")
def create(data: dict[str, Any]):
    """Create a ticket from a call, an app/web report or a walk-in.

    Send an ``Idempotency-Key`` header to make retries safe: a retry answers the first answer.
    """
    remember_key()  # a retry is recognised at commit, by the key's unique index (no read first)
    user = authenticated_user()
    ticket = create_ticket(data, user)
    body = _DETAIL.dump(ticket)
    return commit_response(body, 201)


def _filtered(query: dict[str, Any], user: User) -> Select:
    stmt = select(Ticket).options(
        joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact),
        selectinload(Ticket.clocks),
    )
    allowed = visible_department_ids(user)
    if allowed is not None:
        stmt = stmt.where(Ticket.department_id.in_(list(allowed)))
    if query.get("status"):
        stmt = stmt.where(Ticket.status.in_([s.strip() for s in query["status"].split(",") if s.strip()]))
    if query.get("department"):
        stmt = stmt.where(Ticket.department_id.in_(
            select(Department.id).where(Department.code == query["department"])))
    if query.get("category"):
        stmt = stmt.where(Ticket.category_id.in_(
            select(Category.id).where(Category.code == query["category"])))
    for name in ("channel", "priority"):
        if query.get(name):
            stmt = stmt.where(getattr(Ticket, name) == query[name])
    if query.get("created_from"):
        stmt = stmt.where(Ticket.created_at >= query["created_from"])
    if query.get("created_to"):
        stmt = stmt.where(Ticket.created_at < query["created_to"])
    if query.get("phone"):
        try:
            phone = to_e164(query["phone"])
        except InvalidPhone as exc:
            raise ApiError(422, "invalid input", {"query": {"phone": [str(exc)]}}) from exc
        stmt = stmt.where(Ticket.contact_id.in_(select(Contact.id).where(Contact.phone == phone)))
    if query.get("q"):
        pattern = f"%{query['q']}%"
        stmt = stmt.where(or_(Ticket.title.ilike(pattern), Ticket.description.ilike(pattern),
                              Ticket.receipt_code == query["q"].upper().replace("-", "")))
    return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())


@blp.route("", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(TicketQuery, location="query")
@blp.response(200, TicketList)
def list_tickets(query: dict[str, Any]):
    """Tickets, newest first, filtered and paginated (department staff: their department only)."""
    user = authenticated_user()
    items, total = paginate(_filtered(query, user), query["page"], query["per_page"])
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/<int:ticket_id>")
@roles_required(*STAFF)
@blp.response(200, TicketDetailOut())
def get_ticket(ticket_id: int):
    """One ticket with its full history."""
    user = authenticated_user()
    return load_visible_ticket(ticket_id, user, detail=True)
