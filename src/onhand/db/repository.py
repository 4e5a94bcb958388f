"""The write side: every INSERT and UPDATE the services make goes through here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from onhand.db.tables import (
    balances,
    idempotency_keys,
    item_barcodes,
    items,
    journal_exports,
    locations,
    movements,
    owners,
)
from onhand.db.types import ExactDecimal, UTCDateTime
from onhand.domain.items import Item
from onhand.domain.owners import Owner
from onhand.domain.stock import Step
from onhand.errors import DuplicateItem, DuplicateLocation, DuplicateOwner

BalanceKey = tuple[int, int, str]  # item_id, location_id, lot ('' = none)


@dataclass(frozen=True, slots=True)
class ItemState:
    """What a posting needs of an item it has locked: its rules and the end of its chain."""

    id: int
    allow_negative: bool
    seq: int
    head: str
    closed_before: datetime | None = None  # the owner's closed period ends here


@dataclass(slots=True)
class BalanceDelta:
    """The net change a transaction makes to one balance row."""

    owner_id: int
    delta: int
    last_occurred_at: datetime


class Repository:
    """Writes rows inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.created_catalog = False

    # --- periods -----------------------------------------------------------------------------

    def period(self, owner_id: int) -> tuple[date | None, datetime | None]:
        """Return the day an owner's books are closed through, and the first open moment."""
        row = self.conn.execute(select(owners.c.closed_through, owners.c.closed_before)
                                .where(owners.c.id == owner_id)).one()
        return row.closed_through, row.closed_before

    def lock_period(self, owner_id: int) -> tuple[date | None, datetime | None]:
        """Lock the owner's row and then its items (PostgreSQL; SQLite's writer holds the
        database already), so no posting that read the old bound is still in flight and no
        other close runs at once; return the period as it now stands."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(owners.c.id).where(owners.c.id == owner_id)
                              .with_for_update(key_share=True))
            self.conn.execute(select(items.c.id).where(items.c.owner_id == owner_id)
                              .order_by(items.c.id).with_for_update(key_share=True))
        return self.period(owner_id)

    def close_period(self, owner_id: int, through: date | None, before: datetime | None
                     ) -> None:
        """Set (or, with None, clear) the owner's closed period (after ``lock_period``)."""
        self.conn.execute(update(owners).where(owners.c.id == owner_id)
                          .values(closed_through=through, closed_before=before))

    def record_journal_export(self, owner_id: int, since: date, until: date, fmt: str,
                              now: datetime) -> None:
        """Note that the owner's journal of since..until was exported."""
        self.conn.execute(insert(journal_exports).values(
            owner_id=owner_id, since=since, until=until, format=fmt, exported_at=now))

    # --- catalog -----------------------------------------------------------------------------

    def add_owner(self, owner: Owner, now: datetime) -> int:
        """Insert an owner, or raise ``DuplicateOwner``."""
        if self.conn.execute(select(owners.c.id).where(owners.c.code == owner.code)).first():
            raise DuplicateOwner(owner.code)
        self.created_catalog = True
        row = self.conn.execute(
            insert(owners).values(**owner._asdict(), created_at=now).returning(owners.c.id)
        ).one()
        return int(row.id)

    def add_location(self, path: str, parent_id: int | None, name: str, now: datetime, *,
                     warehouse_id: int | None, sellable: bool) -> int:
        """Insert an internal location (a warehouse when it has no parent), or raise
        ``DuplicateLocation``."""
        if self.conn.execute(select(locations.c.id).where(locations.c.path == path)).first():
            raise DuplicateLocation(path)
        self.created_catalog = True
        row = self.conn.execute(
            insert(locations)
            .values(path=path, parent_id=parent_id, kind="internal", name=name, created_at=now,
                    warehouse_id=warehouse_id, sellable=sellable)
            .returning(locations.c.id)
        ).one()
        if warehouse_id is None:  # a warehouse lies in itself
            self.conn.execute(update(locations).where(locations.c.id == row.id)
                              .values(warehouse_id=row.id))
        return int(row.id)

    def set_sellable(self, path: str, sellable: bool) -> None:
        """Flag a location and everything below it sellable or not."""
        self.conn.execute(update(locations).where(
            or_(locations.c.path == path, locations.c.path.startswith(path + "/", autoescape=True))
        ).values(sellable=sellable))

    def add_item(self, owner_id: int, item: Item, now: datetime) -> int:
        """Insert an item and its barcodes, or raise ``DuplicateItem``."""
        taken = self.conn.execute(
            select(items.c.id).where(items.c.owner_id == owner_id, items.c.sku == item.sku)
        ).first()
        if taken:
            raise DuplicateItem(item.sku)
        if item.barcodes:
            used = self.conn.execute(
                select(item_barcodes.c.barcode).where(
                    item_barcodes.c.owner_id == owner_id,
                    item_barcodes.c.barcode.in_(item.barcodes),
                )
            ).first()
            if used:
                raise DuplicateItem(item.sku, field="barcodes", barcode=used.barcode)
        self.created_catalog = True
        row = self.conn.execute(
            insert(items).values(
                owner_id=owner_id, sku=item.sku, name=item.name, unit=item.unit,
                decimals=item.decimals, allow_negative=item.allow_negative,
                tracking=item.tracking, cost_method=item.cost_method, created_at=now,
                order_policy=item.order_policy, weight=item.weight,
                cost_required=item.cost_required,
            ).returning(items.c.id)
        ).one()
        if item.barcodes:
            self.conn.execute(insert(item_barcodes), [
                {"owner_id": owner_id, "barcode": code, "item_id": row.id} for code in item.barcodes
            ])
        return int(row.id)

    # --- idempotency -------------------------------------------------------------------------

    def find_key(self, owner_id: int, key: str) -> tuple[str, list[int]] | None:
        """Return the fingerprint and movement ids stored under ``key``, if it was used."""
        row = self.conn.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.movement_ids).where(
                idempotency_keys.c.owner_id == owner_id, idempotency_keys.c.key == key
            )
        ).first()
        return None if row is None else (row.fingerprint, json.loads(row.movement_ids))

    def claim_key(self, owner_id: int, key: str, fingerprint: str,
                  now: datetime) -> tuple[str, list[int]] | None:
        """Take ``key`` for this transaction, or return what its first use stored.

        The key's row is inserted first: a concurrent request with the same key waits on
        it (PostgreSQL) or on the write lock (SQLite) until this one commits — then finds
        the first result — or rolls back, and then takes the key itself.
        """
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        taken = self.conn.execute(
            dialect.insert(idempotency_keys).values(
                owner_id=owner_id, key=key, fingerprint=fingerprint, movement_ids="[]",
                created_at=now,
            ).on_conflict_do_nothing().returning(idempotency_keys.c.key)
        ).first()
        return None if taken is not None else self.find_key(owner_id, key)

    def record_key(self, owner_id: int, key: str, ids: Sequence[int]) -> None:
        """Store the result (the movement ids) of the request that claimed ``key``."""
        self.conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.owner_id == owner_id, idempotency_keys.c.key == key)
            .values(movement_ids=json.dumps(list(ids)))
        )

    # --- postings ----------------------------------------------------------------------------

    def lock_items(self, item_ids: set[int], new_movements: int
                   ) -> tuple[dict[int, ItemState], list[int]]:
        """Lock the items in id order and allocate ids for the movements about to be written.

        Returns each item's rules and chain end, and ``new_movements`` increasing ids, unique
        among concurrent writers. SQLite: the writer already holds the write lock, so one
        statement reads it all (the next ids follow the largest; movements are never
        deleted). PostgreSQL: the chain ends are read after the row locks are granted, in a
        second statement, because a statement that waited for a lock still reads the
        snapshot it started with; ids come from the sequence.
        """
        ids = sorted(item_ids)
        params = {"ids": ids, "n": new_movements}
        one = {"id": ids[0], "n": new_movements}  # the usual single posting: simpler statements
        if self.conn.dialect.name != "postgresql":
            rows = (self._fetch(_LOCK_AND_READ_ONE_SQLITE, one) if len(ids) == 1
                    else self.conn.execute(_LOCK_AND_READ_SQLITE, params).all())
            last = int(rows[0].new_ids)
            return _states(rows), list(range(last + 1, last + 1 + new_movements))
        if len(ids) == 1:  # the new ids ride along with the item's one row
            self._fetch(_LOCK_ONE_PG, one)
            rows = self._fetch(_READ_ONE_PG, one)
            return _states(rows), sorted(int(i) for i in rows[0].new_ids or ())
        self.conn.execute(_LOCK_PG, params)
        rows = self.conn.execute(_READ_PG_MANY, params).all()
        new_ids = self.conn.execute(_NEXT_IDS_PG, params).scalars()
        return _states(rows), sorted(int(i) for i in new_ids)

    def balances(self, keys: Iterable[BalanceKey]) -> dict[BalanceKey, tuple[int, datetime]]:
        """Return the quantity and latest business time of each existing balance row."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        if len(wanted) == 1:  # a single posting: one primary-key lookup
            item_id, location_id, lot = wanted[0]
            found = self._fetch(_BALANCE_ONE, {"item_id": item_id, "location_id": location_id,
                                               "lot": lot})
            if not found:
                return {}
            return {wanted[0]: (int(found[0].qty), _aware(found[0].last_occurred_at))}
        # the keys travel as one parameter and are joined as a table: one primary-key
        # lookup each, whatever their number (a multi-column IN list makes SQLite scan)
        if self.conn.dialect.name == "postgresql":
            item_ids, location_ids, lots = (list(column) for column in zip(*wanted, strict=True))
            params: dict[str, Any] = {"items": item_ids, "locations": location_ids, "lots": lots}
            rows = self.conn.execute(_BALANCES_PG, params)
        else:
            rows = self.conn.execute(_BALANCES_SQLITE, {"keys": json.dumps(wanted)})
        return {(r.item_id, r.location_id, r.lot): (int(r.qty), r.last_occurred_at) for r in rows}

    def steps_since(self, key: BalanceKey, since: datetime) -> list[Step]:
        """Return the stored changes of one balance at or after ``since``, in time order."""
        item_id, location_id, lot = key
        rows = self.conn.execute(
            select(movements.c.id, movements.c.occurred_at, movements.c.qty,
                   movements.c.source_id, movements.c.target_id)
            .where(movements.c.item_id == item_id, movements.c.lot == lot,
                   movements.c.occurred_at >= since,
                   or_(movements.c.source_id == location_id, movements.c.target_id == location_id))
            .order_by(movements.c.occurred_at, movements.c.id)
        )
        return [Step(r.occurred_at, int(r.id),
                     int(r.qty) if r.target_id == location_id else -int(r.qty))
                for r in rows]

    def insert_movements(self, rows: list[dict[str, Any]]) -> None:
        """Append movements (with their allocated ids) to the ledger."""
        self._executemany(_INSERT_MOVEMENT, rows)

    def apply_deltas(self, deltas: dict[BalanceKey, BalanceDelta]) -> None:
        """Upsert balance rows in one sorted order (so concurrent writers cannot deadlock)."""
        rows = [
            {"item_id": k[0], "location_id": k[1], "lot": k[2], "owner_id": d.owner_id,
             "qty": d.delta, "last_occurred_at": d.last_occurred_at}
            for k, d in sorted(deltas.items())
        ]
        if rows:
            self._executemany(_upsert_balance(self.conn.dialect.name), rows)

    def _fetch(self, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
        return fetch(self.conn, statement, params)

    def _executemany(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        execute_rows(self.conn, statement, rows)

    def reversed_by(self, movement_id: int) -> int | None:
        """Return the id of the movement that reverses ``movement_id``, if any."""
        row = self.conn.execute(
            select(movements.c.id).where(movements.c.reverses == movement_id)
        ).first()
        return None if row is None else int(row.id)


# Statements of the posting path, built once: building them costs more than running them.
_INSERT_MOVEMENT = insert(movements)
_BALANCE_COLUMNS = (balances.c.item_id, balances.c.location_id, balances.c.lot, balances.c.qty,
                    balances.c.last_occurred_at)
_BALANCE_ONE = select(balances.c.qty, balances.c.last_occurred_at).where(
    balances.c.item_id == bindparam("item_id"), balances.c.location_id == bindparam("location_id"),
    balances.c.lot == bindparam("lot"))
_BALANCES_SQLITE = text(
    "SELECT b.item_id, b.location_id, b.lot, b.qty, b.last_occurred_at "
    "FROM json_each(:keys) AS k JOIN balances AS b "
    "ON b.item_id = json_extract(k.value, '$[0]') "
    "AND b.location_id = json_extract(k.value, '$[1]') AND b.lot = json_extract(k.value, '$[2]')"
).columns(*_BALANCE_COLUMNS)
_BALANCES_PG = text(
    "SELECT b.item_id, b.location_id, b.lot, b.qty, b.last_occurred_at "
    "FROM unnest(CAST(:items AS integer[]), CAST(:locations AS integer[]), "
    "CAST(:lots AS text[])) AS k(item_id, location_id, lot) JOIN balances AS b "
    "ON b.item_id = k.item_id AND b.location_id = k.location_id AND b.lot = k.lot"
).columns(*_BALANCE_COLUMNS)


def _chain_reads(new_ids: Any | None, *, one: bool = False) -> Any:
    """Select the items' rules and chain ends, with ``new_ids`` on every row when given."""
    end = movements.alias("chain_end")
    columns = [
        items.c.id, items.c.allow_negative,
        select(owners.c.closed_before).where(owners.c.id == items.c.owner_id)
        .scalar_subquery().label("closed_before"),
        select(func.coalesce(func.max(end.c.seq), 0))
        .where(end.c.item_id == items.c.id).scalar_subquery().label("last_seq"),
        select(end.c.hash).where(end.c.item_id == items.c.id)
        .order_by(end.c.seq.desc()).limit(1).scalar_subquery().label("last_hash"),
    ]
    if new_ids is not None:
        columns.append(new_ids.label("new_ids"))
    if one:
        return select(*columns).where(items.c.id == bindparam("id"))
    return (
        select(*columns)
        .where(items.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(items.c.id)
    )


def _states(rows: Sequence[Any]) -> dict[int, ItemState]:
    return {r.id: ItemState(r.id, bool(r.allow_negative), int(r.last_seq), r.last_hash or "",
                            None if r.closed_before is None else _aware(r.closed_before))
            for r in rows}


_LAST_ID_SQLITE = select(func.coalesce(func.max(movements.c.id), 0)).scalar_subquery()
_LOCK_AND_READ_SQLITE = _chain_reads(_LAST_ID_SQLITE)
_LOCK_AND_READ_ONE_SQLITE = _chain_reads(_LAST_ID_SQLITE, one=True)
_LOCK_PG = (
    select(items.c.id).where(items.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(items.c.id).with_for_update(key_share=True)
)
_NEXT_IDS_PG = select(func.nextval("movements_id_seq")).select_from(
    func.generate_series(1, bindparam("n")))
_LOCK_ONE_PG = (select(items.c.id).where(items.c.id == bindparam("id"))
                .with_for_update(key_share=True))
_READ_ONE_PG = _chain_reads(  # one item only: the array of new ids comes back on its one row
    select(func.array_agg(func.nextval("movements_id_seq")))
    .select_from(func.generate_series(1, bindparam("n"))).scalar_subquery(), one=True,
)
_READ_PG_MANY = _chain_reads(None)


@cache
def _upsert_balance(dialect_name: str) -> Any:
    """Return the balance upsert (add the delta; keep the latest business time) for a dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(balances)
    latest = func.greatest if dialect_name == "postgresql" else func.max
    return stmt.on_conflict_do_update(
        index_elements=[balances.c.item_id, balances.c.location_id, balances.c.lot],
        set_={
            "qty": balances.c.qty + stmt.excluded.qty,
            "last_occurred_at": latest(balances.c.last_occurred_at,
                                       stmt.excluded.last_occurred_at),
        },
    )


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
    cache-key walk (costly for statements with subqueries); return its rows."""
    compiled = _compiled(conn.dialect, statement)
    values = {**compiled.defaults, **params}
    names = compiled.names
    args = values if names is None else tuple(values[name] for name in names)
    return conn.exec_driver_sql(compiled.sql, args).all()


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
        conn.exec_driver_sql(sql, rows)
        return
    params = []
    for row in rows:  # positional parameters (sqlite3)
        values = [row[name] for name in names]
        for index, convert in converters:
            values[index] = convert(values[index])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


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
    return None if value is None else _aware(value)


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


def _aware(value: datetime | str) -> datetime:
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
