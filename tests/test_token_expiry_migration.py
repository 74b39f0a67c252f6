"""Migration 0009: tokens issued before it expire 90 days after they were created."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from callcentre.core.extensions import db
from callcentre.models import ApiToken
from tests.conftest import _scratch_postgres


def test_existing_tokens_get_created_at_plus_90_days(make_app, tmp_path) -> None:
    from flask_migrate import downgrade, upgrade

    base = os.environ.get("TEST_DATABASE_URL")
    url, drop = _scratch_postgres(base) if base else (f"sqlite:///{tmp_path / 'expiry.db'}", lambda: None)
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    created = [datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), datetime(2026, 6, 30, 23, 59, tzinfo=UTC)]
    try:
        with app.app_context():
            upgrade(revision="0008")
            with db.engine.begin() as conn:
                users = sa.table("users", *(sa.column(c) for c in ("id", "username", "full_name", "password_hash",
                                                                   "role")),
                                 sa.column("active", sa.Boolean()), sa.column("created_at", sa.DateTime(timezone=True)))
                conn.execute(users.insert().values(id=1, username="old", full_name="", password_hash="x",
                                                   role="operator", active=True, created_at=created[0]))
                tokens = sa.table("api_tokens", *(sa.column(c) for c in ("id", "user_id", "token_hash", "prefix")),
                                  sa.column("created_at", sa.DateTime(timezone=True)))
                conn.execute(tokens.insert(), [{"id": i + 1, "user_id": 1, "token_hash": f"h{i}", "prefix": f"cc_{i}",
                                                "created_at": c} for i, c in enumerate(created)])
            upgrade()
            rows = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
            assert [r.expires_at for r in rows] == [c + timedelta(days=90) for c in created]
            assert rows[0].state == "expired"  # older than 90 days when the migration ran
            db.session.remove()
            downgrade(revision="0008")
            assert "expires_at" not in {c["name"] for c in sa.inspect(db.engine).get_columns("api_tokens")}
            db.engine.dispose()
    finally:
        drop()
