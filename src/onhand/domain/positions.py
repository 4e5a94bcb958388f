"""Stock positions: what one item has, owes and can still promise in one warehouse, and the
pure rules that allocate an order's units to warehouses and pick them from lots and bins.

``available`` is stock in sellable locations, less what open orders and live holds reserve,
less safety stock. The services hand these functions the numbers read under the items'
locks (``db/positions.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(slots=True)
class Position:
    """What one warehouse holds and owes of one item, in scaled units."""

    sellable: int = 0  # on hand in sellable locations
    on_hand: int = 0  # on hand in all its locations
    reserved: int = 0  # by open orders
    held: int = 0  # by live holds
    backordered: int = 0
    safety_stock: int = 0
    incoming: int = 0  # on confirmed purchase orders for this warehouse
    in_transit: int = 0  # dispatched to this warehouse, not yet received
    backordered_elsewhere: int = 0  # in the item's other warehouses (any-warehouse orders may
    #                                 be filled from here)

    @property
    def available(self) -> int:
        """What can still be promised (negative when reservations exceed sellable stock)."""
        return self.sellable - self.reserved - self.held - self.safety_stock

    @property
    def overcommitted(self) -> int:
        """How many reserved units the sellable stock no longer covers."""
        return max(0, self.reserved + self.held - self.sellable)


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where one line is reserved, and how much of it is reserved and backordered."""

    warehouse_id: int
    reserved: int
    backordered: int


def allocate(units: int, available: Mapping[int, int], *, preferred: int | None,
             any_warehouse: bool, backorder: bool) -> Allocation | None:
    """Choose the warehouse of one line: the preferred one when it covers the line, else
    (where the order allows) the first that does, in the order of ``available``.

    Short everywhere: with ``backorder``, reserve what the best candidate has and backorder
    the rest; without, return None (the caller rejects the order).
    """
    candidates = [w for w in available if w == preferred or any_warehouse or preferred is None]
    if preferred is not None and preferred in candidates:
        candidates.remove(preferred)
        candidates.insert(0, preferred)
    for warehouse in candidates:
        if available[warehouse] >= units:
            return Allocation(warehouse, units, 0)
    if not backorder or not candidates:
        return None
    best = preferred if preferred in candidates else max(candidates, key=lambda w: available[w])
    take = max(0, min(units, available[best]))
    return Allocation(best, take, units - take)


@dataclass(frozen=True, slots=True)
class Pickable:
    """Stock one location holds of an item, with what picking orders it by."""

    location_id: int
    path: str
    lot: str
    qty: int
    expires_on: date | None = None
    first_in: datetime | None = None


def pick(units: int, stock: Iterable[Pickable]) -> list[tuple[Pickable, int]]:
    """Return which locations and lots to take ``units`` from: first expired, first out,
    then first in, first out, then by path. Takes what exists when there is too little."""
    order = sorted(stock, key=lambda s: (s.expires_on is None, s.expires_on or date.max,
                                         s.first_in is None, s.first_in or _LATEST,
                                         s.path, s.lot))
    picks = []
    for place in order:
        if units <= 0:
            break
        take = min(units, place.qty)
        if take > 0:
            picks.append((place, take))
            units -= take
    return picks
