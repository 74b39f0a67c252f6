"""A varied ticket history written quickly (bulk INSERTs, not the API), for the read tests.

Every status, running, paused, warned, breached and stopped clocks, resolve and accept breach
alerts (some acknowledged), calls (answered, abandoned, called back) from a few callers, one of
them frequent, and pending extension requests; deterministic for a seed. The rows keep the
invariants the reads rely on: only open tickets have running clocks, a ticket has at most one
clock of each kind, a paused clock has no deadline."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.formats.receipt import new_receipt_code
from callcentre.models import (
    Call,
    Category,
    Contact,
    ExtensionRequest,
    SlaAlert,
    SlaClock,
    Ticket,
    User,
    call_tickets,
)
from callcentre.sla.calendars import TWENTY_FOUR_SEVEN, calendar_row

STATUSES = ("received", "assigned", "in_progress", "awaiting_citizen", "resolved", "closed", "rejected", "duplicate")
WEIGHTS = (6, 8, 12, 4, 15, 45, 5, 5)
CHANNELS = ("phone", "app", "web", "zalo", "sms", "walk_in")
PRIORITIES = ("normal", "normal", "normal", "high", "urgent")
FREQUENT_PHONE = "+84912000001"
FOCUS_CATEGORIES = ("TN-MT", "DAT-DAI")
UNANSWERED = (None, "abandoned", "callback_done")


@dataclass
class History:
    ticket_ids: list[int] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def _contacts(rng: random.Random, seed: int) -> list[int]:
    phones = [FREQUENT_PHONE] + [f"+849130{seed:02d}{i:03d}" for i in range(20)]
    existing = dict(db.session.execute(sa.select(Contact.phone, Contact.id).where(Contact.phone.in_(phones))).all())
    new = [{"phone": p, "name": f"Người gọi {p[-3:]}"} for p in phones if p not in existing]
    if new:
        db.session.execute(sa.insert(Contact), new)
    return list(db.session.scalars(sa.select(Contact.id).where(Contact.phone.in_(phones)).order_by(Contact.phone)))


def insert_history(n: int, *, seed: int, now: datetime) -> History:
    """``n`` tickets created over the 60 days before ``now``, with their clocks, alerts, calls."""
    rng = random.Random(seed)
    calendar_id = calendar_row(TWENTY_FOUR_SEVEN).id
    categories = db.session.execute(sa.select(Category.id, Category.default_department_id, Category.code)
                                    .where(Category.default_department_id.is_not(None))).all()
    # Half the tickets for the demo officer's department (SNNMT: TN-MT, DAT-DAI), so that its
    # pages are full even in a small history.
    weights = [8 if code in FOCUS_CATEGORIES else 1 for _, _, code in categories]
    supervisor = db.session.scalar(sa.select(User.id).where(User.role == "supervisor"))
    head = db.session.scalar(sa.select(User.id).where(User.role == "department_head"))
    contacts = _contacts(rng, seed)
    frequent = contacts[0]
    tickets: list[dict[str, Any]] = []
    for _ in range(n):
        category_id, dept_id, _code = rng.choices(categories, weights)[0]
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 60))
        status = rng.choices(STATUSES, WEIGHTS)[0]
        assigned = created + timedelta(minutes=rng.randint(1, 240)) if status != "received" else None
        accepted = (assigned + timedelta(minutes=rng.randint(1, 600))
                    if assigned and status not in ("assigned", "rejected") and rng.random() < 0.95 else None)
        resolved = (max(accepted or assigned or created, created) + timedelta(minutes=rng.randint(10, 60 * 24 * 10))
                    if status in ("resolved", "closed") else None)
        if resolved and resolved > now:
            resolved = now - timedelta(minutes=rng.randint(0, 60))
        tickets.append({
            "receipt_code": new_receipt_code(), "channel": rng.choice(CHANNELS), "category_id": category_id,
            "department_id": dept_id if status != "received" or rng.random() < 0.3 else None,
            "priority": rng.choice(PRIORITIES), "title": f"Phản ánh {rng.randint(1, 10**6)}",
            "description": "Khói bụi từ lò gạch gần chợ", "status": status,
            "contact_id": frequent if rng.random() < 0.1 else rng.choice(contacts),
            "created_at": created, "updated_at": resolved or accepted or assigned or created,
            "assigned_at": assigned, "accepted_at": accepted, "resolved_at": resolved,
            "closed_at": resolved + timedelta(hours=1) if status == "closed" and resolved else None,
        })
    ids = list(db.session.scalars(sa.insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets))
    clocks: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    for tid, t in zip(ids, tickets, strict=True):
        is_open = t["status"] in STATUSES[:4]
        for kind, start in (("accept", t["assigned_at"]), ("resolve", t["accepted_at"])):
            if start is None or (kind == "accept" and t["status"] == "in_progress" and rng.random() < 0.5):
                continue
            running = is_open and not (kind == "accept" and t["accepted_at"] is not None)
            due = start + timedelta(minutes=rng.randint(-60 * 24 * 3, 60 * 24 * 4))
            paused = running and t["status"] == "awaiting_citizen"
            breached = (not paused) and due < now and rng.random() < 0.8
            warned = breached or (not paused and rng.random() < 0.3)
            clocks.append({
                "ticket_id": tid, "kind": kind, "calendar_id": calendar_id, "budget_seconds": 86400.0,
                "warn_fraction": 0.75, "anchor_at": start if running and not paused else None,
                "remaining_seconds": max((due - now).total_seconds(), 0) if running else 0.0,
                "due_at": due if running and not paused else None,
                "warn_at": due - timedelta(hours=6) if running and not paused else None,
                "warned": warned, "breached": breached,
                "next_check_at": None if breached or not running or paused else due,
                "started_at": start, "stopped_at": None if running else (t["resolved_at"] or t["updated_at"]),
                "stop_reason": None if running else "resolved",
            })
            if breached or (not running and rng.random() < 0.25):
                alerts.append({"ticket_id": tid, "kind": kind, "level": "breach", "deadline": due,
                               "department_id": t["department_id"], "detected_at": min(due, now),
                               "acknowledged_at": now if rng.random() < 0.3 else None,
                               "acknowledged_by_id": supervisor, "ack_comment": "đã nhắc"})
            if warned:
                alerts.append({"ticket_id": tid, "kind": kind, "level": "warning", "deadline": due,
                               "department_id": t["department_id"], "detected_at": min(due, now) - timedelta(hours=6)})
        if rng.random() < 0.5:
            answered = rng.random() < 0.7
            started = t["created_at"] - timedelta(minutes=rng.randint(1, 30))
            number = FREQUENT_PHONE if t["contact_id"] == frequent else "+84913555000"
            calls.append({"_ticket": tid, "from_number": number, "contact_id": t["contact_id"], "started_at": started,
                          "answered_at": started + timedelta(seconds=20) if answered else None,
                          "duration_seconds": rng.randint(30, 900) if answered else None,
                          "disposition": "new_ticket" if answered else rng.choice(UNANSWERED)})
        if is_open and t["accepted_at"] and rng.random() < 0.1:
            extensions.append({"ticket_id": tid, "requested_by_id": head, "reason": "cần thêm thời gian",
                               "requested_deadline": now + timedelta(days=5), "created_at": now - timedelta(hours=2)})
    if clocks:
        db.session.execute(sa.insert(SlaClock), clocks)
    if alerts:
        db.session.execute(sa.insert(SlaAlert), alerts)
    if extensions:
        db.session.execute(sa.insert(ExtensionRequest), extensions)
    if calls:
        links = [c.pop("_ticket") for c in calls]
        call_ids = list(db.session.scalars(sa.insert(Call).returning(Call.id, sort_by_parameter_order=True), calls))
        db.session.execute(sa.insert(call_tickets), [{"call_id": c, "ticket_id": t}
                                                     for c, t in zip(call_ids, links, strict=True)])
    db.session.commit()
    return History(ids, [FREQUENT_PHONE])
