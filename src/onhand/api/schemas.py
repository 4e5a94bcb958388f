"""Request and response bodies. Requests forbid unknown fields, so a server-owned one is refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from onhand.domain.items import Item
from onhand.domain.movements import Movement
from onhand.domain.stock import Stock
from onhand.domain.valuation import ItemCogs, ItemValue

# quantities and money travel as decimal strings (or JSON integers), never binary floats
Number = Annotated[str, StringConstraints(pattern=r"^[+-]?\d{1,18}(\.\d{1,18})?$")]
Text = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=600)]  # a location's path


class Request(BaseModel):
    """A request body: unknown (or read-only) fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """A response body."""


# --- catalog ---------------------------------------------------------------------------------


class OwnerIn(Request):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    name: Text | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3, examples=["USD", "EUR"],
                                   description="ISO 4217 code: the owner's stock is valued in "
                                               "it")] = "USD"
    time_zone: Annotated[str, Field(min_length=1, max_length=64,
                                    examples=["UTC", "Europe/Paris"],
                                    description="IANA time zone: where the owner's days "
                                                "(and periods) end")] = "UTC"


class OwnerOut(Reply):
    code: str
    name: str
    currency: str
    time_zone: str


class ItemIn(Request):
    sku: Code
    name: Text
    unit: Annotated[str, StringConstraints(min_length=1, max_length=20)] = "each"
    decimals: Annotated[int, Field(ge=0, le=6)] = 0
    barcodes: Annotated[list[Code], Field(max_length=20)] = []
    allow_negative: StrictBool = False
    tracking: Literal["none", "lot", "serial"] = "none"
    cost_method: Literal["fifo", "average"] = "fifo"
    weight: Number | StrictInt | None = Field(
        default=None, description="Of one unit, at least 0, in any unit of weight used "
                                  "throughout: landed costs may be spread by it")
    cost_required: StrictBool = Field(
        default=False, description="A valued item: a receipt without a unit cost is refused "
                                   "(422, naming unit_cost)")

    def item(self, owner: str) -> Item:
        """Return the item to create for ``owner``, its weight an exact ``Decimal``."""
        weight = None if self.weight is None else Decimal(str(self.weight))
        return Item(owner=owner, **{**self.model_dump(), "barcodes": tuple(self.barcodes),
                                    "weight": weight})


class ItemOut(Reply):
    sku: str
    name: str
    owner: str
    unit: str
    decimals: int
    barcodes: list[str]
    allow_negative: bool
    tracking: str
    cost_method: str
    weight: str | None = Field(description="Of one unit; null: none given")
    cost_required: bool = Field(description="A valued item: its receipts carry a unit cost")

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        return cls(sku=item.sku, name=item.name, owner=item.owner, unit=item.unit,
                   decimals=item.decimals, barcodes=list(item.barcodes),
                   allow_negative=item.allow_negative, tracking=item.tracking,
                   cost_method=item.cost_method,
                   weight=None if item.weight is None else str(item.weight),
                   cost_required=item.cost_required)


class LocationIn(Request):
    path: Place
    name: Text | None = None
    sellable: StrictBool | None = Field(default=None, description="Whether its stock counts toward "
                                                            "available; default: its parent's")


class SellableIn(Request):
    sellable: StrictBool


class SellableOut(Reply):
    path: str
    sellable: bool


class LocationOut(Reply):
    path: str
    kind: str
    name: str
    sellable: bool = Field(description="Whether its stock counts toward available")


# --- movements -------------------------------------------------------------------------------

Kind = Literal["receipt", "shipment", "return", "adjustment", "scrap", "transfer", "count"]


class MovementIn(Request):
    """One posting. ``location`` for every kind but ``transfer``, which takes source and target."""

    kind: Kind
    sku: Code
    qty: Number | StrictInt  # never a bool, never a float (1.5, or 2.0000000000000001)
    location: Annotated[str, StringConstraints(max_length=600)] | None = None
    source: Annotated[str, StringConstraints(max_length=600)] | None = None
    target: Annotated[str, StringConstraints(max_length=600)] | None = None
    lot: Text | None = None
    reference: Text | None = None
    reason: Text | None = None
    unit_cost: Number | None = None
    occurred_at: AwareDatetime | None = None
    shipment_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    damage: StrictBool | None = Field(default=None, description="Records damage (scrap, transfer, "
                                                          "adjustment): may take reserved stock")

    def fields(self) -> dict[str, Any]:
        """Return the fields that were given, with numbers as exact ``Decimal``s."""
        given = self.model_dump(exclude_none=True)
        given["qty"] = Decimal(str(self.qty))
        if self.unit_cost is not None:
            given["unit_cost"] = Decimal(self.unit_cost)
        return given


class BatchIn(Request):
    lines: Annotated[list[MovementIn], Field(min_length=1)]


class ReverseIn(Request):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class MovementOut(Reply):
    id: int
    kind: str
    sku: str
    owner: str
    qty: str
    source: str
    target: str
    lot: str | None
    reference: str | None
    reason: str | None
    unit_cost: str | None = Field(None, description="Only for roles that may see costs.")
    occurred_at: datetime
    recorded_at: datetime
    reverses: int | None
    shipment_id: int | None

    @classmethod
    def of(cls, movement: Movement, *, costs: bool) -> MovementOut:
        cost = movement.unit_cost if costs else None
        return cls(id=movement.id, kind=movement.kind, sku=movement.sku, owner=movement.owner,
                   qty=str(movement.qty), source=movement.source, target=movement.target,
                   lot=movement.lot, reference=movement.reference, reason=movement.reason,
                   unit_cost=None if cost is None else str(cost),
                   occurred_at=movement.occurred_at, recorded_at=movement.recorded_at,
                   reverses=movement.reverses, shipment_id=movement.shipment_id)


class MovementsOut(Reply):
    movements: list[MovementOut]


# --- stock -----------------------------------------------------------------------------------


class WarehouseStockOut(Reply):
    on_hand: str
    reserved: str
    available: str
    backordered: str
    non_sellable: str
    safety_stock: str
    incoming: str
    in_transit: str


class StockOut(Reply):
    sku: str
    owner: str
    location: str | None
    lot: str | None
    on_hand: str
    reserved: str
    available: str
    backordered: str
    incoming: str
    in_transit: str
    non_sellable: str
    safety_stock: str
    as_of: datetime | None
    by_location: dict[str, str]
    by_warehouse: dict[str, WarehouseStockOut]

    @classmethod
    def of(cls, stock: Stock) -> StockOut:
        return cls.model_validate(stock.to_dict())


class SafetyStockIn(Request):
    warehouse: Place
    qty: Number | StrictInt = Field(description="Units kept out of available; 0: none")


class SafetyStockOut(Reply):
    sku: str
    owner: str
    warehouse: str
    qty: str


# --- valuation -------------------------------------------------------------------------------


class ItemValueOut(Reply):
    """What one item's stock was worth at a moment, in its owner's currency."""

    owner: str
    sku: str
    currency: str
    cost_method: str
    on_hand: str
    value: str
    uncosted: str = Field(description="Units on hand that came in without a cost (valued at 0)")
    location: str | None = Field(default=None, description="By location or warehouse: its "
                                                           "path (the item's share there); "
                                                           "by item: null")

    @classmethod
    def of(cls, value: ItemValue) -> ItemValueOut:
        return cls.model_validate(value.to_dict())


class ItemCogsOut(Reply):
    """What one item's sales of a period cost and brought in, in its owner's currency."""

    owner: str
    sku: str
    currency: str
    sold: str = Field(description="Units shipped to customers in the period")
    returned: str = Field(description="Units customers returned in the period")
    cogs: str = Field(description="Cost of goods sold: shipments less returns, with corrections")
    revenue: str = Field(description="The order lines' prices of those units")
    margin: str = Field(description="revenue - cogs")
    unpriced: str = Field(description="Units shipped with no price (not in revenue)")
    period: date | None = Field(default=None, description="by day, week or month: the "
                                "period's first day where the owner is; null: the whole span")

    @classmethod
    def of(cls, cogs: ItemCogs) -> ItemCogsOut:
        return cls.model_validate(cogs.to_dict())


T = TypeVar("T")


class Page(Reply, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None


class Problem(Reply):
    """An error (RFC 9457): ``type``, ``title``, ``status``, ``detail`` and the error's fields
    (``field``, ``sku``, ``location``, ``requested``, ``available``, ``line``…)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class Health(Reply):
    status: str
