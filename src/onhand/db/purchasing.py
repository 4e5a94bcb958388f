"""Suppliers and purchase orders: their reads and writes. Transfers are in ``db/transfers.py``.

Reads answer ``PurchaseOrder`` as the domain shows it; the write paths read a
``StoredOrder`` and its ``StoredOrderLine`` (the ids and units they update).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row

from onhand.db.documents import Documents, DocumentStore, times
from onhand.db.tables import (
    document_movements,
    locations,
    movements,
    owners,
    purchase_order_lines,
    purchase_orders,
    suppliers,
)
from onhand.domain.purchasing import PurchaseOrder, PurchaseOrderLine, open_units
from onhand.domain.quantities import from_units
from onhand.errors import Conflict, UnknownOrder


class Supplier(NamedTuple):
    """A supplier of an owner."""

    id: int
    owner_id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """A purchase order's ids and terms, as its write paths need them."""

    id: int
    owner_id: int
    reference: str
    supplier_id: int
    warehouse_id: int
    status: str
    tolerance: Decimal  # over-receipt allowed, in percent
    expected_on: date | None


@dataclass(frozen=True, slots=True)
class StoredOrderLine:
    """One line of a purchase order in units: ordered, received, cancelled, returned."""

    id: int
    line: int
    item_id: int
    qty: int
    unit_cost: Decimal | None
    received: int
    cancelled: int
    returned: int


class OrderedLine(NamedTuple):
    """A line of a new purchase order: the item, its units and unit cost."""

    item_id: int
    qty: int
    unit_cost: Decimal | None


_ORDERS = Documents(
    purchase_orders, purchase_order_lines, purchase_order_lines.c.purchase_order_id,
    document_movements.c.purchase_line_id,
    select(purchase_orders, owners.c.code.label("owner_code"),
           suppliers.c.code.label("supplier_code"), locations.c.path.label("warehouse_path"))
    .join(owners, owners.c.id == purchase_orders.c.owner_id)
    .join(suppliers, suppliers.c.id == purchase_orders.c.supplier_id)
    .join(locations, locations.c.id == purchase_orders.c.warehouse_id))


class PurchasingStore(DocumentStore):
    """Reads and writes suppliers and purchase orders inside the unit of work's transaction."""

    documents = _ORDERS

    # --- suppliers ---------------------------------------------------------------------------

    def add_supplier(self, owner_id: int, code: str, name: str, created_at: datetime) -> None:
        """Insert a supplier, or raise ``Conflict`` when the owner has its code already."""
        if self.supplier(owner_id, code) is not None:
            raise Conflict(f"supplier {code!r} already exists", field="code")
        self.conn.execute(insert(suppliers).values(owner_id=owner_id, code=code, name=name,
                                                   created_at=created_at))

    def supplier(self, owner_id: int, code: str) -> Supplier | None:
        """Return a supplier by its owner and code."""
        row = self.conn.execute(select(suppliers).where(
            suppliers.c.owner_id == owner_id, suppliers.c.code == code)).first()
        return None if row is None else _supplier(row)

    def suppliers(self, owner_id: int | None) -> list[Supplier]:
        """Return suppliers by code (of one owner, or all)."""
        query = select(suppliers).order_by(suppliers.c.owner_id, suppliers.c.code)
        if owner_id is not None:
            query = query.where(suppliers.c.owner_id == owner_id)
        return [_supplier(row) for row in self.conn.execute(query)]

    # --- purchase orders ---------------------------------------------------------------------

    def insert(self, *, owner_id: int, reference: str, supplier_id: int, warehouse_id: int,
               tolerance: Decimal, expected_on: date | None, lines: Sequence[OrderedLine],
               now: datetime) -> int:
        """Insert a draft purchase order and its lines (numbered in order); return its id."""
        return _ORDERS.insert(self.conn, {
            "owner_id": owner_id, "reference": reference, "supplier_id": supplier_id,
            "warehouse_id": warehouse_id, "status": "draft", "expected_on": expected_on,
            "tolerance": tolerance, "created_at": now, "updated_at": now},
            [{"item_id": line.item_id, "qty": line.qty, "unit_cost": line.unit_cost,
              "received": 0, "cancelled": 0, "returned": 0} for line in lines])

    def find(self, owner_id: int, reference: str) -> StoredOrder | None:
        """Return a purchase order's ids and terms by its owner and reference."""
        row = _ORDERS.find(self.conn, owner_id, reference)
        return None if row is None else _stored(row)

    def stored(self, order_id: int) -> StoredOrder:
        """Return a purchase order's ids and terms by id."""
        return _stored(_ORDERS.get(self.conn, order_id))

    def lines(self, order_id: int) -> list[StoredOrderLine]:
        """Return a purchase order's lines by line number."""
        return [_stored_line(row) for row in _ORDERS.line_rows(self.conn, order_id)]

    def get(self, owner_id: int, reference: str) -> PurchaseOrder:
        """Return a purchase order by its owner and reference, or raise ``UnknownOrder``."""
        row = _ORDERS.find(self.conn, owner_id, reference)
        if row is None:
            raise UnknownOrder(reference, what="purchase order")
        return self._order(row)

    def order(self, order_id: int) -> PurchaseOrder:
        """Return a purchase order by id, with its lines and movements."""
        return self._order(_ORDERS.get(self.conn, order_id))

    def orders(self, owner_id: int | None, status: str | None, after: int,
               limit: int) -> list[tuple[int, PurchaseOrder]]:
        """Return purchase orders (with their ids) by id after ``after``, filtered."""
        return [(int(row.id), self._order(row))
                for row in _ORDERS.page(self.conn, owner_id, status, after, limit)]

    def change_line(self, line_id: int, **deltas: int) -> None:
        """Add signed deltas to a line's quantities (received, cancelled, returned)."""
        _ORDERS.change_line(self.conn, line_id, deltas)

    def line_receipt(self, line_id: int) -> int | None:
        """Return the id of the latest receipt posted for a purchase order line, if any."""
        found = self.conn.execute(
            select(func.max(document_movements.c.movement_id))
            .join(movements, movements.c.id == document_movements.c.movement_id)
            .where(document_movements.c.purchase_line_id == line_id,
                   movements.c.kind == "receipt")).scalar()
        return None if found is None else int(found)

    def _order(self, row: Row[Any]) -> PurchaseOrder:
        """Return the purchase order whose head (with its names) is ``row``."""
        lines = []
        for line in _ORDERS.line_rows(self.conn, row.id):
            d = int(line.decimals)
            due = open_units(int(line.qty), int(line.received), int(line.cancelled))
            lines.append(PurchaseOrderLine(
                line=int(line.line), sku=line.sku, qty=from_units(int(line.qty), d),
                unit_cost=line.unit_cost, received=from_units(int(line.received), d),
                cancelled=from_units(int(line.cancelled), d),
                returned=from_units(int(line.returned), d),
                incoming=from_units(due if row.status == "confirmed" else 0, d)))
        created, updated = times(row)
        return PurchaseOrder(
            reference=row.reference, owner=row.owner_code, supplier=row.supplier_code,
            warehouse=row.warehouse_path, status=row.status,
            tolerance=Decimal(str(row.tolerance)), expected_on=row.expected_on,
            created_at=created, updated_at=updated, lines=tuple(lines),
            movement_ids=_ORDERS.movement_ids(self.conn, int(row.id)))


def _supplier(row: Row[Any]) -> Supplier:
    return Supplier(int(row.id), int(row.owner_id), row.code, row.name)


def _stored(row: Row[Any]) -> StoredOrder:
    return StoredOrder(id=int(row.id), owner_id=int(row.owner_id), reference=row.reference,
                       supplier_id=int(row.supplier_id), warehouse_id=int(row.warehouse_id),
                       status=row.status, tolerance=Decimal(str(row.tolerance)),
                       expected_on=row.expected_on)


def _stored_line(row: Row[Any]) -> StoredOrderLine:
    return StoredOrderLine(id=int(row.id), line=int(row.line), item_id=int(row.item_id),
                           qty=int(row.qty), unit_cost=row.unit_cost,
                           received=int(row.received), cancelled=int(row.cancelled),
                           returned=int(row.returned))
