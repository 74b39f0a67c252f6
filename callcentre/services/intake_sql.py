"""The statements that write a new ticket's rows.

``pg_intake_statement`` is the PostgreSQL form: data-modifying CTEs put the contact (upsert), the
ticket, its SLA clock, its first event, the call link and the call's disposition in one
statement, so intake costs one round trip instead of five. Its shape::

    WITH ok AS (SELECT 1 WHERE catalog_stamp = :stamp AND (no cached caller OR it still matches)),
         c AS (INSERT INTO contacts ... FROM ..., ok ON CONFLICT (phone) DO UPDATE ... RETURNING ...),
         t AS (INSERT INTO tickets ... SELECT ..., (SELECT id FROM c) FROM ..., ok
               ON CONFLICT (receipt_code) DO NOTHING RETURNING id),
         k AS (INSERT INTO sla_clocks ... FROM t),
         e AS (INSERT INTO ticket_events ... FROM t RETURNING id),
         o AS (INSERT INTO notification_outbox ... FROM e),  -- the citizen's SMS (messaging/outbox.py)
         l AS (INSERT INTO call_tickets ... FROM t WHERE :call_id IS NOT NULL),
         u AS (UPDATE calls SET disposition, contact_id (where unset) WHERE id = :call_id AND EXISTS t)
    SELECT t.id, e.id, c.* FROM t JOIN e ON true LEFT JOIN c ON true

Every write selects from ``ok``, which has a row only if the catalogue stamp is current and, when
the caller came from the process's cache (``principals.py``), its token and user still match. No
row back means nothing was written (a taken receipt code, a stale stamp or a stale caller): the
caller tries again. PostgreSQL checks the foreign keys at the end of the statement, when every
CTE has run.

With ``answer=True`` the statement also stores the request's Idempotency-Key record, and the
ticket depends on it: ``ik`` is inserted first (``ON CONFLICT DO NOTHING``: a retry writes
nothing) and ``t`` selects from it. The stored answer needs ids the statement itself allocates,
so they come from ``nextval`` in ``ids`` and the answer is a JSON template whose slots
(``ANSWER_SLOTS``) PostgreSQL fills in. In this form a taken receipt code is an error (``t``
cannot skip its row once ``ik`` has one): the caller runs it alone, in autocommit, and retries.

Each row travels as one JSON parameter, unpacked by ``jsonb_populate_record`` into the table's
own row type (so PostgreSQL converts every value to its column's type). That keeps the statement
under psycopg's limits for caching its parsed form (4096 bytes, 50 parameters): longer, it was
parsed again on every call, 8% of a worker's CPU.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, TextualSelect, column, text

from callcentre.models import Contact, Disposition, NotificationOutbox, SlaClock, Ticket, TicketEvent
from callcentre.models.types import UTCDateTime
from callcentre.principals import TokenPrincipal

TICKETS, CLOCKS, EVENTS, CONTACTS = Ticket.__table__, SlaClock.__table__, TicketEvent.__table__, Contact.__table__
OUTBOX = NotificationOutbox.__table__
CONTACT_COLUMNS = tuple(CONTACTS.c[n] for n in ("id", "phone", "name", "language", "sms_opted_out_at"))
RECEIPT_CODE_CONSTRAINT = "uq_tickets_receipt_code"
# The columns _Rows (services/tickets.py) fills; the rest take their server-side defaults or NULL.
TICKET_COLUMNS = ("receipt_code", "channel", "category_id", "department_id", "priority", "title", "description",
                  "commune_code", "address", "lat", "lng", "created_by_id", "status", "resolve_deadline",
                  "escalation_level", "version", "created_at", "updated_at")
CLOCK_COLUMNS = ("kind", "calendar_id", "policy_id", "budget_seconds", "warn_fraction", "anchor_at",
                 "remaining_seconds", "due_at", "warn_at", "next_check_at", "started_at", "warned", "breached")
EVENT_COLUMNS = ("actor_id", "actor_label", "kind", "to_status", "public", "created_at", "payload")
# Where the stored answer (a JSON text) gets what only the statement knows. A slot is a whole JSON
# string token, quotes included: inside a string value the quotes would be escaped, so user text
# can never contain one.
ANSWER_SLOTS = {"ticket_id": '"@@ticket_id@@"', "event_id": '"@@event_id@@"', "contact": '"@@contact@@"'}


def _cols(names: tuple[str, ...], prefix: str = "") -> str:
    return ", ".join(prefix + n for n in names)


def _row(table: str, param: str) -> str:
    return f"jsonb_populate_record(NULL::{table}, CAST(:{param} AS jsonb)) r"


@cache
def pg_intake_statement(answer: bool = False) -> TextualSelect:
    # ok: one row if the catalogue snapshot is current and the cached caller (if one is given,
    # see principals.py) still matches its token and user. Every write selects from it.
    guard = """ok AS (
  SELECT 1 AS ok WHERE EXISTS (SELECT FROM catalog_stamp WHERE id = 1 AND stamp = :stamp)
  AND (CAST(:pt AS text) IS NULL OR EXISTS (
    SELECT FROM api_tokens a JOIN users u ON u.id = a.user_id
    WHERE a.token_hash = :pt AND a.revoked_at IS NULL AND u.active
      AND u.id = CAST(:pu AS integer) AND u.username = :pn AND u.role = :pr)))"""
    contact = f"""c AS (
  INSERT INTO contacts (phone, name, language, sms_consent, zalo_consent, created_at, updated_at)
  SELECT r.phone, r.name, r.language, true, false, r.created_at, r.created_at FROM {_row("contacts", "c")}, ok
  WHERE r.phone IS NOT NULL
  ON CONFLICT (phone) DO UPDATE SET name = COALESCE(contacts.name, EXCLUDED.name)
  RETURNING id, phone, name, language, sms_opted_out_at)"""
    if answer:
        contact_json = ("(SELECT CAST(json_build_object('id', id, 'phone', phone, 'name', name, 'language', "
                        "language, 'sms_opted_out', sms_opted_out_at IS NOT NULL) AS text) FROM c)")
        filled = "CAST(:answer_template AS text)"
        for slot, value in (("ticket_id", "CAST(ids.ticket_id AS text)"), ("event_id", "CAST(ids.event_id AS text)"),
                            ("contact", f"COALESCE({contact_json}, 'null')")):
            filled = f"replace({filled}, '{ANSWER_SLOTS[slot]}', {value})"
        ticket = f"""ids AS (
  SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS ticket_id,
         nextval(pg_get_serial_sequence('ticket_events', 'id')) AS event_id),
ik AS (
  INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)
  SELECT r.scope, r.key, r.request_hash, r.status_code, CAST({filled} AS json), r.created_at
  FROM {_row("idempotency_keys", "a")}, ids, ok
  ON CONFLICT (scope, key) DO NOTHING RETURNING id),
t AS (
  INSERT INTO tickets (id, {_cols(TICKET_COLUMNS)}, contact_id)
  SELECT ids.ticket_id, {_cols(TICKET_COLUMNS, "r.")}, (SELECT id FROM c) FROM {_row("tickets", "t")}, ids, ik
  RETURNING id),
e AS (
  INSERT INTO ticket_events (id, ticket_id, {_cols(EVENT_COLUMNS)})
  SELECT ids.event_id, t.id, {_cols(EVENT_COLUMNS, "r.")} FROM {_row("ticket_events", "e")}, t, ids
  RETURNING id)"""
    else:
        ticket = f"""t AS (
  INSERT INTO tickets ({_cols(TICKET_COLUMNS)}, contact_id)
  SELECT {_cols(TICKET_COLUMNS, "r.")}, (SELECT id FROM c) FROM {_row("tickets", "t")}, ok
  ON CONFLICT (receipt_code) DO NOTHING RETURNING id),
e AS (
  INSERT INTO ticket_events (ticket_id, {_cols(EVENT_COLUMNS)})
  SELECT t.id, {_cols(EVENT_COLUMNS, "r.")} FROM {_row("ticket_events", "e")}, t
  RETURNING id)"""
    sql = f"""WITH {guard},
{contact},
{ticket},
o AS (
  INSERT INTO notification_outbox (event_id, created_at) SELECT e.id, now() FROM e),
k AS (
  INSERT INTO sla_clocks (ticket_id, {_cols(CLOCK_COLUMNS)})
  SELECT t.id, {_cols(CLOCK_COLUMNS, "r.")} FROM {_row("sla_clocks", "k")}, t),
l AS (
  INSERT INTO call_tickets (call_id, ticket_id)
  SELECT CAST(:call_id AS integer), t.id FROM t WHERE CAST(:call_id AS integer) IS NOT NULL),
u AS (
  UPDATE calls SET disposition = COALESCE(disposition, '{Disposition.NEW_TICKET.value}'),
                   contact_id = COALESCE(contact_id, (SELECT id FROM c))
  WHERE id = CAST(:call_id AS integer) AND EXISTS (SELECT FROM t))
SELECT t.id AS ticket_id, e.id AS event_id, c.id AS contact_id, c.phone AS contact_phone, c.name AS contact_name,
       c.language AS contact_language, c.sms_opted_out_at AS contact_sms_opted_out_at
FROM t JOIN e ON true LEFT JOIN c ON true"""
    # Positional columns: SQLAlchemy then caches the result's metadata with the compiled statement
    # (by keyword it rebuilds it from the cursor's description on every call).
    return text(sql).columns(
        column("ticket_id", Integer), column("event_id", Integer), column("contact_id", Integer),
        column("contact_phone", String), column("contact_name", String), column("contact_language", String),
        column("contact_sms_opted_out_at", UTCDateTime()))


def _json(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # always timezone-aware here (UTC): PostgreSQL reads it as timestamptz
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def pg_intake_params(stamp: str, contact: dict[str, Any] | None, ticket: dict[str, Any], clock: dict[str, Any],
                     event: dict[str, Any], call_id: int | None, answer: dict[str, Any] | None = None,
                     principal: TokenPrincipal | None = None) -> dict[str, Any]:
    """Values for ``pg_intake_statement(answer=bool(answer))``; ``answer`` has scope, key, request_hash,
    status_code and the JSON template (``answer_template``); ``principal`` is a cached caller to
    re-check."""
    now = ticket["created_at"]
    p = principal
    params: dict[str, Any] = {
        "stamp": stamp, "call_id": call_id, "pt": p and p.token_hash, "pu": p and p.id, "pn": p and p.username,
        "pr": p and p.role,
        "c": _json(None if contact is None else {**contact, "created_at": now}),
        "t": _json(ticket), "k": _json(clock), "e": _json(event),
    }
    if answer is not None:
        record = {k: v for k, v in answer.items() if k != "answer_template"}
        params["a"] = _json({**record, "created_at": now})
        params["answer_template"] = answer["answer_template"]
    return params
