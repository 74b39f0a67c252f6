"""Tickets: intake, filtered lists, detail with history."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from callcentre import principals
from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.http.auth import (
    INTAKE,
    STAFF,
    authenticated_user,
    reauthenticate,
    roles_required,
    visible_department_ids,
)
from callcentre.http.errors import ApiError
from callcentre.http.idempotency import AnswerRecord, Replayed, commit_response, remember_key
from callcentre.http.pagination import envelope, paginate
from callcentre.models import Category, Contact, Department, Ticket, TicketEvent, User
from callcentre.schemas.common import page_envelope
from callcentre.schemas.ticket import ContactOut, TicketCreate, TicketDetailOut, TicketQuery, TicketSummaryOut
from callcentre.services.intake_sql import ANSWER_SLOTS
from callcentre.services.ticket_views import NewTicket
from callcentre.services.tickets import begin_autocommit, create_ticket

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
_CONTACT = ContactOut()
_AUTOCOMMIT = "intake_autocommit"


@blp.before_request
def _intake_in_one_statement() -> None:
    """PostgreSQL, bearer token: an intake's only write is one atomic statement (ticket, clock,
    event, contact, call link and Idempotency-Key record), so the request needs no transaction:
    its auth read and that statement run in autocommit, saving the BEGIN and COMMIT round trips."""
    if (request.method == "POST" and request.endpoint == "tickets.create"
            and request.headers.get("Authorization", "")[:7].lower() == "bearer "
            and db.session.get_bind().dialect.name == "postgresql"):
        g.setdefault(_AUTOCOMMIT, begin_autocommit(db.session()))  # the Session, not its scoped proxy
        if g.get(_AUTOCOMMIT):
            principals.allow_unverified()  # the statement re-checks a cached caller (principals.py)


def _answer_record(pending: tuple[str, str, str]) -> tuple[AnswerRecord, dict[str, str]]:
    """The record for the ticket's statement, and where its JSON template is kept for the response."""
    holder: dict[str, str] = {}

    def template(view: NewTicket) -> str:
        body = _DETAIL.dump(view)
        slot = {k: v.strip('"') for k, v in ANSWER_SLOTS.items()}
        marked = {**body, "id": slot["ticket_id"], "contact": slot["contact"],
                  "events": [{**body["events"][0], "id": slot["event_id"]}, *body["events"][1:]]}
        # Encoded as jsonify would (the app's JSON options, compact), so the response made from it
        # is byte for byte what jsonify makes of a replay of the stored answer.
        holder["template"] = current_app.json.dumps(marked, separators=(",", ":"))
        return holder["template"]

    return AnswerRecord(*pending, template=template), holder


def _filled(template: str, ticket: NewTicket) -> str:
    """The template with the values the statement filled into the stored answer (same slots)."""
    contact = "null" if ticket.contact is None else current_app.json.dumps(
        _CONTACT.dump(ticket.contact), separators=(",", ":"))
    return (template.replace(ANSWER_SLOTS["ticket_id"], str(ticket.id))
            .replace(ANSWER_SLOTS["event_id"], str(ticket.events[0].id))
            .replace(ANSWER_SLOTS["contact"], contact))


def _create_checking_caller(data: dict[str, Any], answer: AnswerRecord | None = None) -> NewTicket:
    """create_ticket as the caller; a cached caller that no longer matches its token is looked up
    again (401/403 if it may not any more) and the ticket written as the fresh one."""
    user, cached = authenticated_user(), principals.unverified()
    try:
        return create_ticket(data, user, answer=answer, principal=cached)
    except principals.StalePrincipal:
        return create_ticket(data, reauthenticate(*INTAKE), answer=answer)


@blp.route("", methods=["POST"])
@roles_required(*INTAKE)
@blp.arguments(TicketCreate())  # an instance: given the class, webargs builds the schema every request
@blp.response(201, TicketDetailOut())
@blp.alt_response(422, description="invalid input: the fields and the reasons")
def create(data: dict[str, Any]):
    """Create a ticket from a call, an app/web report or a walk-in.

    Send an ``Idempotency-Key`` header to make retries safe: a retry answers the first answer.
    """
    pending = remember_key()  # a retry is recognised by the key's unique index (no read first)
    if pending is None or not g.get(_AUTOCOMMIT):
        ticket = _create_checking_caller(data)
        return commit_response(_DETAIL.dump(ticket), 201)
    answer, holder = _answer_record(pending)
    try:
        ticket = _create_checking_caller(data, answer)
    except Replayed as replay:
        return replay.response
    g.pop("idempotency", None)  # written by the ticket's statement, not by commit_response
    # The statement committed itself: run the after-commit hooks (SLA timer) before anything
    # else can fail. No round trip in autocommit; the answer was rendered before the write.
    db.session.commit()
    # The answer is the template already encoded for the statement: no second dump or encode.
    return current_app.response_class(_filled(holder["template"], ticket) + "\n", status=201,
                                      mimetype=current_app.json.mimetype)


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
