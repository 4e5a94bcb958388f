"""Landed costs: freight, duty or fees that came after a receipt, spread over its lines.

An amount is spread over the receipt's lines by quantity, by value (quantity × unit cost) or
by weight (quantity × the item's weight per unit): each line but the last gets its share
rounded half-up to the minor unit, and the last what is left, so the lines add up to the
amount exactly (the cent left by rounding goes to the last line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.quantities import Quantity
from onhand.domain.valuation.currencies import divide_half_up
from onhand.errors import InvalidInput

BASES = ("qty", "value", "weight")


@dataclass(frozen=True, slots=True)
class LandedCostLine:
    """One receipt's share of a landed cost."""

    movement_id: int  # the receipt
    sku: str
    qty: Quantity  # the receipt's units
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LandedCost:
    """A landed cost and how it was spread over receipts, in the owner's currency."""

    reference: str
    owner: str
    amount: Decimal
    currency: str
    basis: str
    occurred_at: datetime
    description: str = ""
    lines: tuple[LandedCostLine, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """Return the landed cost as JSON-ready values."""
        return {"reference": self.reference, "owner": self.owner, "amount": str(self.amount),
                "currency": self.currency, "basis": self.basis,
                "occurred_at": self.occurred_at.isoformat(), "description": self.description,
                "lines": [{"movement_id": line.movement_id, "sku": line.sku,
                           "qty": str(line.qty), "amount": str(line.amount)}
                          for line in self.lines]}


@dataclass(frozen=True, kw_only=True, slots=True)
class AddLandedCost(Command[LandedCost]):
    """Spread ``amount`` over the ``receipts`` (movement ids) or the receipts of the
    ``purchase_order``, by ``basis`` (``qty``, ``value`` or ``weight``), dated ``occurred_at``
    (default now); recorded once per ``reference`` (the same again answers what was
    recorded)."""

    action = "landed_costs.add"
    reference: str
    amount: Decimal
    basis: str = "value"
    receipts: tuple[int, ...] = ()
    purchase_order: str | None = None
    occurred_at: datetime | None = None
    description: str = ""
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        cost: LandedCost = result
        return cost.reference

    def effect(self, result: Any) -> dict[str, Any] | None:
        cost: LandedCost = result
        return {"amount": str(cost.amount), "basis": cost.basis,
                "receipts": [line.movement_id for line in cost.lines]}


def spread(minor: int, weights: list[Decimal], *, basis: str) -> list[int]:
    """Spread ``minor`` units of money over lines in proportion to ``weights``: each line's
    share rounded half-up, the last line taking what is left.

    >>> spread(10000, [Decimal(1), Decimal(1), Decimal(1)], basis="qty")
    [3333, 3333, 3334]
    """
    total = sum(weights, start=Decimal(0))
    if not weights or total <= 0:
        raise InvalidInput(f"the receipts have no {basis} to spread the amount by "
                           "(their total is zero)", field="basis", value=basis)
    top, bottom = total.as_integer_ratio()
    shares = []
    for weight in weights[:-1]:  # minor × weight ÷ total, exactly, then rounded once
        numerator, denominator = weight.as_integer_ratio()
        shares.append(divide_half_up(minor * numerator * bottom, denominator * top))
    return [*shares, minor - sum(shares)]
