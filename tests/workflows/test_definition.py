"""The declared workflow table, checked through the shared transitions Machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.definition import BY_NAME, MACHINE, TRIGGERS, TicketFacts, WorkflowError, check
from workflows.states import LABELS, Status

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def facts(status: str, role: str, own: bool = True, **kw) -> TicketFacts:
    return TicketFacts(status=status, role=role, own_department=own, now=NOW, **kw)


def test_every_status_has_vietnamese_and_english_labels() -> None:
    assert set(LABELS) == set(Status)
    assert LABELS[Status.RECEIVED] == ("Tiếp nhận", "Received")
    assert LABELS[Status.AWAITING_CITIZEN][0] == "Chờ bổ sung thông tin"


def test_the_machine_is_built_once_from_the_table() -> None:
    assert set(MACHINE.events) == {t.name for t in TRIGGERS}
    for spec in TRIGGERS:
        assert {s.value for s in spec.sources} == set(MACHINE.events[spec.name].transitions)


@pytest.mark.parametrize(("trigger", "status", "role", "dest"), [
    ("assign", "received", "operator", "assigned"),
    ("accept", "assigned", "department_officer", "in_progress"),
    ("request_info", "in_progress", "department_head", "awaiting_citizen"),
    ("info_received", "awaiting_citizen", "operator", "in_progress"),
    ("resolve", "in_progress", "department_officer", "resolved"),
    ("close", "resolved", "supervisor", "closed"),
    ("reject", "received", "operator", "rejected"),
    ("merge", "in_progress", "supervisor", "duplicate"),
    ("return", "assigned", "department_officer", "received"),
    ("request_extension", "in_progress", "department_head", "in_progress"),  # internal: no state change
])
def test_allowed_moves(trigger: str, status: str, role: str, dest: str) -> None:
    f = facts(status, role)
    check(trigger, f)
    assert f.status == dest


@pytest.mark.parametrize(("trigger", "status", "role", "own", "code"), [
    ("accept", "assigned", "operator", False, 403),  # an operator cannot act as a department
    ("resolve", "in_progress", "operator", False, 403),
    ("accept", "assigned", "department_officer", False, 403),  # another department's ticket
    ("request_extension", "in_progress", "department_officer", True, 403),  # heads ask
    ("approve_extension", "in_progress", "department_head", True, 403),  # supervisors decide
    ("accept", "received", "department_officer", True, 409),
    ("resolve", "awaiting_citizen", "department_officer", True, 409),
    ("assign", "closed", "supervisor", False, 409),
    ("approve_extension", "in_progress", "supervisor", False, 409),  # nothing pending
    ("fly", "received", "admin", False, 422),
])
def test_refused_moves(trigger: str, status: str, role: str, own: bool, code: int) -> None:
    f = facts(status, role, own)
    with pytest.raises(WorkflowError) as exc:
        check(trigger, f)
    assert exc.value.status == code
    assert f.status == status  # a refused trigger changes nothing


def test_extension_guards() -> None:
    with pytest.raises(WorkflowError, match="already waiting"):
        check("request_extension", facts("in_progress", "department_head", pending_extension=True))
    f = facts("in_progress", "supervisor", False, pending_extension=True)
    check("approve_extension", f)
    assert f.status == "in_progress"


def test_reopen_window_for_operators_not_for_supervisors() -> None:
    recent = facts("resolved", "operator", False, resolved_at=NOW - timedelta(days=2))
    check("reopen", recent)
    late = facts("resolved", "operator", False, resolved_at=NOW - timedelta(days=30))
    with pytest.raises(WorkflowError, match="window"):
        check("reopen", late)
    check("reopen", facts("closed", "supervisor", False, resolved_at=NOW - timedelta(days=30)))


def test_every_trigger_has_labels_and_roles() -> None:
    for spec in TRIGGERS:
        assert spec.label_vi and spec.label_en and spec.roles
    assert BY_NAME["resolve"].required == ("answer",)
