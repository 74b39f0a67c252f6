"""The data model, one module per aggregate; importing this registers them all."""

from .call import Call, Disposition, call_tickets
from .catalog import CatalogStamp
from .contact import Contact
from .idempotency import IdempotencyKey
from .messaging import MessageStatus, MessageTemplate, NotificationOutbox, OutboundMessage, WebhookReceipt  # noqa: F401
from .open311 import ApiClient, TicketMedia  # noqa: F401  (registers the Open311 tables)
from .org import Category, Department
from .sla import CalendarException, SlaAlert, SlaClock, SlaPolicy, WorkCalendar
from .ticket import Channel, Priority, Ticket, TicketEvent
from .types import UTCDateTime, utcnow
from .user import DEPARTMENT_ROLES, ApiToken, Role, User, hash_token
from .workflow import ExtensionRequest, Notification

__all__ = [
    "DEPARTMENT_ROLES", "ApiToken", "CalendarException", "Call", "CatalogStamp", "Category", "Channel", "Contact",
    "Department", "Disposition", "ExtensionRequest", "IdempotencyKey", "Notification", "Priority", "Role",
    "SlaAlert", "SlaClock", "SlaPolicy", "Ticket", "TicketEvent", "UTCDateTime", "User", "WorkCalendar",
    "call_tickets", "hash_token", "utcnow",
]
