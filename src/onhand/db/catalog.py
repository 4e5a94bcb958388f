"""An in-process cache of the catalog's immutable facts: ids of owners, locations and items.

Codes, paths, SKUs and an item's decimals never change once created, so a cached entry
is never stale; a miss (an object another process created) reloads from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from onhand.db.tables import items, locations, owners
from onhand.domain.locations import holds_stock
from onhand.errors import UnknownItem, UnknownLocation, UnknownOwner


@dataclass(frozen=True, slots=True)
class ItemRef:
    """The immutable identity of an item: its id, owner, SKU and decimals, and whether its
    receipts must carry a unit cost."""

    id: int
    owner_id: int
    sku: str
    decimals: int
    cost_required: bool = False


@dataclass(frozen=True, slots=True)
class LocationRef:
    """The immutable identity of a location."""

    id: int
    path: str
    virtual: bool
    warehouse_id: int | None = None  # the top-level location it lies in (None: virtual)

    @property
    def holds_stock(self) -> bool:
        """Whether stock here is real (internal or transit) and may not go below zero."""
        return holds_stock(self.path)


class Catalog:
    """Resolves codes, paths and SKUs to ids, loading from the database on a miss."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop everything cached (after a rollback that may have undone a creation).

        Every cache is a dict swapped whole, never emptied in place, so a thread that is
        reading one while another forgets still reads a consistent (older) dict.
        """
        self.owner_ids: dict[str, int] = {}
        self.owner_codes: dict[int, str] = {}
        self.locations_by_path: dict[str, LocationRef] = {}
        self.locations_by_id: dict[int, LocationRef] = {}
        self.items_by_sku: dict[tuple[int, str], ItemRef] = {}
        self.items_by_id: dict[int, ItemRef] = {}

    # Lookups read each dict once with .get(): ``forget`` may swap them from another thread.

    def owner_id(self, conn: Connection, code: str) -> int:
        """Return the id of owner ``code``, or raise ``UnknownOwner``."""
        found = self.owner_ids.get(code)
        if found is None:
            found = self._load_owners(conn)[0].get(code)
        if found is None:
            raise UnknownOwner(code)
        return found

    def owner_code(self, conn: Connection, owner_id: int) -> str:
        """Return the code of the owner with ``owner_id``."""
        found = self.owner_codes.get(owner_id)
        return found if found is not None else self._load_owners(conn)[1][owner_id]

    def location(self, conn: Connection, path: str, *, field: str = "location") -> LocationRef:
        """Return the location at ``path``, or raise ``UnknownLocation`` naming ``field``."""
        found = self.locations_by_path.get(path)
        if found is None:
            found = self._load_locations(conn)[0].get(path)
        if found is None:
            raise UnknownLocation(path, field=field)
        return found

    def location_by_id(self, conn: Connection, location_id: int) -> LocationRef:
        """Return the location with ``location_id`` (loading new ones from the database)."""
        found = self.locations_by_id.get(location_id)
        return found if found is not None else self._load_locations(conn)[1][location_id]

    def item(self, conn: Connection, owner_id: int, sku: str, owner: str = "") -> ItemRef:
        """Return the item ``sku`` of ``owner_id``, or raise ``UnknownItem``."""
        ref = self.items_by_sku.get((owner_id, sku))
        if ref is None:
            row = conn.execute(
                select(items.c.id, items.c.decimals, items.c.cost_required)
                .where(items.c.owner_id == owner_id, items.c.sku == sku)
            ).first()
            if row is None:
                raise UnknownItem(sku, owner or None)
            ref = self.remember_item(ItemRef(row.id, owner_id, sku, row.decimals,
                                             bool(row.cost_required)))
        return ref

    def item_by_id(self, conn: Connection, item_id: int) -> ItemRef:
        """Return the item with ``item_id``."""
        ref = self.items_by_id.get(item_id)
        if ref is None:
            row = conn.execute(
                select(items.c.owner_id, items.c.sku, items.c.decimals, items.c.cost_required)
                .where(items.c.id == item_id)
            ).one()
            ref = self.remember_item(ItemRef(item_id, row.owner_id, row.sku, row.decimals,
                                             bool(row.cost_required)))
        return ref

    def remember_item(self, ref: ItemRef) -> ItemRef:
        """Cache ``ref`` and return it."""
        self.items_by_sku[(ref.owner_id, ref.sku)] = ref
        self.items_by_id[ref.id] = ref
        return ref

    def _load_owners(self, conn: Connection) -> tuple[dict[str, int], dict[int, str]]:
        """Load every owner into fresh dicts, swap them in, and return them."""
        by_code, by_id = {}, {}
        for row in conn.execute(select(owners.c.id, owners.c.code)):
            by_code[row.code], by_id[row.id] = row.id, row.code
        self.owner_ids, self.owner_codes = by_code, by_id
        return by_code, by_id

    def _load_locations(self, conn: Connection
                        ) -> tuple[dict[str, LocationRef], dict[int, LocationRef]]:
        """Load every location into fresh dicts, swap them in, and return them."""
        by_path, by_id = {}, {}
        for row in conn.execute(select(locations.c.id, locations.c.path, locations.c.kind,
                                       locations.c.warehouse_id)):
            ref = LocationRef(row.id, row.path, row.kind == "virtual", row.warehouse_id)
            by_path[row.path], by_id[row.id] = ref, ref
        self.locations_by_path, self.locations_by_id = by_path, by_id
        return by_path, by_id


class Refs:
    """The catalog's ids and references read through one unit of work's connection, so a
    service names what it looks up and never holds the connection."""

    __slots__ = ("_catalog", "_conn")

    def __init__(self, catalog: Catalog, conn: Connection) -> None:
        self._catalog = catalog
        self._conn = conn

    def owner_id(self, code: str) -> int:
        """Return the id of the owner ``code`` (``UnknownOwner`` if none)."""
        return self._catalog.owner_id(self._conn, code)

    def owner_code(self, owner_id: int) -> str:
        """Return the code of the owner ``owner_id``."""
        return self._catalog.owner_code(self._conn, owner_id)

    def location(self, path: str, *, field: str = "location") -> LocationRef:
        """Return the location at ``path`` (``UnknownLocation`` naming ``field`` if none)."""
        return self._catalog.location(self._conn, path, field=field)

    def location_by_id(self, location_id: int) -> LocationRef:
        """Return the location ``location_id``."""
        return self._catalog.location_by_id(self._conn, location_id)

    def item(self, owner_id: int, sku: str, owner: str = "") -> ItemRef:
        """Return the item with this SKU (or barcode) of ``owner_id`` (``UnknownItem``)."""
        return self._catalog.item(self._conn, owner_id, sku, owner)

    def item_by_id(self, item_id: int) -> ItemRef:
        """Return the item ``item_id``."""
        return self._catalog.item_by_id(self._conn, item_id)
