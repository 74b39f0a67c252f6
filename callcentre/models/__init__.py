"""The data model, one module per aggregate; importing this registers them all."""

from .call import Call, Disposition, call_tickets
from .contact import Contact
from .idempotency import IdempotencyKey
from .org import Category, Department
from .ticket import Channel, Priority, Ticket, TicketEvent
from .types import UTCDateTime, utcnow
from .user import DEPARTMENT_ROLES, ApiToken, Role, User, hash_token

__all__ = [
    "DEPARTMENT_ROLES", "ApiToken", "Call", "Category", "Channel", "Contact", "Department",
    "Disposition", "IdempotencyKey", "Priority", "Role", "Ticket", "TicketEvent", "UTCDateTime",
    "User", "call_tickets", "hash_token", "utcnow",
]
