"""Test data for routing by place: real Đồng Tháp communes, and departments and categories made
by each test (they are session-wide tables: ``restored_org`` puts every row back as it was).

The seed may give every commune its People's Committee (``UBND-<code>``); a test that makes its
own committee for a commune first takes the commune off any other department (``committee``),
so exactly one claims it, whatever the seed holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask

from callcentre.core.extensions import db
from callcentre.formats.geo import communes
from callcentre.models import Category, Department
from tests.conftest import _clear_transactional_tables


def code_of(name: str) -> str:
    """The commune code of a unit of province 82, by its full name ("Phường Mỹ Tho")."""
    (code,) = [c for c, n in communes().items() if n == name]
    return code


MY_THO = code_of("Phường Mỹ Tho")
DAO_THANH = code_of("Phường Đạo Thạnh")
TAN_HUONG = code_of("Xã Tân Hương")
TAN_THANH = code_of("Xã Tân Thành")
TAN_THANH_DOT = code_of("Xã Tân Thạnh")  # the same letters as Tân Thành without diacritics


def _columns(row: Any) -> dict[str, Any]:
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}
    if "commune_codes" in values:
        values["commune_codes"] = list(values["commune_codes"] or [])
    return values


def restored_org(app: Flask) -> Iterator[None]:
    """Yield, then put departments and categories back as they were (new ones deleted)."""
    with app.app_context():
        departments = {d.code: _columns(d) for d in db.session.scalars(sa.select(Department))}
        categories = {c.code: _columns(c) for c in db.session.scalars(sa.select(Category))}
    yield
    with app.app_context():
        _clear_transactional_tables()  # tickets and rules of the test's rows go first
        for c in db.session.scalars(sa.select(Category)).all():
            if c.code in categories:
                for name, value in categories[c.code].items():
                    setattr(c, name, value)
            else:
                db.session.delete(c)
        db.session.flush()
        for d in db.session.scalars(sa.select(Department)).all():
            if d.code in departments:
                for name, value in departments[d.code].items():
                    setattr(d, name, value)
            else:
                db.session.delete(d)
        db.session.commit()


def department(code: str, name_vi: str, level: str = "province", commune_codes: tuple[str, ...] = ()) -> Department:
    """A new active department (in the caller's app context; committed)."""
    row = Department(code=code, name_vi=name_vi, name_en=name_vi, level=level, commune_codes=list(commune_codes),
                     active=True)
    db.session.add(row)
    db.session.commit()
    return row


def unclaim(*commune_codes: str) -> None:
    """No department answers for these communes any more (committed)."""
    for other in db.session.scalars(sa.select(Department)).all():
        kept = [c for c in (other.commune_codes or []) if c not in commune_codes]
        if kept != list(other.commune_codes or []):
            other.commune_codes = kept
    db.session.commit()


def committee(code: str, name_vi: str, *commune_codes: str) -> Department:
    """A commune People's Committee, the only active department claiming its communes."""
    unclaim(*commune_codes)
    return department(code, name_vi, "commune", commune_codes)


def category(code: str, name_vi: str, default: Department, level: str = "province") -> Category:
    row = Category(code=code, name_vi=name_vi, name_en=name_vi, default_department=default, level=level,
                   search_text=code.lower(), active=True)
    db.session.add(row)
    db.session.commit()
    return row


def place_setup() -> dict[str, str]:
    """The routing world most tests use: a province department, two ward People's Committees and
    a commune-level and a province-level category. Returns their codes."""
    province = department("ZZ-SO", "Sở thử nghiệm")
    other = department("ZZ-SO2", "Sở thử nghiệm 2")
    committee("ZZ-UBND-MYTHO", "UBND phường Mỹ Tho (thử)", MY_THO)
    committee("ZZ-UBND-TANHUONG", "UBND xã Tân Hương (thử)", TAN_HUONG)
    category("ZZ-VESINH", "Vệ sinh thử nghiệm", province, "commune")
    category("ZZ-TINH", "Việc cấp tỉnh thử nghiệm", province, "province")
    return {"province": province.code, "other": other.code}
