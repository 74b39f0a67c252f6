"""The data model, one module per aggregate; importing this registers them all."""

from callcentre.models.audit import AuditEvent
from callcentre.models.call import Call, Disposition, call_tickets
from callcentre.models.contact import Contact
from callcentre.models.feedback import TicketFeedback
from callcentre.models.idempotency import IdempotencyKey
from callcentre.models.messaging import (  # noqa: F401
    MessageStatus,
    MessageTemplate,
    NotificationOutbox,
    OutboundMessage,
    WebhookReceipt,
)
from callcentre.models.open311 import ApiClient, TicketMedia  # noqa: F401  (registers the Open311 tables)
from callcentre.models.org import Category, Department
from callcentre.models.otp import OneTimeCode
from callcentre.models.report import ReportArchive, ReportSchedule
from callcentre.models.routing import RoutingRule
from callcentre.models.session import LoginFailure, StaffSession
from callcentre.models.sla import CalendarException, SlaAlert, SlaClock, SlaPolicy, WorkCalendar
from callcentre.models.ticket import Channel, Priority, Ticket, TicketEvent
from callcentre.models.types import UTCDateTime, utcnow
from callcentre.models.user import ApiToken, User, hash_token
from callcentre.models.workflow import ExtensionRequest, Notification

__all__ = [
    "ApiToken", "AuditEvent", "CalendarException", "Call", "Category", "Channel", "Contact",
    "Department", "Disposition", "ExtensionRequest", "IdempotencyKey", "LoginFailure", "Notification", "OneTimeCode",
    "Priority", "ReportArchive", "ReportSchedule", "RoutingRule",
    "SlaAlert", "SlaClock", "SlaPolicy", "StaffSession", "Ticket", "TicketEvent", "TicketFeedback", "UTCDateTime",
    "User", "WorkCalendar",
    "call_tickets", "hash_token", "utcnow",
]
