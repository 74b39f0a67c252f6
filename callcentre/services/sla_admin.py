"""SLA policies and calendar exceptions: the writes that the API and the admin screens share.

Input arrives already checked by ``schemas/sla.py`` (``PolicyIn``, ``ExceptionIn``); what needs the
database (an unknown category, calendar or exception) is refused here with ``SlaAdminError``,
before anything changes. Each write adds its audit row to the caller's transaction; the caller
commits, then calls ``refresh_deadlines`` (it commits per batch, so never inside the write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from callcentre.core.extensions import db
from callcentre.core.redis_client import get_queue
from callcentre.models import CalendarException, Category, SlaClock, SlaPolicy, User, WorkCalendar
from callcentre.models.types import utcnow
from callcentre.services import audit
from callcentre.sla.calendars import calendar_row
from callcentre.sla.clocks import recompute_calendar


class SlaAdminError(ValueError):
    """A refused change: ``errors`` (English, the API's) and ``messages`` (the page's language) per field."""

    def __init__(self, errors: Mapping[str, str], messages: Mapping[str, str], status: int = 422) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors, self.messages, self.status = dict(errors), dict(messages), status


def policy_state(row: SlaPolicy) -> dict[str, Any]:
    return {"category": row.category.code, "priority": row.priority, "accept_within": row.accept_within,
            "resolve_within": row.resolve_within, "forward_within": row.forward_within, "warn_at": row.warn_at,
            "calendar": row.calendar.name}


def exception_state(row: CalendarException) -> dict[str, Any]:
    return {"id": row.id, "date": row.day.isoformat(), "kind": row.kind, "note": row.note}


def get_calendar(name: str) -> WorkCalendar:
    try:
        return calendar_row(name[:40])
    except LookupError as exc:
        raise SlaAdminError({"name": f"no calendar named '{name[:40]}'"},
                            {"name": _("Không có lịch làm việc %(name)s", name=name[:40])}, 404) from exc


def put_policy(data: Mapping[str, Any], user: User) -> tuple[SlaPolicy, bool]:
    """Create or replace the policy of ``data["category"]`` × ``data["priority"]``; True if created."""
    errors: dict[str, str] = {}
    messages: dict[str, str] = {}
    category = db.session.scalar(select(Category).where(Category.code == data["category"]))
    if category is None:
        errors["category"] = f"unknown category code '{data['category']}'"
        messages["category"] = _("Không có lĩnh vực này")
    try:
        calendar = calendar_row(data["calendar"])
    except LookupError:
        errors["calendar"] = f"unknown calendar '{data['calendar']}'"
        messages["calendar"] = _("Không có lịch làm việc này")
    if errors or category is None:
        raise SlaAdminError(errors, messages)
    policy = db.session.scalar(
        select(SlaPolicy).where(SlaPolicy.category_id == category.id, SlaPolicy.priority == data["priority"]))
    before = policy_state(policy) if policy is not None else None
    if policy is None:
        policy = SlaPolicy(category=category, priority=data["priority"])
        db.session.add(policy)
    policy.accept_within, policy.resolve_within = data["accept_within"], data["resolve_within"]
    policy.forward_within = data.get("forward_within")  # omitted: NULL, the default applies
    policy.warn_at, policy.calendar, policy.updated_by_id = data["warn_at"], calendar, user.id
    policy.updated_at = utcnow()
    db.session.flush()
    audit.record("policy_update", actor=user, target_type="policy",
                 target_id=f"{category.code}:{policy.priority}",
                 details={"before": before, "after": policy_state(policy)})
    return policy, before is None


def add_exception(name: str, data: Mapping[str, Any], user: User) -> WorkCalendar:
    """A day off (typhoon) or a worked day (swap); replaces the kind and note of that day's exception."""
    calendar = get_calendar(name)
    existing = db.session.scalar(select(CalendarException).where(
        CalendarException.calendar_id == calendar.id, CalendarException.day == data["date"]))
    before = exception_state(existing) if existing is not None else None
    if existing is not None:
        existing.kind, existing.note = data["kind"], data.get("note")
        row = existing
    else:
        row = CalendarException(day=data["date"], kind=data["kind"], note=data.get("note"), created_by_id=user.id)
        calendar.exceptions.append(row)
    calendar.revision += 1
    db.session.flush()
    audit.record("calendar_exception_add", actor=user, target_type="calendar", target_id=calendar.name,
                 details={"before": before, "after": exception_state(row)})
    return calendar


def delete_exception(name: str, exception_id: int, user: User) -> WorkCalendar:
    calendar = get_calendar(name)
    row = db.session.scalar(select(CalendarException).where(
        CalendarException.calendar_id == calendar.id, CalendarException.id == exception_id))
    if row is None:
        raise SlaAdminError({"id": f"calendar '{calendar.name}' has no exception {exception_id}"},
                            {"id": _("Lịch này không có ngày ngoại lệ đó")}, 404)
    before = exception_state(row)
    calendar.exceptions.remove(row)  # delete-orphan
    calendar.revision += 1
    db.session.flush()
    audit.record("calendar_exception_delete", actor=user, target_type="calendar", target_id=calendar.name,
                 details={"before": before, "after": None})
    return calendar


def open_clock_count(calendar_id: int) -> int:
    """The running deadlines that a change of this calendar moves."""
    return db.session.scalar(select(func.count()).select_from(SlaClock).where(
        SlaClock.calendar_id == calendar_id, SlaClock.stopped_at.is_(None), SlaClock.anchor_at.is_not(None))) or 0


def refresh_deadlines(calendar: WorkCalendar, inline: bool = False) -> int | None:
    """After the commit: move the open deadlines on ``calendar``; the count when done here, None when queued.

    ``inline`` (the admin screen, which shows the count) recomputes in the request; otherwise
    a worker does, and without Redis it is done here rather than leaving deadlines wrong."""
    calendar_id, revision = calendar.id, calendar.revision
    if not inline:
        try:
            get_queue().enqueue("callcentre.sla.jobs.recompute_calendar_job", calendar_id,
                                job_id=f"sla-recompute-{calendar_id}-{revision}")
            return None
        except Exception:  # noqa: BLE001 - no Redis: do it now rather than leave deadlines wrong
            current_app.logger.warning("recompute not queued; running it in the request", exc_info=True)
    return recompute_calendar(calendar_id)
