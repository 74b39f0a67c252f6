"""Dialect helpers for the few statements SQLAlchemy spells per database."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(dialect_name: str, table: Any) -> Any:
    """``INSERT`` that accepts ``on_conflict_do_*`` (PostgreSQL and SQLite both have it)."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(table)
