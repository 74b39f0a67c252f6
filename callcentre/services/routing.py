"""Routing by place: which department a ticket goes to, and the rules admins edit for it.

``route`` decides for every channel (services/tickets.py:create_ticket) and for the console's
suggestion (GET /api/v1/routing/suggest), so what the operator is shown is what a ticket gets:

1. an active rule ``category x commune -> department`` (its department active) wins;
2. else a commune-level category goes to the one active commune-level department (UBND xã,
   phường) whose ``commune_codes`` hold the commune;
3. else the category's default department.

The commune is the one given (a commune code), else the one the address names
(formats/geo.py:find_commune); none when neither says. Nothing caches the rows: an admin's change
routes the next ticket.

Rule writes follow services/org_admin.py: the whole input is checked first (``OrgError``, one
reason per field, in the request's language), nothing changes when a field is refused, and the
audit row joins the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from callcentre.core.extensions import db
from callcentre.formats.geo import commune_exists, commune_name, communes, find_commune
from callcentre.formats.legacy_address import find_old_commune, names_old_district
from callcentre.formats.textnorm import search_key
from callcentre.models import Category, Department, User
from callcentre.models.routing import RoutingRule
from callcentre.services import audit
from callcentre.services.org_admin import CODE_MAX, OrgError

RULE = "rule"
COMMUNE = "commune"
DEFAULT = "default"
OVERRIDE = "override"  # a staff member chose another department (create_ticket)
# Both languages at once: the API answers both, a page picks its own (no catalogue lookup needed).
REASONS = {
    RULE: ("theo quy tắc phân công theo địa bàn", "by the routing rule for the commune"),
    COMMUNE: ("theo xã/phường của địa chỉ", "by the commune of the address"),
    DEFAULT: ("mặc định của lĩnh vực", "the category's default department"),
    OVERRIDE: ("do nhân viên chọn", "chosen by staff"),
}
RULE_FIELDS = ("category", "commune_code", "department", "active")


@dataclass(frozen=True)
class Route:
    department: Department
    reason: str  # RULE, COMMUNE, DEFAULT (OVERRIDE is create_ticket's)
    commune_code: str | None  # the commune routed on, given or found
    commune_found: bool  # True: read from the address text, not given
    rule_id: int | None = None


def reason_label(reason: str) -> dict[str, str]:
    vi, en = REASONS[reason]
    return {"vi": vi, "en": en}


def commune_of(commune_code: str | None, address: str | None) -> tuple[str | None, bool]:
    """The commune a ticket is about and whether it was found in the address (not given)."""
    if commune_code:
        return commune_code, False
    # An address with a district is written in the units before 2025: its old ward decides (it may
    # share a name with another ward now); else the current names, then the old ones.
    old_first = names_old_district(address)
    found = (find_old_commune(address) if old_first else None) or find_commune(address) or (
        None if old_first else find_old_commune(address))
    return found, found is not None


def route(category: Category, commune_code: str | None = None, address: str | None = None) -> Route:
    """Where a ticket of ``category`` about ``commune_code`` (or the commune ``address`` names) goes."""
    commune, found = commune_of(commune_code, address)
    if commune is not None:
        rule = db.session.scalar(
            select(RoutingRule).options(joinedload(RoutingRule.department))
            .join(Department, RoutingRule.department_id == Department.id)
            .where(RoutingRule.category_id == category.id, RoutingRule.commune_code == commune,
                   RoutingRule.active.is_(True), Department.active.is_(True)))
        if rule is not None:
            return Route(rule.department, RULE, commune, found, rule.id)
        if category.level == "commune":
            committee = commune_committee(commune)
            if committee is not None:
                return Route(committee, COMMUNE, commune, found)
    return Route(category.default_department, DEFAULT, commune, found)


def commune_committee(commune_code: str) -> Department | None:
    """The one active commune-level department answering for the commune; None if none or several
    claim it (the category's default then decides, rather than a guess)."""
    if not commune_exists(commune_code):
        return None
    # The JSON list as text holds the code in quotes (both databases store it as json.dumps wrote
    # it): the LIKE narrows to the claimants, the list itself decides.
    rows = db.session.scalars(select(Department).where(
        Department.level == "commune", Department.active.is_(True),
        cast(Department.commune_codes, String).like(f'%"{commune_code}"%'))).all()
    claiming = [d for d in rows if commune_code in (d.commune_codes or [])]
    return claiming[0] if len(claiming) == 1 else None


# -- rules: reads -------------------------------------------------------------

def rules_query(filters: Mapping[str, Any] | None = None) -> Select[RoutingRule]:
    """Rules, by category code then commune code; ``filters``: ``category`` (code),
    ``commune_code``, ``department`` (code), ``active``."""
    filters = filters or {}
    stmt = (select(RoutingRule).join(Category, RoutingRule.category_id == Category.id)
            .join(Department, RoutingRule.department_id == Department.id)
            .options(joinedload(RoutingRule.category), joinedload(RoutingRule.department))
            .order_by(Category.code, RoutingRule.commune_code, RoutingRule.id))
    if filters.get("category"):
        stmt = stmt.where(Category.code == filters["category"])
    if filters.get("commune_code"):
        stmt = stmt.where(RoutingRule.commune_code == filters["commune_code"])
    if filters.get("department"):
        stmt = stmt.where(Department.code == filters["department"])
    if filters.get("active") is not None:
        stmt = stmt.where(RoutingRule.active.is_(bool(filters["active"])))
    return stmt


def get_rule(rule_id: int) -> RoutingRule:
    row = db.session.get(RoutingRule, rule_id)
    if row is None:
        raise OrgError({"id": _("Không có quy tắc số %(id)d", id=rule_id)}, 404)
    return row


def rule_state(row: RoutingRule) -> dict[str, Any]:
    """A rule as its audit rows show it."""
    return {"category": row.category.code, "commune_code": row.commune_code,
            "commune_name": commune_name(row.commune_code), "department": row.department.code,
            "active": row.active}


def commune_choices() -> list[tuple[str, str]]:
    """(code, name) of the province's communes, by name without the type word ("Mỹ Tho", "Tân Hương")."""
    def key(item: tuple[str, str]) -> str:
        return search_key(item[1].split(" ", 1)[-1])

    return sorted(communes().items(), key=key)


# -- rules: validation --------------------------------------------------------

def _code(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _category(errors: dict[str, str], value: Any) -> Category | None:
    code = _code(value)
    row = db.session.scalar(select(Category).where(Category.code == code)) if code and len(code) <= CODE_MAX \
        else None
    if row is None:
        errors["category"] = (_("Không có lĩnh vực mã %(code)s", code=code[:CODE_MAX]) if code
                              else _("Bắt buộc chọn"))
    elif not row.active:
        errors["category"] = _("Lĩnh vực %(code)s đã ngừng hoạt động", code=row.code)
    return row


def _department(errors: dict[str, str], value: Any) -> Department | None:
    code = _code(value)
    row = db.session.scalar(select(Department).where(Department.code == code)) if code and len(code) <= CODE_MAX \
        else None
    if row is None:
        errors["department"] = (_("Không có đơn vị mã %(code)s", code=code[:CODE_MAX]) if code
                                else _("Bắt buộc chọn"))
    elif not row.active:
        errors["department"] = _("Đơn vị %(code)s đã ngừng hoạt động", code=row.code)
    return row


def _commune(errors: dict[str, str], value: Any) -> str:
    code = _code(value)
    if not code:
        errors["commune_code"] = _("Bắt buộc chọn")
    elif len(code) > 10 or not commune_exists(code):
        errors["commune_code"] = _("Mã xã/phường không có trong tỉnh: %(codes)s", codes=code[:10])
    return code


def _active(errors: dict[str, str], value: Any) -> bool:
    if not isinstance(value, bool):
        errors["active"] = _("Giá trị không hợp lệ")
        return True
    return value


def _taken(category: Category | None, commune: str, rule_id: int | None) -> bool:
    if category is None or not commune:
        return False
    other = db.session.scalar(select(RoutingRule.id).where(RoutingRule.category_id == category.id,
                                                           RoutingRule.commune_code == commune))
    return other is not None and other != rule_id


def _duplicate() -> dict[str, str]:
    return {"commune_code": _("Đã có quy tắc cho lĩnh vực này ở xã/phường này: hãy sửa quy tắc đó")}


def _flush() -> None:
    """Another admin may have added the same pair between the check and the write."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise OrgError(_duplicate(), 409) from exc


# -- rules: writes ------------------------------------------------------------

def create_rule(data: Mapping[str, Any], actor: User | None) -> RoutingRule:
    """``data``: ``category`` and ``department`` (codes, both active), ``commune_code`` (of the
    province), ``active`` (default true). 409 when the pair has a rule already."""
    errors: dict[str, str] = {}
    category = _category(errors, data.get("category"))
    commune = _commune(errors, data.get("commune_code"))
    department = _department(errors, data.get("department"))
    active = _active(errors, data.get("active", True))
    if errors:
        raise OrgError(errors)
    if _taken(category, commune, None):
        raise OrgError(_duplicate(), 409)
    row = RoutingRule(category=category, commune_code=commune, department=department, active=active)
    db.session.add(row)
    _flush()
    audit.record("routing_rule_create", actor=actor, target_type="routing_rule", target_id=row.id,
                 details=audit.changes(None, rule_state(row)))
    return row


def update_rule(row: RoutingRule, data: Mapping[str, Any], actor: User | None) -> RoutingRule:
    """``data``: any of ``RULE_FIELDS`` (a missing one stays)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "category" in data and data["category"] != row.category.code:
        values["category"] = _category(errors, data["category"])
    if "commune_code" in data and data["commune_code"] != row.commune_code:
        values["commune_code"] = _commune(errors, data["commune_code"])
    if "department" in data and data["department"] != row.department.code:
        values["department"] = _department(errors, data["department"])
    if "active" in data:
        values["active"] = _active(errors, data["active"])
    if errors:
        raise OrgError(errors)
    if _taken(values.get("category", row.category), values.get("commune_code", row.commune_code), row.id):
        raise OrgError(_duplicate(), 409)
    before = rule_state(row)
    for name, value in values.items():
        setattr(row, name, value)
    _flush()
    after = rule_state(row)
    if after != before:  # saving an unchanged form is no change to record
        audit.record("routing_rule_update", actor=actor, target_type="routing_rule", target_id=row.id,
                     details=audit.changes(before, after))
    return row


def delete_rule(row: RoutingRule, actor: User | None) -> None:
    """Remove the rule: the commune's tickets of the category go back to rule 2 or 3."""
    audit.record("routing_rule_delete", actor=actor, target_type="routing_rule", target_id=row.id,
                 details={"before": rule_state(row), "after": None})
    db.session.delete(row)
    db.session.flush()
