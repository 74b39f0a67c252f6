"""SLA data: calendars, policies, running clocks, and recorded alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callcentre.core.extensions import Model
from callcentre.models.org import Category
from callcentre.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from callcentre.models.ticket import Ticket


class WorkCalendar(Model):
    """Office hours per weekday plus public holidays and ad-hoc exceptions."""

    __tablename__ = "work_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    tz: Mapped[str] = mapped_column(String(40), default="Asia/Ho_Chi_Minh")
    # {"0": [["07:00", "11:30"], ["13:30", "17:00"]], ...}; weekday 0 = Monday.
    hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holidays_country: Mapped[str | None] = mapped_column(String(4))
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on every change so cached calendars in other processes refresh.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    exceptions: Mapped[list[CalendarException]] = relationship(
        back_populates="calendar", order_by="CalendarException.day", cascade="all, delete-orphan"
    )


class CalendarException(Model):
    """A typhoon day off, or a Saturday worked in a government day swap."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendars.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # "day_off" | "working_day"
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    calendar: Mapped[WorkCalendar] = relationship(back_populates="exceptions")


class SlaPolicy(Model):
    """Per category and priority: time to accept, time to resolve, when to warn."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("category_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    priority: Mapped[str] = mapped_column(String(10))
    accept_within: Mapped[str] = mapped_column(String(40))  # ISO 8601 duration
    resolve_within: Mapped[str] = mapped_column(String(40))
    # Received -> assigned; NULL: ``SLA_DEFAULT_FORWARD``.
    forward_within: Mapped[str | None] = mapped_column(String(40))
    warn_at: Mapped[float] = mapped_column(Float, default=0.75)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendars.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    calendar: Mapped[WorkCalendar] = relationship()


class SlaClock(Model):
    """One running (or paused, or stopped) deadline of a ticket."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind"),
        # Running clocks by deadline, those not yet breached first: the at-risk list (not breached,
        # soonest first: the breached, most of the running ones, are not walked past), the inbox's
        # urgency and the summary's at-risk and breached counts; stopped clocks (all but the open
        # work) are not in it. PostgreSQL: what those read is included, so they need no table row.
        Index("ix_sla_clocks_running_due", "breached", "due_at", postgresql_where=text("stopped_at IS NULL"),
              sqlite_where=text("stopped_at IS NULL"), postgresql_include=["ticket_id", "kind", "warned"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(10))  # "accept" | "resolve" | "forward"
    calendar_id: Mapped[int] = mapped_column(ForeignKey("work_calendars.id"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    budget_seconds: Mapped[float] = mapped_column(Float)
    warn_fraction: Mapped[float] = mapped_column(Float)
    anchor_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None while paused
    remaining_seconds: Mapped[float] = mapped_column(Float)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    # The next instant something is owed (warning or breach); NULL when
    # nothing is. The timers and the sweep only ever look here, via the index.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stop_reason: Mapped[str | None] = mapped_column(String(40))

    calendar: Mapped[WorkCalendar] = relationship()

    # Lets a new ticket and its first clock go to the database in one flush (Ticket.clocks is viewonly).
    ticket: Mapped[Ticket] = relationship()


_RESOLVE_BREACH = text("kind = 'resolve' AND level = 'breach'")


class SlaAlert(Model):
    """A warning or breach, recorded once per ticket, clock, level and deadline."""

    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "level", "deadline"),
        Index("ix_sla_alerts_level_detected", "level", "detected_at"),
        # Tickets whose resolve deadline was breached: whether an answered ticket was late (the
        # summary's and the dashboard's on-time rates, services/reports.py late_tickets).
        Index("ix_sla_alerts_resolve_breach", "ticket_id", postgresql_where=_RESOLVE_BREACH,
              sqlite_where=_RESOLVE_BREACH),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # the clock: "accept" | "resolve" | "forward"
    level: Mapped[str] = mapped_column(String(10))  # "warning" | "breach"
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ack_comment: Mapped[str | None] = mapped_column(Text)
