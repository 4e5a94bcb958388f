"""Stock levels and the rule that no balance goes below zero at any time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from onhand.domain.commands import Command
from onhand.domain.quantities import Quantity


@dataclass(frozen=True, slots=True)
class Stock:
    """The stock of one item at a location (and its sub-locations), at a time."""

    sku: str
    owner: str
    location: str | None
    lot: str | None
    on_hand: Quantity
    reserved: Quantity
    available: Quantity
    as_of: datetime | None = None
    by_location: dict[str, Quantity] = field(default_factory=dict)
    backordered: Quantity = 0
    incoming: Quantity = 0  # on confirmed purchase orders, not yet received
    in_transit: Quantity = 0  # dispatched between warehouses, not yet received
    non_sellable: Quantity = 0  # on hand in locations flagged not sellable
    safety_stock: Quantity = 0
    by_warehouse: dict[str, WarehouseStock] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the level as JSON-ready values."""
        return {
            "sku": self.sku, "owner": self.owner, "location": self.location, "lot": self.lot,
            "on_hand": str(self.on_hand), "reserved": str(self.reserved),
            "available": str(self.available), "backordered": str(self.backordered),
            "incoming": str(self.incoming), "in_transit": str(self.in_transit),
            "non_sellable": str(self.non_sellable), "safety_stock": str(self.safety_stock),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "by_location": {path: str(qty) for path, qty in self.by_location.items()},
            "by_warehouse": {path: w.to_dict() for path, w in self.by_warehouse.items()},
        }


@dataclass(frozen=True, slots=True)
class WarehouseStock:
    """The states of one item's stock in one warehouse."""

    on_hand: Quantity
    reserved: Quantity
    available: Quantity
    backordered: Quantity
    non_sellable: Quantity
    safety_stock: Quantity
    incoming: Quantity = 0
    in_transit: Quantity = 0  # dispatched here from another warehouse

    def to_dict(self) -> dict[str, str]:
        """Return the states as JSON-ready strings."""
        return {name: str(getattr(self, name)) for name in self.__slots__}


class Step(NamedTuple):
    """One change of a balance in time order: when, a tie-breaker, by how much, from which line."""

    at: datetime
    order: int
    delta: int
    line: int | None = None  # index of the new line in the request; None for stored movements


@dataclass(frozen=True, slots=True)
class Dip:
    """Where a timeline goes below zero: the new line to blame and what it could have taken."""

    line: int
    at: datetime
    requested: int
    available: int


def first_dip(start: int, steps: Iterable[Step]) -> Dip | None:
    """Walk a balance from ``start`` through ``steps`` in time order; return its first dip.

    The dip is blamed on the latest new outbound line at or before it, and ``available``
    says how much that line could have taken without the dip.
    """
    balance = start
    blame: Step | None = None
    for step in sorted(steps, key=lambda s: (s.at, s.order)):
        balance += step.delta
        if step.line is not None and step.delta < 0:
            blame = step
        if balance < 0 and blame is not None:
            return Dip(line=blame.line or 0, at=step.at, requested=-blame.delta,
                       available=max(0, balance - blame.delta))
    return None


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing ``verify`` found wrong, with the rows concerned."""

    check: str
    detail: str
    movement_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify`` checked and found: ``ok`` is true when ``problems`` is empty."""

    ok: bool
    problems: list[Problem]
    movements: int
    balances: int

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "ok": self.ok, "movements": self.movements, "balances": self.balances,
            "problems": [
                {"check": p.check, "detail": p.detail, "movement_ids": list(p.movement_ids)}
                for p in self.problems
            ],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class SetSafetyStock(Command[None]):
    """Keep ``qty`` of an item in a warehouse out of what orders may reserve (0: none)."""

    action = "stock.safety_stock"
    sku: str
    warehouse: str
    qty: Quantity
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        return self.sku

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"warehouse": self.warehouse, "qty": str(self.qty)}
