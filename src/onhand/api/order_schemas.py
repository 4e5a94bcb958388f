"""Request and response bodies of orders, holds and events (the rest are in ``schemas``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StrictBool, StrictInt, StringConstraints

from onhand.api.schemas import Code, Number, Place, Reply, Request, Text
from onhand.domain.orders import Event, Order

# a reference travels in paths (/v1/orders/{reference}), so it never holds a "/"
Reference = Annotated[str, StringConstraints(pattern=r"^[^/]{1,200}$")]


class LineIn(Request):
    """A quantity of one item: a line to ship, cancel or take back."""

    sku: Code
    qty: Number | StrictInt

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, the quantity an exact ``Decimal``."""
        return {"sku": self.sku, "qty": Decimal(str(self.qty))}


class OrderLineIn(LineIn):
    """An ordered line; ``unit_price`` is the selling price (money, not a cost)."""

    unit_price: Number | StrictInt | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, numbers as exact ``Decimal``s."""
        line = super().fields()
        if self.unit_price is not None:
            line["unit_price"] = Decimal(str(self.unit_price))
        return line


OrderLines = Annotated[list[OrderLineIn], Field(min_length=1, max_length=1000)]
Lines = Annotated[list[LineIn], Field(min_length=1, max_length=1000)]


class OrderIn(Request):
    reference: Reference
    lines: OrderLines
    policy: Literal["reject", "backorder"] | None = Field(
        default=None, description="Short of stock: reject (409) or backorder; default: the "
                                  "items' own")
    warehouse: Place | None = Field(default=None, description="Where to reserve first")
    any_warehouse: StrictBool | None = Field(
        default=None, description="May reserve in another warehouse; default: only when no "
                                  "warehouse is named")
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0
    cancel_after: AwareDatetime | None = Field(
        default=None, description="Backorders still open then are cancelled")


class OrderUpdateIn(Request):
    lines: OrderLines = Field(description="The new quantity of each SKU named")


class ShipIn(Request):
    lines: Lines | None = Field(default=None, description="What to ship; default: all reserved")


class CancelIn(Request):
    lines: Lines | None = Field(default=None, description="What to cancel; default: all open")
    reason: Text | None = None


class ReturnIn(Request):
    lines: Lines
    location: Place = Field(description="Where the units go back: sellable or not")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class HoldIn(Request):
    reference: Reference
    lines: OrderLines
    ttl_seconds: Annotated[int, Field(ge=1, le=30 * 86_400)]
    warehouse: Place | None = None


class OrderLineOut(Reply):
    line: int
    sku: str
    qty: str
    warehouse: str
    reserved: str
    backordered: str
    shipped: str
    cancelled: str
    returned: str
    unit_price: str | None


class OrderOut(Reply):
    reference: str
    owner: str
    status: str
    policy: str
    priority: int
    warehouse: str | None
    any_warehouse: bool
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    cancel_after: datetime | None
    lines: list[OrderLineOut]
    movement_ids: list[int]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls.model_validate(order.to_dict())


class PickOut(Reply):
    line: int
    sku: str
    location: str
    lot: str | None
    qty: str


class PickListOut(Reply):
    reference: str
    picks: list[PickOut]


class EventOut(Reply):
    id: int
    type: str
    owner: str
    at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls.model_validate(event.to_dict())


class EventsOut(Reply):
    """Events in commit order; pass ``next_cursor`` as ``cursor`` to get those after them."""

    events: list[EventOut]
    next_cursor: int
