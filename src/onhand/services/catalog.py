"""Owners, locations and items: creating and listing the catalog."""

from __future__ import annotations

import re

from onhand.db.uow import UnitOfWork
from onhand.domain.items import Item, check_item
from onhand.domain.locations import is_virtual, normalize_path, parent_of
from onhand.domain.times import utcnow
from onhand.errors import InvalidInput, InvalidLocation, UnknownItem, UnknownLocation

_OWNER = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def add_owner(uow: UnitOfWork, *, code: str, name: str | None = None) -> str:
    """Create an owner (a merchant, or a 3PL's client) and return its code."""
    if not isinstance(code, str) or not _OWNER.match(code):
        raise InvalidInput("owner must be 1 to 64 lowercase letters, digits, '.', '_' or '-'",
                           field="owner", value=code)
    with uow:
        uow.repo.add_owner(code, name or code, utcnow())
        uow.commit()
    return code


def add_location(uow: UnitOfWork, *, path: str, name: str | None = None) -> str:
    """Create an internal location; its parent path must exist (``WH1`` before ``WH1/A-01``)."""
    path = normalize_path(path, field="path")
    if is_virtual(path.split("/")[0]):
        raise InvalidLocation("is reserved for a virtual location", location=path, field="path")
    with uow:
        parent = parent_of(path)
        parent_id = None
        if parent is not None:
            try:
                parent_id = uow.catalog.location(uow.repo.conn, parent, field="path").id
            except UnknownLocation:
                raise UnknownLocation(parent, field="parent") from None
        uow.repo.add_location(path, parent_id, name or path.rsplit("/", 1)[-1], utcnow())
        uow.commit()
    return path


def add_item(uow: UnitOfWork, item: Item) -> Item:
    """Create an item for its owner; the SKU is unique per owner."""
    check_item(item)
    with uow:
        owner_id = uow.catalog.owner_id(uow.repo.conn, item.owner)
        uow.repo.add_item(owner_id, item, utcnow())
        uow.commit()
    return item


def get_item(uow: UnitOfWork, *, sku: str, owner: str = "default") -> Item:
    """Return one item, by SKU or by one of its barcodes."""
    with uow:
        conn = uow.queries.conn
        owner_id = uow.catalog.owner_id(conn, owner)
        try:
            ref = uow.catalog.item(conn, owner_id, sku, owner)
            return uow.queries.item(ref.id)
        except UnknownItem:
            item_id = uow.queries.item_by_barcode(owner_id, sku)
            if item_id is None:
                raise
            return uow.queries.item(item_id)


def list_items(uow: UnitOfWork, *, owner: str | None = None) -> list[Item]:
    """Return the items (of one owner, or of all), ordered by SKU."""
    with uow:
        owner_id = None if owner is None else uow.catalog.owner_id(uow.queries.conn, owner)
        return uow.queries.items(owner_id)


def list_locations(uow: UnitOfWork) -> list[tuple[str, str, str]]:
    """Return every location as (path, kind, name)."""
    with uow:
        return uow.queries.locations()
