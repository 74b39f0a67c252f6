"""Every marshmallow schema is declared in ``callcentre.schemas`` (the OpenAPI components are
named after the classes; one package to look in), never beside the views or the integrations.
Import directions between the layers are tested in tests/test_architecture.py."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from marshmallow import Schema

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / "callcentre" / package).rglob("*.py"))


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


@pytest.mark.parametrize("package", ["api", "open311", "messaging", "web"])
def test_schemas_are_declared_in_the_schemas_package(package: str) -> None:
    for path in _modules(package):
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    strays = sorted(f"{c.__module__}.{c.__name__}" for c in _subclasses(Schema)
                    if c.__module__.startswith(f"callcentre.{package}"))
    # page_envelope() builds its class with Schema.from_dict (module marshmallow): find the calls.
    strays += [f"{path.relative_to(ROOT)}:{node.lineno}"
               for path in _modules(package) for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Call) and ast.unparse(node.func) in ("page_envelope", "Schema.from_dict")]
    assert strays == []
