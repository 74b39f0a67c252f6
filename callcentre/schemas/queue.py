"""The triage queue (``GET /api/v1/queue``): ticket list items with the forwarding deadline and,
for a ticket a department sent back, who returned it and why."""

from __future__ import annotations

from typing import Any, cast

from marshmallow import Schema, fields

from callcentre.schemas.common import DepartmentRef, PageQuery, UTCDateTime, page_envelope
from callcentre.schemas.ticket import TicketSummaryOut


class QueueQuery(PageQuery):
    pass


def _department(returned: Any) -> dict[str, Any]:
    """The department that returned it; only its code if the code no longer names one."""
    if returned.department is not None:
        return DepartmentRef().dump(returned.department)
    return {"code": returned.department_code, "name_vi": None, "name_en": None}


class ReturnedOut(Schema):
    department = fields.Function(_department, allow_none=True, metadata={
        "type": "object", "description": "the department that sent it back: code, name_vi, name_en"})
    reason = fields.String(allow_none=True)
    at = UTCDateTime()


# A ticket list item plus the queue's columns (built with type(): TicketSummaryOut is made by a function).
QueueItemOut = cast(type[Schema], type("QueueItemOut", (TicketSummaryOut,), {
    "__doc__": "A ticket waiting in ``received``: a ticket list item plus the queue's columns.",
    "forward_deadline": UTCDateTime(allow_none=True, metadata={
        "description": "when the running forward clock (received -> assigned) is due; null if none runs"}),
    "returned": fields.Nested(ReturnedOut, allow_none=True, metadata={
        "description": "the latest return by a department, if it came back from one; else null"}),
}))


QueuePage = page_envelope(QueueItemOut, "QueuePage")
