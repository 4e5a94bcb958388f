"""Suppliers, purchase orders and transfers: their reads and writes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.schema import Table

from onhand.db.tables import (
    document_movements,
    movements,
    purchase_order_lines,
    purchase_orders,
    suppliers,
    transfer_lines,
    transfers,
)
from onhand.errors import Conflict

_LINES: dict[str, tuple[Table, Any, Any]] = {
    "purchase_orders": (purchase_order_lines, purchase_order_lines.c.purchase_order_id,
                        document_movements.c.purchase_line_id),
    "transfers": (transfer_lines, transfer_lines.c.transfer_id,
                  document_movements.c.transfer_line_id),
}
_HEADS = {"purchase_orders": purchase_orders, "transfers": transfers}


class PurchasingStore:
    """Reads and writes purchasing documents inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- suppliers ---------------------------------------------------------------------------

    def add_supplier(self, values: dict[str, Any]) -> None:
        """Insert a supplier, or raise ``Conflict`` when the owner has its code already."""
        if self.supplier(values["owner_id"], values["code"]) is not None:
            raise Conflict(f"supplier {values['code']!r} already exists", field="code")
        self.conn.execute(insert(suppliers).values(**values))

    def supplier(self, owner_id: int, code: str) -> Row[Any] | None:
        """Return a supplier by its owner and code."""
        return self.conn.execute(select(suppliers).where(
            suppliers.c.owner_id == owner_id, suppliers.c.code == code)).first()

    def supplier_code(self, supplier_id: int) -> str:
        """Return a supplier's code."""
        return str(self.conn.execute(
            select(suppliers.c.code).where(suppliers.c.id == supplier_id)).scalar_one())

    def suppliers(self, owner_id: int | None) -> list[Row[Any]]:
        """Return suppliers by code (of one owner, or all)."""
        query = select(suppliers).order_by(suppliers.c.owner_id, suppliers.c.code)
        if owner_id is not None:
            query = query.where(suppliers.c.owner_id == owner_id)
        return list(self.conn.execute(query))

    # --- documents: purchase orders and transfers ----------------------------------------------

    def insert(self, kind: str, head: dict[str, Any], lines: list[dict[str, Any]]) -> int:
        """Insert a document and its lines; return its id."""
        table = _HEADS[kind]
        doc_id = int(self.conn.execute(insert(table).values(**head)
                                       .returning(table.c.id)).scalar_one())
        line_table, parent, _ = _LINES[kind]
        self.conn.execute(insert(line_table), [{**line, parent.key: doc_id} for line in lines])
        return doc_id

    def find(self, kind: str, owner_id: int, reference: str) -> Row[Any] | None:
        """Return a document by its owner and reference."""
        table = _HEADS[kind]
        return self.conn.execute(select(table).where(
            table.c.owner_id == owner_id, table.c.reference == reference)).first()

    def get(self, kind: str, doc_id: int) -> Row[Any]:
        """Return a document by id."""
        table = _HEADS[kind]
        return self.conn.execute(select(table).where(table.c.id == doc_id)).one()

    def lines(self, kind: str, doc_id: int) -> list[Row[Any]]:
        """Return a document's lines by line number."""
        line_table, parent, _ = _LINES[kind]
        return list(self.conn.execute(select(line_table).where(parent == doc_id)
                                      .order_by(line_table.c.line)))

    def change_line(self, kind: str, line_id: int, **deltas: int) -> None:
        """Add signed deltas to a line's quantities."""
        line_table = _LINES[kind][0]
        self.conn.execute(update(line_table).where(line_table.c.id == line_id).values(
            {name: line_table.c[name] + delta for name, delta in deltas.items()}))

    def set(self, kind: str, doc_id: int, **values: Any) -> None:
        """Update a document's status or dates."""
        table = _HEADS[kind]
        self.conn.execute(update(table).where(table.c.id == doc_id).values(**values))

    def documents(self, kind: str, owner_id: int | None, status: str | None, after: int,
             limit: int) -> list[Row[Any]]:
        """Return documents by id after ``after``, filtered."""
        table = _HEADS[kind]
        query = select(table).where(table.c.id > after).order_by(table.c.id).limit(limit)
        if owner_id is not None:
            query = query.where(table.c.owner_id == owner_id)
        if status is not None:
            query = query.where(table.c.status == status)
        return list(self.conn.execute(query))

    def link(self, kind: str, links: Sequence[tuple[int, int]]) -> None:
        """Record which document line each (movement id, line id) posted for."""
        column = _LINES[kind][2]
        if links:
            self.conn.execute(insert(document_movements),
                              [{"movement_id": m, column.key: line} for m, line in links])

    def line_receipt(self, line_id: int) -> int | None:
        """Return the id of the latest receipt posted for a purchase order line, if any."""
        found = self.conn.execute(
            select(func.max(document_movements.c.movement_id))
            .join(movements, movements.c.id == document_movements.c.movement_id)
            .where(document_movements.c.purchase_line_id == line_id,
                   movements.c.kind == "receipt")).scalar()
        return None if found is None else int(found)

    def movement_ids(self, kind: str, doc_id: int) -> list[int]:
        """Return the ids of the movements posted for a document, oldest first."""
        line_table, parent, column = _LINES[kind]
        return [int(i) for i in self.conn.execute(
            select(document_movements.c.movement_id)
            .join(line_table, line_table.c.id == column)
            .where(parent == doc_id).order_by(document_movements.c.movement_id)).scalars()]
