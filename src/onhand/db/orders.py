"""Orders and holds, their lines and the movements that shipped them: reads and writes.

Positions and reservations are in ``db/positions.py``, lots in ``db/lots.py``, the outbox in
``db/events.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row

from onhand.db.statements import aware, fetch
from onhand.db.tables import (
    movements,
    order_lines,
    order_movements,
    orders,
)
from onhand.domain.orders import Claim


class OrderStore:
    """Reads and writes the order tables inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- locks and positions -----------------------------------------------------------------


    # --- orders and their lines --------------------------------------------------------------

    def order(self, owner_id: int, reference: str) -> Row[Any] | None:
        """Return an order's row by its owner and reference."""
        rows = fetch(self.conn, _ORDER, {"owner_id": owner_id, "reference": reference})
        return rows[0] if rows else None

    def order_by_id(self, order_id: int) -> Row[Any]:
        """Return an order's row by id."""
        return self.conn.execute(_ORDER_BY_ID, {"order_id": order_id}).one()

    def lines(self, order_id: int) -> list[Row[Any]]:
        """Return an order's lines, by line number."""
        return list(fetch(self.conn, _LINES, {"order_id": order_id}))

    def insert_order(self, values: dict[str, Any]) -> int:
        """Insert an order; return its id."""
        return int(self.conn.execute(_INSERT_ORDER, values).scalar_one())

    def insert_lines(self, rows: list[dict[str, Any]]) -> None:
        """Insert order lines."""
        self.conn.execute(_INSERT_LINE, rows)

    def change_line(self, line_id: int, **deltas: int) -> None:
        """Add signed deltas to a line's quantities (qty, reserved, backordered, …)."""
        self.conn.execute(update(order_lines).where(order_lines.c.id == line_id).values(
            {name: getattr(order_lines.c, name) + delta for name, delta in deltas.items()}))

    def set_order(self, order_id: int, **values: Any) -> None:
        """Update an order's status, expiry or terms."""
        self.conn.execute(update(orders).where(orders.c.id == order_id).values(**values))

    def set_hold_until(self, order_id: int, until: datetime | None) -> None:
        """Set the expiry every line of a hold carries (None once it is an order)."""
        self.conn.execute(update(order_lines).where(order_lines.c.order_id == order_id)
                          .values(hold_until=until))

    def list_orders(self, owner_id: int | None, status: str | None, after: int, limit: int,
                    now: datetime) -> list[Row[Any]]:
        """Return orders by id after ``after``, filtered; a hold whose time ran out counts as
        expired, swept or not."""
        query = select(orders).where(orders.c.id > after).order_by(orders.c.id).limit(limit)
        if owner_id is not None:
            query = query.where(orders.c.owner_id == owner_id)
        lapsed = and_(orders.c.status == "held", orders.c.expires_at <= now)
        if status == "held":
            query = query.where(orders.c.status == status, orders.c.expires_at > now)
        elif status == "expired":
            query = query.where(or_(orders.c.status == status, lapsed))
        elif status is not None:
            query = query.where(orders.c.status == status)
        return list(self.conn.execute(query))

    def expired_holds(self, now: datetime, limit: int) -> list[Row[Any]]:
        """Return holds whose time has run out but are still marked held."""
        return list(self.conn.execute(
            select(orders.c.id, orders.c.owner_id, orders.c.reference)
            .where(orders.c.status == "held", orders.c.expires_at <= now)
            .order_by(orders.c.expires_at).limit(limit)))

    def overdue(self, now: datetime, limit: int) -> list[Row[Any]]:
        """Return open orders past their ``cancel_after`` that still have backorders."""
        backordered = select(order_lines.c.id).where(
            order_lines.c.order_id == orders.c.id, order_lines.c.backordered > 0).exists()
        return list(self.conn.execute(
            select(orders.c.id, orders.c.owner_id, orders.c.reference)
            .where(orders.c.status == "open", orders.c.cancel_after <= now, backordered)
            .order_by(orders.c.cancel_after).limit(limit)))

    def backorders(self, item_id: int, warehouse_id: int, *, elsewhere: bool = False
                   ) -> list[Claim]:
        """Return the backordered lines of open orders for an item in a warehouse (with
        ``elsewhere``, also those in other warehouses of orders that allow any)."""
        here = order_lines.c.warehouse_id == warehouse_id
        rows = self.conn.execute(_CLAIMS.where(
            order_lines.c.item_id == item_id,
            or_(here, orders.c.any_warehouse.is_(True)) if elsewhere else here,
            order_lines.c.backordered > _ZERO, orders.c.status == "open"))
        return [_claim(r) for r in rows]


    # --- shipping, returns, lots -------------------------------------------------------------

    def link_movements(self, links: Sequence[tuple[int, int]]) -> None:
        """Record which order line each (movement id, line id) shipped or returned."""
        if links:
            self.conn.execute(insert(order_movements),
                              [{"movement_id": m, "order_line_id": line} for m, line in links])

    def movement_ids(self, order_id: int) -> list[int]:
        """Return the ids of the movements posted for an order, oldest first."""
        return [int(r[0]) for r in fetch(self.conn, _MOVEMENT_IDS, {"order_id": order_id})]

    def shipments(self, line_id: int) -> list[Row[Any]]:
        """Return the shipment movements of an order line (id, qty, location, lot), oldest first."""
        return list(self.conn.execute(
            select(movements.c.id, movements.c.qty, movements.c.source_id, movements.c.lot)
            .join(order_movements, order_movements.c.movement_id == movements.c.id)
            .where(order_movements.c.order_line_id == line_id, movements.c.kind == "shipment")
            .order_by(movements.c.id)))


    # --- verification -------------------------------------------------------------------------


    # --- the outbox --------------------------------------------------------------------------


def _claim(row: Any) -> Claim:
    return Claim(line_id=int(row.id), order_id=int(row.order_id), reserved=int(row.reserved),
                 backordered=int(row.backordered), priority=int(row.priority),
                 created_at=aware(row.created_at) or row.created_at,
                 hold=row.status == "held", any_warehouse=bool(row.any_warehouse),
                 warehouse_id=int(row.warehouse_id))


_ZERO: Any = literal_column("0")  # a literal, so the partial indexes match


_ORDER = select(orders).where(orders.c.owner_id == bindparam("owner_id"),
                              orders.c.reference == bindparam("reference"))
_LINES = (select(order_lines).where(order_lines.c.order_id == bindparam("order_id"))
          .order_by(order_lines.c.line))
_INSERT_LINE = insert(order_lines)
_INSERT_ORDER = insert(orders).returning(orders.c.id)
_ORDER_BY_ID = select(orders).where(orders.c.id == bindparam("order_id"))
_MOVEMENT_IDS = (select(order_movements.c.movement_id)
                 .join(order_lines, order_lines.c.id == order_movements.c.order_line_id)
                 .where(order_lines.c.order_id == bindparam("order_id"))
                 .order_by(order_movements.c.movement_id))
_CLAIMS = (
    select(order_lines.c.id, order_lines.c.order_id, order_lines.c.reserved,
           order_lines.c.backordered, order_lines.c.priority, order_lines.c.created_at,
           order_lines.c.warehouse_id, orders.c.status, orders.c.any_warehouse)
    .join(orders, orders.c.id == order_lines.c.order_id)
)

