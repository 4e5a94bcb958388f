"""Engines: SQLite in WAL mode with BEGIN IMMEDIATE writes; PostgreSQL through psycopg 3."""

from __future__ import annotations

try:
    import fcntl
except ImportError:  # Windows: writers of other processes meet SQLite's busy timeout only
    fcntl = None  # type: ignore[assignment]

import os
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from onhand.config import Settings
from onhand.errors import InvalidInput, StorageError

WRITE = "onhand_write"
POOL_SIZE = 20  # connections kept open; the API runs at most this many requests in threads
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


class WriterLock:
    """Makes SQLite writers take turns in a queue instead of polling for the write lock.

    SQLite lets one writer in at a time; the others retry in its busy handler, sleeping in
    growing steps (up to 100 ms), which gives concurrent writers second-long tails. Writers
    of this engine first take a lock that wakes the next one the moment it is free: a
    thread lock within the process, and ``flock`` on a file beside the database across
    processes (released by the kernel if a process dies). Other programs still meet
    SQLite's own lock and busy timeout.
    """

    def __init__(self, database: str | None, timeout_ms: int) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writer.lock" if database and fcntl is not None else None
        self._fd: int | None = None  # a descriptor of its own per turn (see _lock_file)
        self._timeout = timeout_ms / 1000

    def acquire(self) -> None:
        """Wait for this writer's turn, at most the busy timeout (then ``StorageError``)."""
        deadline = time.monotonic() + self._timeout
        if not self._threads.acquire(timeout=self._timeout):
            raise StorageError("database is locked: another writer held it for longer than "
                               "the busy timeout; nothing was written")
        try:
            if self._path is not None:
                self._fd = _lock_file(self._path, deadline)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        """Let the next writer in."""
        try:
            if self._fd is not None and fcntl is not None:
                fd, self._fd = self._fd, None
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            self._threads.release()


def _lock_file(path: str, deadline: float) -> int:
    """Return a new descriptor of ``path`` holding its exclusive ``flock``, by ``deadline``.

    A blocking ``flock`` wakes the moment the holder lets go (polling would let a busy
    process win every time). It waits in a helper thread, so this one can give up at the
    deadline; the helper then lets go of what it gets, on its own descriptor.
    """
    assert fcntl is not None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    got, handoff, state = threading.Event(), threading.Lock(), ["waiting"]

    def wait() -> None:
        assert fcntl is not None
        fcntl.flock(fd, fcntl.LOCK_EX)
        with handoff:
            if state[0] == "abandoned":
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
                return
            state[0] = "held"
        got.set()

    threading.Thread(target=wait, daemon=True, name="onhand-writer-lock").start()
    if got.wait(max(0.0, deadline - time.monotonic())):
        return fd
    with handoff:
        if state[0] == "held":
            return fd
        state[0] = "abandoned"
    raise StorageError("database is locked: another process held it for longer than the busy "
                       "timeout; nothing was written")


def writer_lock(engine: Engine) -> WriterLock | None:
    """Return the lock writers of a SQLite ``engine`` take turns on (None for PostgreSQL)."""
    return _WRITER_LOCKS.get(engine)


def make_engine(settings: Settings) -> Engine:
    """Return an engine for ``settings.database_url``, tuned for the ledger's write pattern."""
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False},
                                   pool_size=POOL_SIZE, max_overflow=10)
            _tune_sqlite(engine, settings)
            database = engine.url.database
            on_disk = bool(database) and database != ":memory:" and not str(database).startswith(
                "file:")
            _WRITER_LOCKS[engine] = WriterLock(
                os.path.abspath(database) if on_disk and database else None,
                settings.busy_timeout_ms)
            return engine
        if not url.startswith("postgresql+psycopg"):
            raise ArgumentError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        # as many pooled connections as the API has threads (THREADS), so a burst reuses
        # connections instead of opening and closing overflow ones
        # (per process: a server of N workers opens up to N × (POOL_SIZE + 5 + 4 token
        # readers) connections; keep that under PostgreSQL's max_connections)
        return create_engine(url, pool_size=POOL_SIZE, max_overflow=5, pool_recycle=3600)
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
