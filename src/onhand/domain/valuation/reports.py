"""Valuation reports as the library returns them: an item's value at a moment, and what its
sales of a period cost."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from onhand.domain.quantities import Quantity


@dataclass(frozen=True, slots=True)
class ItemValue:
    """What one item's stock was worth at a moment, in its owner's currency."""

    owner: str
    sku: str
    currency: str
    cost_method: str
    on_hand: Quantity
    value: Decimal
    uncosted: Quantity  # units on hand that came in without a cost (valued at zero)

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

    def to_dict(self) -> dict[str, str]:
        """Return the figures as JSON-ready text."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}
