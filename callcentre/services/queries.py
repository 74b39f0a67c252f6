"""Reads shared by the API and the web pages: ticket lists and detail, SLA alerts and at-risk
clocks, pending extensions, a caller's history, the public lookup. Nothing here writes.

Each query is written once so that a JSON endpoint and the page showing the same list cannot
drift apart (same filters, same department scope, same order)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from callcentre.core.extensions import db
from callcentre.formats.phone import InvalidPhone, to_e164
from callcentre.formats.receipt import InvalidReceiptCode, normalize
from callcentre.http.auth import visible_department_ids
from callcentre.http.errors import ApiError
from callcentre.http.pagination import Total, capped_count, page_total
from callcentre.models import (
    Call,
    Category,
    Contact,
    Department,
    ExtensionRequest,
    SlaAlert,
    SlaClock,
    Ticket,
    TicketEvent,
    User,
)
from callcentre.services.publication import publicly_findable
from callcentre.services.search import where_search
from callcentre.sla.calendars import calendar_by_id
from callcentre.sla.clocks import to_state
from workflows import sla as sla_rules
from workflows.durations import parse_duration

HISTORY_LIMIT = 50


def department_scope(stmt: Select, column: Any, user: User, code: str | None) -> Select:
    """``stmt`` limited to the departments ``user`` may see, and to department ``code`` if given."""
    allowed = visible_department_ids(user)
    if allowed is not None:
        stmt = stmt.where(column.in_(list(allowed)))
    if code:
        stmt = stmt.where(column == _id_of(Department, code))
    return stmt


# -- tickets --------------------------------------------------------------------

def _department_sees(ticket: Ticket, allowed: Collection[int]) -> bool:
    """Department staff see a ticket once it is assigned to their department: not while it is
    ``received`` and still the operators' (``assigned_at`` unset), nor once returned (no department)."""
    return ticket.department_id in allowed and ticket.assigned_at is not None


def load_visible_ticket(ticket_id: int, user: User, *, detail: bool = False) -> Ticket:
    """The ticket if this user may see it: 404 if missing, 403 if not (yet) assigned to their department."""
    options = [joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact),
               selectinload(Ticket.clocks)]
    if detail:
        options += [selectinload(Ticket.events).joinedload(TicketEvent.actor), selectinload(Ticket.calls)]
    ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(*options))
    if ticket is None:
        raise ApiError(404, "no such ticket")
    allowed = visible_department_ids(user)
    if allowed is not None and not _department_sees(ticket, allowed):
        raise ApiError(403, "this ticket is not assigned to your department")
    return ticket


def _id_of(model: type[Department] | type[Category], code: str) -> Any:
    """The id of the row with this code, as a subquery (uncorrelated: a caller may join ``model``)."""
    return select(model.id).where(model.code == code).correlate(None).scalar_subquery()


def filtered_tickets(query: dict[str, Any], user: User) -> Select:
    """The tickets ``user`` may see matching the list filters (``TicketQuery``), newest first.
    With ``q``, one read of the matches happens here (``where_search``); the rest is a statement."""
    stmt = select(Ticket).options(
        joinedload(Ticket.category), joinedload(Ticket.department), joinedload(Ticket.contact),
        selectinload(Ticket.clocks),
    )
    allowed = visible_department_ids(user)
    if allowed is not None:  # the rule of _department_sees
        stmt = stmt.where(Ticket.department_id.in_(list(allowed)), Ticket.assigned_at.is_not(None))
    if query.get("status"):
        stmt = stmt.where(Ticket.status.in_([s.strip() for s in query["status"].split(",") if s.strip()]))
    # Codes are unique: "= (SELECT id …)" is evaluated once, and the (department_id, created_at, id)
    # and (category_id, created_at, id) indexes then give the rows in list order (IN (SELECT …)
    # would join and sort every ticket of the department).
    if query.get("department"):
        stmt = stmt.where(Ticket.department_id == _id_of(Department, query["department"]))
    if query.get("category"):
        stmt = stmt.where(Ticket.category_id == _id_of(Category, query["category"]))
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
        stmt = stmt.where(Ticket.contact_id == select(Contact.id).where(Contact.phone == phone)
                          .correlate(None).scalar_subquery())
    if query.get("q"):  # last: it reads the matches under the other filters (services/search.py)
        stmt = where_search(stmt, query["q"])
    return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())


def find_public_ticket(code: str) -> Ticket:
    """The ticket with this receipt code (any usual spelling): 422 if malformed, 404 if none or if the
    publication rules hide it (services/publication.py)."""
    try:
        canonical = normalize(code)
    except InvalidReceiptCode as exc:
        raise ApiError(422, "invalid receipt code", {"path": {"receipt_code": [str(exc)]}}) from exc
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.receipt_code == canonical, publicly_findable())
        .options(joinedload(Ticket.category), joinedload(Ticket.department), selectinload(Ticket.events))
    )
    if ticket is None:
        raise ApiError(404, "no ticket has this receipt code")
    return ticket


def caller_history(phone: str) -> dict[str, Any]:
    """A caller's contact, earlier tickets and calls, newest first (``phone`` in E.164)."""
    contact = db.session.scalar(select(Contact).where(Contact.phone == phone))
    if contact is None:
        return {"phone": phone, "contact": None, "tickets": [], "calls": []}
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.contact_id == contact.id)
        .options(joinedload(Ticket.category), joinedload(Ticket.department), selectinload(Ticket.clocks))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(HISTORY_LIMIT)
    ).all()
    calls = db.session.scalars(
        select(Call).where(Call.from_number == phone)
        .options(joinedload(Call.operator), selectinload(Call.tickets))
        .order_by(Call.started_at.desc(), Call.id.desc()).limit(HISTORY_LIMIT)
    ).all()
    return {"phone": phone, "contact": contact, "tickets": tickets, "calls": calls}


def pending_extensions_export() -> Select:
    """Deadline extensions awaiting a supervisor: (request, receipt code, deadline, requester), oldest
    first; the statement, for the CSV export to stream."""
    return (select(ExtensionRequest, Ticket.receipt_code, Ticket.resolve_deadline, User.username)
            .join(Ticket, Ticket.id == ExtensionRequest.ticket_id)
            .join(User, User.id == ExtensionRequest.requested_by_id)
            .where(ExtensionRequest.status == "pending")
            .order_by(ExtensionRequest.created_at, ExtensionRequest.id))


def pending_extensions_page(page: int, per_page: int) -> tuple[list[Row[Any]], Total]:
    """One page of the pending extensions, oldest first, and their (capped) total: the dashboard
    shows a page, not every request of a year of history."""
    stmt = pending_extensions_export()
    counted = capped_count(stmt.with_only_columns(ExtensionRequest.id))
    offset = (page - 1) * per_page
    rows = list(db.session.execute(stmt.limit(per_page).offset(offset)).all())
    return rows, page_total(counted, offset, len(rows))


# -- SLA: at risk, alerts ---------------------------------------------------------

def _at_risk(query: dict[str, Any], user: User, until: datetime) -> Select:
    """Running clocks due by ``until`` (or already warned), not yet breached, soonest first; the
    partial index ix_sla_clocks_running_due (breached, due_at) walks them in that order."""
    stmt = (
        select(SlaClock, Ticket.receipt_code, Ticket.status, Department.code, Category.code)
        .join(Ticket, Ticket.id == SlaClock.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .where(SlaClock.stopped_at.is_(None), SlaClock.breached.is_(False), SlaClock.due_at.is_not(None),
               (SlaClock.due_at <= until) | SlaClock.warned.is_(True))
        .order_by(SlaClock.due_at, SlaClock.id)
    )
    stmt = department_scope(stmt, Ticket.department_id, user, query.get("department"))
    if query.get("category"):
        stmt = stmt.where(Ticket.category_id == _id_of(Category, query["category"]))
    if query.get("kind"):
        stmt = stmt.where(SlaClock.kind == query["kind"])
    return stmt


def _at_risk_dicts(rows: Any, now: datetime) -> list[dict[str, Any]]:
    out = []
    for clock, code, status, dept, cat in rows:
        left = sla_rules.remaining_at(to_state(clock), now, calendar_by_id(clock.calendar_id))
        out.append({"ticket_id": clock.ticket_id, "receipt_code": code, "kind": clock.kind, "deadline": clock.due_at,
                    "warned": clock.warned, "remaining_seconds": int(left.total_seconds()), "department": dept,
                    "category": cat, "status": status})
    return out


def at_risk_rows(query: dict[str, Any], user: User, limit: int = 500) -> list[dict[str, Any]]:
    """Running clocks due within ``query["within"]`` (or already warned), not yet breached, soonest first."""
    now = datetime.now(UTC)
    stmt = _at_risk(query, user, now + parse_duration(query["within"]))
    return _at_risk_dicts(db.session.execute(stmt.limit(limit)), now)


def at_risk_page(query: dict[str, Any], user: User, page: int, per_page: int) -> tuple[list[dict[str, Any]], Total]:
    """One page of ``at_risk_rows`` and the total it pages (the working time left is computed for
    the page's clocks only)."""
    now = datetime.now(UTC)
    stmt = _at_risk(query, user, now + parse_duration(query["within"]))
    counted = capped_count(stmt.with_only_columns(SlaClock.id))
    offset = (page - 1) * per_page
    rows = _at_risk_dicts(db.session.execute(stmt.limit(per_page).offset(offset)), now)
    return rows, page_total(counted, offset, len(rows))


def _alert_joins(stmt: Select, acker: Any) -> Select:
    """``stmt`` (from ``sla_alerts``) joined to what an alert row shows: its ticket, category,
    department and acknowledger (``acker``, an alias of ``User``)."""
    return (
        stmt.select_from(SlaAlert)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(Department, Department.id == SlaAlert.department_id)
        .outerjoin(acker, acker.id == SlaAlert.acknowledged_by_id)
    )


def _alert_rows() -> Select:
    """Alerts as (alert, receipt code, department code, category code, acknowledger's username)."""
    acker = aliased(User)
    return _alert_joins(select(SlaAlert, Ticket.receipt_code, Department.code, Category.code, acker.username), acker)


def _alert_conditions(query: dict[str, Any], user: User) -> list[ColumnElement[bool]]:
    """The ``BreachQuery`` filters and the user's department scope, on ``SlaAlert`` (and, for
    ``category``, on ``Ticket``)."""
    where: list[ColumnElement[bool]] = [SlaAlert.level == query.get("level", "breach")]
    allowed = visible_department_ids(user)
    if allowed is not None:
        where.append(SlaAlert.department_id.in_(list(allowed)))
    if query.get("department"):
        where.append(SlaAlert.department_id == _id_of(Department, query["department"]))
    if query.get("category"):
        where.append(Ticket.category_id == _id_of(Category, query["category"]))
    if query.get("kind"):
        where.append(SlaAlert.kind == query["kind"])
    if query.get("detected_from"):
        where.append(SlaAlert.detected_at >= query["detected_from"])
    if query.get("detected_to"):
        where.append(SlaAlert.detected_at < query["detected_to"])
    if query.get("acknowledged") is not None:
        where.append(SlaAlert.acknowledged_at.is_not(None) if query["acknowledged"]
                     else SlaAlert.acknowledged_at.is_(None))
    return where


NEWEST_ALERTS = (SlaAlert.detected_at.desc(), SlaAlert.id.desc())


def alerts_query(query: dict[str, Any], user: User) -> Select:
    """Alerts of ``query["level"]`` (default breach) matching the ``BreachQuery`` filters, newest first.
    Rows are (alert, receipt code, department code, category code, acknowledger's username)."""
    return _alert_rows().where(*_alert_conditions(query, user)).order_by(*NEWEST_ALERTS)


def alerts_export(query: dict[str, Any], user: User) -> Select:
    """``alerts_query``'s alerts as plain columns, in its order: (id, receipt code, kind, deadline,
    detected at, department code, category code, acknowledged at, acknowledger's username, comment).
    Rows, not ORM objects: a 100,000-row export spends its time writing CSV, not building alerts."""
    acker = aliased(User)
    stmt = select(SlaAlert.id, Ticket.receipt_code, SlaAlert.kind, SlaAlert.deadline, SlaAlert.detected_at,
                  Department.code, Category.code, SlaAlert.acknowledged_at, acker.username, SlaAlert.ack_comment)
    return _alert_joins(stmt, acker).where(*_alert_conditions(query, user)).order_by(*NEWEST_ALERTS)


def alert_dict(alert: SlaAlert, code: str, dept: str | None, cat: str, acker: str | None) -> dict[str, Any]:
    """One row of ``alerts_query`` as ``BreachOut`` expects it."""
    return {"id": alert.id, "ticket_id": alert.ticket_id, "receipt_code": code, "kind": alert.kind,
            "level": alert.level, "deadline": alert.deadline, "detected_at": alert.detected_at, "department": dept,
            "category": cat, "acknowledged_at": alert.acknowledged_at, "acknowledged_by": acker,
            "ack_comment": alert.ack_comment}


def alerts_page(query: dict[str, Any], user: User, page: int, per_page: int) -> tuple[list[dict[str, Any]], Total]:
    """One page of ``alerts_query`` as dicts, and the total it pages (counted up to COUNT_CAP).

    The page's ids first, from ``sla_alerts`` alone (index ix_sla_alerts_level_detected; tickets
    joined only for a category filter), then those rows with their codes and names."""
    ids_stmt = select(SlaAlert.id).where(*_alert_conditions(query, user)).order_by(*NEWEST_ALERTS)
    if query.get("category"):
        ids_stmt = ids_stmt.join(Ticket, Ticket.id == SlaAlert.ticket_id)
    counted = capped_count(ids_stmt)
    offset = (page - 1) * per_page
    ids = list(db.session.scalars(ids_stmt.limit(per_page).offset(offset)))
    rows = {r[0].id: r for r in db.session.execute(_alert_rows().where(SlaAlert.id.in_(ids)))} if ids else {}
    return [alert_dict(*rows[i]) for i in ids if i in rows], page_total(counted, offset, len(ids))


def alert_view(alert: SlaAlert, user: User) -> dict[str, Any]:
    """One alert as ``alerts_query`` shows it to ``user``."""
    row = db.session.execute(alerts_query({"level": alert.level}, user).where(SlaAlert.id == alert.id)).one()
    return alert_dict(*row)
