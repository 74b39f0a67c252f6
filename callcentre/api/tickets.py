"""Tickets: intake, filtered lists, detail with history."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from callcentre.http.auth import authenticated_user, roles_required
from callcentre.http.idempotency import HEADER_DOC as IDEMPOTENCY_HEADER
from callcentre.http.idempotency import check_replay, commit_response
from callcentre.http.pagination import count_cap, envelope, paginate
from callcentre.schemas.ticket import TicketCreate, TicketDetailOut, TicketPage, TicketQuery
from callcentre.services import audit
from callcentre.services.queries import filtered_tickets, load_visible_ticket
from callcentre.services.tickets import create_ticket
from workflows.roles import INTAKE, STAFF

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets", description="Tickets (phản ánh, kiến nghị)")

# One instance for every request: building a schema (and its nested ones) costs more than a dump.
_DETAIL = TicketDetailOut()


@blp.route("", methods=["POST"])
@roles_required(*INTAKE)
@blp.arguments(TicketCreate())  # an instance: given the class, webargs builds the schema every request
@blp.response(201, TicketDetailOut())
@blp.alt_response(422, description="invalid input: the fields and the reasons")
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
def create(data: dict[str, Any]):
    """Create a ticket from a call, an app/web report or a walk-in.

    Send an ``Idempotency-Key`` header to make retries safe: a retry answers the first answer.
    """
    replay = check_replay()
    if replay is not None:
        return replay
    ticket = create_ticket(data, authenticated_user())
    return commit_response(_DETAIL.dump(ticket), 201)


@blp.route("", methods=["GET"])
@roles_required(*STAFF)
@blp.arguments(TicketQuery, location="query")
@blp.response(200, TicketPage)
def list_tickets(query: dict[str, Any]):
    """Tickets, newest first, filtered and paginated (department staff: their department only)."""
    user = authenticated_user()
    items, total = paginate(filtered_tickets(query, user), query["page"], query["per_page"], count_cap(query))
    return envelope(items, query["page"], query["per_page"], total)


@blp.route("/<int:ticket_id>")
@roles_required(*STAFF)
@blp.response(200, TicketDetailOut())
def get_ticket(ticket_id: int):
    """One ticket with its full history."""
    user = authenticated_user()
    ticket = load_visible_ticket(ticket_id, user, detail=True)
    audit.record("view_personal_data", actor=user, target_type="ticket", target_id=ticket.id,
                 details={"via": "api", "contact_id": ticket.contact_id}, commit=True)
    return ticket
