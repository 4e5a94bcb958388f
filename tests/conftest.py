"""Fixtures: a fresh, migrated database per test, on SQLite or on PostgreSQL.

The engine comes from ``ONHAND_TEST_DATABASE_URL``: unset means SQLite files under the
test's tmp dir; a PostgreSQL URL (an admin connection such as
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) means a new database per test,
cloned from a template migrated once per run, all dropped at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import onhand
from onhand.config import Settings
from onhand.db import migrate
from onhand.db.engine import make_engine

ADMIN_URL = os.environ.get("ONHAND_TEST_DATABASE_URL", "")
ENGINE = "postgresql" if ADMIN_URL.startswith("postgresql") else "sqlite"
# DROP DATABASE waits for a checkpoint (~0.5 s each); dropped together, they share checkpoints
DROP_TOGETHER = 16


def pytest_report_header() -> str:
    return f"onhand test database: {ENGINE} {ADMIN_URL or '(files in tmp)'}"


class Databases:
    """Hands out fresh database URLs cloned from one migrated template."""

    def __init__(self, workdir: Path) -> None:
        self.run = uuid.uuid4().hex[:10]
        self.workdir = workdir
        self.count = 0
        self.created: list[str] = []
        self.unused: list[str] = []
        if ENGINE == "postgresql":
            self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            self.template = f"onhand_test_{self.run}_tmpl"
            self._execute(f'CREATE DATABASE "{self.template}"')
            self.created.append(self.template)
            self._migrate(self._url(self.template))
        else:
            self.template_file = workdir / "template.db"
            self._migrate(f"sqlite:///{self.template_file}")

    def _url(self, name: str) -> str:
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    @staticmethod
    def _migrate(url: str) -> None:
        engine = make_engine(Settings(database_url=url))
        migrate.upgrade(engine)
        engine.dispose()

    def fresh(self, directory: Path) -> str:
        """Return the URL of a new, migrated, empty database."""
        self.count += 1
        if ENGINE == "postgresql":
            name = f"onhand_test_{self.run}_{self.count}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.created.append(name)
            return self._url(name)
        target = directory / f"onhand-{self.count}.db"
        shutil.copyfile(self.template_file, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Drop a database a test is done with (on PostgreSQL, a few at a time)."""
        if ENGINE == "postgresql":
            self.unused.append(str(make_url(url).database))
            if len(self.unused) >= DROP_TOGETHER:
                self._drop(self.unused)

    def _drop(self, names: list[str]) -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(self._execute,
                          [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names]))
        for name in names:
            self.created.remove(name)
        self.unused = []

    def close(self) -> None:
        if ENGINE == "postgresql":
            self._drop([name for name in self.created if name != self.template])
            self._drop([self.template])
            self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("template"))
    yield dbs
    dbs.close()


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database for this test alone."""
    url = databases.fresh(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def inv(database_url: str) -> Iterator[onhand.Inventory]:
    """An inventory on a fresh database with warehouses WH1 (bins A-01, A-02) and WH2."""
    inventory = onhand.open(database_url)
    for path in ("WH1", "WH1/A-01", "WH1/A-02", "WH2"):
        inventory.add_location(path)
    yield inventory
    inventory.close()
