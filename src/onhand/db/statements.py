"""Statements compiled once and run straight on the driver (the hot paths), and the
conversions of what the driver returns (aware UTC times, exact decimals)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy.engine import Connection, Dialect

from onhand.db.types import ExactDecimal, UTCDateTime


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement compiled once for a dialect, ready for the driver."""

    sql: str
    names: tuple[str, ...] | None  # positional parameter order (sqlite3); None: named
    defaults: dict[str, Any]  # values of the literals SQLAlchemy made parameters
    converters: list[tuple[Any, Callable[[Any], Any]]]  # per INSERT value needing one


_COMPILED: dict[tuple[str, Any], _Compiled] = {}  # by dialect and statement (kept alive)


def fetch(conn: Connection, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
    """Run a hot statement from its SQL compiled once, skipping SQLAlchemy's per-call
    cache-key walk (costly for statements with subqueries); return its rows (named
    tuples: ``row.id``, ``row[0]``)."""
    compiled = _compiled(conn.dialect, statement)
    values = {**compiled.defaults, **params}
    names = compiled.names
    args = values if names is None else tuple(values[name] for name in names)
    return _on_driver(conn, compiled.sql, args, many=False, rows=True) or []


def execute_rows(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run ``statement`` once per row through the driver's ``executemany``.

    The statement is compiled once per dialect, and only the columns whose type needs
    it are converted here, as the type would (times as SQLite text, Decimals as text):
    SQLAlchemy's per-row parameter processing costs more than the inserts themselves.
    """
    compiled = _compiled(conn.dialect, statement)
    sql, names, converters = compiled.sql, compiled.names, compiled.converters
    if names is None:  # named parameters (psycopg); the rows were built for this call
        for row in rows:
            for name, convert in converters:
                row[name] = convert(row[name])
        _on_driver(conn, sql, rows, many=True, rows=False)
        return
    params = []
    for row in rows:  # positional parameters (sqlite3)
        values = [row[name] for name in names]
        for index, convert in converters:
            values[index] = convert(values[index])
        params.append(tuple(values))
    _on_driver(conn, sql, params, many=True, rows=False)


def _on_driver(conn: Connection, sql: str, params: Any, *, many: bool, rows: bool
               ) -> list[Any] | None:
    """Run ``sql`` on the connection's own driver cursor, in its transaction, as
    ``exec_driver_sql`` would but without building a result object per call (a third of a
    posting's statement cost). A driver error goes through SQLAlchemy's own handling: it is
    wrapped in the same ``DBAPIError`` subclass, and a lost connection is invalidated."""
    cursor = None
    try:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if many and len(params) == 1:
            cursor.execute(sql, params[0])
        elif many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        if not rows:
            return None
        kind = _row_type(tuple(column[0] for column in cursor.description))
        return [kind(*row) for row in cursor.fetchall()]
    except conn.dialect.loaded_dbapi.Error as error:  # wrapped, a lost connection invalidated
        conn._handle_dbapi_exception(error, sql, params, cursor, None)  # raises
    except Exception:  # not the driver's (a value it cannot bind): as it is
        raise
    except BaseException as error:  # an interrupt mid-statement: the connection is discarded
        conn._handle_dbapi_exception(error, sql, params, cursor, None)  # raises
    finally:
        if cursor is not None:
            with suppress(Exception):  # the connection may be gone (invalidated above)
                cursor.close()


@cache
def _row_type(names: tuple[str, ...]) -> Any:
    """Return the named-tuple type of rows with these column names."""
    return namedtuple("Row", names, rename=True)


def fetch_raw(dbapi_connection: Any, dialect: Dialect, statement: Any,
              params: dict[str, Any]) -> list[Any]:
    """Run a compiled-once statement on a bare driver connection; return its rows as tuples."""
    compiled = _compiled(dialect, statement)
    values = {**compiled.defaults, **params}
    names = compiled.names
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(compiled.sql, values if names is None else tuple(values[n] for n in names))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def aware(value: datetime | str | None) -> datetime | None:
    """Return a time read straight from the driver as UTCDateTime would, None as None."""
    return None if value is None else as_aware(value)


def _compiled(dialect: Dialect, statement: Any) -> _Compiled:
    """Return ``statement`` compiled for ``dialect`` (once per statement and dialect)."""
    found = _COMPILED.get((dialect.name, statement))
    if found is None:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup) if compiled.positiontup else None
        # an INSERT: convert its values by type
        table = getattr(statement, "table", None) if getattr(statement, "is_insert", False) \
            else None
        converters: list[tuple[Any, Callable[[Any], Any]]] = []
        for index, name in enumerate(names or ([] if table is None else table.c.keys())):
            convert = None if table is None else _converter(table.c[name].type, dialect.name)
            if convert is not None:
                converters.append((index if names else name, convert))
        found = _Compiled(compiled.string, names, dict(compiled.params), converters)
        _COMPILED[(dialect.name, statement)] = found
    return found


def _converter(kind: Any, dialect_name: str) -> Callable[[Any], Any] | None:
    """Return what a column type does to a value on its way to the driver, if anything."""
    if isinstance(kind, ExactDecimal):
        return _text
    if isinstance(kind, UTCDateTime) and dialect_name == "sqlite":
        return sqlite_time
    return None  # PostgreSQL takes aware datetimes as they are


def as_aware(value: datetime | str) -> datetime:
    """Return a time read straight from the driver as UTCDateTime would (SQLite gives text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_time(value: datetime) -> str:
    """Return a time as UTCDateTime stores it on SQLite (UTC, microseconds, no offset)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _text(value: Decimal | None) -> str | None:
    """Return a Decimal as ExactDecimal stores it."""
    return None if value is None else str(value)
