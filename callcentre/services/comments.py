"""Internal comments: free-form staff notes on a ticket's history (kind ``comment``), never public.

The one writer for the API (``POST /api/v1/tickets/{id}/comments``) and the ticket page; the
caller has checked that the user may see the ticket and commits."""

from __future__ import annotations

from callcentre.core.extensions import db
from callcentre.models import Ticket, TicketEvent, User
from callcentre.services.history import record_event

KIND = "comment"


def add_comment(ticket: Ticket, user: User, text: str) -> TicketEvent:
    return record_event(db.session, ticket, KIND, actor=user, note=text.strip(), public=False)
