"""One Alembic head, and the migrated schema equals the models (no drift)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from callcentre.core.extensions import db
from callcentre.models.ddl import include_object_for

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def test_single_head() -> None:
    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_on_empty_database_matches_models(session_app, services) -> None:
    """The session database was built by ``upgrade`` alone (see conftest); compare it."""
    with session_app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": include_object_for(conn.dialect.name)})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff
    assert services.is_postgres == bool(os.environ.get("TEST_DATABASE_URL"))


def test_downgrade_then_upgrade_round_trips(make_app, tmp_path) -> None:
    from flask_migrate import downgrade, upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'rt.db'}")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include_object_for(conn.dialect.name)})
            assert compare_metadata(ctx, db.metadata) == []
