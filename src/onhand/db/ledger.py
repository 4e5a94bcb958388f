"""The ledger's rows: movements appended to their items' hash chains, balances, the item
locks of postings and their idempotency keys."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from onhand.db.statements import as_aware, execute_rows, fetch
from onhand.db.tables import (
    balances,
    idempotency_keys,
    items,
    movements,
    owners,
)
from onhand.domain.stock import Step

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


class LedgerStore:
    """Appends movements and upserts balances inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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
            return {wanted[0]: (int(found[0].qty), as_aware(found[0].last_occurred_at))}
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
                            None if r.closed_before is None else as_aware(r.closed_before))
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
