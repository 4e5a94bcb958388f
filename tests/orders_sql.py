"""What the order tables and the ledger say, summed with plain SQL, for tests to check.

Nothing here goes through onhand's services, queries or stores: each figure is one SQL
statement over the tables (``balances``, ``locations``, ``movements``, ``orders``,
``order_lines``, ``item_warehouses``), keyed by (sku, warehouse path) in whole units (the
tests' items have no decimals). :func:`snapshot` reads them all in one consistent view,
so it can run while other clients write; :func:`problems` lists every broken promise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

Key = tuple[str, str]  # (sku, warehouse path)

_PER_WAREHOUSE = """
    SELECT i.sku, w.path, SUM({what}) FROM {source}
    JOIN items i ON i.id = {item}
    JOIN locations w ON w.id = {warehouse}
    {where} GROUP BY i.sku, w.path"""
_IN_STOCK = "balances b JOIN locations l ON l.id = b.location_id"
_OPEN_LINES = "order_lines ol JOIN orders o ON o.id = ol.order_id AND o.status = 'open'"
_MOVED = "movements m JOIN locations l ON l.id = m.{end}_id"


def _summed(what: str, source: str, item: str, warehouse: str, where: str = "") -> Any:
    return text(_PER_WAREHOUSE.format(what=what, source=source, item=item,
                                      warehouse=warehouse, where=where))


SELLABLE = _summed("b.qty", _IN_STOCK, "b.item_id", "l.warehouse_id", "WHERE l.sellable")
ON_HAND = _summed("b.qty", _IN_STOCK, "b.item_id", "l.warehouse_id")
OPEN_RESERVED = _summed("ol.reserved", _OPEN_LINES, "ol.item_id", "ol.warehouse_id")
OPEN_BACKORDERED = _summed("ol.backordered", _OPEN_LINES, "ol.item_id", "ol.warehouse_id")
SHIPPED_BY_LINES = _summed("ol.shipped", "order_lines ol", "ol.item_id", "ol.warehouse_id")
COUNTED_RESERVED = _summed("iw.reserved", "item_warehouses iw", "iw.item_id", "iw.warehouse_id")
COUNTED_BACKORDERED = _summed("iw.backordered", "item_warehouses iw", "iw.item_id",
                              "iw.warehouse_id")
RECEIVED = _summed("m.qty", _MOVED.format(end="target"), "m.item_id", "l.warehouse_id",
                   "WHERE m.kind = 'receipt'")
SHIPPED = _summed("m.qty", _MOVED.format(end="source"), "m.item_id", "l.warehouse_id",
                  "WHERE m.kind = 'shipment'")
HOLD_LINES = text("""
    SELECT i.sku, w.path, ol.reserved, o.expires_at FROM order_lines ol
    JOIN orders o ON o.id = ol.order_id AND o.status = 'held'
    JOIN items i ON i.id = ol.item_id
    JOIN locations w ON w.id = ol.warehouse_id""")
UNBALANCED_ITEMS = text("""
    SELECT i.sku, b.lot, SUM(b.qty) FROM balances b JOIN items i ON i.id = b.item_id
    GROUP BY i.sku, b.lot HAVING SUM(b.qty) <> 0""")
BAD_LINES = text("""
    SELECT o.reference, ol.line, o.status, ol.qty, ol.reserved, ol.backordered, ol.shipped,
           ol.cancelled, ol.returned
    FROM order_lines ol JOIN orders o ON o.id = ol.order_id
    WHERE ol.qty <> ol.reserved + ol.backordered + ol.shipped + ol.cancelled
       OR ol.returned > ol.shipped OR ol.reserved < 0 OR ol.backordered < 0
       OR (o.status NOT IN ('open', 'held') AND ol.reserved + ol.backordered > 0)""")


def summed(conn: Connection, statement: Any) -> Counter[Key]:
    """Return a per-(sku, warehouse) sum, leaving out zeros."""
    return Counter({(sku, path): int(total) for sku, path, total in conn.execute(statement)
                    if total})


def live_holds(conn: Connection, now: datetime) -> Counter[Key]:
    """Return the units held by holds not yet expired at ``now``."""
    held: Counter[Key] = Counter()
    for sku, path, reserved, expires_at in conn.execute(HOLD_LINES):
        if reserved and aware(expires_at) > now:
            held[(sku, path)] += int(reserved)
    return held


def aware(value: datetime | str) -> datetime:
    """Return a time as the driver gives it (SQLite: naive UTC text) as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class Books:
    """Every figure the invariants compare, read at one moment (``now``)."""

    now: datetime
    sellable: Counter[Key]
    on_hand: Counter[Key]
    open_reserved: Counter[Key]
    open_backordered: Counter[Key]
    counted_reserved: Counter[Key]
    counted_backordered: Counter[Key]
    held: Counter[Key]
    shipped_by_lines: Counter[Key]
    received: Counter[Key]
    shipped: Counter[Key]
    bad_lines: list[tuple[Any, ...]]
    unbalanced: list[tuple[Any, ...]]

    @property
    def promised(self) -> Counter[Key]:
        """Units promised: reserved by open orders and live holds, and shipped."""
        return self.open_reserved + self.held + self.shipped_by_lines


def read(conn: Connection, now: datetime | None = None) -> Books:
    """Read the books on ``conn``; holds count as live until ``now`` (default: after the
    first read, so no writer seen in this view read a later clock)."""
    sellable = summed(conn, SELLABLE)
    now = now or datetime.now(UTC)
    return Books(
        now=now, sellable=sellable, on_hand=summed(conn, ON_HAND),
        open_reserved=summed(conn, OPEN_RESERVED), open_backordered=summed(conn, OPEN_BACKORDERED),
        counted_reserved=summed(conn, COUNTED_RESERVED),
        counted_backordered=summed(conn, COUNTED_BACKORDERED), held=live_holds(conn, now),
        shipped_by_lines=summed(conn, SHIPPED_BY_LINES), received=summed(conn, RECEIVED),
        shipped=summed(conn, SHIPPED), bad_lines=[tuple(r) for r in conn.execute(BAD_LINES)],
        unbalanced=[tuple(r) for r in conn.execute(UNBALANCED_ITEMS)])


def snapshot(engine: Engine, now: datetime | None = None) -> Books:
    """Read the books in one transaction that sees one moment, while others may write."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" \
        else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        return read(conn, now)  # SQLite in WAL: a read transaction is a snapshot too


def problems(books: Books) -> list[str]:
    """Return every invariant of reservations the books break (none: an empty list)."""
    found = [f"{key}: sellable {books.sellable[key]} < reserved {books.open_reserved[key]} "
             f"+ held {books.held[key]} (oversold)"
             for key in sorted(books.open_reserved + books.held)
             if books.sellable[key] < books.open_reserved[key] + books.held[key]]
    if books.counted_reserved != books.open_reserved:
        found.append(f"item_warehouses.reserved {dict(books.counted_reserved)} != open lines' "
                     f"reserved {dict(books.open_reserved)}")
    if books.counted_backordered != books.open_backordered:
        found.append(f"item_warehouses.backordered {dict(books.counted_backordered)} != open "
                     f"lines' backordered {dict(books.open_backordered)}")
    found += [f"order line breaks qty = reserved + backordered + shipped + cancelled, "
              f"returned <= shipped, or holds units while closed: {row}" for row in books.bad_lines]
    found += [f"balances of {sku!r} lot {lot!r} sum to {total}, not 0"
              for sku, lot, total in books.unbalanced]
    return found


# --- one order, one balance, the outbox --------------------------------------------------------

ORDER_LINES = text("""
    SELECT o.status, i.sku, w.path, ol.reserved, ol.backordered, ol.shipped, ol.returned
    FROM orders o JOIN order_lines ol ON ol.order_id = o.id
    JOIN items i ON i.id = ol.item_id
    JOIN locations w ON w.id = ol.warehouse_id
    WHERE o.reference = :reference""")
BALANCE = text("""
    SELECT COALESCE(SUM(b.qty), 0) FROM balances b
    JOIN items i ON i.id = b.item_id JOIN locations l ON l.id = b.location_id
    WHERE i.sku = :sku AND l.path = :path""")
EVENT_IDS = text("SELECT COUNT(*), COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM events")


@dataclass(frozen=True)
class OrderState:
    """An order's status and its lines' units by (sku, warehouse)."""

    status: str | None  # None: no such order
    reserved: Counter[Key]
    backordered: Counter[Key]
    shipped: Counter[Key]
    returned: Counter[Key]


def order_state(engine: Engine, reference: str) -> OrderState:
    """Return an order's status and units, read from its rows."""
    status, parts = None, [Counter[Key]() for _ in range(4)]
    with engine.connect() as conn:
        for row in conn.execute(ORDER_LINES, {"reference": reference}):
            status = row.status
            for part, value in zip(parts, row[3:], strict=True):
                part[(row.sku, row.path)] += int(value)
    return OrderState(status, *(+part for part in parts))


def balance(engine: Engine, sku: str, path: str) -> int:
    """Return the units of ``sku`` at exactly ``path`` (every lot)."""
    with engine.connect() as conn:
        return int(conn.execute(BALANCE, {"sku": sku, "path": path}).scalar_one())


def event_ids(engine: Engine) -> tuple[int, int, int]:
    """Return how many events there are, and the lowest and highest id."""
    with engine.connect() as conn:
        count, low, high = conn.execute(EVENT_IDS).one()
        return int(count), int(low), int(high)
