"""Shopify's inventory CSV export: its rows, and the movements that make onhand agree with it.

Shopify writes one row per SKU × location, with ``not stocked`` in the quantity cells of a
location that does not stock the variant (such rows are skipped). Its ``On hand`` becomes
onhand's balance at the location (and its sub-locations): an opening ``receipt`` where the
location holds none, else the difference as a ``count`` with reason ``import``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onhand.domain.imports import Rejection, Row, whole
from onhand.domain.locations import normalize_path
from onhand.domain.quantities import Quantity
from onhand.errors import InvalidInput

COLUMNS = ("handle", "title", "option1 name", "option1 value", "option2 name", "option2 value",
           "option3 name", "option3 value", "sku", "hs code", "coo", "location", "incoming",
           "unavailable", "committed", "available", "on hand")
REQUIRED = ("sku", "location", "on hand")
NOT_STOCKED = "not stocked"
DEFAULT_OPTION = "Default Title"  # Shopify's option value for a product without variants
REASON = "import"


@dataclass(frozen=True, slots=True)
class StockRow:
    """One usable row of the export: a SKU's on-hand count at one onhand location."""

    line: int
    sku: str
    name: str
    location: str
    on_hand: int


def is_not_stocked(row: Row) -> bool:
    """Tell whether Shopify marks the variant as not stocked at the row's location."""
    return (row.get("on hand") or "").lower() == NOT_STOCKED


def item_name(title: str | None, options: list[str | None]) -> str:
    """Return an item name from the product title and its option values: ``Tee - Red / M``."""
    values = [value for value in options if value and value != DEFAULT_OPTION]
    name = (title or "").strip()
    if values:
        name = f"{name} - {' / '.join(values)}" if name else " / ".join(values)
    return name[:200]


def stock_row(row: Row, locations: Mapping[str, str]) -> StockRow:
    """Return a row as a :class:`StockRow`, its location renamed through ``locations``."""
    sku = row.get("sku")
    if sku is None:
        raise InvalidInput("SKU is empty; onhand identifies items by SKU", field="sku")
    place = row.get("location")
    if place is None:
        raise InvalidInput("Location is empty", field="location")
    on_hand = whole(row.get("on hand") or "", "On hand")
    if on_hand < 0:
        raise InvalidInput(f"On hand is {on_hand}; a balance cannot be negative",
                           field="on hand", value=on_hand)
    options = [row.get(f"option{n} value") for n in (1, 2, 3)]
    return StockRow(line=row.line, sku=sku, name=item_name(row.get("title") or sku, options),
                    location=normalize_path(locations.get(place, place)), on_hand=on_hand)


def duplicates(rows: list[StockRow]) -> list[Rejection]:
    """Return a rejection for each row that repeats an earlier row's SKU and location."""
    first: dict[tuple[str, str], int] = {}
    found = []
    for row in rows:
        seen = first.setdefault((row.sku, row.location), row.line)
        if seen != row.line:
            found.append(Rejection(row.line, f"SKU {row.sku!r} at {row.location!r} appears "
                                   f"again (first on line {seen})", "sku"))
    return found


def movements_for(row: StockRow, held: Mapping[str, Quantity],
                  reference: str | None) -> list[dict[str, Any]]:
    """Return the batch lines that bring the stock in ``held`` to the row's on hand.

    ``held`` is the stock at the row's location and each of its sub-locations. A location
    holding none gets an opening receipt; a gain is counted in at the location itself; a
    loss is counted out of the location itself first, then out of its sub-locations in
    path order, so a warehouse whose stock sits in bins can be counted down too.
    """
    common = {"kind": "count", "reason": REASON, "reference": reference}
    total = sum(held.values())
    if total == 0 and row.on_hand > 0:
        return [{**common, "kind": "receipt", "sku": row.sku, "qty": row.on_hand,
                 "location": row.location}]
    if row.on_hand >= total:
        gain = row.on_hand - total
        return [{**common, "sku": row.sku, "qty": gain, "location": row.location}] if gain else []
    lines, missing = [], total - row.on_hand
    for path in sorted(held, key=lambda p: (p != row.location, p)):
        take = min(missing, held[path])
        if take > 0:
            lines.append({**common, "sku": row.sku, "qty": -take, "location": path})
            missing -= take
    return lines
