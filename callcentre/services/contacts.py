"""Find or create a citizen by phone, safely under concurrency."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Contact, utcnow


def get_or_create_contact(phone_e164: str, name: str | None = None, language: str = "vi") -> Contact:
    """INSERT ... ON CONFLICT DO NOTHING, then read: two calls from one number at once
    end with one contact and neither request fails."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    db.session.execute(
        insert(Contact)
        .values(phone=phone_e164, name=name, language=language, sms_consent=True,
                created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["phone"])
    )
    contact = db.session.scalars(select(Contact).where(Contact.phone == phone_e164)).one()
    if name and not contact.name:
        contact.name = name
    return contact
