"""Creating tickets: one transaction, never a half-written ticket.

Every channel (API, operator console, Open311, inbound SMS, Zalo) comes through ``create_ticket``.
It is the hottest write of the system (bench/intake.py), so:

* the routing catalogue comes from the per-process snapshot (callcentre/catalog.py);
* the rows are written with Core, not the unit of work: on PostgreSQL in one statement
  (``intake_sql.pg_intake_statement``), elsewhere one statement per table;
* no uniqueness pre-check for the receipt code: ``ON CONFLICT DO NOTHING``, then another code.

It returns a :class:`NewTicket` that the ticket schemas dump like the ORM row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcentre.catalog import Catalog, CategoryInfo, IntakeTerms, current_catalog
from callcentre.core.after_commit import CommittedEvent, announce_event
from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.http.errors import field_error
from callcentre.http.idempotency import AnswerRecord
from callcentre.models import Call, Disposition, User, call_tickets, utcnow
from callcentre.principals import StalePrincipal, TokenPrincipal
from callcentre.services import intake_sql as q
from callcentre.services.contacts import contact_upsert
from callcentre.services.ticket_views import ClockView, ContactView, EventView, NewTicket
from callcentre.sla import timers
from callcentre.sla.clocks import initial_state
from workflows import sla

INITIAL_STATUS = "received"
Actor = User | TokenPrincipal  # a cached bearer-token caller stands in for its User at intake
# An attempt writes nothing when its receipt code is taken (45 random bits: astronomically rare)
# or, on PostgreSQL, when the catalogue snapshot turned out stale; the next one fixes either.
_ATTEMPTS = 4


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0]
    return first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "..."


def begin_autocommit(session: Session) -> bool:
    """Give this session an autocommit connection, if nothing has used it yet: for a request whose
    only write is one atomic statement (then no BEGIN and no COMMIT round trips). True if it took."""
    if session.in_transaction():
        return False
    conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def create_ticket(data: dict[str, Any], actor: Actor | None, actor_label: str | None = None,
                  answer: AnswerRecord | None = None, principal: TokenPrincipal | None = None) -> NewTicket:
    """Validate references, then write the ticket, its contact, its first event and its SLA clock.

    Runs in the caller's transaction (nothing is committed here); the SLA timer is handed to the
    after-commit hooks, and the citizen's notification is an outbox row written with the ticket.

    ``answer``: on PostgreSQL, for a session in autocommit (``begin_autocommit``), the ticket's
    statement also writes this Idempotency-Key record; a retry whose first answer is stored raises
    ``Replayed``. Elsewhere it is ignored (the caller stores the record at commit, see
    ``commit_response``).

    ``principal``: a caller taken from the process's cache (principals.py), re-checked by the
    PostgreSQL statement; if that writes nothing, ``StalePrincipal`` is raised and the caller
    must look the token up again. Elsewhere it must be None.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()  # the Core statements below must see what the caller already changed
    dialect = session.get_bind().dialect.name
    one_statement = dialect == "postgresql"
    # PostgreSQL checks the snapshot's stamp inside the write itself; elsewhere it is read first.
    catalog = current_catalog(session, verify=not one_statement)
    call = None
    if data.get("call_id") is not None:
        call = session.get(Call, data["call_id"])
        if call is None:
            raise field_error("call_id", "no such call")
    answer = answer if one_statement else None
    for _ in range(_ATTEMPTS):
        category = _category(session, catalog, data["category"])
        rows = _Rows.build(data, category, catalog, actor, actor_label, call)
        if one_statement:
            written = _write_one_statement(session, rows, call, answer, principal)
        else:
            written = _write_sequentially(session, dialect, rows)
        if written is not None:
            break
        if principal is not None:
            raise StalePrincipal  # or a stale stamp, or a taken code: the retry after the lookup tells
        if answer is not None:
            answer.replay_if_stored()  # a retry of an answered request
        catalog = current_catalog(session, verify=True)
    else:
        raise RuntimeError(f"ticket not written after {_ATTEMPTS} attempts (receipt codes taken?)")
    ticket_id, event_id, contact = written
    if call is not None:
        if one_statement:  # the statement linked the call and set its disposition and caller
            session.expire(call, ["tickets", "disposition", "contact_id"])
        else:
            session.expire(call, ["tickets"])  # the link row was written behind the ORM's back
            if call.disposition is None:
                call.disposition = Disposition.NEW_TICKET.value
            if call.contact_id is None and contact is not None:
                call.contact_id = contact.id
    timers.after_commit_reschedule(session, new=rows.state.next_check_at, old=None)
    announce_event(session, CommittedEvent(event_id, ticket_id, "created", None, INITIAL_STATUS))
    return rows.view(ticket_id, event_id, contact, call)


def _category(session: Session, catalog: Catalog, code: str) -> CategoryInfo:
    category = catalog.category(code)
    if category is None:  # perhaps added since the snapshot was taken: ask the database
        category = current_catalog(session, verify=True).category(code)
    if category is None:
        raise field_error("category", f"unknown category code '{code}'")
    return category


@dataclass(frozen=True)
class _Rows:
    """The column values of one new ticket's rows, computed once per attempt (a fresh receipt code)."""

    now: datetime
    state: sla.ClockState
    terms: IntakeTerms
    category: CategoryInfo
    actor: Actor | None
    stamp: str  # the catalogue snapshot these values were computed from
    contact: dict[str, Any] | None
    ticket: dict[str, Any]
    clock: dict[str, Any]
    event: dict[str, Any]
    call_id: int | None

    @classmethod
    def build(cls, data: dict[str, Any], category: CategoryInfo, catalog: Catalog, actor: Actor | None,
              actor_label: str | None, call: Call | None) -> _Rows:
        now = utcnow()
        priority = data.get("priority") or "normal"
        terms = catalog.terms(category.id, priority)
        # The resolve clock runs from receipt; the accept clock starts at assignment.
        state = initial_state(sla.RESOLVE, now, terms)
        location = data.get("location") or {}
        contact = data.get("contact")
        label = actor_label or (None if actor else "citizen")
        return cls(
            now=now, state=state, terms=terms, category=category, actor=actor, stamp=catalog.stamp,
            contact=None if not contact else {
                "phone": contact["phone"], "name": contact.get("name"), "language": contact.get("language") or "vi"},
            ticket={
                "receipt_code": new_receipt_code(), "channel": data["channel"], "category_id": category.id,
                "department_id": category.department.id, "priority": priority,
                "title": data.get("title") or _title_from(data["description"]), "description": data["description"],
                "commune_code": location.get("commune_code"), "address": location.get("address"),
                "lat": location.get("lat"), "lng": location.get("lng"),
                "created_by_id": actor.id if actor else None, "status": INITIAL_STATUS,
                "resolve_deadline": state.due_at, "escalation_level": 0, "version": 1,
                "created_at": now, "updated_at": now,
            },
            clock={
                "kind": sla.RESOLVE, "calendar_id": terms.calendar_id, "policy_id": terms.policy_id,
                "budget_seconds": state.budget.total_seconds(), "warn_fraction": terms.warn_at,
                "anchor_at": state.anchor_at, "remaining_seconds": state.remaining.total_seconds(),
                "due_at": state.due_at, "warn_at": state.warn_at, "next_check_at": state.next_check_at,
                "started_at": now, "warned": state.warned, "breached": state.breached,
            },
            event={
                "actor_id": actor.id if actor else None, "actor_label": label, "kind": "created",
                "to_status": INITIAL_STATUS, "public": True, "created_at": now,
                "payload": {"channel": data["channel"], "category": category.code,
                            "department": category.department.code, "call_id": data.get("call_id")},
            },
            call_id=call.id if call is not None else None,
        )

    def view(self, ticket_id: int, event_id: int, contact: ContactView | None, call: Call | None) -> NewTicket:
        t, e = self.ticket, self.event
        return NewTicket(
            id=ticket_id, category=self.category, department=self.category.department, contact=contact,
            clocks=[ClockView(**self.clock, working_calendar=self.terms.calendar)],
            events=[EventView(id=event_id, kind=e["kind"], from_status=None, to_status=e["to_status"],
                              payload=e["payload"], actor=self.actor, actor_label=e["actor_label"],
                              public=e["public"], created_at=e["created_at"])],
            calls=[call] if call is not None else [],
            **{k: t[k] for k in ("receipt_code", "status", "channel", "priority", "title", "description",
                                 "commune_code", "address", "lat", "lng", "created_at", "updated_at",
                                 "resolve_deadline")},
        )


Written = tuple[int, int, ContactView | None]  # ticket id, event id, contact


def _write_one_statement(session: Session, rows: _Rows, call: Call | None, answer: AnswerRecord | None,
                         principal: TokenPrincipal | None) -> Written | None:
    """PostgreSQL: every row in one round trip, with ``answer``'s Idempotency-Key record too (the
    session is then in autocommit). None if nothing was written: a taken receipt code, a stale
    stamp, a stale ``principal``, or (with ``answer``) a retry whose record exists."""
    record = None if answer is None else {
        "scope": answer.scope, "key": answer.key, "request_hash": answer.request_hash,
        "status_code": answer.status_code, "answer_template": answer.template(rows.view(0, 0, None, call))}
    params = q.pg_intake_params(rows.stamp, rows.contact, rows.ticket, rows.clock, rows.event, rows.call_id, record,
                                principal)
    try:
        row = session.execute(q.pg_intake_statement(answer=record is not None), params).first()
    except IntegrityError as exc:
        # Only the answer form raises on a taken receipt code (see intake_sql); in autocommit the
        # failed statement left nothing behind, so another code can be tried.
        if record is None or getattr(getattr(exc.orig, "diag", None), "constraint_name",
                                     None) != q.RECEIPT_CODE_CONSTRAINT:
            raise
        return None
    if row is None:
        return None
    contact = None if row.contact_id is None else ContactView(
        row.contact_id, row.contact_phone, row.contact_name, row.contact_language, row.contact_sms_opted_out_at)
    return row.ticket_id, row.event_id, contact


def _write_sequentially(session: Session, dialect: str, rows: _Rows) -> Written | None:
    """One statement per table (SQLite: no network round trips to save); None if the code is taken."""
    contact = None
    if rows.contact is not None:
        c = rows.contact
        found = session.execute(contact_upsert(dialect, c["phone"], c["name"], c["language"], rows.now)
                                .returning(*q.CONTACT_COLUMNS)).one()
        contact = ContactView(*found)
    ticket_id = session.execute(
        upsert_insert(dialect, q.TICKETS).values(contact_id=contact.id if contact else None, **rows.ticket)
        .on_conflict_do_nothing(index_elements=["receipt_code"]).returning(q.TICKETS.c.id)
    ).scalar()
    if ticket_id is None:
        return None
    session.execute(insert(q.CLOCKS).values(ticket_id=ticket_id, **rows.clock))
    event_id = session.execute(insert(q.EVENTS).values(ticket_id=ticket_id, **rows.event)
                               .returning(q.EVENTS.c.id)).scalar_one()
    session.execute(insert(q.OUTBOX).values(event_id=event_id, created_at=rows.now))
    if rows.call_id is not None:
        session.execute(insert(call_tickets).values(call_id=rows.call_id, ticket_id=ticket_id))
    return ticket_id, event_id, contact
