"""Engines: SQLite in WAL mode with BEGIN IMMEDIATE writes; PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from onhand.config import Settings
from onhand.errors import InvalidInput

WRITE = "onhand_write"


def make_engine(settings: Settings) -> Engine:
    """Return an engine for ``settings.database_url``, tuned for the ledger's write pattern."""
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False},
                                   pool_size=10, max_overflow=30)
            _tune_sqlite(engine, settings)
            return engine
        if not url.startswith("postgresql+psycopg"):
            raise ArgumentError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)
    except (ArgumentError, NoSuchModuleError) as error:
        raise InvalidInput(f"database_url {_hide_password(url)!r} is not usable: "
                           f"{str(error).splitlines()[0]}", field="database_url") from None


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _tune_sqlite(engine: Engine, settings: Settings) -> None:
    synchronous = settings.sqlite_synchronous.upper()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's BEGIN below decide when transactions start (pysqlite's own is wrong)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(settings.busy_timeout_ms)}")
        if ":memory:" not in str(engine.url) and engine.url.database:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB: balances and indexes stay hot
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # a writer takes the write lock up front, so a busy database waits instead of failing
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
