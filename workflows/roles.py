"""Staff roles and the named groups that gates (API, pages, workflow table, nav) share.

Admin passes every gate anyway (``roles_required``/``page_roles`` add it);
MANAGERS names it too because the workflow's reopen guard tests membership directly.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    DEPARTMENT_OFFICER = "department_officer"
    DEPARTMENT_HEAD = "department_head"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# Roles that belong to one department and see only its tickets.
DEPARTMENT_ROLES: frozenset[Role] = frozenset({Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD})

# Every signed-in staff member.
STAFF: frozenset[Role] = frozenset(Role)
# The front desk: takes calls, files, routes, closes and merges tickets.
INTAKE: frozenset[Role] = frozenset({Role.OPERATOR, Role.SUPERVISOR})
# SLA policies and calendars, breach review, the dashboard, message review, late reopening.
MANAGERS: frozenset[Role] = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Who works the department inbox (supervisors see every department's).
INBOX: frozenset[Role] = DEPARTMENT_ROLES | {Role.SUPERVISOR}
