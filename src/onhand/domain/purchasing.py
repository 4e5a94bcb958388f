"""Purchasing: suppliers, purchase orders, their quantity rules and commands.

A purchase order's line is ``incoming`` from confirmation until it is received or its
rest cancelled. Receiving may exceed the ordered quantity by the order's tolerance (a
percentage) and no more. Transfers between warehouses are in ``domain/transfers.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command, OnDocument
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


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class AddSupplier(Command[dict[str, str]]):
    """Create a supplier of ``owner`` (its code is unique per owner); the result is the
    supplier as ``{owner, code, name}``."""

    action = "suppliers.add"
    code: str
    name: str | None = None
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        return str(result["code"])


@dataclass(frozen=True, kw_only=True, slots=True)
class CreatePurchaseOrder(OnDocument, Command[PurchaseOrder]):
    """Create a purchase order into a warehouse: a draft, or confirmed at once (``confirm``).

    ``lines``: ``[{"sku", "qty", "unit_cost"}]``. ``tolerance``: how far, in percent,
    receiving may exceed a line; None: the ``over_receipt_percent`` setting. A retry with
    the same reference and lines answers the order already created.
    """

    action = "purchase_orders.create"
    reference: str
    supplier: str
    warehouse: str
    lines: Sequence[Mapping[str, Any]]
    owner: str = "default"
    expected_on: date | None = None
    tolerance: object = None
    confirm: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfirmPurchaseOrder(OnDocument, Command[PurchaseOrder]):
    """Confirm a draft purchase order: its lines become ``incoming`` in its warehouse."""

    action = "purchase_orders.confirm"
    reference: str
    owner: str = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceivePurchaseOrder(OnDocument, Command[PurchaseOrder]):
    """Receive a confirmed order, fully (no ``lines``) or by ``lines`` (``[{"sku", "qty",
    "location", "lot", "expires_on"}]``), into ``location``; ``key``: a retry with it is
    applied once."""

    action = "purchase_orders.receive"
    reference: str
    lines: Sequence[Mapping[str, Any]] | None = None
    location: str | None = None
    owner: str = "default"
    key: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CancelPurchaseOrder(OnDocument, Command[PurchaseOrder]):
    """Cancel what is still to come on a purchase order (or ``lines`` quantities of it)."""

    action = "purchase_orders.cancel"
    reference: str
    lines: Sequence[Mapping[str, Any]] | None = None
    owner: str = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReturnToSupplier(OnDocument, Command[PurchaseOrder]):
    """Send received units of a purchase order back to its supplier, at the cost they came
    in at; ``lines``: ``[{"sku", "qty", "location", "lot"}]``."""

    action = "purchase_orders.return"
    reference: str
    lines: Sequence[Mapping[str, Any]]
    reason: str
    owner: str = "default"
    key: str | None = None
