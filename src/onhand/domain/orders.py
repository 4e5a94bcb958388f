"""Sales orders, holds and the rules that reserve, backorder, pick and fill.

An order line's quantity is always split four ways: ``reserved`` (promised, in one
warehouse), ``backordered`` (promised when stock comes), ``shipped`` and ``cancelled``.
A hold is an order with status ``held`` and an expiry: its units count as reserved only
until then, with no sweeper needed for reads to be true.

What a warehouse can still promise (``available``) is its stock in sellable locations,
less what open orders and live holds reserve, less its safety stock. These functions are
pure: the services hand them the numbers read under the items' locks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command, OnDocument
from onhand.domain.quantities import Quantity
from onhand.errors import InvalidInput

POLICIES = ("reject", "backorder")
OPEN, HELD = "open", "held"
STATUSES = (HELD, OPEN, "completed", "cancelled", "expired", "released")
MAX_LINES = 1000
LINE_FIELDS = frozenset({"sku", "qty", "unit_price"})


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order: how much of an item was ordered and where it stands."""

    line: int
    sku: str
    qty: Quantity
    warehouse: str
    reserved: Quantity
    backordered: Quantity
    shipped: Quantity
    cancelled: Quantity
    returned: Quantity
    unit_price: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready values (quantities and prices as strings)."""
        return {
            "line": self.line, "sku": self.sku, "qty": str(self.qty),
            "warehouse": self.warehouse, "reserved": str(self.reserved),
            "backordered": str(self.backordered), "shipped": str(self.shipped),
            "cancelled": str(self.cancelled), "returned": str(self.returned),
            "unit_price": None if self.unit_price is None else str(self.unit_price),
        }


@dataclass(frozen=True, slots=True)
class Order:
    """A sales order or a hold (``status == "held"``), with its lines."""

    reference: str
    owner: str
    status: str
    policy: str
    priority: int
    warehouse: str | None
    any_warehouse: bool
    created_at: datetime
    updated_at: datetime
    lines: tuple[OrderLine, ...]
    expires_at: datetime | None = None
    cancel_after: datetime | None = None
    movement_ids: tuple[int, ...] = ()  # the shipments and returns posted for it

    def to_dict(self) -> dict[str, Any]:
        """Return the order as JSON-ready values."""
        return {
            "reference": self.reference, "owner": self.owner, "status": self.status,
            "policy": self.policy, "priority": self.priority, "warehouse": self.warehouse,
            "any_warehouse": self.any_warehouse, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "cancel_after": None if self.cancel_after is None else self.cancel_after.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
            "movement_ids": list(self.movement_ids),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the outbox, numbered gap-free in commit order."""

    id: int
    type: str
    owner: str
    at: datetime
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values."""
        return {"id": self.id, "type": self.type, "owner": self.owner,
                "at": self.at.isoformat(), "data": self.data}


@dataclass(slots=True)
class Claim:
    """An open line's reservation or backorder, as the fill and the shortfall rules see it."""

    line_id: int
    order_id: int
    reserved: int
    backordered: int
    priority: int
    created_at: datetime
    hold: bool = False
    any_warehouse: bool = False
    taken: int = field(default=0)
    warehouse_id: int = 0


def no_line_for(sku: str, number: int, what: str = "order") -> InvalidInput:
    """Return the error for a requested line whose SKU the document does not have."""
    return InvalidInput(f"line {number}: the {what} has no line for {sku!r}", field="sku",
                        line=number)


def fill(available: int, backorders: Sequence[Claim]) -> list[tuple[Claim, int]]:
    """Return how much of ``available`` each backordered line gets: highest priority first,
    then oldest; a line is filled before the next gets anything."""
    grants = []
    for claim in sorted(backorders, key=lambda c: (-c.priority, c.created_at, c.line_id)):
        if available <= 0:
            break
        take = min(available, claim.backordered)
        if take > 0:
            grants.append((claim, take))
            available -= take
    return grants


def shortfall(missing: int, reservations: Sequence[Claim]) -> list[tuple[Claim, int]]:
    """Return how many reserved units each line gives up when stock no longer covers
    ``missing`` of them: the newest reservations first."""
    losses = []
    for claim in sorted(reservations, key=lambda c: (c.created_at, c.line_id), reverse=True):
        if missing <= 0:
            break
        take = min(missing, claim.reserved)
        if take > 0:
            losses.append((claim, take))
            missing -= take
    return losses


def check_policy(value: object) -> str:
    """Return an order policy, or raise naming the field."""
    if value not in POLICIES:
        raise InvalidInput(f"policy must be one of {', '.join(POLICIES)}", field="policy",
                           value=value)
    return str(value)


def check_priority(value: object) -> int:
    """Return an order priority (higher ships first), or raise."""
    if isinstance(value, bool) or not isinstance(value, int) or not -1000 <= value <= 1000:
        raise InvalidInput("priority must be an integer from -1000 to 1000", field="priority",
                           value=value)
    return value


def check_lines(lines: object, *, allow_empty: bool = False,
                fields: frozenset[str] = LINE_FIELDS) -> list[Mapping[str, Any]]:
    """Return a document's lines as mappings with known keys (``fields``; ``sku`` and
    ``qty`` required), or raise naming the line."""
    if isinstance(lines, (str, bytes, Mapping)) or not isinstance(lines, Sequence):
        raise InvalidInput("lines must be a list of {sku, qty, unit_price}", field="lines")
    if not lines and not allow_empty:
        raise InvalidInput("an order needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"an order has at most {MAX_LINES} lines", field="lines")
    checked = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, Mapping):
            raise InvalidInput(f"line {number} must be a mapping", field="lines", line=number)
        unknown = sorted(set(line) - fields)
        if unknown:
            raise InvalidInput(f"line {number}: unknown field {unknown[0]!r}", field=unknown[0],
                               line=number)
        for needed in ("sku", "qty"):
            if needed not in line:
                raise InvalidInput(f"line {number}: {needed} is required", field=needed,
                                   line=number)
        checked.append(line)
    return checked


def check_price(value: object, line: int) -> Decimal | None:
    """Return a line's unit price as a non-negative Decimal (text or Decimal), or raise."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError:
            value = None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidInput(f"line {line}: unit_price must be a non-negative decimal",
                           field="unit_price", line=line)
    return value


# --- commands ---------------------------------------------------------------------------------

Lines = Sequence[Mapping[str, Any]]  # requested lines: {"sku", "qty"} (and "unit_price")


@dataclass(frozen=True, kw_only=True, slots=True)
class CreateOrder(OnDocument, Command[Order]):
    """Create a sales order and reserve its lines at once, all or nothing.

    ``policy`` (None: the items' own) ``reject`` refuses an order stock cannot cover;
    ``backorder`` reserves what exists and backorders the rest. ``warehouse``: where to
    reserve first; ``any_warehouse`` (None: only when no warehouse is named) lets it reserve
    elsewhere. ``cancel_after``: backorders still open then are cancelled.
    """

    action = "orders.create"
    reference: str
    lines: Lines
    owner: str = "default"
    policy: str | None = None
    warehouse: str | None = None
    any_warehouse: bool | None = None
    priority: int = 0
    cancel_after: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UpdateOrder(OnDocument, Command[Order]):
    """Set the ordered quantity of SKUs before they ship (0 removes a line)."""

    action = "orders.update"
    reference: str
    lines: Lines
    owner: str = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ShipOrder(OnDocument, Command[Order]):
    """Ship an order's reserved units (all, or ``lines`` quantities); with ``key``, a retry
    ships nothing more."""

    action = "orders.ship"
    reference: str
    lines: Lines | None = None
    owner: str = "default"
    key: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CancelOrder(OnDocument, Command[Order]):
    """Cancel what is left of an order, or ``lines`` quantities; reservations are freed."""

    action = "orders.cancel"
    reference: str
    lines: Lines | None = None
    owner: str = "default"
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReturnOrder(OnDocument, Command[Order]):
    """Take back shipped units (an RMA) into ``location`` (sellable or not), with a reason."""

    action = "orders.return"
    reference: str
    lines: Lines
    location: str
    reason: str
    owner: str = "default"
    key: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PlaceHold(OnDocument, Command[Order]):
    """Reserve a cart's lines for ``ttl`` (all or nothing); once it ends they are not."""

    action = "holds.place"
    reference: str
    lines: Lines
    ttl: timedelta
    owner: str = "default"
    warehouse: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfirmHold(OnDocument, Command[Order]):
    """Turn a live hold into an order; its units stay reserved."""

    action = "holds.confirm"
    reference: str
    owner: str = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReleaseHold(OnDocument, Command[Order]):
    """Give a hold's units back at once."""

    action = "holds.release"
    reference: str
    owner: str = "default"
