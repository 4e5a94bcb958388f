"""Fresh benchmark databases: onhand's, and a twin for the raw baseline, created and dropped.

The twin is a copy of onhand's database taken after the schema and the catalog are in and
before any movement, so both have the same tables, indexes, triggers, items and ids.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from baseline import RawLedger, RawPostgres, RawSQLite, sqlite_pragmas
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Pair:
    """Where onhand's database lives, and how to make and open the raw twin."""

    engine: str
    url: str  # onhand's SQLAlchemy URL
    admin_url: str = ""
    sqlite_path: Path | None = None
    name: str = ""

    def make_twin(self) -> None:
        """Copy onhand's database (all connections to it closed) into the twin."""
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.sqlite_path}{suffix}")
                if source.exists():
                    shutil.copyfile(source, f"{self._twin_path()}{suffix}")
        else:
            _admin(self.admin_url, f'CREATE DATABASE "{self.name}_raw" TEMPLATE "{self.name}"')

    def open_twin(self, engine: Engine) -> RawLedger:
        """Return the raw-driver baseline on the twin, with the PRAGMAs of onhand's ``engine``."""
        if self.sqlite_path is not None:
            with engine.connect() as conn:
                pragmas = sqlite_pragmas(conn.connection.dbapi_connection)
            return RawSQLite(str(self._twin_path()), pragmas)
        return RawPostgres(_conninfo(self.admin_url, f"{self.name}_raw"))

    def _twin_path(self) -> Path:
        assert self.sqlite_path is not None
        return self.sqlite_path.with_name("raw.db")


@contextmanager
def fresh(engine: str, admin_url: str = DEFAULT_ADMIN_URL) -> Iterator[Pair]:
    """Yield a new, empty database pair for ``engine``; remove both afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(prefix="onhand_bench_") as tmp:
            path = Path(tmp) / "onhand.db"
            yield Pair(engine, f"sqlite:///{path}", sqlite_path=path)
        return
    name = f"onhand_bench_{uuid.uuid4().hex[:10]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield Pair(engine, url, admin_url=admin_url, name=name)
    finally:
        for db in (f"{name}_raw", name):
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _conninfo(admin_url: str, database: str) -> str:
    url = make_url(admin_url)
    parts = {"host": url.host, "port": url.port, "user": url.username,
             "password": url.password, "dbname": database}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def _admin(admin_url: str, sql: str) -> None:
    database = make_url(admin_url).database or "postgres"
    with psycopg.connect(_conninfo(admin_url, database), autocommit=True) as conn:
        conn.execute(sql)
