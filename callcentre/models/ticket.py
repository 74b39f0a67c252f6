"""Tickets (phản ánh, kiến nghị) and their append-only history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Connection, Float, ForeignKey, Index, Integer, String, Text, event, false
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.contact import Contact
from callcentre.models.org import Category, Department
from callcentre.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from callcentre.models.call import Call
    from callcentre.models.open311 import TicketMedia
    from callcentre.models.sla import SlaClock
    from callcentre.models.user import User


class Channel(StrEnum):
    PHONE = "phone"
    APP = "app"
    WEB = "web"
    ZALO = "zalo"
    SMS = "sms"
    WALK_IN = "walk_in"


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Ticket(Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_department_status_created", "department_id", "status", "created_at"),
        # ?status= in list order; the open tickets per department (inbox totals, the summary, the
        # dashboard's backlog) read from the index alone (PostgreSQL: department_id included).
        Index("ix_tickets_status_created", "status", "created_at", "id", postgresql_include=["department_id"]),
        # The list order (newest first, GET /tickets at any page depth) and the inbox's rest part
        # (oldest first); the dashboard's "received in the period" counts, per department and
        # status, from the index alone (PostgreSQL: both included).
        Index("ix_tickets_created_id", "created_at", "id", postgresql_include=["department_id", "status"]),
        # ?department= and department staff's lists, in list order (services/queries.py); staff
        # see assigned tickets only, so their list's total is counted from the index alone.
        Index("ix_tickets_department_created", "department_id", "created_at", "id",
              postgresql_include=["assigned_at"]),
        # ?category= in list order; also the category foreign key's index.
        Index("ix_tickets_category_created", "category_id", "created_at", "id"),
        # ?priority=, alone or with ?category= or ?channel=, in list order; their totals counted
        # from the index (1M tickets: 190-240 ms when every row of the category or channel was
        # read to count the few urgent ones); other combinations AND the indexes as bitmaps.
        Index("ix_tickets_priority_created", "priority", "created_at", "id"),
        Index("ix_tickets_category_priority_created", "category_id", "priority", "created_at", "id"),
        Index("ix_tickets_channel_priority_created", "channel", "priority", "created_at", "id"),
        # A caller's tickets, newest first (the screen pop, ?phone=); also the contact foreign key's.
        Index("ix_tickets_contact_created", "contact_id", "created_at", "id"),
        # Tickets resolved in a period: the SLA summary, the dashboard's on-time rates; on
        # PostgreSQL the figures' columns are included, so the period is read from the index alone.
        Index("ix_tickets_resolved_at", "resolved_at",
              postgresql_include=["department_id", "created_at", "assigned_at", "accepted_at", "id"]),
        # The published answers page, newest answer first.
        Index("ix_tickets_published_resolved", "published", "resolved_at", "id"),
        # Trigram index for ``search_text LIKE '%…%'`` (services/search.py). PostgreSQL only: SQLite
        # has no such index; ``include_object`` (models/ddl.py) hides it from Alembic there.
        Index("ix_tickets_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_code: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    priority: Mapped[str] = mapped_column(String(10), default=Priority.NORMAL)
    # Staff-set at intake: no public view shows the ticket at all (services/publication.py).
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # Derived, never input: what the ticket is found by (services/search.py: ticket_search_text).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The address as filed: administrative units change, a ticket keeps its own.
    commune_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="received")
    public_answer: Mapped[str | None] = mapped_column(Text)
    # Decided when resolving (default: the category's ``publish_by_default``): the answer is shown on
    # the published answers page (services/publication.py), never a confidential ticket.
    published: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Deadlines in UTC; computed in working time by the SLA engine.
    accept_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic concurrency: an UPDATE that lost a race matches no row.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship()
    department: Mapped[Department | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", passive_deletes=True
    )
    calls: Mapped[list[Call]] = relationship(secondary="call_tickets", back_populates="tickets")
    duplicate_of: Mapped[Ticket | None] = relationship(remote_side="Ticket.id")
    clocks: Mapped[list[SlaClock]] = relationship(order_by="SlaClock.kind", viewonly=True)
    if TYPE_CHECKING:
        # Made by TicketMedia's backref (models/open311.py); declared here for the type checker only.
        media: Mapped[list[TicketMedia]]


class TicketEvent(Model):
    """One change of a ticket: who, when, what, from which state to which, why."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        # Figures by department over a period ("answers sent", "disputes") from the index alone.
        Index("ix_ticket_events_kind_created", "kind", "created_at", postgresql_include=["department_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The ticket's department once the event happened (record_event sets it): an answer counts for
    # the department that gave it, even after the ticket moves on. NULL for bulk events written
    # without it (the sweep's) and for a ticket with no department.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "system", "citizen", "sla" when no staff member acted.
    actor_label: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Whether the citizen may see this event on the public timeline.
    public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _history_is_append_only(mapper: Mapper[TicketEvent], connection: Connection, target: TicketEvent) -> None:
    raise RuntimeError("ticket history is append-only")
