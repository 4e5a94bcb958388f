"""Valuation reports as the library returns them: an item's value at a moment, and what its
sales of a period cost."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.quantities import Quantity


@dataclass(frozen=True, slots=True)
class ItemValue:
    """What one item's stock was worth at a moment, in its owner's currency: all of it, or
    (by location or warehouse) what lay at ``location``.

    Valuation is per item and owner, so a location's share is the item's value spread over
    its locations by units, rounded by the cumulative rule (the shares add up exactly).
    """

    owner: str
    sku: str
    currency: str
    cost_method: str
    on_hand: Quantity
    value: Decimal
    uncosted: Quantity  # units on hand that came in without a cost (valued at zero)
    location: str | None = None  # a location's or warehouse's path; None: every location

    def to_dict(self) -> dict[str, str]:
        """Return the figures as JSON-ready text (``location`` only when there is one)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)
                if f.name != "location" or self.location is not None}


@dataclass(frozen=True, slots=True)
class OwnerValue:
    """What all of one owner's stock was worth at a moment, in its currency."""

    owner: str
    currency: str
    items: int  # items with units on hand
    value: Decimal
    uncosted_items: int  # items with units on hand that came in without a cost

    def to_dict(self) -> dict[str, str]:
        """Return the figures as JSON-ready text."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ItemCogs:
    """What one item's sales of a period cost and brought in, in its owner's currency.

    ``sold`` and ``returned``: units shipped to and returned by customers in the period;
    ``cogs``: their cost (shipments less returns, with the corrections of units that had
    left below zero); ``revenue``: the order lines' prices of those units (``unpriced``:
    units shipped with no price, not in revenue); ``margin`` = revenue − cogs.
    """

    owner: str
    sku: str
    currency: str
    sold: Quantity
    returned: Quantity
    cogs: Decimal
    revenue: Decimal
    margin: Decimal
    unpriced: Quantity
    period: date | None = None  # by day, week or month: its first day; None: the whole span

    def to_dict(self) -> dict[str, str]:
        """Return the figures as JSON-ready text (``period`` only when there is one)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)
                if f.name != "period" or self.period is not None}


@dataclass(frozen=True, slots=True)
class ValueEntry:
    """One stored change of an item's stock value, in its owner's currency.

    Each movement's value is stored when it is valued: ``qty`` units in (positive) or out
    (negative) and ``value`` the change of the stock's value (a sale's is minus its cost).
    A ``correction`` (units that had left below zero, covered), a ``landed_cost`` and a
    ``revaluation`` (uncosted units given a cost) move value only. An entry with a
    ``cause_id`` is the difference a later posting dated before the movement made to its
    value, dated at the movement: ``cause_id`` is the backdated movement's id (2**50 and more
    when a landed cost line, 2**51 and more when a revaluation of uncosted stock caused it).
    """

    movement_id: int | None  # None: a revaluation of uncosted stock
    occurred_at: datetime
    # receipt, supplier_return, sale, customer_return, loss, gain, correction, landed_cost
    # (the receipt it raises is movement_id) or revaluation
    category: str
    qty: Quantity
    value: Decimal
    uncosted: Quantity
    cause_id: int | None

    def to_dict(self) -> dict[str, str | int | None]:
        """Return the entry as JSON-ready values."""
        return {"movement_id": self.movement_id, "occurred_at": self.occurred_at.isoformat(),
                "category": self.category, "qty": str(self.qty), "value": str(self.value),
                "uncosted": str(self.uncosted), "cause_id": self.cause_id}


@dataclass(frozen=True, slots=True)
class Revaluation:
    """Uncosted units of an item given a cost: how many, and the value added."""

    reference: str
    owner: str
    sku: str
    unit_cost: Decimal
    occurred_at: datetime
    qty: Quantity  # the units revalued (uncosted on hand then)
    value: Decimal  # in the owner's currency

    def to_dict(self) -> dict[str, str]:
        """Return the revaluation as JSON-ready text."""
        return {"reference": self.reference, "owner": self.owner, "sku": self.sku,
                "unit_cost": str(self.unit_cost), "occurred_at": self.occurred_at.isoformat(),
                "qty": str(self.qty), "value": str(self.value)}


@dataclass(frozen=True, kw_only=True, slots=True)
class Revalue(Command[Revaluation]):
    """Give ``sku``'s uncosted units on hand at ``occurred_at`` (default now) ``unit_cost``;
    recorded once per ``reference`` (the same again answers what was recorded)."""

    action = "revaluations.add"
    reference: str
    sku: str
    unit_cost: Decimal
    occurred_at: datetime | None = None
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        done: Revaluation = result
        return done.reference

    def effect(self, result: Any) -> dict[str, Any] | None:
        done: Revaluation = result
        return {"sku": done.sku, "unit_cost": str(self.unit_cost), "qty": str(done.qty),
                "value": str(done.value)}
