"""What ``create_ticket`` returns: a new ticket as plain values, shaped like the ORM rows.

The ticket was written with Core statements (callcentre/services/tickets.py), so there are no ORM
objects to dump; these carry the attributes ``TicketDetailOut`` and ``sla.clocks.to_state`` read,
so the same schema answers with the same body. Callers that need the ORM row (to fire a workflow
trigger on it) load it with ``db.session.get(Ticket, new.id)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcentre.catalog import CategoryInfo, DepartmentInfo
from workflows.calendar import WorkingCalendar


@dataclass(frozen=True)
class ContactView:
    id: int
    phone: str
    name: str | None
    language: str
    sms_opted_out_at: datetime | None


@dataclass(frozen=True)
class ClockView:
    kind: str
    calendar_id: int
    policy_id: int | None
    budget_seconds: float
    warn_fraction: float
    anchor_at: datetime | None
    remaining_seconds: float
    due_at: datetime | None
    warn_at: datetime | None
    next_check_at: datetime | None
    started_at: datetime
    working_calendar: WorkingCalendar
    warned: bool = False
    breached: bool = False
    stopped_at: datetime | None = None
    stop_reason: str | None = None


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    payload: dict[str, Any]
    actor: Any  # the User, or None
    actor_label: str | None
    public: bool
    created_at: datetime
    note: str | None = None


@dataclass
class NewTicket:
    id: int
    receipt_code: str
    status: str
    channel: str
    priority: str
    category: CategoryInfo
    department: DepartmentInfo | None
    title: str
    description: str
    commune_code: str | None
    address: str | None
    lat: float | None
    lng: float | None
    contact: ContactView | None
    created_at: datetime
    updated_at: datetime
    resolve_deadline: datetime | None
    accept_deadline: datetime | None = None
    public_answer: str | None = None
    escalation_level: int = 0
    duplicate_of_id: int | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1
    clocks: list[ClockView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    calls: list[Any] = field(default_factory=list)
    media: list[Any] = field(default_factory=list)
