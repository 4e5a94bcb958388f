"""What purchase orders and transfers store alike: a head, numbered lines, and the
movements posted for those lines (``document_movements``). ``db/purchasing.py`` and
``db/transfers.py`` each describe their tables with one ``Documents``, build their store on
``DocumentStore`` and map its rows to domain objects; no row leaves them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.schema import Column, Table

from onhand.db.statements import aware
from onhand.db.tables import document_movements, items


class Documents:
    """The statements of one kind of document, built once: ``view`` is the head with the
    names its domain object shows (joined in); lines come with their item's SKU and decimals."""

    def __init__(self, head: Table, lines: Table, parent: Column[Any], link: Column[Any],
                 view: Select[Any]) -> None:
        self.head, self.lines, self.parent, self.link_column = head, lines, parent, link
        self._find = view.where(head.c.owner_id == bindparam("owner_id"),
                                head.c.reference == bindparam("reference"))
        self._by_id = view.where(head.c.id == bindparam("doc_id"))
        self._page = view.where(head.c.id > bindparam("after")).order_by(head.c.id)
        self._lines = (select(lines, items.c.sku, items.c.decimals)
                       .join(items, items.c.id == lines.c.item_id)
                       .where(parent == bindparam("doc_id")).order_by(lines.c.line))
        self._insert_head = insert(head).returning(head.c.id)
        self._insert_lines = insert(lines)
        self._movement_ids = (select(document_movements.c.movement_id)
                              .join(lines, lines.c.id == link)
                              .where(parent == bindparam("doc_id"))
                              .order_by(document_movements.c.movement_id))

    def insert(self, conn: Connection, head: Mapping[str, Any],
               lines: Sequence[Mapping[str, Any]]) -> int:
        """Insert a document and its lines (numbered from 1 in the order given); return its id."""
        doc_id = int(conn.execute(self._insert_head, dict(head)).scalar_one())
        conn.execute(self._insert_lines, [{**line, "line": number, "owner_id": head["owner_id"],
                                           self.parent.key: doc_id}
                                          for number, line in enumerate(lines, start=1)])
        return doc_id

    def find(self, conn: Connection, owner_id: int, reference: str) -> Row[Any] | None:
        """Return a document's head by its owner and reference."""
        return conn.execute(self._find, {"owner_id": owner_id, "reference": reference}).first()

    def get(self, conn: Connection, doc_id: int) -> Row[Any]:
        """Return a document's head by id."""
        return conn.execute(self._by_id, {"doc_id": doc_id}).one()

    def page(self, conn: Connection, owner_id: int | None, status: str | None, after: int,
             limit: int) -> list[Row[Any]]:
        """Return heads by id after ``after``, filtered."""
        query = self._page.limit(limit)
        if owner_id is not None:
            query = query.where(self.head.c.owner_id == owner_id)
        if status is not None:
            query = query.where(self.head.c.status == status)
        return list(conn.execute(query, {"after": after}))

    def line_rows(self, conn: Connection, doc_id: int) -> list[Row[Any]]:
        """Return a document's lines by line number, each with its item's sku and decimals."""
        return list(conn.execute(self._lines, {"doc_id": doc_id}))

    def change_line(self, conn: Connection, line_id: int, deltas: Mapping[str, int]) -> None:
        """Add signed deltas to a line's quantities."""
        table = self.lines
        conn.execute(update(table).where(table.c.id == line_id).values(
            {name: table.c[name] + delta for name, delta in deltas.items()}))

    def mark(self, conn: Connection, doc_id: int, now: datetime, status: str | None) -> None:
        """Note that a document changed at ``now``, and its new ``status`` if one is given."""
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values["status"] = status
        conn.execute(update(self.head).where(self.head.c.id == doc_id).values(values))

    def link(self, conn: Connection, links: Sequence[tuple[int, int]]) -> None:
        """Record which document line each (movement id, line id) posted for."""
        if links:
            conn.execute(insert(document_movements),
                         [{"movement_id": m, self.link_column.key: line} for m, line in links])

    def movement_ids(self, conn: Connection, doc_id: int) -> tuple[int, ...]:
        """Return the ids of the movements posted for a document, oldest first."""
        return tuple(int(i) for i in conn.execute(self._movement_ids,
                                                  {"doc_id": doc_id}).scalars())


class DocumentStore:
    """What the stores of purchase orders and of transfers do alike, on their ``documents``."""

    documents: ClassVar[Documents]

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def mark(self, doc_id: int, now: datetime, status: str | None = None) -> None:
        """Note that a document changed at ``now`` (and its new ``status``)."""
        self.documents.mark(self.conn, doc_id, now, status)

    def link(self, links: Sequence[tuple[int, int]]) -> None:
        """Record which document line each (movement id, line id) posted for."""
        self.documents.link(self.conn, links)

    def movement_ids(self, doc_id: int) -> tuple[int, ...]:
        """Return the ids of the movements posted for a document, oldest first."""
        return self.documents.movement_ids(self.conn, doc_id)


def times(row: Row[Any]) -> tuple[datetime, datetime]:
    """Return a head's created_at and updated_at, as aware times."""
    created, updated = aware(row.created_at), aware(row.updated_at)
    assert created is not None and updated is not None
    return created, updated
