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
    """The immutable identity of an item: its id, owner, SKU and decimals."""

    id: int
    owner_id: int
    sku: str
    decimals: int


@dataclass(frozen=True, slots=True)
class LocationRef:
    """The immutable identity of a location."""

    id: int
    path: str
    virtual: bool

    @property
    def holds_stock(self) -> bool:
        """Whether stock here is real (internal or transit) and may not go below zero."""
        return holds_stock(self.path)


class Catalog:
    """Resolves codes, paths and SKUs to ids, loading from the database on a miss."""

    def __init__(self) -> None:
        self.owner_ids: dict[str, int] = {}
        self.owner_codes: dict[int, str] = {}
        self.locations_by_path: dict[str, LocationRef] = {}
        self.locations_by_id: dict[int, LocationRef] = {}
        self.items_by_sku: dict[tuple[int, str], ItemRef] = {}
        self.items_by_id: dict[int, ItemRef] = {}

    def owner_id(self, conn: Connection, code: str) -> int:
        """Return the id of owner ``code``, or raise ``UnknownOwner``."""
        if code not in self.owner_ids:
            self._load_owners(conn)
        if code not in self.owner_ids:
            raise UnknownOwner(code)
        return self.owner_ids[code]

    def owner_code(self, conn: Connection, owner_id: int) -> str:
        """Return the code of the owner with ``owner_id``."""
        if owner_id not in self.owner_codes:
            self._load_owners(conn)
        return self.owner_codes[owner_id]

    def location(self, conn: Connection, path: str, *, field: str = "location") -> LocationRef:
        """Return the location at ``path``, or raise ``UnknownLocation`` naming ``field``."""
        if path not in self.locations_by_path:
            self._load_locations(conn)
        if path not in self.locations_by_path:
            raise UnknownLocation(path, field=field)
        return self.locations_by_path[path]

    def location_by_id(self, conn: Connection, location_id: int) -> LocationRef:
        """Return the location with ``location_id`` (loading new ones from the database)."""
        if location_id not in self.locations_by_id:
            self._load_locations(conn)
        return self.locations_by_id[location_id]

    def subtree(self, conn: Connection, path: str) -> set[int]:
        """Return the ids of ``path`` and every location below it."""
        self.location(conn, path)
        prefix = path + "/"
        return {ref.id for ref in list(self.locations_by_path.values())
                if ref.path == path or ref.path.startswith(prefix)}

    def item(self, conn: Connection, owner_id: int, sku: str, owner: str = "") -> ItemRef:
        """Return the item ``sku`` of ``owner_id``, or raise ``UnknownItem``."""
        ref = self.items_by_sku.get((owner_id, sku))
        if ref is None:
            row = conn.execute(
                select(items.c.id, items.c.decimals)
                .where(items.c.owner_id == owner_id, items.c.sku == sku)
            ).first()
            if row is None:
                raise UnknownItem(sku, owner or None)
            ref = self.remember_item(ItemRef(row.id, owner_id, sku, row.decimals))
        return ref

    def item_by_id(self, conn: Connection, item_id: int) -> ItemRef:
        """Return the item with ``item_id``."""
        ref = self.items_by_id.get(item_id)
        if ref is None:
            row = conn.execute(
                select(items.c.owner_id, items.c.sku, items.c.decimals).where(items.c.id == item_id)
            ).one()
            ref = self.remember_item(ItemRef(item_id, row.owner_id, row.sku, row.decimals))
        return ref

    def remember_item(self, ref: ItemRef) -> ItemRef:
        """Cache ``ref`` and return it."""
        self.items_by_sku[(ref.owner_id, ref.sku)] = ref
        self.items_by_id[ref.id] = ref
        return ref

    def forget(self) -> None:
        """Drop everything cached (after a rollback that may have undone a creation)."""
        self.__init__()  # type: ignore[misc]

    def _load_owners(self, conn: Connection) -> None:
        for row in conn.execute(select(owners.c.id, owners.c.code)):
            self.owner_ids[row.code] = row.id
            self.owner_codes[row.id] = row.code

    def _load_locations(self, conn: Connection) -> None:
        for row in conn.execute(select(locations.c.id, locations.c.path, locations.c.kind)):
            ref = LocationRef(row.id, row.path, row.kind == "virtual")
            self.locations_by_path[row.path] = ref
            self.locations_by_id[row.id] = ref
