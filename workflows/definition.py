"""The ticket workflow as one declared table, checked by one shared `transitions` Machine.

Each trigger names the states it may fire from, where it goes, which roles
may fire it, and which request fields it needs. Guards that depend on the
ticket (a pending extension, the reopen window) are conditions on the
machine. The Machine is built once at import; firing a trigger runs the
library's Event against a small per-call model object, so no Machine is
built per request.

A refusal is a ``Message``: its Vietnamese and English side by side (the pure package has
no catalogue, like the trigger and status labels), rendered for a person by the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from transitions import EventData, Machine

from workflows.roles import DEPARTMENT_ROLES, INTAKE, MANAGERS, Role
from workflows.states import Status
from workflows.states import label as status_label


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    sources: tuple[Status, ...]
    dest: Status | None  # None: the status does not change (an internal transition)
    roles: frozenset[Role]
    required: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    label_vi: str = ""
    label_en: str = ""

    def label(self, language: str = "vi") -> str:
        return self.label_en if language == "en" else self.label_vi


S = Status
WORKING = (S.ASSIGNED, S.IN_PROGRESS, S.AWAITING_CITIZEN)
TRIGGERS: tuple[TriggerSpec, ...] = (
    TriggerSpec("assign", (S.RECEIVED,), S.ASSIGNED, INTAKE,
                label_vi="Chuyển xử lý", label_en="Assign"),
    TriggerSpec("reassign", WORKING, S.ASSIGNED, INTAKE, ("department",),
                label_vi="Chuyển đơn vị khác", label_en="Reassign"),
    TriggerSpec("accept", (S.ASSIGNED,), S.IN_PROGRESS, DEPARTMENT_ROLES,
                label_vi="Tiếp nhận xử lý", label_en="Accept"),
    TriggerSpec("return", (S.ASSIGNED, S.IN_PROGRESS), S.RECEIVED, DEPARTMENT_ROLES, ("reason",),
                label_vi="Trả lại (không thuộc thẩm quyền)", label_en="Return as not ours"),
    TriggerSpec("request_info", (S.IN_PROGRESS,), S.AWAITING_CITIZEN, DEPARTMENT_ROLES, ("note",),
                label_vi="Yêu cầu bổ sung thông tin", label_en="Request information"),
    TriggerSpec("info_received", (S.AWAITING_CITIZEN,), S.IN_PROGRESS, DEPARTMENT_ROLES | {Role.OPERATOR},
                label_vi="Đã nhận thông tin bổ sung", label_en="Information received"),
    TriggerSpec("request_extension", (S.IN_PROGRESS, S.AWAITING_CITIZEN), None, frozenset({Role.DEPARTMENT_HEAD}),
                ("deadline", "reason"), ("no_pending_extension",),
                label_vi="Xin gia hạn", label_en="Request extension"),
    TriggerSpec("approve_extension", WORKING, None, frozenset({Role.SUPERVISOR}), (), ("has_pending_extension",),
                label_vi="Duyệt gia hạn", label_en="Approve extension"),
    TriggerSpec("deny_extension", WORKING, None, frozenset({Role.SUPERVISOR}), ("reason",), ("has_pending_extension",),
                label_vi="Từ chối gia hạn", label_en="Deny extension"),
    TriggerSpec("resolve", (S.IN_PROGRESS,), S.RESOLVED, DEPARTMENT_ROLES, ("answer",),
                label_vi="Trả lời công dân", label_en="Resolve"),
    TriggerSpec("reopen", (S.RESOLVED, S.CLOSED), S.IN_PROGRESS, INTAKE, ("reason",),
                ("may_reopen",), label_vi="Mở lại", label_en="Reopen"),
    TriggerSpec("close", (S.RESOLVED,), S.CLOSED, INTAKE,
                label_vi="Đóng", label_en="Close"),
    TriggerSpec("reject", (S.RECEIVED, S.ASSIGNED), S.REJECTED, INTAKE, ("reason",),
                label_vi="Không tiếp nhận", label_en="Reject"),
    TriggerSpec("merge", (S.RECEIVED, S.ASSIGNED, S.IN_PROGRESS, S.AWAITING_CITIZEN), S.DUPLICATE,
                INTAKE, ("duplicate_of",),
                label_vi="Gộp (trùng)", label_en="Merge as duplicate"),
    # The citizen says the answer did not solve it: by themselves (the lookup page, the public API,
    # an SMS reply: services/feedback.py fires it with no user) or by phoning an operator. Within the
    # window of a reopening; the department is told, and it counts in the dispute rate.
    TriggerSpec("citizen_dispute", (S.RESOLVED, S.CLOSED), S.IN_PROGRESS, INTAKE, (), ("may_reopen",),
                label_vi="Công dân báo chưa được giải quyết", label_en="Citizen disputes the answer"),
)
BY_NAME: dict[str, TriggerSpec] = {t.name: t for t in TRIGGERS}
# The request fields the triggers need, as a refusal names them (Vietnamese, English).
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "answer": ("nội dung trả lời", "answer"), "reason": ("lý do", "reason"), "note": ("ghi chú", "note"),
    "deadline": ("hạn mới", "new deadline"), "department": ("đơn vị", "department"),
    "duplicate_of": ("phiếu gốc", "original ticket"),
}
assert {f for t in TRIGGERS for f in t.required} <= set(FIELD_NAMES), "every required field needs a name"
# Fired without a user: the SLA sweep's auto-close; the citizen's dispute and SMS answer to a
# request for information (services/feedback.py, messaging/inbound.py); the merge of a citizen's
# "+1" on the web form into the report they follow (services/citizen_reports.py).
SYSTEM_TRIGGERS = frozenset({"close", "citizen_dispute", "info_received", "merge"})


@dataclass(frozen=True)
class Field:
    """A request field in a message: its code for the API, its name for a person."""

    name: str


Param = str | int | Status | TriggerSpec | Field


def _for_api(value: Param) -> object:
    if isinstance(value, TriggerSpec):
        return value.name
    if isinstance(value, Field):
        return value.name
    return value.value if isinstance(value, Status) else value


def _for_person(value: Param, language: str) -> object:
    if isinstance(value, TriggerSpec):
        return value.label(language)
    if isinstance(value, Status):
        return status_label(value, language)
    if isinstance(value, Field):
        vi, en = FIELD_NAMES.get(value.name, (value.name, value.name))
        return en if language == "en" else vi
    return value


class Message:
    """One refusal in Vietnamese and English, with its parameters.

    ``str()`` is the English with codes (the API's ``message``, logs, tests); ``text(language)``
    is what a person reads, with the labels they see on the page (buttons, statuses, fields).
    """

    __slots__ = ("en", "params", "vi")

    def __init__(self, vi: str, en: str, **params: Param) -> None:
        self.vi, self.en, self.params = vi, en, params

    def text(self, language: str = "vi") -> str:
        template = self.en if language == "en" else self.vi
        return template % {k: _for_person(v, language) for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.en % {k: _for_api(v) for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"


@dataclass
class TicketFacts:
    """What the guards need to know about a ticket, its actor and the moment."""

    status: str
    role: str  # the actor's role, or "system"
    own_department: bool  # the actor belongs to the ticket's department
    now: datetime
    pending_extension: bool = False
    resolved_at: datetime | None = None
    reopen_window: timedelta = timedelta(days=7)
    refusal: Message | None = field(default=None, repr=False)

    # -- guards (conditions of the machine) --------------------------------
    def no_pending_extension(self, _event: EventData | None = None) -> bool:
        if self.pending_extension:
            self.refusal = Message("Đã có một đề nghị gia hạn đang chờ duyệt",
                                   "an extension request is already waiting for a decision")
        return not self.pending_extension

    def has_pending_extension(self, _event: EventData | None = None) -> bool:
        if not self.pending_extension:
            self.refusal = Message("Không có đề nghị gia hạn nào đang chờ duyệt",
                                   "there is no pending extension request")
        return self.pending_extension

    def may_reopen(self, _event: EventData | None = None) -> bool:
        if self.role in MANAGERS:
            return True
        if self.resolved_at is not None and self.now - self.resolved_at <= self.reopen_window:
            return True
        self.refusal = Message(
            "Đã quá %(days)d ngày công dân được phản hồi lại kết quả; hãy đề nghị giám sát viên mở lại phiếu",
            "the citizen's dispute window (%(days)d days) has passed; ask a supervisor",
            days=self.reopen_window.days)
        return False


def _build_machine() -> Machine:
    machine = Machine(
        model=None, states=[s.value for s in Status], initial=Status.RECEIVED.value,
        auto_transitions=False, send_event=True, model_attribute="status",
    )
    for spec in TRIGGERS:
        for source in spec.sources:
            machine.add_transition(
                spec.name, source.value, spec.dest.value if spec.dest else None,
                conditions=list(spec.conditions),
            )
    return machine


MACHINE = _build_machine()


class WorkflowError(Exception):
    """A refused trigger: ``status`` is 403 (not your role), 409 (not now) or 422 (bad request).

    ``message`` is the API's English; ``text(language)`` the person's. A plain ``str`` instead of
    a ``Message`` is text the web layer already wrote in the page's language (gettext).
    """

    def __init__(self, status: int, message: Message | str, field_name: str | None = None) -> None:
        super().__init__(str(message))
        self.status, self.message, self.field = status, str(message), field_name
        self._said = message

    def text(self, language: str = "vi") -> str:
        return self._said.text(language) if isinstance(self._said, Message) else self._said


def role_allows(spec: TriggerSpec, facts: TicketFacts) -> Message | None:
    """None if the actor may fire ``spec``; else the reason."""
    if facts.role == "system":
        return None if spec.name in SYSTEM_TRIGGERS else Message(
            "Hệ thống không được thực hiện thao tác này", "the system may not fire this")
    if facts.role == Role.ADMIN:
        return None
    if facts.role not in spec.roles:
        return Message("Vai trò của bạn không được thực hiện “%(trigger)s”", "role '%(role)s' may not '%(trigger)s'",
                       role=facts.role, trigger=spec)
    if facts.role in DEPARTMENT_ROLES and not facts.own_department:
        return Message("Phiếu này thuộc đơn vị khác", "this ticket belongs to another department")
    return None


def check(trigger: str, facts: TicketFacts) -> TriggerSpec:
    """Decide whether ``trigger`` may fire now; raise WorkflowError if not.

    Runs the machine's Event on a throw-away model: the conditions are
    evaluated exactly as `transitions` would, and the destination is set on
    ``facts.status`` only if they pass.
    """
    spec = BY_NAME.get(trigger)
    if spec is None:
        raise WorkflowError(422, Message("Không có thao tác “%(trigger)s”", "unknown trigger '%(trigger)s'",
                                         trigger=trigger), "trigger")
    reason = role_allows(spec, facts)
    if reason:
        raise WorkflowError(403, reason)
    if Status(facts.status) not in spec.sources:
        raise WorkflowError(409, Message("Không thể thực hiện “%(trigger)s” khi phiếu đang ở trạng thái “%(status)s”",
                                         "cannot '%(trigger)s' a ticket in status '%(status)s'",
                                         trigger=spec, status=Status(facts.status)))
    if not MACHINE.events[trigger].trigger(facts):
        raise WorkflowError(409, facts.refusal or Message("Lúc này không thể thực hiện “%(trigger)s”",
                                                          "'%(trigger)s' is not possible now", trigger=spec))
    return spec

