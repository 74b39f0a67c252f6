"""Baseline for the intake benchmark: the least a Flask ticket endpoint can do.

POST /tickets parses the JSON body and does ONE insert (SQLAlchemy Core, pooled
engine with the app's default pool settings) and answers 201 {"id": ...}. Served
by the same gunicorn config as the app, against the same PostgreSQL server, it
measures what the framework + server + database round trip cost on this machine,
so the app's number can be read as a ratio rather than in a vacuum.

Run by bench/intake.py as ``gunicorn -c gunicorn.conf.py --pythonpath bench baseline_app:app``
with DATABASE_URL set. Importing this module connects to nothing; the table is
created by the bench (``create_schema``) before the server starts.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()
baseline_tickets = sa.Table(
    "bench_baseline_tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # serial
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# The app's default engine options (config.Config.SQLALCHEMY_ENGINE_OPTIONS; Flask-SQLAlchemy
# adds nothing for PostgreSQL): QueuePool with SQLAlchemy's defaults and a ping per checkout.
ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

app = Flask(__name__)
_engine: sa.Engine | None = None


def engine() -> sa.Engine:
    """One pooled engine per process (per gunicorn worker), created on first use."""
    global _engine
    if _engine is None:
        _engine = sa.create_engine(os.environ["DATABASE_URL"], **ENGINE_OPTIONS)
    return _engine


def create_schema(database_url: str) -> None:
    """Create (or empty) the baseline table; called by the bench, never at import."""
    eng = sa.create_engine(database_url)
    try:
        metadata.drop_all(eng)
        metadata.create_all(eng)
    finally:
        eng.dispose()


@app.post("/tickets")
def create_ticket():
    payload = request.get_json()
    with engine().begin() as conn:
        ticket_id = conn.execute(
            sa.insert(baseline_tickets).values(payload=payload).returning(baseline_tickets.c.id)
        ).scalar_one()
    return jsonify(id=ticket_id), 201


@app.get("/readyz")
def readyz():
    with engine().connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return jsonify(status="ready")
