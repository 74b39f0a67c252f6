"""Repair after a Redis outage: the database says what should have been sent.

A notification job lives in Redis once the outbox dispatcher has queued it
(outbox.py), so it can be lost with Redis. ``repair`` finds notifiable events
with neither a message row nor an outbox row, and queued messages that are due,
and enqueues their (idempotent) jobs again.
Run it from cron or by hand: ``flask --app wsgi messages-repair``.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import exists, or_, select

from callcentre.core.extensions import db
from callcentre.messaging.outbound import enqueue_notify_jobs, schedule_send
from callcentre.models import MessageStatus, NotificationOutbox, OutboundMessage, Ticket, TicketEvent
from callcentre.models.types import utcnow
from callcentre.services.history import NOTIFY_KINDS


def repair(hours: int = 24) -> tuple[int, int]:
    """(events re-notified, messages re-enqueued) for the last ``hours``."""
    since = utcnow() - timedelta(hours=hours)
    missing = db.session.scalars(
        select(TicketEvent.id).where(TicketEvent.kind.in_(NOTIFY_KINDS), TicketEvent.created_at >= since,
                                     ~exists().where(OutboundMessage.event_id == TicketEvent.id),
                                     # still in the outbox: the dispatcher's, not lost
                                     ~exists().where(NotificationOutbox.event_id == TicketEvent.id))
    ).all()
    enqueue_notify_jobs(list(missing))
    due = db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.status == MessageStatus.QUEUED.value, OutboundMessage.created_at >= since,
            or_(OutboundMessage.scheduled_for.is_(None), OutboundMessage.scheduled_for <= utcnow()))
    ).all()
    for message in due:
        # A duplicate job is harmless: the send claims the row first.
        schedule_send(message, db.session.get(Ticket, message.ticket_id) if message.ticket_id else None)
    return len(missing), len(due)


@click.command("messages-repair")
@click.option("--hours", default=24, show_default=True, help="look this far back")
@with_appcontext
def repair_command(hours: int) -> None:
    """Re-enqueue citizen notifications lost while Redis was unavailable."""
    events, messages = repair(hours)
    click.echo(f"re-notified {events} event(s), re-enqueued {messages} message(s)", err=True)
