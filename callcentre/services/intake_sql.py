"""The statements that write a new ticket's rows.

``pg_intake_statement`` is the PostgreSQL form: data-modifying CTEs put the contact (upsert), the
ticket, its SLA clock, its first event and the call link in one statement, so intake costs one
round trip instead of five. Its shape::

    WITH c AS (INSERT INTO contacts ... SELECT :phone ... WHERE :phone IS NOT NULL
               ON CONFLICT (phone) DO UPDATE ... RETURNING ...),
         t AS (INSERT INTO tickets ... SELECT ..., (SELECT id FROM c)
               WHERE EXISTS (catalog_stamp = :stamp)       -- the snapshot was current
               ON CONFLICT (receipt_code) DO NOTHING RETURNING id),
         k AS (INSERT INTO sla_clocks ... SELECT t.id, ... FROM t),
         e AS (INSERT INTO ticket_events ... SELECT t.id, ... FROM t RETURNING id),
         l AS (INSERT INTO call_tickets ... SELECT :call_id, t.id FROM t WHERE :call_id IS NOT NULL)
    SELECT t.id, e.id, c.* FROM t JOIN e ON true LEFT JOIN c ON true

No row back means nothing was written (a taken receipt code or a stale catalogue stamp): the
caller tries again. PostgreSQL checks the foreign keys at the end of the statement, when every
CTE has run. The statement is built once per process; each call only binds values.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, cast, exists, false, func, select, true
from sqlalchemy.dialects import postgresql

from ..models import CatalogStamp, Contact, SlaClock, Ticket, TicketEvent, call_tickets
from ..models.types import UTCDateTime

TICKETS, CLOCKS, EVENTS, CONTACTS = Ticket.__table__, SlaClock.__table__, TicketEvent.__table__, Contact.__table__
CONTACT_COLUMNS = tuple(CONTACTS.c[n] for n in ("id", "phone", "name", "language", "sms_opted_out_at"))
# The columns _Rows (services/tickets.py) fills; the rest take their defaults.
TICKET_COLUMNS = ("receipt_code", "channel", "category_id", "department_id", "priority", "title", "description",
                  "commune_code", "address", "lat", "lng", "created_by_id", "status", "resolve_deadline",
                  "escalation_level", "version", "created_at", "updated_at")
CLOCK_COLUMNS = ("kind", "calendar_id", "policy_id", "budget_seconds", "warn_fraction", "anchor_at",
                 "remaining_seconds", "due_at", "warn_at", "next_check_at", "started_at", "warned", "breached")
EVENT_COLUMNS = ("actor_id", "actor_label", "kind", "to_status", "public", "created_at", "payload")


def _param(table: Any, column: str) -> ColumnElement[Any]:
    # Named table_column and CAST to the column's type: in a SELECT list a bare NULL would be text.
    col_type = table.c[column].type
    return cast(bindparam(f"{table.name}_{column}", type_=col_type), col_type)


@cache
def pg_intake_statement() -> Select[Any]:
    phone = _param(CONTACTS, "phone")
    now = bindparam("now", type_=UTCDateTime())
    upsert = postgresql.insert(CONTACTS).from_select(
        ["phone", "name", "language", "sms_consent", "zalo_consent", "created_at", "updated_at"],
        select(phone, _param(CONTACTS, "name"), _param(CONTACTS, "language"), true(), false(), now, now)
        .where(phone.is_not(None)),
    )
    c = upsert.on_conflict_do_update(
        index_elements=["phone"], set_={"name": func.coalesce(CONTACTS.c.name, upsert.excluded.name)}
    ).returning(*CONTACT_COLUMNS).cte("c")

    stamp_is_current = exists().where(CatalogStamp.id == 1, CatalogStamp.stamp == bindparam("stamp"))
    t = postgresql.insert(TICKETS).from_select(
        [*TICKET_COLUMNS, "contact_id"],
        select(*(_param(TICKETS, n) for n in TICKET_COLUMNS), select(c.c.id).scalar_subquery())
        .where(stamp_is_current),
    ).on_conflict_do_nothing(index_elements=["receipt_code"]).returning(TICKETS.c.id).cte("t")

    k = CLOCKS.insert().from_select(["ticket_id", *CLOCK_COLUMNS],
                                    select(t.c.id, *(_param(CLOCKS, n) for n in CLOCK_COLUMNS))).cte("k")
    e = EVENTS.insert().from_select(["ticket_id", *EVENT_COLUMNS],
                                    select(t.c.id, *(_param(EVENTS, n) for n in EVENT_COLUMNS))
                                    ).returning(EVENTS.c.id).cte("e")
    call_id = _param(call_tickets, "call_id")
    link = call_tickets.insert().from_select(["call_id", "ticket_id"],
                                             select(call_id, t.c.id).where(call_id.is_not(None))).cte("l")
    return (
        select(t.c.id.label("ticket_id"), e.c.id.label("event_id"),
               *(col.label(f"contact_{col.name}") for col in c.c))
        .select_from(t.join(e, true()).outerjoin(c, true()))
        .add_cte(k, link)  # CTEs nobody selects from: SQLAlchemy renders them only when added
    )


def pg_intake_params(stamp: str, contact: dict[str, Any] | None, ticket: dict[str, Any], clock: dict[str, Any],
                     event: dict[str, Any], call_id: int | None) -> dict[str, Any]:
    contact = contact or {"phone": None, "name": None, "language": None}
    params: dict[str, Any] = {"stamp": stamp, "now": ticket["created_at"], "call_tickets_call_id": call_id}
    for table, values in ((CONTACTS, contact), (TICKETS, ticket), (CLOCKS, clock), (EVENTS, event)):
        for name, value in values.items():
            params[f"{table.name}_{name}"] = value
    return params
