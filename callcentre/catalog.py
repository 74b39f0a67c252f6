"""The routing catalogue as a per-process snapshot, so taking in a ticket reads none of it.

What intake needs to know about a category — its department, the SLA terms for each priority and
their working calendar — changes a few times a year but was read on every ticket (two statements
and their ORM loading). A :class:`Catalog` holds all of it, immutable, per app (per process).

It is valid while ``catalog_stamp.stamp`` is unchanged: every ORM flush that writes a category,
department, SLA policy, calendar or calendar exception replaces the stamp in the same
transaction (``_replace_stamp_on_catalog_writes``), so a request reading the stamp sees the
catalogue it belongs to. The stamp is random, not a counter: a re-created or truncated database,
or a rolled-back change, can never match an older snapshot. Edits made behind the ORM's back
(SQL by hand) are picked up after ``CATALOG_CACHE_SECONDS`` at the latest.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from callcentre.core.dialect import upsert_insert
from callcentre.models import CalendarException, CatalogStamp, Category, Department, SlaPolicy, WorkCalendar, utcnow
from workflows.calendar import WorkingCalendar

CATALOG_MODELS = (Category, Department, SlaPolicy, WorkCalendar, CalendarException)


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name_vi: str
    name_en: str
    active: bool
    department: DepartmentInfo  # the default department tickets of this category go to


@dataclass(frozen=True)
class IntakeTerms:
    """The SLA terms of one category and priority, with their calendar already built."""

    policy_id: int | None
    accept_within: str
    resolve_within: str
    warn_at: float
    calendar_id: int
    calendar: WorkingCalendar


@dataclass(frozen=True)
class Catalog:
    stamp: str
    loaded_at: float  # time.monotonic()
    categories: dict[str, CategoryInfo]
    policies: dict[tuple[int, str], IntakeTerms] = field(repr=False)
    defaults: dict[str, IntakeTerms] = field(repr=False)  # by priority, for categories without a policy

    def category(self, code: str) -> CategoryInfo | None:
        """The active category with this code."""
        info = self.categories.get(code)
        return info if info is not None and info.active else None

    def terms(self, category_id: int, priority: str) -> IntakeTerms:
        """As ``sla.policies.terms_for``: this priority's policy, else the "normal" one, else the defaults."""
        return (self.policies.get((category_id, priority)) or self.policies.get((category_id, "normal"))
                or self.defaults.get(priority) or self.defaults["normal"])


def current_catalog(session: Session, verify: bool = True) -> Catalog:
    """The snapshot for the stamp this transaction sees: one indexed read, or a reload.

    ``verify=False`` skips the read and returns the cached snapshot as it is (if not expired):
    for a caller whose writes check ``Catalog.stamp`` themselves and call again with
    ``verify=True`` when that check fails (the PostgreSQL intake statement).
    """
    holder: dict[str, Catalog] = current_app.extensions.setdefault("catalog", {})
    snap = holder.get("snapshot")
    fresh = snap is not None and time.monotonic() - snap.loaded_at <= current_app.config["CATALOG_CACHE_SECONDS"]
    if not verify and fresh:
        return snap  # type: ignore[return-value]
    stamp = read_stamp(session)
    if not fresh or snap is None or snap.stamp != stamp:
        snap = _load(session, stamp)
        holder["snapshot"] = snap  # a reference swap: threads see the old or the new one, whole
    return snap


def read_stamp(session: Session) -> str:
    stamp = session.execute(select(CatalogStamp.stamp).where(CatalogStamp.id == 1)).scalar()
    if stamp is None:  # emptied table (tests truncate it): start a new one
        replace_stamp(session)
        stamp = session.execute(select(CatalogStamp.stamp).where(CatalogStamp.id == 1)).scalar_one()
    return stamp


def replace_stamp(session: Session) -> None:
    """A new random stamp, in the caller's transaction: it commits or rolls back with the change."""
    conn = session.connection()
    stmt = upsert_insert(conn.dialect.name, CatalogStamp.__table__).values(
        id=1, stamp=uuid.uuid4().hex, changed_at=utcnow())
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["id"], set_={"stamp": stmt.excluded.stamp, "changed_at": stmt.excluded.changed_at}))


def _load(session: Session, stamp: str) -> Catalog:
    from callcentre.sla.calendars import TWENTY_FOUR_SEVEN, WORKING_HOURS, ensure_default_calendars, to_working_calendar

    # Read after the stamp: if the catalogue changes in between, the snapshot is newer than its
    # stamp and the next request reloads it; it can never be older.
    calendars = {c.id: c for c in session.scalars(select(WorkCalendar).options(selectinload(WorkCalendar.exceptions)))}
    names = {c.name: c for c in calendars.values()}
    if WORKING_HOURS not in names or TWENTY_FOUR_SEVEN not in names:
        ensure_default_calendars()  # replaces the stamp if it created one
        return _load(session, read_stamp(session))
    built = {cid: to_working_calendar(row) for cid, row in calendars.items()}
    departments = {
        r.id: DepartmentInfo(r.id, r.code, r.name_vi, r.name_en)
        for r in session.execute(select(Department.id, Department.code, Department.name_vi, Department.name_en))
    }
    categories = {
        r.code: CategoryInfo(r.id, r.code, r.name_vi, r.name_en, r.active, departments[r.default_department_id])
        for r in session.execute(select(Category.id, Category.code, Category.name_vi, Category.name_en,
                                        Category.active, Category.default_department_id))
    }
    policies = {
        (p.category_id, p.priority): IntakeTerms(p.id, p.accept_within, p.resolve_within, p.warn_at,
                                                 p.calendar_id, built[p.calendar_id])
        for p in session.execute(select(SlaPolicy.id, SlaPolicy.category_id, SlaPolicy.priority,
                                        SlaPolicy.accept_within, SlaPolicy.resolve_within, SlaPolicy.warn_at,
                                        SlaPolicy.calendar_id))
    }
    cfg = current_app.config

    def default(calendar_name: str) -> IntakeTerms:
        row = names[calendar_name]
        return IntakeTerms(None, cfg["SLA_DEFAULT_ACCEPT"], cfg["SLA_DEFAULT_RESOLVE"], cfg["SLA_DEFAULT_WARN_AT"],
                           row.id, built[row.id])

    defaults = {"normal": default(WORKING_HOURS), "high": default(WORKING_HOURS),
                "urgent": default(TWENTY_FOUR_SEVEN)}
    return Catalog(stamp, time.monotonic(), categories, policies, defaults)


def _touches_catalog(session: Session) -> bool:
    def any_catalog(objs: Iterable[Any], check_modified: bool = False) -> bool:
        return any(isinstance(o, CATALOG_MODELS) and (not check_modified or session.is_modified(o)) for o in objs)

    return any_catalog(session.new) or any_catalog(session.deleted) or any_catalog(session.dirty, True)


@event.listens_for(Session, "before_flush")
def _replace_stamp_on_catalog_writes(session: Session, _ctx: Any, _instances: Any) -> None:
    if _touches_catalog(session):
        replace_stamp(session)
