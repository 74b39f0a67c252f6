"""Ticket statuses with their Vietnamese (default) and English labels."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    AWAITING_CITIZEN = "awaiting_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


LABELS: dict[Status, tuple[str, str]] = {
    Status.RECEIVED: ("Tiếp nhận", "Received"),
    Status.ASSIGNED: ("Đã chuyển xử lý", "Assigned"),
    Status.IN_PROGRESS: ("Đang xử lý", "In progress"),
    Status.AWAITING_CITIZEN: ("Chờ bổ sung thông tin", "Awaiting citizen"),
    Status.RESOLVED: ("Đã trả lời", "Answered"),
    Status.CLOSED: ("Đóng", "Closed"),
    Status.REJECTED: ("Không tiếp nhận", "Rejected"),
    Status.DUPLICATE: ("Trùng", "Duplicate"),
}

# Statuses in which the ticket still needs work (its SLA clocks may run).
OPEN: frozenset[Status] = frozenset(
    {Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.AWAITING_CITIZEN}
)
FINAL: frozenset[Status] = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE})
# The same as plain strings in workflow order, for SQL ``IN`` lists and query parameters.
OPEN_VALUES: tuple[str, ...] = tuple(s.value for s in Status if s in OPEN)
# Answered or final: what Open311 (and a citizen) calls "closed".
NOT_OPEN_VALUES: tuple[str, ...] = tuple(s.value for s in Status if s not in OPEN)


def label(status: str, language: str = "vi") -> str:
    vi, en = LABELS[Status(status)]
    return en if language == "en" else vi
