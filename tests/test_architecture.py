"""The import direction of DESIGN.md §2: adapters → services → db → domain → errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "onhand"

# which onhand packages each layer may import (besides itself)
ALLOWED = {
    "errors": set(),
    "config": {"errors"},
    "domain": {"errors"},
    "db": {"domain", "errors", "config"},
    "services": {"db", "domain", "errors", "config"},
}
SQLALCHEMY_ONLY_IN = {"db"}
PURE_DOMAIN_STDLIB = {
    "__future__", "collections", "dataclasses", "datetime", "decimal", "hashlib", "json", "re",
    "typing", "enum", "itertools", "functools", "math", "csv", "io", "random", "zoneinfo",
}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_the_layers_below_it(path: Path) -> None:
    layer = _layer(path)
    if layer not in ALLOWED:
        return  # adapters and the composition root may import every layer
    for name in _imports(path):
        if name.startswith("onhand."):
            target = name.split(".")[1]
            assert target == layer or target in ALLOWED[layer], f"{layer} imports {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_db_package_imports_sqlalchemy(path: Path) -> None:
    if _layer(path) in SQLALCHEMY_ONLY_IN or "migrations" in path.parts:
        return
    offenders = {n for n in _imports(path) if n.split(".")[0] in ("sqlalchemy", "alembic")}
    # services may catch the driver's IntegrityError only through sqlalchemy.exc
    if _layer(path) == "services":
        offenders -= {"sqlalchemy.exc"}
    assert not offenders, f"{path.name} imports {offenders}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE / "domain")))
def test_the_domain_imports_only_the_standard_library(path: Path) -> None:
    for name in _imports(path):
        root = name.split(".")[0]
        assert root in PURE_DOMAIN_STDLIB or name.startswith(("onhand.domain", "onhand.errors")), (
            f"domain/{path.relative_to(PACKAGE / 'domain')} imports {name}"
        )
