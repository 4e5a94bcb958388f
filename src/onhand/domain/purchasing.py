"""Purchasing and transfers between warehouses: the documents and their quantity rules.

A purchase order's line is ``incoming`` from confirmation until it is received or its
rest cancelled. Receiving may exceed the ordered quantity by the order's tolerance (a
percentage) and no more. A transfer moves stock in two steps: dispatch (source → transit)
and receipt at the target; what does not arrive is posted to loss with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.quantities import Quantity
from onhand.errors import InvalidInput

PO_STATUSES = ("draft", "confirmed", "closed", "cancelled")
MAX_TOLERANCE = Decimal(1000)


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    """One line of a purchase order: ordered, received, cancelled, returned, still to come."""

    line: int
    sku: str
    qty: Quantity
    unit_cost: Decimal | None
    received: Quantity
    cancelled: Quantity
    returned: Quantity
    incoming: Quantity

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready values."""
        return {"line": self.line, "sku": self.sku, "qty": str(self.qty),
                "unit_cost": None if self.unit_cost is None else str(self.unit_cost),
                "received": str(self.received), "cancelled": str(self.cancelled),
                "returned": str(self.returned), "incoming": str(self.incoming)}


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """A purchase order from a supplier, received into one warehouse."""

    reference: str
    owner: str
    supplier: str
    warehouse: str
    status: str
    tolerance: Decimal
    expected_on: date | None
    created_at: datetime
    updated_at: datetime
    lines: tuple[PurchaseOrderLine, ...]
    movement_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the order as JSON-ready values."""
        return {
            "reference": self.reference, "owner": self.owner, "supplier": self.supplier,
            "warehouse": self.warehouse, "status": self.status,
            "tolerance": str(self.tolerance),
            "expected_on": None if self.expected_on is None else self.expected_on.isoformat(),
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
            "movement_ids": list(self.movement_ids),
        }


@dataclass(frozen=True, slots=True)
class TransferLine:
    """One line of a transfer: dispatched, received at the target, lost on the way."""

    line: int
    sku: str
    lot: str | None
    qty: Quantity
    received: Quantity
    lost: Quantity

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready values."""
        return {"line": self.line, "sku": self.sku, "lot": self.lot, "qty": str(self.qty),
                "received": str(self.received), "lost": str(self.lost)}


@dataclass(frozen=True, slots=True)
class Transfer:
    """Stock sent from one warehouse to another through ``transit``."""

    reference: str
    owner: str
    source: str
    target: str
    status: str
    created_at: datetime
    updated_at: datetime
    lines: tuple[TransferLine, ...]
    movement_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the transfer as JSON-ready values."""
        return {"reference": self.reference, "owner": self.owner, "source": self.source,
                "target": self.target, "status": self.status,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(),
                "lines": [line.to_dict() for line in self.lines],
                "movement_ids": list(self.movement_ids)}


def open_units(qty: int, received: int, cancelled: int) -> int:
    """Return the units of a purchase order line still to come (never below zero)."""
    return max(0, qty - received - cancelled)


def receivable(qty: int, received: int, cancelled: int, tolerance: Decimal) -> int:
    """Return how many more units a line may take: up to ``qty`` × (1 + tolerance %),
    less what was received, never counting cancelled units as receivable."""
    ceiling = int((Decimal(qty - cancelled) * (100 + tolerance) / 100).to_integral_value(
        rounding="ROUND_FLOOR"))
    return max(0, ceiling - received)


def check_tolerance(value: object) -> Decimal:
    """Return an over-receipt tolerance in percent (0 to 1000), or raise."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            value = None
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= MAX_TOLERANCE:
        raise InvalidInput("tolerance must be a percentage from 0 to 1000", field="tolerance")
    return value


def check_code(value: object, field: str = "supplier") -> str:
    """Return a supplier code (letters, digits, '-', '_', '.'; at most 64), or raise."""
    if (not isinstance(value, str) or not value.strip() or len(value.strip()) > 64
            or not all(c.isalnum() or c in "-_." for c in value.strip())):
        raise InvalidInput(f"{field} must be a code of at most 64 letters, digits, '-', '_' "
                           "or '.'", field=field)
    return value.strip()
