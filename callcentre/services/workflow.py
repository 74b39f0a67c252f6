"""Firing workflow triggers: check, apply, record history, move SLA clocks — one transaction.

The rules (who may fire what from where, and the guards) are the declared
table in ``workflows.definition``; this module applies a trigger's effects
to the database. The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from callcentre.core.extensions import db
from callcentre.models import Department, ExtensionRequest, Ticket, TicketEvent, User
from callcentre.services import live
from callcentre.services.alerts import notify_staff
from callcentre.services.history import record_event
from callcentre.services.metrics import count_transition
from callcentre.services.publication import may_publish
from callcentre.sla import clocks
from workflows import sla
from workflows.definition import BY_NAME, TRIGGERS, Field, Message, TicketFacts, TriggerSpec, WorkflowError, check
from workflows.roles import DEPARTMENT_ROLES, Role
from workflows.states import OPEN, Status

Effect = Callable[[Ticket, dict[str, Any], User | None, datetime], dict[str, Any]]
MAX_EXTENSION = timedelta(days=366)  # an extension moves the deadline at most a year ahead
WITHIN_A_YEAR = Message("Hạn mới phải trong vòng một năm kể từ bây giờ",
                        "the new deadline must be within a year from now")


def _pending_extension(ticket: Ticket) -> ExtensionRequest | None:
    return db.session.scalar(
        select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.status == "pending")
    )


def facts_for(ticket: Ticket, user: User | None, now: datetime) -> TicketFacts:
    role = user.role if user else "system"
    own = bool(user and user.department_id is not None and user.department_id == ticket.department_id)
    return TicketFacts(
        status=ticket.status, role=role, own_department=own, now=now,
        pending_extension=_pending_extension(ticket) is not None, resolved_at=ticket.resolved_at,
        reopen_window=timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"]),
    )


def allowed_triggers(ticket: Ticket, user: User, now: datetime | None = None) -> list[TriggerSpec]:
    now = now or datetime.now(UTC)
    base = facts_for(ticket, user, now)
    out = []
    for spec in TRIGGERS:
        facts = TicketFacts(**{**base.__dict__, "refusal": None})
        try:
            check(spec.name, facts)
        except WorkflowError:
            continue
        out.append(spec)
    return out


def _department(code: Any) -> Department:
    if not isinstance(code, str) or not code.strip():
        raise WorkflowError(422, Message("Hãy chọn đơn vị", "give a department code"), "department")
    dept = db.session.scalar(select(Department).where(Department.code == code.strip(), Department.active.is_(True)))
    if dept is None:
        raise WorkflowError(422, Message("Không có đơn vị “%(code)s”", "unknown department '%(code)s'", code=code),
                            "department")
    return dept


# -- effects: each returns the payload recorded in the history event ---------

def _assign(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    dept = _department(p["department"]) if p.get("department") else (t.department or t.category.default_department)
    t.department = dept
    t.assigned_at = now
    clocks.stop(t, (sla.FORWARD,), now, "assigned")
    clocks.start(t, sla.ACCEPT, now)
    return {"department": dept.code}


def _reassign(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    before = t.department.code if t.department else None
    dept = _department(p["department"])
    if dept.id == t.department_id:
        raise WorkflowError(409, Message("Phiếu đang ở chính đơn vị này", "the ticket is already with this department"),
                            "department")
    t.department = dept
    t.assigned_at = now
    t.accepted_at = None
    clocks.resume(t, now)  # a paused ticket restarts work at the new department
    clocks.start(t, sla.ACCEPT, now)
    return {"from_department": before, "department": dept.code}


def _accept(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    t.accepted_at = now
    clocks.stop(t, (sla.ACCEPT,), now, "accepted")
    return {}


def _return(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    before = t.department.code if t.department else None
    t.department = None  # back in the operators' queue; the department no longer sees it
    clocks.stop(t, (sla.ACCEPT,), now, "returned")
    clocks.start(t, sla.FORWARD, now)  # back in received: forwarding is owed again
    return {"from_department": before}


def _request_info(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    clocks.pause(t, now)
    return {}


def _info_received(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    clocks.resume(t, now)
    return {}


def _parse_deadline(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str):
        raise WorkflowError(422, Message("Hãy nhập hạn mới theo ISO 8601, có múi giờ",
                                         "give the new deadline as ISO 8601 with a timezone"), "deadline")
    try:
        deadline = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WorkflowError(422, Message("Hạn mới không phải ngày giờ ISO 8601", "not an ISO 8601 date-time"),
                            "deadline") from exc
    if deadline.tzinfo is None:
        raise WorkflowError(422, Message("Hãy ghi cả múi giờ, ví dụ 2026-12-01T17:00:00+07:00",
                                         "give a timezone, e.g. 2026-12-01T17:00:00+07:00"), "deadline")
    try:
        deadline = deadline.astimezone(UTC)
    except OverflowError:  # year 1 at +07:00 is before year 1 in UTC
        raise WorkflowError(422, WITHIN_A_YEAR, "deadline") from None
    if deadline <= now:
        raise WorkflowError(422, Message("Hạn mới phải sau thời điểm hiện tại",
                                         "the new deadline must be in the future"), "deadline")
    if deadline > now + MAX_EXTENSION:
        # Deadlines are working-time arithmetic: year 9999 would keep a worker counting for minutes.
        raise WorkflowError(422, WITHIN_A_YEAR, "deadline")
    return deadline


def _request_extension(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    deadline = _parse_deadline(p.get("deadline"), now)
    if t.resolve_deadline and deadline <= t.resolve_deadline:
        raise WorkflowError(422, Message("Hạn mới phải muộn hơn hạn trả lời hiện tại",
                                         "an extension must move the deadline later"), "deadline")
    assert user is not None
    db.session.add(ExtensionRequest(ticket_id=t.id, requested_by_id=user.id, requested_deadline=deadline,
                                    reason=p["reason"]))
    return {"requested_deadline": deadline.isoformat()}


def _approve_extension(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    request = _pending_extension(t)
    assert request is not None and user is not None  # guarded by has_pending_extension
    request.status, request.decided_by_id, request.decided_at = "approved", user.id, now
    request.decision_note = p.get("note")
    old = t.resolve_deadline
    clocks.extend_resolve(t, request.requested_deadline, now)
    return {"extension_id": request.id, "old_deadline": old.isoformat() if old else None,
            "resolve_deadline": request.requested_deadline.isoformat()}


def _deny_extension(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    request = _pending_extension(t)
    assert request is not None and user is not None
    request.status, request.decided_by_id, request.decided_at = "denied", user.id, now
    request.decision_note = p["reason"]
    return {"extension_id": request.id}


NOT_PUBLISHABLE = Message("Phiếu bảo mật không được công khai trả lời", "a confidential ticket cannot be published")


def publish_decision(t: Ticket, value: Any) -> bool:
    """Whether the answer goes on the published answers page: ``value`` (true/false) if given, else
    the category's default. A confidential ticket is never published: asked for, refused (422);
    by default, not published (services/publication.py)."""
    if value is None:
        return bool(t.category.publish_by_default) and may_publish(t)
    if not isinstance(value, bool):
        raise WorkflowError(422, Message("Hãy chọn có công khai trả lời hay không", "publish must be true or false"),
                            "publish")
    if value and not may_publish(t):
        raise WorkflowError(422, NOT_PUBLISHABLE, "publish")
    return value


def _resolve(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    published = publish_decision(t, p.get("publish"))  # refused before anything changes
    t.public_answer = p["answer"]
    t.published = published
    t.resolved_at = now
    clocks.stop(t, (sla.ACCEPT, sla.RESOLVE), now, "resolved")
    return {"answer": p["answer"], "published": published}


def _reopen(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    t.resolved_at = None
    t.closed_at = None
    clocks.start(t, sla.RESOLVE, now)  # a fresh resolve budget from the reopening
    return {}


DISPUTE_NOTICE = ("Công dân báo trả lời phiếu {code} chưa giải quyết được vấn đề: phiếu đã được mở lại",
                  "The citizen says the answer to ticket {code} did not solve it: the ticket was reopened")


def _citizen_dispute(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    """The citizen says the answer did not solve it: reopened as ``reopen`` does, back to the same
    department, whose staff get an in-app notice (``notify_staff``, as an SLA warning reaches them;
    the supervisors when the ticket has no department)."""
    _reopen(t, p, user, now)
    roles = [r.value for r in DEPARTMENT_ROLES] if t.department_id else [Role.SUPERVISOR.value]
    people = select(User.id).where(User.active.is_(True), User.role.in_(roles))
    if t.department_id:
        people = people.where(User.department_id == t.department_id)
    vi, en = DISPUTE_NOTICE
    notify_staff(db.session, [{"user_id": uid, "ticket_id": t.id, "kind": "citizen_dispute", "created_at": now,
                               "message_vi": vi.format(code=t.receipt_code),
                               "message_en": en.format(code=t.receipt_code)} for uid in db.session.scalars(people)])
    return {"via": p["via"]} if p.get("via") else {}


def _close(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    t.closed_at = now
    clocks.stop(t, (sla.ACCEPT, sla.RESOLVE), now, "closed")
    return {}


REJECTED_ANSWER = ("Phản ánh không thuộc phạm vi tiếp nhận của Tổng đài 1022. Quý vị vui lòng gọi 1022 để được "
                   "hướng dẫn nơi gửi phản ánh.")


def _reject(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    t.closed_at = now
    # The reason is for staff ("spam", "not in the province"); the citizen reads the answer given, or the standard one.
    t.public_answer = p.get("answer") or REJECTED_ANSWER
    clocks.stop(t, (sla.ACCEPT, sla.RESOLVE, sla.FORWARD), now, "rejected")
    return {}


def _merge(t: Ticket, p: dict[str, Any], user: User | None, now: datetime) -> dict[str, Any]:
    target_id = p.get("duplicate_of")
    if not isinstance(target_id, int) or isinstance(target_id, bool):
        raise WorkflowError(422, Message("Hãy cho biết phiếu gốc mà phiếu này trùng",
                                         "give the id of the ticket this one duplicates"), "duplicate_of")
    if target_id == t.id:
        raise WorkflowError(422, Message("Phiếu không thể trùng với chính nó", "a ticket cannot duplicate itself"),
                            "duplicate_of")
    target = db.session.get(Ticket, target_id)
    if target is None:
        raise WorkflowError(422, Message("Không tìm thấy phiếu gốc", "no such ticket"), "duplicate_of")
    if Status(target.status) not in OPEN | {Status.RESOLVED}:
        raise WorkflowError(409, Message("Không thể gộp vào phiếu đang ở trạng thái “%(status)s”",
                                         "cannot merge into a ticket in status '%(status)s'",
                                         status=Status(target.status)), "duplicate_of")
    t.duplicate_of_id = target.id
    t.closed_at = now
    clocks.stop(t, (sla.ACCEPT, sla.RESOLVE, sla.FORWARD), now, "merged")
    # The surviving ticket's history says what was merged into it; both histories stay.
    record_event(db.session, target, "merged_in", actor=user, from_status=target.status, to_status=target.status,
                 payload={"ticket_id": t.id, "receipt_code": t.receipt_code}, at=now)
    return {"duplicate_of": target.id, "duplicate_of_receipt_code": target.receipt_code}


EFFECTS: dict[str, Effect] = {
    "assign": _assign, "reassign": _reassign, "accept": _accept, "return": _return,
    "request_info": _request_info, "info_received": _info_received,
    "request_extension": _request_extension, "approve_extension": _approve_extension,
    "deny_extension": _deny_extension, "resolve": _resolve, "reopen": _reopen, "close": _close,
    "reject": _reject, "merge": _merge, "citizen_dispute": _citizen_dispute,
}
assert set(EFFECTS) == set(BY_NAME), "every declared trigger needs an effect"
# Events the citizen may see on the public timeline.
PUBLIC_TRIGGERS = frozenset({"assign", "reassign", "accept", "request_info", "info_received", "resolve",
                             "reopen", "close", "reject", "merge", "citizen_dispute"})


def lock_ticket(ticket_id: int) -> Ticket | None:
    """Load for update: on PostgreSQL the row is locked, so concurrent triggers queue up
    and the later one is judged against the state the earlier one left."""
    stmt = select(Ticket).where(Ticket.id == ticket_id).options(
        joinedload(Ticket.category), joinedload(Ticket.department))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Ticket)
    return db.session.scalar(stmt)


def fire(ticket: Ticket, trigger: str, params: dict[str, Any], user: User | None,
         now: datetime | None = None, expected_version: int | None = None,
         actor_label: str | None = None) -> TicketEvent:
    """Check and apply ``trigger``; write its history event. Raises WorkflowError; never commits.
    ``actor_label`` names who acted without a user ("citizen"); unset, the system did."""
    now = now or datetime.now(UTC)
    if expected_version is not None and expected_version != ticket.version:
        raise WorkflowError(409, Message(
            "Phiếu vừa được người khác cập nhật (phiên bản %(version)d, bạn đang xem phiên bản %(expected)d); "
            "hãy tải lại trang rồi thử lại",
            "the ticket changed (version %(version)d, you had %(expected)d); reload and try again",
            version=ticket.version, expected=expected_version), "version")
    spec = BY_NAME.get(trigger)
    if spec is not None:
        for name in spec.required:
            value = params.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                # Role problems come before missing fields: check the role first.
                check(trigger, facts_for(ticket, user, now))
                raise WorkflowError(422, Message("Cần nhập %(field)s để thực hiện “%(trigger)s”",
                                                 "'%(trigger)s' needs '%(field)s'", trigger=spec, field=Field(name)),
                                    name)
    facts = facts_for(ticket, user, now)
    spec = check(trigger, facts)
    if params.get("publish") is not None and trigger != "resolve":
        raise WorkflowError(422, Message("Chỉ chọn công khai khi trả lời công dân", "publish goes with 'resolve' only"),
                            "publish")
    before = ticket.status
    department_before = ticket.department_id
    payload = EFFECTS[trigger](ticket, params, user, now)
    ticket.status = facts.status  # the machine's destination (unchanged for internal triggers)
    ticket.updated_at = now
    payload.update({k: v.isoformat() for k, v in (("accept_deadline", ticket.accept_deadline),
                                                  ("resolve_deadline", ticket.resolve_deadline)) if v})
    note = params.get("note") or params.get("reason")
    count_transition(db.session, trigger)  # once the caller's commit stands
    live.ticket_moved(db.session, ticket.id, trigger, (department_before, ticket.department_id))  # after commit
    return record_event(db.session, ticket, trigger, actor=user, actor_label=actor_label, from_status=before,
                        to_status=ticket.status, note=note, payload=payload, public=trigger in PUBLIC_TRIGGERS,
                        at=now)


def fire_system_trigger(ticket_id: int, trigger: str, note: str | None = None) -> bool:
    """A trigger fired by the system (auto-close), in its own transaction; False if refused."""
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        return False
    try:
        fire(ticket, trigger, {"note": note} if note else {}, None)
    except WorkflowError:
        db.session.rollback()
        return False
    db.session.commit()
    return True


# -- the publication decision, changed after the answer ---------------------------

PUBLICATION_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})


def set_publication(ticket: Ticket, published: Any, user: User, now: datetime | None = None,
                    expected_version: int | None = None) -> TicketEvent:
    """A supervisor changes whether a resolved or closed ticket's answer is published; recorded
    as a ``publication`` event (``{"published": …}``, internal). Not a workflow trigger: the status
    does not change, and it is not offered among the trigger buttons. Raises WorkflowError (403 not a
    supervisor, 409 not answered or changed meanwhile, 422 not a boolean or confidential); never commits."""
    now = now or datetime.now(UTC)
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise WorkflowError(403, Message("Chỉ giám sát viên được đổi quyết định công khai sau khi trả lời",
                                         "only a supervisor may change the publication after the answer"))
    if expected_version is not None and expected_version != ticket.version:
        raise WorkflowError(409, Message("Phiếu vừa được người khác cập nhật; hãy tải lại trang rồi thử lại",
                                         "the ticket changed; reload and try again"), "version")
    if Status(ticket.status) not in PUBLICATION_STATUSES:
        raise WorkflowError(409, Message(
            "Chỉ đổi được quyết định công khai của phiếu đã trả lời hoặc đã đóng",
            "only a resolved or closed ticket's publication can be changed"))
    if not isinstance(published, bool):
        raise WorkflowError(422, Message("Hãy chọn có công khai trả lời hay không", "publish must be true or false"),
                            "publish")
    if published and not may_publish(ticket):
        raise WorkflowError(422, NOT_PUBLISHABLE, "publish")
    before = ticket.published
    ticket.published = published
    ticket.updated_at = now
    return record_event(db.session, ticket, "publication", actor=user, from_status=ticket.status,
                        to_status=ticket.status, payload={"published": published, "before": before}, at=now)
