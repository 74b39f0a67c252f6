"""Ticket schemas: intake input, and one output schema with audience field sets."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates

from callcentre.core.storage import media_url
from callcentre.formats.limits import MAX_TEXT
from callcentre.formats.receipt import display
from callcentre.models import Channel, Priority
from callcentre.schemas.common import (
    CategoryRef,
    DepartmentRef,
    Id,
    PageQuery,
    PhoneNumber,
    Text,
    UTCDateTime,
    page_envelope,
    reject_blank,
    strip_strings,
)
from callcentre.schemas.feedback import FEEDBACK_DOC, feedback_view
from workflows.states import label


class ContactIn(Schema):
    phone = PhoneNumber(required=True)
    name = Text(200, load_default=None, allow_none=True)
    language = fields.String(load_default="vi", validate=validate.OneOf(["vi", "en"]))

    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        return strip_strings(data) if isinstance(data, dict) else data



class LocationIn(Schema):
    commune_code = Text(10, load_default=None, allow_none=True)
    address = Text(500, load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))

    @validates("commune_code")
    def _known_commune(self, value: str | None, **_: Any) -> None:
        from callcentre.formats.geo import commune_exists

        if value is not None and not commune_exists(value):
            raise ValidationError("unknown commune code")


class TicketCreate(Schema):
    channel = fields.String(required=True, validate=validate.OneOf([c.value for c in Channel]))
    category = Text(50, required=True, validate=reject_blank, metadata={"description": "category code"})
    description = Text(MAX_TEXT, required=True, validate=reject_blank)
    title = Text(200, load_default=None, allow_none=True)
    priority = fields.String(
        load_default=Priority.NORMAL.value, validate=validate.OneOf([p.value for p in Priority])
    )
    contact = fields.Nested(ContactIn, required=True)
    location = fields.Nested(LocationIn, load_default=None)
    call_id = Id(load_default=None, allow_none=True)
    confidential = fields.Boolean(load_default=False, metadata={
        "description": "staff only: the ticket never appears in a public view (Open311, lookup page)"})
    department = Text(40, load_default=None, allow_none=True, metadata={
        "description": "staff only: a department code overriding the routing (GET /api/v1/routing/suggest "
                       "tells what the routing would choose)"})

    @pre_load
    def _strip(self, data: Any, **_: Any) -> Any:
        return strip_strings(data) if isinstance(data, dict) else data


class ContactOut(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String(allow_none=True)
    language = fields.String()
    sms_opted_out = fields.Function(lambda c: c.sms_opted_out_at is not None, metadata={"type": "boolean"})


class EventOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    from_status = fields.String(allow_none=True, metadata={"description": "null for the first event"})
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    payload = fields.Dict()
    actor = fields.Function(lambda e: e.actor.username if e.actor else e.actor_label, allow_none=True,
                            metadata={"type": "string", "description": "username, or who else acted"})
    public = fields.Boolean()
    created_at = UTCDateTime()


class PublicEventOut(Schema):
    kind = fields.String()
    to_status = fields.String()
    created_at = UTCDateTime()


def clock_view(clock: Any, now: Any) -> dict[str, Any]:
    """A clock with its deadline and the working time left at ``now`` (negative once overdue)."""
    from datetime import UTC

    from callcentre.sla.calendars import calendar_by_id
    from callcentre.sla.clocks import to_state
    from workflows import sla as sla_rules

    running = clock.stopped_at is None
    left = sla_rules.remaining_at(to_state(clock), now, calendar_by_id(clock.calendar_id)) if running else None
    return {
        "kind": clock.kind,
        "due_at": clock.due_at.astimezone(UTC).isoformat() if clock.due_at else None,
        "warn_at": clock.warn_at.astimezone(UTC).isoformat() if clock.warn_at else None,
        "running": running and clock.anchor_at is not None,
        "paused": running and clock.anchor_at is None,
        "remaining_seconds": round(left.total_seconds()) if left is not None else None,
        "state": ("stopped" if not running else "breached" if clock.breached
                  else "at_risk" if clock.warned else "on_time"),
    }


def _sla(ticket: Any) -> list[dict[str, Any]]:
    """Each clock of the ticket as ``clock_view`` shows it now."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return [clock_view(clock, now) for clock in ticket.clocks]


def _location(ticket: Any) -> dict[str, Any]:
    return {"commune_code": ticket.commune_code, "address": ticket.address, "lat": ticket.lat, "lng": ticket.lng}


class TicketOut(Schema):
    """Every field a staff member may see; ``PUBLIC_FIELDS`` is the citizen's subset."""

    id = fields.Integer()
    receipt_code = fields.String()
    receipt_code_display = fields.Function(lambda t: display(t.receipt_code), metadata={"type": "string"})
    status = fields.String()
    status_label = fields.Function(lambda t: {"vi": label(t.status, "vi"), "en": label(t.status, "en")})
    channel = fields.String()
    priority = fields.String()
    confidential = fields.Boolean()
    published = fields.Boolean(metadata={"description": "the answer is on /cong-khai (while resolved or closed)"})
    category = fields.Nested(CategoryRef)
    department = fields.Nested(DepartmentRef, allow_none=True)
    title = fields.String()
    description = fields.String()
    location = fields.Function(_location)
    contact = fields.Nested(ContactOut, allow_none=True)
    public_answer = fields.String(allow_none=True)
    accept_deadline = UTCDateTime(allow_none=True)
    resolve_deadline = UTCDateTime(allow_none=True)
    escalation_level = fields.Integer()
    sla = fields.Function(_sla, metadata={"description": "SLA clocks: deadline, working time left, state"})
    duplicate_of_id = fields.Integer(allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    version = fields.Integer()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    call_ids = fields.Function(lambda t: [c.id for c in t.calls],
                               metadata={"type": "array", "items": {"type": "integer"}})
    # Photos (Open311 uploads or a client's URLs) and staff attachments, in upload order; a staff
    # attachment is served only on the staff route (web/attachments.py), never on /media/.
    media = fields.Function(lambda t: [{"url": media_url(m) if m.uploaded_by_id is None
                                        else f"/tickets/{t.id}/attachments/{m.id}",
                                        "content_type": m.content_type} for m in t.media])
    events = fields.List(fields.Nested(EventOut))
    public_events = fields.Function(
        lambda t: PublicEventOut(many=True).dump([e for e in t.events if e.public])
    )
    feedback = fields.Function(feedback_view, allow_none=True, metadata=FEEDBACK_DOC)


LIST_FIELDS = (
    "id", "receipt_code", "status", "status_label", "sla", "channel", "priority", "category", "department", "title",
    "location", "contact", "accept_deadline", "resolve_deadline", "escalation_level",
    "created_at", "updated_at", "version",
)
DETAIL_FIELDS = tuple(
    f for f in TicketOut._declared_fields if f != "public_events"
)
# The citizen's view: no name, no phone, no description (it may quote personal data).
PUBLIC_FIELDS = (
    "receipt_code", "receipt_code_display", "status", "status_label", "category", "department", "public_answer",
    "created_at", "updated_at", "resolved_at", "closed_at", "resolve_deadline", "public_events",
)


def _audience(name: str, field_names: tuple[str, ...], doc: str) -> type[Schema]:
    """A schema class declaring only ``field_names`` of TicketOut (so OpenAPI shows just those)."""
    declared = TicketOut._declared_fields
    cls = Schema.from_dict({f: declared[f] for f in field_names}, name=name)
    cls.__doc__ = doc
    return cls


TicketSummaryOut = _audience("TicketSummaryOut", LIST_FIELDS, "A row of a ticket list.")
TicketDetailOut = _audience("TicketDetailOut", DETAIL_FIELDS, "A ticket with its full history (staff).")
PublicTicketOut = _audience("PublicTicketOut", PUBLIC_FIELDS, "What anyone holding the receipt code may see.")


class TicketQuery(PageQuery):
    status = Text(200, metadata={"description": "comma-separated statuses"})
    department = Text(50, metadata={"description": "department code"})
    category = Text(50, metadata={"description": "category code"})
    channel = fields.String(validate=validate.OneOf([c.value for c in Channel]))
    priority = fields.String(validate=validate.OneOf([p.value for p in Priority]))
    created_from = UTCDateTime(metadata={"description": "ISO 8601, inclusive"})
    created_to = UTCDateTime(metadata={"description": "ISO 8601, exclusive"})
    q = Text(100, validate=validate.Length(min=2), metadata={"description": "text search", "minLength": 2})
    phone = Text(30)


TicketPage = page_envelope(TicketSummaryOut, "TicketPage")

