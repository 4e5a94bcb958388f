"""Owners, locations and items: creating and listing the catalog; the sellable flags and
safety stock that keep stock out of available.

Handlers: ``AddOwner``, ``AddLocation``, ``SetSellable``, ``AddItem``, ``AddItems``,
``SetSafetyStock``.
"""

from __future__ import annotations

from collections.abc import Sequence

from onhand.domain.items import AddItem, AddItems, Item, check_item
from onhand.domain.locations import (
    AddLocation,
    Location,
    SetSellable,
    is_virtual,
    normalize_path,
    parent_of,
)
from onhand.domain.movements import check_text
from onhand.domain.owners import AddOwner, Owner, check_code, check_currency, check_time_zone
from onhand.domain.quantities import parse_qty, to_units
from onhand.domain.stock import SetSafetyStock
from onhand.domain.times import utcnow
from onhand.errors import (
    InvalidInput,
    InvalidLocation,
    OnhandError,
    UnknownItem,
    UnknownLocation,
)
from onhand.services.executor import UnitOfWork, handles
from onhand.services.reservations import settle


def add_owner(uow: UnitOfWork, *, code: str, name: str | None = None,
              currency: str = "USD", time_zone: str = "UTC") -> Owner:
    """Create an owner (a merchant, or a 3PL's client): its stock is valued in ``currency``
    (ISO 4217) and its days end in ``time_zone`` (IANA)."""
    owner = Owner(check_code(code), check_text(name, "name") or code,
                  check_currency(currency), check_time_zone(time_zone))
    with uow:
        uow.repo.add_owner(owner, utcnow())
        uow.commit()
    return owner


def add_location(uow: UnitOfWork, *, path: str, name: str | None = None,
                 sellable: bool | None = None) -> Location:
    """Create an internal location; its parent path must exist (``WH1`` before ``WH1/A-01``).

    A top-level location is a warehouse. Stock in a location that is not ``sellable``
    (damaged, quarantine, returns inspection) is on hand but never available; a new
    location is as sellable as its parent unless told.
    """
    path = normalize_path(path, field="path")
    name = check_text(name, "name")
    if sellable is not None and not isinstance(sellable, bool):
        raise InvalidInput("sellable must be true or false", field="sellable")
    if is_virtual(path.split("/")[0]):
        raise InvalidLocation("is reserved for a virtual location", location=path, field="path")
    with uow:
        parent = parent_of(path)
        ref = None
        if parent is not None:
            try:
                ref = uow.refs.location(parent, field="path")
            except UnknownLocation:
                raise UnknownLocation(parent, field="parent") from None
        if sellable is None:
            sellable = ref is None or uow.queries.sellable(ref.id)
        name = name or path.rsplit("/", 1)[-1]
        uow.repo.add_location(path, None if ref is None else ref.id, name, utcnow(),
                              warehouse_id=None if ref is None else ref.warehouse_id,
                              sellable=sellable)
        uow.commit()
    return Location(path, "internal", name, sellable)


def add_item(uow: UnitOfWork, item: Item) -> Item:
    """Create an item for its owner; the SKU is unique per owner."""
    check_item(item)
    with uow:
        owner_id = uow.refs.owner_id(item.owner)
        uow.repo.add_item(owner_id, item, utcnow())
        uow.commit()
    return item


def get_item(uow: UnitOfWork, *, sku: str, owner: str = "default") -> Item:
    """Return one item, by SKU or by one of its barcodes."""
    with uow:
        owner_id = uow.refs.owner_id(owner)
        try:
            ref = uow.refs.item(owner_id, sku, owner)
            return uow.queries.item(ref.id)
        except UnknownItem:
            item_id = uow.queries.item_by_barcode(owner_id, sku)
            if item_id is None:
                raise
            return uow.queries.item(item_id)


def list_items(uow: UnitOfWork, *, owner: str | None = None, after: str | None = None,
               limit: int | None = None) -> list[Item]:
    """Return the items (of one owner, or of all), ordered by SKU.

    To page through one owner's items, pass the last SKU of a page as ``after``.
    """
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        return uow.queries.items(owner_id, after_sku=after, limit=limit)


def list_owners(uow: UnitOfWork) -> list[Owner]:
    """Return every owner, ordered by code."""
    with uow:
        return uow.queries.owners()


def list_locations(uow: UnitOfWork) -> list[Location]:
    """Return every location, ordered by path."""
    with uow:
        return uow.queries.locations()


def check_items(uow: UnitOfWork, items: Sequence[Item]) -> list[OnhandError]:
    """Return every error adding ``items`` at once would raise (each with its 1-based ``line``).

    The items are inserted inside the transaction and rolled back (to a savepoint, when
    the transaction is a command's), so duplicates within ``items`` and against the
    database are both found; nothing is written.
    """
    with uow, uow.undone():
        return _insert_items(uow, items)


def add_items(uow: UnitOfWork, items: Sequence[Item], *, locations: Sequence[str] = ()
              ) -> list[Item]:
    """Create many items (and first the top-level ``locations``) in one transaction.

    All or nothing: the first bad item raises its error, with its 1-based ``line``, and
    nothing is written.
    """
    with uow:
        create_in(uow, items, locations=locations)
        uow.commit()
    return list(items)


def create_in(uow: UnitOfWork, items: Sequence[Item], *, locations: Sequence[str] = ()) -> None:
    """Create top-level ``locations`` and ``items`` inside an open unit of work (no commit).

    For use cases that create catalog entries and post to them in one transaction.
    """
    now = utcnow()
    for path in (normalize_path(path, field="path") for path in locations):
        if is_virtual(path.split("/")[0]) or parent_of(path) is not None:
            raise InvalidLocation("cannot be created here; give a top-level, non-virtual "
                                  "path", location=path, field="path")
        uow.repo.add_location(path, None, path, now, warehouse_id=None, sellable=True)
    errors = _insert_items(uow, items)
    if errors:
        raise errors[0]


def _insert_items(uow: UnitOfWork, items: Sequence[Item]) -> list[OnhandError]:
    """Insert ``items`` in the open transaction; return each one's error, with its line."""
    errors: list[OnhandError] = []
    now = utcnow()
    for line, item in enumerate(items, start=1):
        try:
            check_item(item)
            owner_id = uow.refs.owner_id(item.owner)
            uow.repo.add_item(owner_id, item, now)
        except OnhandError as error:
            errors.append(error.at_line(line))
    return errors


def set_sellable(uow: UnitOfWork, *, path: str, sellable: bool) -> None:
    """Flag a location and everything below it sellable or not, then settle reservations
    (stock no longer sellable may leave orders backordered)."""
    if not isinstance(sellable, bool):
        raise InvalidInput("sellable must be true or false", field="sellable")
    with uow:
        ref = uow.refs.location(normalize_path(path, field="path"), field="path")
        if ref.virtual:
            raise InvalidLocation("is virtual", location=ref.path, field="path")
        uow.repo.set_sellable(ref.path, sellable)
        assert ref.warehouse_id is not None
        settle(uow, utcnow(), {(item_id, ref.warehouse_id)
                               for item_id in uow.queries.items_at(ref.path)})
        uow.commit()


def set_safety_stock(uow: UnitOfWork, *, sku: str, warehouse: str, qty: object,
                     owner: str = "default") -> None:
    """Set how much of an item a warehouse keeps out of what orders may reserve (0: none)."""
    with uow:
        owner_id = uow.refs.owner_id(owner)
        item = uow.refs.item(owner_id, sku, owner)
        ref = uow.refs.location(warehouse, field="warehouse")
        if ref.virtual or ref.warehouse_id != ref.id:
            raise InvalidLocation("is not a warehouse (a top-level internal location)",
                                  location=warehouse, field="warehouse")
        units = 0 if qty == 0 else to_units(parse_qty(qty, item.decimals), item.decimals)
        uow.positions.lock_items([item.id])
        uow.positions.set_safety_stock(item.id, ref.id, owner_id, units)
        settle(uow, utcnow(), {(item.id, ref.id)})
        uow.commit()


# --- handlers ---------------------------------------------------------------------------------


@handles(AddOwner)
def new_owner(uow: UnitOfWork, command: AddOwner) -> Owner:
    """Create an owner."""
    return add_owner(uow, code=command.code, name=command.name, currency=command.currency,
                     time_zone=command.time_zone)


@handles(AddLocation)
def new_location(uow: UnitOfWork, command: AddLocation) -> Location:
    """Create an internal location."""
    return add_location(uow, path=command.path, name=command.name, sellable=command.sellable)


@handles(SetSellable)
def flag_sellable(uow: UnitOfWork, command: SetSellable) -> None:
    """Flag a location sellable or not."""
    set_sellable(uow, path=command.path, sellable=command.sellable)


@handles(AddItem)
def new_item(uow: UnitOfWork, command: AddItem) -> Item:
    """Create an item."""
    return add_item(uow, command.item)


@handles(AddItems)
def new_items(uow: UnitOfWork, command: AddItems) -> list[Item]:
    """Create many items, all or nothing."""
    return add_items(uow, command.items, locations=command.locations)


@handles(SetSafetyStock)
def keep_safety_stock(uow: UnitOfWork, command: SetSafetyStock) -> None:
    """Set an item's safety stock in a warehouse."""
    set_safety_stock(uow, sku=command.sku, warehouse=command.warehouse, qty=command.qty,
                     owner=command.owner)
