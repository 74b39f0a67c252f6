"""Find or create a citizen by phone, safely under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, func, select

from callcentre.core.dialect import upsert_insert
from callcentre.core.extensions import db
from callcentre.models import Contact, utcnow


def contact_upsert(dialect_name: str, phone_e164: str, name: str | None, language: str, now: datetime) -> Insert:
    """One statement: two calls from one number at once end with one contact and neither request
    fails. A name is filled in only where none was known. Add ``.returning(...)`` to read the row:
    DO UPDATE (not DO NOTHING) so that RETURNING also yields an existing one."""
    stmt = upsert_insert(dialect_name, Contact).values(phone=phone_e164, name=name, language=language,
                                                       sms_consent=True, created_at=now, updated_at=now)
    return stmt.on_conflict_do_update(
        index_elements=["phone"], set_={"name": func.coalesce(Contact.__table__.c.name, stmt.excluded.name)}
    )


def get_or_create_contact(phone_e164: str, name: str | None = None, language: str = "vi") -> Contact:
    stmt = contact_upsert(db.session.get_bind().dialect.name, phone_e164, name, language, utcnow())
    return db.session.scalars(
        select(Contact).from_statement(stmt.returning(Contact)), execution_options={"populate_existing": True}
    ).one()
