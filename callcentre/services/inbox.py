"""The department inbox: the tickets a user may see, most urgent first (the soonest deadline of a
running clock), then the tickets with no running deadline, oldest first. One page, or the whole
list for the CSV export, streamed.

``ORDER BY urgency NULLS LAST, created_at, id`` in one statement would make the database work
out every matching ticket's urgency and sort them all (every ticket ever, for ``status=all``).
The same order is read in two parts instead:

- the urgent part: tickets with a running deadline, by that deadline. Only open tickets' clocks
  run (the workflow stops them on resolve, close, reject and merge), so this part is as large
  as the open work, never as the history; when the status filter allows no open status it is
  empty and not read;
- the rest, oldest first: a walk of the ``(created_at, id)`` index that stops at the page.

A ticket has at most one clock of each kind (unique ``(ticket_id, kind)``), so joining its
running accept and resolve clocks gives one row per ticket, and its urgency is the earlier of
their deadlines (a paused clock has none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from callcentre.core.extensions import db
from callcentre.http.pagination import Total, capped_count, count_cap, load_in_order, page_total
from callcentre.models import Category, Department, SlaClock, Ticket, User
from callcentre.services.queries import filtered_tickets
from workflows.states import OPEN_VALUES

ACCEPT_CLOCK = aliased(SlaClock, name="accept_clock")
RESOLVE_CLOCK = aliased(SlaClock, name="resolve_clock")
# The earlier deadline of the two running clocks; NULL when neither runs towards one.
URGENCY: ColumnElement[Any] = case(
    (ACCEPT_CLOCK.due_at.is_(None), RESOLVE_CLOCK.due_at),
    (RESOLVE_CLOCK.due_at.is_(None), ACCEPT_CLOCK.due_at),
    (ACCEPT_CLOCK.due_at <= RESOLVE_CLOCK.due_at, ACCEPT_CLOCK.due_at),
    else_=RESOLVE_CLOCK.due_at,
)
HAS_DEADLINE: ColumnElement[bool] = or_(ACCEPT_CLOCK.due_at.is_not(None), RESOLVE_CLOCK.due_at.is_not(None))
EXPORT_LIMIT = 10_000


def _running(clock: Any, kind: str) -> ColumnElement[bool]:
    return and_(clock.ticket_id == Ticket.id, clock.kind == kind, clock.stopped_at.is_(None))


def _with_clocks(stmt: Select) -> Select:
    return (stmt.outerjoin(ACCEPT_CLOCK, _running(ACCEPT_CLOCK, "accept"))
            .outerjoin(RESOLVE_CLOCK, _running(RESOLVE_CLOCK, "resolve")))


def _may_have_running_clocks(query: dict[str, Any]) -> bool:
    statuses = [s.strip() for s in (query.get("status") or "").split(",") if s.strip()]
    return not statuses or any(s in OPEN_VALUES for s in statuses)


def inbox_parts(query: dict[str, Any], user: User, *columns: Any,
                clocks: bool = False) -> tuple[Select | None, Select]:
    """The two parts of the inbox order as statements of ``columns`` (urgent part, rest); the
    urgent part is None when it must be empty. ``clocks``: the running clocks are joined to the
    rest too (as ``ACCEPT_CLOCK``/``RESOLVE_CLOCK``), for columns that show them."""
    base = filtered_tickets(query, user).order_by(None).with_only_columns(*columns)
    if not _may_have_running_clocks(query):
        rest = _with_clocks(base) if clocks else base
        return None, rest.order_by(Ticket.created_at, Ticket.id)
    joined = _with_clocks(base)
    urgent = joined.where(HAS_DEADLINE).order_by(URGENCY, Ticket.created_at, Ticket.id)
    return urgent, joined.where(~HAS_DEADLINE).order_by(Ticket.created_at, Ticket.id)


def inbox_page(query: dict[str, Any], user: User, page: int, per_page: int) -> tuple[list[Ticket], Total]:
    """One page of the inbox (tickets with ``filtered_tickets``' loader options) and its total.

    The total is the inbox's tickets, both parts, counted like any list (up to COUNT_CAP, from
    the tickets' indexes alone; no clock is joined to count). How many tickets the urgent part
    holds is needed only when the page goes past its end: it is then the page's own offset plus
    its urgent rows, or, for a page wholly in the rest, a count."""
    urgent, rest = inbox_parts(query, user, Ticket.id)
    offset = (page - 1) * per_page
    ids: list[int] = []
    if urgent is not None:
        ids = list(db.session.scalars(urgent.limit(per_page).offset(offset)))
    if len(ids) < per_page:
        if ids or urgent is None or offset == 0:
            n_urgent = offset + len(ids) if ids else 0
        else:  # the page starts past the urgent part
            n_urgent = db.session.scalar(select(func.count()).select_from(urgent.order_by(None).subquery())) or 0
        ids += db.session.scalars(rest.limit(per_page - len(ids)).offset(max(0, offset - n_urgent)))
    stmt = filtered_tickets(query, user)
    return load_in_order(stmt, Ticket.id, ids), page_total(capped_count(stmt, count_cap(query)), offset, len(ids))


EXPORT_COLUMNS = (Ticket.receipt_code, Ticket.status, Category.code, Department.code, Ticket.priority,
                  Ticket.created_at, Ticket.resolve_deadline, Ticket.title, ACCEPT_CLOCK, RESOLVE_CLOCK)


def inbox_export(query: dict[str, Any], user: User, limit: int = EXPORT_LIMIT) -> Iterator[Any]:
    """Up to ``limit`` inbox rows in inbox order, as ``EXPORT_COLUMNS``, read with server-side
    cursors (``yield_per``): memory does not grow with the rows, and the first comes at once.
    The statements are built here (a bad filter fails now, not halfway through a download)."""
    parts = [(part.join(Category, Category.id == Ticket.category_id)
              .outerjoin(Department, Department.id == Ticket.department_id))
             for part in inbox_parts(query, user, *EXPORT_COLUMNS, clocks=True) if part is not None]

    def rows() -> Iterator[Any]:
        left = limit
        for stmt in parts:
            if left <= 0:
                return
            for row in db.session.execute(stmt.limit(left).execution_options(yield_per=500)):
                left -= 1
                yield row

    return rows()
