"""The catalog: owners, locations, items and what orders may not reserve."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from onhand.domain.items import AddItem, Item
from onhand.domain.locations import AddLocation, Location, SetSellable
from onhand.domain.owners import AddOwner, Owner
from onhand.domain.quantities import Quantity
from onhand.domain.stock import SetSafetyStock
from onhand.errors import InvalidInput
from onhand.library.base import Facade
from onhand.services import (
    catalog,
)


class CatalogMethods(Facade):
    """The catalog: owners, locations, items and what orders may not reserve."""

    # --- catalog -----------------------------------------------------------------------------

    def add_owner(self, code: str, name: str | None = None, *, currency: str = "USD",
                  time_zone: str = "UTC") -> str:
        """Create an owner (a 3PL's client) whose stock is valued in ``currency`` (ISO 4217)
        and whose days end in ``time_zone`` (IANA); the owner ``default`` always exists
        (USD, UTC)."""
        return self.execute(AddOwner(code=code, name=name, currency=currency,
                                     time_zone=time_zone)).code

    def owners(self) -> list[Owner]:
        """Return every owner, ordered by code."""
        return catalog.list_owners(self._uow(write=False))

    def add_location(self, path: str, name: str | None = None, *,
                     sellable: bool | None = None) -> str:
        """Create an internal location by path; the parent must exist first.

        A top-level location is a warehouse. ``sellable=False`` keeps its stock out of
        available (damaged, quarantine, returns inspection); default: as its parent.
        """
        return self.execute(AddLocation(path=path, name=name, sellable=sellable)).path

    def set_sellable(self, path: str, sellable: bool) -> None:
        """Flag a location (and everything below it) sellable or not."""
        self.execute(SetSellable(path=path, sellable=sellable))

    def set_safety_stock(self, *, sku: str, warehouse: str, qty: Quantity,
                         owner: str = "default") -> None:
        """Keep ``qty`` of an item in a warehouse out of what orders may reserve."""
        self.execute(SetSafetyStock(sku=sku, warehouse=warehouse, qty=qty, owner=owner))

    def add_item(self, *, sku: str, name: str, owner: str = "default", unit: str = "each",
                 decimals: int = 0, barcodes: Iterable[str] = (), allow_negative: bool = False,
                 tracking: str = "none", cost_method: str = "fifo",
                 order_policy: str = "reject", weight: Decimal | None = None,
                 cost_required: bool = False) -> Item:
        """Create an item; its SKU is unique per owner, its decimals fixed for life.

        ``order_policy``: what an order short of this item does when it names no policy
        (``reject`` or ``backorder``); ``weight``: of one unit, in any unit of weight used
        throughout (landed costs can be spread by it); ``cost_required``: a valued item,
        whose receipts must carry a unit cost.
        """
        if isinstance(barcodes, str):
            raise InvalidInput("barcodes must be a list of codes, not one string",
                               field="barcodes")
        item = Item(sku=sku, name=name, owner=owner, unit=unit, decimals=decimals,
                    barcodes=tuple(barcodes), allow_negative=allow_negative,
                    tracking=tracking, cost_method=cost_method, order_policy=order_policy,
                    weight=weight, cost_required=cost_required)
        return self.execute(AddItem(item=item))

    def item(self, sku: str, *, owner: str = "default") -> Item:
        """Return the item with this SKU (or barcode)."""
        return catalog.get_item(self._uow(write=False), sku=sku, owner=owner)

    def items(self, *, owner: str | None = None) -> list[Item]:
        """Return the items of one owner (or all), ordered by SKU."""
        return catalog.list_items(self._uow(write=False), owner=owner)

    def locations(self) -> list[Location]:
        """Return every location (path, kind, name, sellable), ordered by path."""
        return catalog.list_locations(self._uow(write=False))
