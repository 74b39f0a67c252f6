"""Departments and categories, for admins: the writes that the API and the admin screens share.

Each write validates the whole input first and changes nothing when any field is refused
(``OrgError``, one reason per field, in the request's language), then changes the row and adds
its audit row to the same transaction: the caller commits both. Routing (services/tickets.py)
reads these rows at every ticket, nothing caches them: a change is seen by the next ticket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from callcentre.core.extensions import db
from callcentre.formats.geo import commune_exists
from callcentre.formats.limits import text_problem
from callcentre.formats.textnorm import search_key
from callcentre.models import Category, Department, User
from callcentre.services import audit

# Upper-case letters, digits, "-" and "_"; the columns hold 40 characters.
CODE = re.compile(r"^[A-Z0-9_-]{2,40}$")
CODE_MAX = 40
NAME_MAX = 200
LEVELS = ("province", "commune")
# A commune People's Committee answers for a handful of communes; a province has ~100.
MAX_COMMUNES = 200
DEPARTMENT_FIELDS = ("name_vi", "name_en", "level", "commune_codes", "active")
CATEGORY_FIELDS = ("name_vi", "name_en", "default_department", "level", "active", "publish_by_default")


class OrgError(ValueError):
    """A refused change: ``errors`` maps each input at fault to its reason; ``status`` the HTTP answer."""

    def __init__(self, errors: Mapping[str, str], status: int = 422) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status


# -- reads --------------------------------------------------------------------

def departments_query(include_inactive: bool = False) -> Select[Department]:
    stmt = select(Department).order_by(Department.level.desc(), Department.name_vi)
    return stmt if include_inactive else stmt.where(Department.active.is_(True))


def categories_query(include_inactive: bool = False) -> Select[Category]:
    stmt = select(Category).order_by(Category.name_vi)
    return stmt if include_inactive else stmt.where(Category.active.is_(True))


def get_department(code: str) -> Department:
    row = db.session.scalar(select(Department).where(Department.code == code))
    if row is None:
        raise OrgError({"code": _("Không có đơn vị mã %(code)s", code=code[:CODE_MAX])}, 404)
    return row


def get_category(code: str) -> Category:
    row = db.session.scalar(select(Category).where(Category.code == code))
    if row is None:
        raise OrgError({"code": _("Không có lĩnh vực mã %(code)s", code=code[:CODE_MAX])}, 404)
    return row


def department_state(row: Department) -> dict[str, Any]:
    """A department as its audit rows show it."""
    return {"code": row.code, "name_vi": row.name_vi, "name_en": row.name_en, "level": row.level,
            "commune_codes": list(row.commune_codes or []), "active": row.active}


def category_state(row: Category) -> dict[str, Any]:
    """A category as its audit rows show it (its default department by code)."""
    return {"code": row.code, "name_vi": row.name_vi, "name_en": row.name_en, "level": row.level,
            "default_department": row.default_department.code, "active": row.active,
            "publish_by_default": row.publish_by_default}


# -- validation ---------------------------------------------------------------

def _text(errors: dict[str, str], name: str, value: Any, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Phải là chuỗi ký tự")
        return ""
    value = value.strip()
    problem = text_problem(value, NAME_MAX)
    if problem is not None:
        errors[name] = (_("Không được dài quá %(max)d ký tự (hiện có %(n)d)", max=NAME_MAX, n=len(value))
                        if len(value) > NAME_MAX else _("Có ký tự không hợp lệ"))
    elif required and not value:
        errors[name] = _("Bắt buộc nhập")
    return value


def _new_code(errors: dict[str, str], value: Any, model: type[Department] | type[Category]) -> tuple[str, bool]:
    """The code, and whether it is taken already (answered 409 when nothing else is wrong)."""
    code = value.strip() if isinstance(value, str) else ""
    if not CODE.fullmatch(code):
        errors["code"] = _("Mã gồm 2 đến %(max)d chữ in hoa không dấu, chữ số, dấu - hoặc _", max=CODE_MAX)
    elif db.session.scalar(select(model.id).where(model.code == code)) is not None:
        errors["code"] = _("Mã %(code)s đã được dùng", code=code)
        return code, True
    return code, False


def _level(errors: dict[str, str], value: Any) -> str:
    if value not in LEVELS:
        errors["level"] = _("Cấp phải là tỉnh hoặc xã/phường")
        return "province"
    return str(value)


def _active(errors: dict[str, str], value: Any) -> bool:
    if not isinstance(value, bool):
        errors["active"] = _("Giá trị không hợp lệ")
        return True
    return value


def _publish_default(errors: dict[str, str], value: Any) -> bool:
    """Whether a resolved ticket of the category is published unless the resolver says otherwise."""
    if not isinstance(value, bool):
        errors["publish_by_default"] = _("Giá trị không hợp lệ")
        return False
    return value


def _communes(errors: dict[str, str], value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["commune_codes"] = _("Phải là danh sách mã xã/phường")
        return []
    codes = list(dict.fromkeys(v.strip() for v in value if v.strip()))  # order kept, repeats dropped
    if len(codes) > MAX_COMMUNES:
        errors["commune_codes"] = _("Nhiều nhất %(max)d xã/phường", max=MAX_COMMUNES)
        return []
    unknown = [c for c in codes if len(c) > 10 or not commune_exists(c)]
    if unknown:
        shown = ", ".join(c[:10] for c in unknown[:5])
        errors["commune_codes"] = _("Mã xã/phường không có trong tỉnh: %(codes)s", codes=shown)
    return codes


def _department_ref(errors: dict[str, str], value: Any) -> Department | None:
    code = value.strip() if isinstance(value, str) else ""
    row = db.session.scalar(select(Department).where(Department.code == code)) if code else None
    if row is None:
        errors["default_department"] = (_("Không có đơn vị mã %(code)s", code=code[:CODE_MAX]) if code
                                        else _("Bắt buộc chọn"))
    elif not row.active:
        errors["default_department"] = _("Đơn vị %(code)s đã ngừng hoạt động", code=row.code)
    return row


def _refuse(errors: dict[str, str], status: int = 422) -> None:
    if errors:
        raise OrgError(errors, status)


def _flush(field: str) -> None:
    """Another admin may have taken the code between the check and the write."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise OrgError({field: _("Mã đã được dùng")}, 409) from exc


# -- writes -------------------------------------------------------------------

def create_department(data: Mapping[str, Any], actor: User | None) -> Department:
    errors: dict[str, str] = {}
    code, taken = _new_code(errors, data.get("code"), Department)
    values = {"name_vi": _text(errors, "name_vi", data.get("name_vi"), True),
              "name_en": _text(errors, "name_en", data.get("name_en"), False),
              "level": _level(errors, data.get("level", "province")),
              "commune_codes": _communes(errors, data.get("commune_codes")),
              "active": _active(errors, data.get("active", True))}
    _refuse(errors, 409 if taken and len(errors) == 1 else 422)
    row = Department(code=code, **values)
    db.session.add(row)
    _flush("code")
    audit.record("department_create", actor=actor, target_type="department", target_id=row.code,
                 details=audit.changes(None, department_state(row)))
    return row


def _common_edits(errors: dict[str, str], row: Department | Category, data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked values of the fields a department and a category share, for those ``data``
    sends; refusals into ``errors``. The code never changes."""
    if "code" in data and data["code"] != row.code:
        errors["code"] = _("Không đổi được mã sau khi tạo")
    values: dict[str, Any] = {}
    if "name_vi" in data:
        values["name_vi"] = _text(errors, "name_vi", data["name_vi"], True)
    if "name_en" in data:
        values["name_en"] = _text(errors, "name_en", data["name_en"], False)
    if "level" in data:
        values["level"] = _level(errors, data["level"])
    if "active" in data:
        values["active"] = _active(errors, data["active"])
    return values


def update_department(row: Department, data: Mapping[str, Any], actor: User | None) -> Department:
    """``data``: any of ``DEPARTMENT_FIELDS`` (a missing one stays); the code never changes."""
    errors: dict[str, str] = {}
    values = _common_edits(errors, row, data)
    if "commune_codes" in data:
        values["commune_codes"] = _communes(errors, data["commune_codes"])
    _refuse(errors)
    if row.active and values.get("active") is False:
        routed = db.session.scalars(select(Category.code).where(
            Category.default_department_id == row.id, Category.active.is_(True)).order_by(Category.code)).all()
        if routed:
            raise OrgError({"active": _(
                "Đơn vị đang là đơn vị xử lý mặc định của lĩnh vực: %(codes)s. Hãy chuyển các lĩnh vực đó "
                "sang đơn vị khác trước", codes=", ".join(routed))}, 409)
    before = department_state(row)
    for name, value in values.items():
        setattr(row, name, value)
    _flush("code")
    after = department_state(row)
    if after != before:  # saving an unchanged form is no change to record
        audit.record("department_update", actor=actor, target_type="department", target_id=row.code,
                     details=audit.changes(before, after))
    return row


def create_category(data: Mapping[str, Any], actor: User | None) -> Category:
    errors: dict[str, str] = {}
    code, taken = _new_code(errors, data.get("code"), Category)
    name_vi = _text(errors, "name_vi", data.get("name_vi"), True)
    name_en = _text(errors, "name_en", data.get("name_en"), False)
    department = _department_ref(errors, data.get("default_department"))
    level = _level(errors, data.get("level", "province"))
    active = _active(errors, data.get("active", True))
    publish_by_default = _publish_default(errors, data.get("publish_by_default", False))
    _refuse(errors, 409 if taken and len(errors) == 1 else 422)
    row = Category(code=code, name_vi=name_vi, name_en=name_en, level=level, active=active,
                   publish_by_default=publish_by_default, default_department=department,
                   search_text=_search_text(code, name_vi, name_en))
    db.session.add(row)
    _flush("code")
    audit.record("category_create", actor=actor, target_type="category", target_id=row.code,
                 details=audit.changes(None, category_state(row)))
    return row


def update_category(row: Category, data: Mapping[str, Any], actor: User | None) -> Category:
    """``data``: any of ``CATEGORY_FIELDS`` (a missing one stays); the code never changes."""
    errors: dict[str, str] = {}
    values = _common_edits(errors, row, data)
    if "publish_by_default" in data:
        values["publish_by_default"] = _publish_default(errors, data["publish_by_default"])
    department = row.default_department
    if "default_department" in data and data["default_department"] != department.code:
        department = _department_ref(errors, data["default_department"])  # type: ignore[assignment]
        values["default_department"] = department
    elif values.get("active", row.active) and not department.active:
        # Activating a category whose department has since stopped: it would route nowhere.
        errors["default_department"] = _("Đơn vị %(code)s đã ngừng hoạt động", code=department.code)
    _refuse(errors)
    before = category_state(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.search_text = _search_text(row.code, row.name_vi, row.name_en)
    _flush("code")
    after = category_state(row)
    if after != before:  # saving an unchanged form is no change to record
        audit.record("category_update", actor=actor, target_type="category", target_id=row.code,
                     details=audit.changes(before, after))
    return row


def _search_text(code: str, name_vi: str, name_en: str) -> str:
    """As the seed writes it: "moi truong" finds "Môi trường"."""
    return search_key(f"{name_vi} {name_en} {code}")[:500]


def active_departments() -> Sequence[Department]:
    """The departments a category may route to, for the forms' lists."""
    return db.session.scalars(departments_query()).all()
