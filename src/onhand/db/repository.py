"""The catalog's writes: owners, locations (and their sellable flag) and items with their
barcodes. The ledger's rows are in ``db/ledger.py``, closed periods in ``db/periods.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from onhand.db.tables import (
    item_barcodes,
    items,
    locations,
    owners,
)
from onhand.domain.items import Item
from onhand.domain.owners import Owner
from onhand.errors import DuplicateItem, DuplicateLocation, DuplicateOwner


class Repository:
    """Writes rows inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.created_catalog = False

    # --- periods -----------------------------------------------------------------------------


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


    # --- postings ----------------------------------------------------------------------------


