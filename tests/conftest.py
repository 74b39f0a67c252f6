"""Test fixtures: a real database and a real Redis, never mocks.

Database: SQLite in a temporary file by default; ``TEST_DATABASE_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) makes the session
create a scratch database on that server and drop it at the end.
Redis: an embedded redis-server started for the session by default;
``TEST_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/15``) uses that database
and flushes it between tests.

The schema is built by ``alembic upgrade`` (so every test also runs on the
migrated schema). Reference data and one user per role are loaded once;
each test then starts from empty transactional tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from callcentre import create_app
from callcentre.core.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from callcentre.core.extensions import db
from config import TestConfig

# Tables that keep their rows for the whole session (reference data, users).
SESSION_TABLES = {"alembic_version", "departments", "categories", "users", "api_tokens"}
ROLE_USERS = ("operator", "officer", "head", "officer_ct", "supervisor", "admin")


@dataclass
class Services:
    database_url: str
    redis_url: str
    instance_dir: Path
    is_postgres: bool


def _scratch_postgres(base_url: str) -> tuple[str, Callable[[], None]]:
    """Create a throw-away database on the server of ``base_url``."""
    name = f"cc_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    instance = tmp_path_factory.mktemp("instance")
    cleanups: list[Callable[[], None]] = []
    base_db = os.environ.get("TEST_DATABASE_URL")
    if base_db:
        database_url, drop = _scratch_postgres(base_db)
        cleanups.append(drop)
    else:
        database_url = f"sqlite:///{instance / 'test.db'}"
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        # Short path: unix sockets allow ~100 characters.
        redis_dir = Path(f"/tmp/cc-redis-{uuid.uuid4().hex[:8]}")
        redis_url = ensure_embedded_redis(redis_dir)
        cleanups.append(lambda: stop_embedded_redis(redis_dir))
    try:
        yield Services(database_url, redis_url, instance, bool(base_db))
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


def make_config(services: Services, **overrides: Any) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": services.database_url,
        "REDIS_URL": services.redis_url,
        "INSTANCE_DIR": str(services.instance_dir),
        "PUBLIC_BASE_URL": "https://1022.example.vn",
        "SECRET_KEY": "test-secret",
        **overrides,
    }


@pytest.fixture(scope="session")
def session_app(services: Services) -> Iterator[Flask]:
    app = create_app(TestConfig, make_config(services))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _seed_session_data()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed_session_data() -> None:
    from werkzeug.security import generate_password_hash

    from callcentre.cli import seed_data
    from callcentre.cli.seed import seed_reference_data
    from callcentre.models import Department, User

    seed_reference_data()
    db.session.flush()
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    # One cheap hash for all: scrypt per user would slow the session start for nothing.
    password_hash = generate_password_hash(seed_data.DEMO_PASSWORD, method="pbkdf2:sha256:1000")
    for username, role, dept_code, full_name in seed_data.DEMO_USERS:
        db.session.add(User(username=username, role=role, full_name=full_name, password_hash=password_hash,
                            department=departments[dept_code] if dept_code else None))
    db.session.commit()


def _clear_transactional_tables() -> None:
    # Only tables the migrations created: a model without its migration is the
    # migration test's finding, not every test's.
    existing = set(sa.inspect(db.engine).get_table_names())
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in SESSION_TABLES and t.name in existing]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # TRUNCATE costs per table (new files for each), and a test touches a few of ~45: only
            # the tables that hold rows or whose id sequence has been used since its last restart.
            used = set(conn.execute(sa.text(
                "SELECT regexp_replace(sequencename, '_id_seq$', '') FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL")).scalars())
            rows = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
            dirty = used | set(conn.execute(sa.text(rows)).scalars())
            names = [t.name for t in tables if t.name in dirty]
            if names:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def app(session_app: Flask) -> Flask:
    """The session's app with empty transactional tables and an empty Redis.

    No app context stays pushed: a request made while one is active would
    reuse it (and its ``g``), which never happens in production. Tests read
    the database inside ``with app.app_context():`` or through ``count``.
    """
    from callcentre.core.redis_client import get_redis

    with session_app.app_context():
        _clear_transactional_tables()
        get_redis(session_app).flushdb()
    return session_app


@pytest.fixture()
def count(app: Flask) -> Callable[..., int]:
    """``count(Ticket)`` or ``count(Ticket, Ticket.status == "closed")``, in a fresh context."""

    def counter(model: Any, *where: Any) -> int:
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return counter


@pytest.fixture()
def make_app(services: Services, session_app: Flask) -> Callable[..., Flask]:
    """Another app on the same database and Redis, with config overrides."""

    def factory(**overrides: Any) -> Flask:
        return create_app(TestConfig, make_config(services, **overrides))

    return factory


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def tokens(session_app: Flask) -> dict[str, str]:
    """A bearer token per demo user, issued once."""
    from callcentre.models import User
    from callcentre.services.accounts import issue_token

    out: dict[str, str] = {}
    with session_app.app_context():
        for username in ROLE_USERS:
            user = db.session.scalars(sa.select(User).where(User.username == username)).one()
            _, out[username] = issue_token(user)
        db.session.commit()
    return out


class Api:
    """A JSON client that acts as one user."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.open(path, method=method, headers={**self.headers, **(headers or {})}, **kw)

    def get(self, path: str, **kw: Any):
        return self._call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self._call("POST", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any):
        return self._call("PATCH", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self._call("PUT", path, json=json, **kw)


@pytest.fixture()
def api_as(client: FlaskClient, tokens: dict[str, str]) -> Callable[[str | None], Api]:
    """``api_as("operator").post(...)``; ``api_as(None)`` is anonymous."""

    def factory(username: str | None) -> Api:
        return Api(client, tokens[username] if username else None)

    return factory


def free_port() -> int:
    """A loopback port nobody listens on (for a server the test starts, or to stand for one that is down)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ticket_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone",
        "category": "TN-MT",
        "description": "Khói bụi từ lò gạch gần chợ Mỹ Tho gây ô nhiễm",
        "contact": {"phone": "0912345678", "name": "Nguyễn Văn An"},
        "location": {"commune_code": "28261", "address": "12 Lê Lợi"},
    }
    body.update(overrides)
    return body


def fire(api: Api, ticket_id: int, trigger: str, **fields: Any) -> dict[str, Any]:
    """Fire ``trigger`` on the ticket through the API, which must accept it; the answer's JSON."""
    resp = api.post(f"/api/v1/tickets/{ticket_id}/transitions", {"trigger": trigger, **fields})
    assert resp.status_code == 200, resp.json
    return resp.json
