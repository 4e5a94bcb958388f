"""The raw-driver baseline: the same rows written with sqlite3 / psycopg directly.

One posting is 1 ledger insert + 2 balance upserts (source and target), nothing else: no
validation, no locks taken by hand, no hash chain, no idempotency key. Batches use the
driver's ``executemany``. The database is a twin of onhand's, migrated by onhand itself, so
tables, indexes, triggers and PRAGMAs are the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from workload import Posting, sku

SQLITE_PRAGMAS = ("busy_timeout", "journal_mode", "synchronous", "foreign_keys", "cache_size",
                  "mmap_size", "temp_store", "cache_spill", "wal_autocheckpoint")
HASH = "0" * 64  # a placeholder chain link: the baseline computes no hash

MOVEMENT_COLUMNS = ("owner_id", "item_id", "seq", "kind", "qty", "source_id", "target_id",
                    "lot", "unit_cost", "occurred_at", "recorded_at", "hash")


def sqlite_pragmas(dbapi_connection: Any) -> dict[str, Any]:
    """Return the PRAGMAs an onhand connection runs with, to give the baseline the same."""
    return {name: dbapi_connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in SQLITE_PRAGMAS}


class RawLedger:
    """Writes and reads the ledger tables with the bare driver (see the subclasses)."""

    placeholder = "?"
    upsert_latest = "max"

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.seq: dict[int, int] = {}
        cur = conn.cursor()
        cur.execute("SELECT id, path FROM locations")
        self.location_ids: dict[str, int] = {path: i for i, path in cur.fetchall()}
        cur.execute("SELECT id, sku FROM items WHERE owner_id = 1")
        self.item_ids: dict[str, int] = {code: i for i, code in cur.fetchall()}
        p = self.placeholder
        self.insert_sql = (f"INSERT INTO movements ({', '.join(MOVEMENT_COLUMNS)}) "
                           f"VALUES ({', '.join([p] * len(MOVEMENT_COLUMNS))})")
        self.upsert_sql = (
            "INSERT INTO balances (item_id, location_id, lot, owner_id, qty, last_occurred_at) "
            f"VALUES ({p}, {p}, '', 1, {p}, {p}) ON CONFLICT (item_id, location_id, lot) "
            "DO UPDATE SET qty = balances.qty + excluded.qty, last_occurred_at = "
            f"{self.upsert_latest}(balances.last_occurred_at, excluded.last_occurred_at)"
        )
        self.stock_sql = (
            "SELECT coalesce(sum(b.qty), 0) FROM items i JOIN balances b ON b.item_id = i.id "
            f"WHERE i.owner_id = 1 AND i.sku = {p} AND b.location_id = {p}"
        )
        self.as_of_sql = (
            "SELECT coalesce(sum(b.qty), 0) - coalesce((SELECT sum(CASE WHEN m.target_id = "
            f"{p} THEN m.qty ELSE -m.qty END) FROM movements m WHERE m.item_id = {p} "
            f"AND m.occurred_at > {p} AND (m.source_id = {p} OR m.target_id = {p})), 0) "
            f"FROM balances b WHERE b.item_id = {p} AND b.location_id = {p}"
        )

    def time(self, value: datetime) -> Any:
        """Return a datetime as the driver stores it in this schema."""
        return value

    def rows(self, postings: Sequence[Posting]
             ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Return the movement rows and the balance upsert rows (two per posting)."""
        now = self.time(datetime.now(UTC))
        moves, ups = [], []
        for p in postings:
            item = self.item_ids[sku(p.item)]
            seq = self.seq.get(item, 0) + 1
            self.seq[item] = seq
            source, target = self.location_ids[p.source], self.location_ids[p.target]
            at = self.time(p.occurred_at)
            cost = p.unit_cost()
            moves.append((1, item, seq, p.kind, p.qty, source, target, "",
                          None if cost is None else str(cost), at, now, HASH))
            ups.append((item, source, -p.qty, at))
            ups.append((item, target, p.qty, at))
        return moves, ups

    def post_batch(self, moves: list[tuple[Any, ...]], ups: list[tuple[Any, ...]]) -> None:
        """Write prepared rows in one transaction with ``executemany``."""
        raise NotImplementedError

    def post_one(self, move: tuple[Any, ...], ups: list[tuple[Any, ...]]) -> None:
        """Write one posting in its own durable transaction."""
        raise NotImplementedError

    def stock(self, item_sku: str, location: str) -> int:
        """Return the current stock of an item in one bin."""
        return self._scalar(self.stock_sql, (item_sku, self.location_ids[location]))

    def stock_as_of(self, item_sku: str, location: str, when: datetime) -> int:
        """Return the stock of an item in one bin at ``when`` (balance minus later flows)."""
        item, loc = self.item_ids[item_sku], self.location_ids[location]
        return self._scalar(self.as_of_sql, (loc, item, self.time(when), loc, loc, item, loc))

    def _scalar(self, sql: str, params: tuple[Any, ...]) -> int:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class RawSQLite(RawLedger):
    """sqlite3 with the PRAGMAs onhand's connections have, and onhand's BEGIN IMMEDIATE."""

    def __init__(self, path: str, pragmas: dict[str, Any]) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for name, value in pragmas.items():
            conn.execute(f"PRAGMA {name} = {value}")
        super().__init__(conn)

    def time(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime text: naive UTC with microseconds, compared as text
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def post_batch(self, moves: list[tuple[Any, ...]], ups: list[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(self.insert_sql, moves)
        self.conn.executemany(self.upsert_sql, ups)
        self.conn.execute("COMMIT")

    def post_one(self, move: tuple[Any, ...], ups: list[tuple[Any, ...]]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(self.insert_sql, move)
        conn.execute(self.upsert_sql, ups[0])
        conn.execute(self.upsert_sql, ups[1])
        conn.execute("COMMIT")

    def _scalar(self, sql: str, params: tuple[Any, ...]) -> int:
        return int(self.conn.execute(sql, params).fetchone()[0])

    def analyze(self) -> None:
        """Do nothing: onhand runs no ANALYZE on SQLite, so neither does the baseline."""


class RawPostgres(RawLedger):
    """psycopg 3: a transaction per posting (durable commit), pipelined ``executemany``."""

    placeholder = "%s"
    upsert_latest = "greatest"

    def __init__(self, conninfo: str) -> None:
        super().__init__(psycopg.connect(conninfo, autocommit=False))
        self.conn.commit()
        self.reader = psycopg.connect(conninfo, autocommit=True)

    def post_batch(self, moves: list[tuple[Any, ...]], ups: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(self.insert_sql, moves)
            cur.executemany(self.upsert_sql, ups)
        self.conn.commit()

    def post_one(self, move: tuple[Any, ...], ups: list[tuple[Any, ...]]) -> None:
        with self.conn.cursor() as cur:
            cur.execute(self.insert_sql, move)
            cur.execute(self.upsert_sql, ups[0])
            cur.execute(self.upsert_sql, ups[1])
        self.conn.commit()

    def _scalar(self, sql: str, params: tuple[Any, ...]) -> int:
        row = self.reader.execute(sql, params).fetchone()
        assert row is not None
        return int(row[0])

    def analyze(self) -> None:
        """Refresh the planner's statistics, as autovacuum would after a bulk load."""
        self.reader.execute("ANALYZE")

    def close(self) -> None:
        self.reader.close()
        super().close()
