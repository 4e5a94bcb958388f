"""The unit of work: one connection, one transaction, one commit — or a rollback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RootTransaction
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from onhand.config import Settings
from onhand.db.access import AccessStore
from onhand.db.catalog import Catalog, Refs
from onhand.db.engine import WRITE, writer_lock
from onhand.db.events import EventStore
from onhand.db.jobs import JobStore
from onhand.db.ledger import LedgerStore
from onhand.db.lots import LotStore
from onhand.db.orders import OrderStore
from onhand.db.periods import PeriodStore
from onhand.db.positions import PositionStore
from onhand.db.purchasing import PurchasingStore
from onhand.db.queries import Queries
from onhand.db.repository import Repository
from onhand.db.transfers import TransferStore
from onhand.db.valuations import ValuationStore
from onhand.errors import Conflict, InvalidInput, OnhandError, StorageError


class UnitOfWork:
    """Opens a transaction on ``with``; ``commit()`` ends it, leaving without one rolls back.

    A write unit takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``), so concurrent
    writers queue on the busy timeout instead of failing halfway.

    Units nest: a ``with uow:`` inside another joins the outer transaction, and its
    ``commit()`` is left to the outermost one. An adapter wraps a service this way to write
    the audit trail and the request's stored response in the service's own transaction.
    """

    def __init__(self, engine: Engine, catalog: Catalog, *, write: bool = True,
                 settings: Settings | None = None) -> None:
        self.engine = engine
        self.settings = settings or Settings()  # what handlers read of the configuration
        self.catalog = catalog
        self.write = write
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._depth = 0
        self._turn = writer_lock(engine) if write else None
        self._waiting = False
        self.posted: list[int] = []  # ids of the movements this transaction appended
        # the command running answered a retry with its first result and wrote nothing
        self.replayed = False

    def __enter__(self) -> UnitOfWork:
        self._depth += 1
        if self._depth > 1:
            return self
        if self._turn is not None:
            try:
                self._turn.acquire()  # SQLite: writers queue here rather than poll for the lock
            except BaseException:
                self._depth = 0
                raise
            self._waiting = True
        options: dict[str, Any] = {WRITE: self.write}
        if not self.write and self.engine.dialect.name == "postgresql":
            # a read of several statements (stock as of a time, verify) sees one snapshot
            options["isolation_level"] = "REPEATABLE READ"
        try:
            conn = self.engine.connect().execution_options(**options)
            self._conn = conn
            self._tx = conn.begin()
        except BaseException as exc:  # never leave the writer lock or a connection behind
            self._close()
            if isinstance(exc, PoolTimeout):
                raise StorageError("no database connection came free in time (too many "
                                   "concurrent callers for the pool); retry",
                                   reason="pool timeout") from exc
            if isinstance(exc, DBAPIError):
                raise StorageError(f"cannot start a transaction: {_reason(exc)}",
                                   reason=_reason(exc)) from exc
            raise
        self.posted = []
        self.repo = Repository(conn)
        self.ledger = LedgerStore(conn)
        self.periods = PeriodStore(conn)
        self.queries = Queries(conn, self.catalog)
        self.access = AccessStore(conn)
        self.orders = OrderStore(conn)
        self.positions = PositionStore(conn)
        self.lots = LotStore(conn)
        self.events = EventStore(conn)
        self.purchasing = PurchasingStore(conn)
        self.transfers = TransferStore(conn)
        self.valuations = ValuationStore(conn)
        self.jobs = JobStore(conn)
        self.refs = Refs(self.catalog, conn)
        return self

    @contextmanager
    def undone(self) -> Iterator[None]:
        """Roll back what the block writes (a savepoint), leaving the rest of the open
        transaction as it was: a check that tries the writes and keeps none."""
        savepoint = self.repo.conn.begin_nested()
        try:
            yield
        finally:
            savepoint.rollback()
            if self.repo.created_catalog:
                self.catalog.forget()  # ids handed out in the rolled-back work are void

    def reader(self) -> UnitOfWork:
        """Return a read-only unit on the same database (for work before a write opens)."""
        return UnitOfWork(self.engine, self.catalog, write=False, settings=self.settings)

    def writer(self) -> UnitOfWork:
        """Return a write unit on the same database (for a write a read needs done first)."""
        return UnitOfWork(self.engine, self.catalog, write=True, settings=self.settings)

    def commit(self) -> None:
        """Make the work durable; a failed commit is reported, never retried."""
        assert self._tx is not None, "commit() outside 'with uow:'"
        if self._depth > 1:
            return  # the outermost unit commits
        try:
            self._tx.commit()
        except DBAPIError as exc:
            # the connection's state is unknown after a failed commit (a failed fsync may have
            # lost pages): discard it rather than hand it back to the pool
            assert self._conn is not None
            self._conn.invalidate()
            self.catalog.forget()
            raise StorageError(
                f"the commit did not complete ({_reason(exc)}); the write is not acknowledged. "
                "Check before retrying: a retry with the same key is applied at most once",
                reason=_reason(exc),
            ) from exc
        finally:
            self._tx = None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth > 0:
            return  # an error propagates to the outer unit, which rolls back
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
                if self.repo.created_catalog:
                    self.catalog.forget()  # ids handed out in the rolled-back work are void
        finally:
            self._close()
        if isinstance(error, DBAPIError):  # never a driver's error: one of the tree
            raise translated(error) from error

    def _close(self) -> None:
        self._depth = 0
        try:
            if self._conn is not None:
                self._conn.close()
        finally:
            self._conn = None
            self._tx = None
            if self._waiting and self._turn is not None:
                self._waiting = False
                self._turn.release()


def translated(error: DBAPIError) -> OnhandError:
    """Return the ``OnhandError`` a database failure the services did not expect stands for."""
    if isinstance(error, IntegrityError) and _breaks_a_rule(error):
        return InvalidInput(f"the write breaks a rule of the database and was not applied "
                            f"({_reason(error)})")
    if isinstance(error, IntegrityError):  # e.g. two writers adding the same SKU at once
        return Conflict(f"the write conflicts with a concurrent one and was not applied "
                        f"({_reason(error)}); retry it")
    if isinstance(error, DataError):
        return InvalidInput(f"a value does not fit its column ({_reason(error)})")
    return StorageError(f"the database failed and nothing was written ({_reason(error)})",
                        reason=_reason(error))


def _breaks_a_rule(error: IntegrityError) -> bool:
    """Whether a CHECK or NOT NULL constraint refused the write (no retry helps), rather
    than a unique or foreign key one that a concurrent writer can cause."""
    state = getattr(error.orig, "sqlstate", None)  # PostgreSQL
    if state is not None:
        return state in (_CHECK_VIOLATION, _NOT_NULL_VIOLATION)
    return str(error.orig).startswith(("CHECK constraint failed", "NOT NULL constraint failed"))


_CHECK_VIOLATION, _NOT_NULL_VIOLATION = "23514", "23502"  # PostgreSQL's SQLSTATE codes


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
