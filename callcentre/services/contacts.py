"""Find or create a citizen by phone, safely under concurrency."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Contact, utcnow


def get_or_create_contact(phone_e164: str, name: str | None = None, language: str = "vi") -> Contact:
    """One upsert statement: two calls from one number at once end with one contact and
    neither request fails. A name is filled in only where none was known."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    stmt = insert(Contact).values(phone=phone_e164, name=name, language=language, sms_consent=True,
                                  created_at=now, updated_at=now)
    # DO UPDATE (not DO NOTHING) so RETURNING also yields the existing row.
    stmt = stmt.on_conflict_do_update(
        index_elements=["phone"], set_={"name": func.coalesce(Contact.__table__.c.name, stmt.excluded.name)}
    ).returning(Contact)
    return db.session.scalars(
        select(Contact).from_statement(stmt), execution_options={"populate_existing": True}
    ).one()
