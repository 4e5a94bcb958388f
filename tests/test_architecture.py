"""The architecture of DESIGN.md §2: imports point one way (adapters → services → db →
domain → errors), no adapter reaches the database but through a command or a query, every
command has exactly one handler, and every command the API exposes is in the authorization
table."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import onhand.domain
from onhand.domain.commands import Command
from onhand.services import executor

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "onhand"

# which onhand packages each layer may import (besides itself)
ALLOWED = {
    "errors": set(),
    "config": {"errors"},
    "domain": {"errors"},
    "db": {"domain", "errors", "config"},
    "services": {"db", "domain", "errors", "config"},
}
ADAPTERS = {"api", "cli", "library"}  # turn input into commands and queries, render results
# the composition roots: they build the engine (and the API its token reader and group commit)
COMPOSITION_ROOTS = {"inventory.py", "api/app.py"}
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
def test_no_adapter_imports_the_database_layer(path: Path) -> None:
    relative = str(path.relative_to(PACKAGE))
    if _layer(path) not in ADAPTERS or relative in COMPOSITION_ROOTS:
        return
    reached = sorted(n for n in _imports(path) if n == "onhand.db" or n.startswith("onhand.db."))
    assert not reached, f"{relative} imports {reached}: build a command or call a query instead"


def test_the_composition_roots_exist() -> None:
    assert all((PACKAGE / root).is_file() for root in COMPOSITION_ROOTS)


def _commands() -> set[type]:
    for module in pkgutil.walk_packages(onhand.domain.__path__, "onhand.domain."):
        importlib.import_module(module.name)
    found: set[type] = set()
    waiting: list[type] = [Command]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            # a slots dataclass replaces its class: keep the one its module names
            if (sub.__module__.startswith("onhand.domain.")
                    and getattr(sys.modules[sub.__module__], sub.__qualname__, None) is sub):
                found.add(sub)
            waiting.append(sub)
    return found


def test_every_command_has_exactly_one_handler_in_its_features_service() -> None:
    registered = executor.handlers()  # a second handler for a command raises as it registers
    commands = _commands()
    assert len(commands) > 10
    assert sorted(c.__name__ for c in commands if c not in registered) == []
    strays = sorted(c.__name__ for c in registered if c not in commands)
    assert strays == [], f"handlers of commands outside domain/: {strays}"
    for command, handler in registered.items():
        assert handler.__module__.startswith("onhand.services."), (command, handler.__module__)
        assert isinstance(command.action, str) and re.fullmatch(r"[a-z_]+\.[a-z_]+",
                                                                command.action), command


def test_every_command_the_api_exposes_has_a_row_in_the_authorization_table() -> None:
    from tests.api.test_authorization import TABLE

    rows = {" ".join(line.split()[:2]) for line in TABLE.splitlines() if line[:4] in ("GET ", "POST")}
    names = {c.__name__ for c in _commands()}
    exposed = _api_commands(names)
    assert exposed, "no API route submits a command"
    missing = sorted(f"{route} ({command})" for route, command in exposed if route not in rows)
    assert missing == []


def _api_commands(names: set[str]) -> set[tuple[str, str]]:
    """Return (``POST /v1/…``, command class) for each command a route builds."""
    found = set()
    for path in sorted((PACKAGE / "api" / "routes").glob("*.py")):
        tree = ast.parse(path.read_text())
        prefix = next((kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
                       and getattr(node.func, "id", None) == "APIRouter"
                       for kw in node.keywords if kw.arg == "prefix"
                       and isinstance(kw.value, ast.Constant)), "")
        for function in (n for n in tree.body if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)):
            route = _route_of(function, prefix)
            built = {n.func.id for n in ast.walk(function) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id in names}
            found |= {(route, command) for command in built if route is not None}
    return found


def _route_of(function: ast.AsyncFunctionDef | ast.FunctionDef, prefix: str) -> str | None:
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ("get", "post") and decorator.args
                and isinstance(decorator.args[0], ast.Constant)):
            return f"{decorator.func.attr.upper()} {prefix}{decorator.args[0].value}"
    return None


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
