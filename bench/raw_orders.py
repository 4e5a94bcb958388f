"""The raw-driver baseline of an order: one reservation as one bare SQL transaction.

Per attempt, on a connection of the calling thread's own (psycopg or sqlite3):

1. lock the item row (``SELECT … FOR UPDATE``; on SQLite ``BEGIN IMMEDIATE`` takes the
   database's write lock, and the threads queue on a process lock first, as onhand's writer
   lock makes its own writers do);
2. read what is available in the warehouse: sellable on hand minus the reserved counter and
   the safety stock;
3. short of stock: roll back (a rejected order); else insert the order row (with a placeholder
   request fingerprint where the schema has that column) and its line, and add to the
   reserved counter (an upsert);
4. commit (durable: the same ``synchronous`` and ``synchronous_commit`` as onhand's).

No validation, no idempotency lookup, no outbox event, no re-read of the order written: the
floor a reservation that never oversells costs with this schema.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from datetime import UTC, datetime
from typing import Any

import psycopg

LOCK_ITEM = "SELECT id FROM items WHERE id = {p} FOR UPDATE"
AVAILABLE = """
    SELECT coalesce((SELECT sum(b.qty) FROM balances b JOIN locations l ON l.id = b.location_id
                     WHERE b.item_id = {p} AND l.warehouse_id = {p} AND l.sellable), 0)
         - coalesce((SELECT reserved + safety_stock FROM item_warehouses
                     WHERE item_id = {p} AND warehouse_id = {p}), 0)"""
INSERT_ORDER = """
    INSERT INTO orders (owner_id, reference, status, policy, warehouse_id, any_warehouse,
                        priority, created_at, updated_at{extra})
    VALUES ({p}, {p}, 'open', 'reject', NULL, true, 0, {p}, {p}{extra_values}) RETURNING id"""
DIGEST = "0" * 64  # a placeholder request fingerprint, where the schema has one
INSERT_LINE = """
    INSERT INTO order_lines (order_id, owner_id, line, item_id, warehouse_id, qty, reserved,
                             backordered, shipped, cancelled, returned, priority, created_at)
    VALUES ({p}, {p}, 1, {p}, {p}, {p}, {p}, 0, 0, 0, 0, 0, {p})"""
ADD_RESERVED = """
    INSERT INTO item_warehouses (item_id, warehouse_id, owner_id, reserved, backordered,
                                 safety_stock, incoming, in_transit)
    VALUES ({p}, {p}, {p}, {p}, 0, 0, 0, 0) ON CONFLICT (item_id, warehouse_id)
    DO UPDATE SET reserved = item_warehouses.reserved + excluded.reserved"""


class RawOrders:
    """Reserves ``qty`` of one item in one warehouse per call, from many threads.

    Connections are kept in an idle queue and reused (a pool without limit): a thread takes
    one per call, so each concurrent client has its own, across sales.
    """

    placeholder = "?"

    def __init__(self) -> None:
        self.idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.opened: list[Any] = []
        self.local = threading.local()
        self.sql: dict[str, str] = {}

    def _prepare(self, conn: Any) -> None:
        """Write the statements for this schema (orders may carry a request fingerprint)."""
        p = self.placeholder
        columns = {d[0] for d in conn.execute("SELECT * FROM orders WHERE 1 = 0").description}
        extra = ("fingerprint",) if "fingerprint" in columns else ()
        self.sql = {name: sql.format(p=p, extra="".join(f", {c}" for c in extra),
                                     extra_values=f", '{DIGEST}'" * len(extra))
                    for name, sql in (("lock", LOCK_ITEM), ("available", AVAILABLE),
                                      ("order", INSERT_ORDER), ("line", INSERT_LINE),
                                      ("reserve", ADD_RESERVED))}

    def ids(self, sku: str, warehouse: str) -> tuple[int, int, int]:
        """Return (item id, owner id, warehouse id) of a SKU and a warehouse path."""
        conn = self.take()
        try:
            p = self.placeholder
            item = conn.execute(f"SELECT id, owner_id FROM items WHERE sku = {p}",
                                (sku,)).fetchone()
            place = conn.execute(f"SELECT id FROM locations WHERE path = {p}",
                                 (warehouse,)).fetchone()
            self._prepare(conn)
            conn.rollback()
        finally:
            self.idle.put(conn)
        return int(item[0]), int(item[1]), int(place[0])

    def take(self) -> Any:
        """Return an idle connection, or a new one."""
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            conn = self.connect()
            self.opened.append(conn)
            return conn

    def connect(self) -> Any:
        raise NotImplementedError

    def time(self, value: datetime) -> Any:
        return value

    def reserve(self, reference: str, item: tuple[int, int, int], qty: int) -> bool:
        """Reserve ``qty`` for a new order; return False (nothing written) when short."""
        conn = self.take()
        try:
            return self._reserve(conn, reference, item, qty)
        finally:
            self.idle.put(conn)

    def _reserve(self, conn: Any, reference: str, item: tuple[int, int, int], qty: int) -> bool:
        item_id, owner_id, warehouse_id = item
        sql = self.sql
        self.begin(conn)
        try:
            if self.placeholder == "%s":
                conn.execute(sql["lock"], (item_id,))
            free = conn.execute(sql["available"], (item_id, warehouse_id, item_id,
                                                   warehouse_id)).fetchone()[0]
            if int(free) < qty:
                self.end(conn, commit=False)
                return False
            now = self.time(datetime.now(UTC))
            order_id = conn.execute(sql["order"], (owner_id, reference, now, now)).fetchone()[0]
            conn.execute(sql["line"], (order_id, owner_id, item_id, warehouse_id, qty, qty, now))
            conn.execute(sql["reserve"], (item_id, warehouse_id, owner_id, qty))
        except BaseException:
            self.end(conn, commit=False)
            raise
        self.end(conn, commit=True)
        return True

    def begin(self, conn: Any) -> None:
        """Open the transaction (psycopg opens it with the first statement)."""

    def end(self, conn: Any, *, commit: bool) -> None:
        conn.commit() if commit else conn.rollback()

    def close(self) -> None:
        for conn in self.opened:
            conn.close()
        self.opened.clear()


class RawOrdersSQLite(RawOrders):
    """sqlite3, onhand's PRAGMAs, ``BEGIN IMMEDIATE`` behind a process-wide lock."""

    def __init__(self, path: str, pragmas: dict[str, Any]) -> None:
        self.path, self.pragmas = path, pragmas
        self.writer = threading.Lock()  # onhand's writer lock: threads queue, not poll
        super().__init__()

    def connect(self) -> Any:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for name, value in self.pragmas.items():
            conn.execute(f"PRAGMA {name} = {value}")
        return conn

    def time(self, value: datetime) -> Any:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def begin(self, conn: Any) -> None:
        self.writer.acquire()
        self.local.holding = True
        try:
            conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn, commit=False)
            raise

    def end(self, conn: Any, *, commit: bool) -> None:
        try:
            if conn.in_transaction:
                conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            if getattr(self.local, "holding", False):
                self.local.holding = False
                self.writer.release()


class RawOrdersPostgres(RawOrders):
    """psycopg 3, one connection per thread, a durable commit per accepted order."""

    placeholder = "%s"

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        super().__init__()

    def connect(self) -> Any:
        return psycopg.connect(self.conninfo, autocommit=False)
