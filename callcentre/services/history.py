"""The one writer of ticket history: every change of a ticket is a ``TicketEvent`` written here.

Intake, the workflow, the SLA sweep and the integrations all call ``record_event`` (one event,
through the ORM, so ``ticket.events`` sees it) or ``record_events`` (many, one Core INSERT: the
sweep's deadline storms). Both write the citizen's notification in the same transaction when the
event is one that notifies (``NOTIFY_KINDS``): a ``notification_outbox`` row, which a worker turns
into its SMS/Zalo job (messaging/outbox.py). So a notification can never be forgotten by a caller,
and no Redis round trip happens inside a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from callcentre.core.extensions import SessionLike
from callcentre.models import NotificationOutbox, Ticket, TicketEvent, User, utcnow

# Events the citizen is told about (templates per kind in messaging/templates.py).
NOTIFY_KINDS = frozenset({"created", "request_info", "resolve", "close"})
OUTBOX = NotificationOutbox.__table__


def record_event(session: SessionLike, ticket: Ticket, kind: str, *, actor: User | None = None,
                 actor_label: str | None = None, from_status: str | None = None, to_status: str | None = None,
                 note: str | None = None, payload: dict[str, Any] | None = None, public: bool = False,
                 at: datetime | None = None) -> TicketEvent:
    """Append one event to ``ticket``'s history (flushed: it has an id). ``actor_label`` names a
    non-staff author ("citizen", "system", "sla", "open311:<client>") when there is no ``actor``;
    unset, it is "system". The caller commits."""
    at = at or utcnow()
    event = TicketEvent(ticket=ticket, actor=actor, actor_label=actor_label or (None if actor else "system"),
                        kind=kind, from_status=from_status, to_status=to_status, note=note,
                        payload=payload or {}, public=public, created_at=at, department_id=_department_id(ticket))
    session.add(event)
    session.flush()
    if kind in NOTIFY_KINDS:
        session.execute(insert(OUTBOX).values(event_id=event.id, created_at=at))
    return event


def _department_id(ticket: Ticket) -> int | None:
    # The workflow sets ``ticket.department`` (the object); its id column follows only at the
    # flush. Loaded or just set, the object is the truth; else the column (read, no query).
    if "department" in ticket.__dict__:
        department = ticket.__dict__["department"]
        return department.id if department is not None else None
    return ticket.department_id


def record_events(session: SessionLike, rows: Sequence[dict[str, Any]]) -> int:
    """Append many events at once, each a dict of ``TicketEvent`` columns (``ticket_id``, ``kind``,
    ``created_at``, ...), without loading their tickets. For batch writers (the SLA sweep): the
    ORM objects of these tickets in this session do not see the new events until expired."""
    if not rows:
        return 0
    notifying = [r for r in rows if r["kind"] in NOTIFY_KINDS]
    quiet = [r for r in rows if r["kind"] not in NOTIFY_KINDS]
    if quiet:
        session.execute(insert(TicketEvent), quiet)
    if notifying:
        ids = session.scalars(insert(TicketEvent).returning(TicketEvent.id, sort_by_parameter_order=True),
                              notifying).all()
        session.execute(insert(OUTBOX), [{"event_id": i, "created_at": r["created_at"]}
                                         for i, r in zip(ids, notifying, strict=True)])
    return len(rows)
