"""Items: what a SKU may look like, its tracking and cost method, and its barcodes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.quantities import MAX_DECIMALS
from onhand.errors import InvalidInput

TRACKING = ("none", "lot", "serial")
COST_METHODS = ("fifo", "average")
ORDER_POLICIES = ("reject", "backorder")
_SKU = re.compile(r"^[^\s/][^\t\r\n]{0,63}$")
_BARCODE = re.compile(r"^[\x21-\x7e]{1,64}$")
GTIN_LENGTHS = (8, 12, 13, 14)


@dataclass(frozen=True, slots=True)
class Item:
    """A stock-keeping unit of one owner."""

    sku: str
    name: str
    owner: str = "default"
    unit: str = "each"
    decimals: int = 0
    barcodes: tuple[str, ...] = field(default_factory=tuple)
    allow_negative: bool = False
    tracking: str = "none"
    cost_method: str = "fifo"
    order_policy: str = "reject"  # an order short of this item: reject | backorder
    weight: Decimal | None = None  # per unit, any unit of weight: spreads landed costs
    cost_required: bool = False  # a valued item: its receipts must carry a unit cost


@dataclass(frozen=True, kw_only=True, slots=True)
class AddItem(Command[Item]):
    """Create an item for its owner; its SKU is unique per owner, its decimals fixed for life."""

    action = "items.add"
    item: Item

    def scope(self) -> str | None:
        return self.item.owner

    def target(self, result: Any) -> str | None:
        return self.item.sku


@dataclass(frozen=True, kw_only=True, slots=True)
class AddItems(Command[list[Item]]):
    """Create many items (and first the top-level ``locations``) in one transaction, all or
    nothing: the first bad item raises its error, with its 1-based ``line``."""

    action = "items.batch"
    items: tuple[Item, ...]
    locations: tuple[str, ...] = ()

    def scope(self) -> str | None:
        owners = {item.owner for item in self.items}
        return owners.pop() if len(owners) == 1 else None  # items of many owners: shared

    def target(self, result: Any) -> str | None:
        return f"{len(self.items)} items"

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"items": len(self.items), **({"locations": list(self.locations)}
                                             if self.locations else {})}


def check_sku(sku: object, *, field: str = "sku") -> str:
    """Return ``sku`` stripped if it is a usable SKU (1-64 printable characters), else raise."""
    if not isinstance(sku, str) or not _SKU.match(sku) or sku != sku.strip():
        raise InvalidInput(
            f"{field} must be 1 to 64 characters without tabs, line breaks or surrounding "
            "spaces", field=field, value=sku if isinstance(sku, str) else repr(sku),
        )
    return sku


def check_item(item: Item) -> Item:
    """Return ``item`` if every field is valid, else raise ``InvalidInput`` naming the field."""
    check_sku(item.sku)
    if not isinstance(item.name, str) or not item.name.strip() or len(item.name) > 200:
        raise InvalidInput("name must be 1 to 200 characters", field="name")
    if not isinstance(item.unit, str) or not item.unit.strip() or len(item.unit) > 20:
        raise InvalidInput("unit must be 1 to 20 characters", field="unit")
    if isinstance(item.decimals, bool) or not isinstance(item.decimals, int) or not (
        0 <= item.decimals <= MAX_DECIMALS
    ):
        raise InvalidInput(f"decimals must be an integer from 0 to {MAX_DECIMALS}",
                           field="decimals", value=repr(item.decimals))
    if item.tracking not in TRACKING:
        raise InvalidInput(f"tracking must be one of {', '.join(TRACKING)}", field="tracking",
                           value=item.tracking)
    if item.cost_method not in COST_METHODS:
        raise InvalidInput(f"cost_method must be one of {', '.join(COST_METHODS)}",
                           field="cost_method", value=item.cost_method)
    if item.order_policy not in ORDER_POLICIES:
        raise InvalidInput(f"order_policy must be one of {', '.join(ORDER_POLICIES)}",
                           field="order_policy", value=item.order_policy)
    if not isinstance(item.allow_negative, bool):
        raise InvalidInput("allow_negative must be true or false", field="allow_negative")
    if not isinstance(item.cost_required, bool):
        raise InvalidInput("cost_required must be true or false", field="cost_required")
    if item.weight is not None and (not isinstance(item.weight, Decimal | int) or isinstance(
            item.weight, bool) or not Decimal(item.weight).is_finite() or item.weight < 0):
        raise InvalidInput("weight must be a number of at least 0 (per unit)", field="weight",
                           value=str(item.weight))
    for barcode in item.barcodes:
        check_barcode(barcode)
    if len(set(item.barcodes)) != len(item.barcodes):
        raise InvalidInput("barcodes must not repeat", field="barcodes")
    return item


def check_barcode(barcode: object) -> str:
    """Return ``barcode`` if printable; an all-digit GTIN length must carry a valid check digit."""
    if not isinstance(barcode, str) or not _BARCODE.match(barcode):
        raise InvalidInput("barcodes must be 1 to 64 printable characters without spaces",
                           field="barcodes", value=repr(barcode))
    if barcode.isdigit() and len(barcode) in GTIN_LENGTHS and not gtin_is_valid(barcode):
        raise InvalidInput(f"barcode {barcode!r} has a wrong GTIN check digit",
                           field="barcodes", value=barcode)
    return barcode


def gtin_is_valid(digits: str) -> bool:
    """Tell whether the GS1 mod-10 check digit of a GTIN-8/12/13/14 is right."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check
