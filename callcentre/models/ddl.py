"""Schema objects built on some databases only (``Index(...).ddl_if(dialect=...)``).

``create_all`` and the migrations already leave them out elsewhere, but Alembic's comparison does
not read ``ddl_if`` (sqlalchemy/alembic#1491) and would report them missing there. Its
``include_object`` hook, made here for the database at hand, leaves them out of the comparison
too: migrations/env.py (autogenerate) and tests/test_migrations.py (no drift) both use it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.schema import SchemaItem

IncludeObject = Callable[[SchemaItem, str | None, str, bool, SchemaItem | None], bool]


def include_object_for(dialect_name: str) -> IncludeObject:
    """Alembic's ``include_object``: False for a model object whose ``ddl_if`` names other databases."""

    def include_object(obj: SchemaItem, name: str | None, type_: str, reflected: bool,
                       compare_to: SchemaItem | None) -> bool:
        model_side = compare_to if reflected else obj
        condition = getattr(model_side, "_ddl_if", None)
        if condition is None or condition.dialect is None:
            return True
        wanted = condition.dialect
        return dialect_name == wanted if isinstance(wanted, str) else dialect_name in wanted

    return include_object
