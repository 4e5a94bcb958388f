"""Request and response bodies of suppliers, purchase orders and transfers.

A purchase order's unit costs are costs: a caller whose role may not see costs gets them as
``null`` (and may not set them).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictInt, StringConstraints

from onhand.api.order_schemas import LineIn, Reference
from onhand.api.schemas import Code, Number, Place, Reply, Request, Text
from onhand.domain.purchasing import PurchaseOrder
from onhand.domain.transfers import Transfer

Reason = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MAX_LINES = 1000

# --- suppliers -------------------------------------------------------------------------------


class SupplierIn(Request):
    code: Code = Field(description="Unique per owner: letters, digits, '-', '_' or '.'")
    name: Text | None = Field(default=None, description="Default: the code")


class SupplierOut(Reply):
    owner: str
    code: str
    name: str


# --- purchase orders -------------------------------------------------------------------------


class PurchaseLineIn(LineIn):
    """An ordered line: a quantity of one item at a unit cost."""

    unit_cost: Number | StrictInt | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, numbers as exact ``Decimal``s."""
        line = super().fields()
        if self.unit_cost is not None:
            line["unit_cost"] = Decimal(str(self.unit_cost))
        return line


class PurchaseOrderIn(Request):
    reference: Reference
    supplier: Code
    warehouse: Place = Field(description="The warehouse (a top-level location) it arrives in")
    lines: Annotated[list[PurchaseLineIn], Field(min_length=1, max_length=MAX_LINES)]
    expected_on: date | None = None
    tolerance: Number | StrictInt | None = Field(
        default=None, description="How far receiving may exceed a line, in percent (0 to "
                                  "1000); default: the server's ONHAND_OVER_RECEIPT_PERCENT")
    confirm: StrictBool = Field(default=False, description="Confirm at once: the lines become "
                                                     "incoming (default: a draft)")


class ReceiveLineIn(LineIn):
    """Units received on a purchase order: where, and their lot and expiry."""

    location: Place | None = Field(default=None, description="Default: the receipt's location")
    lot: Text | None = Field(default=None, description="Required for lot- or serial-tracked "
                                                       "items")
    expires_on: date | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, leaving out what was not given."""
        given = {name: getattr(self, name) for name in ("location", "lot", "expires_on")
                 if getattr(self, name) is not None}
        return {**super().fields(), **given}


class ReceiveIn(Request):
    lines: Annotated[list[ReceiveLineIn], Field(min_length=1, max_length=MAX_LINES)] | None = \
        Field(default=None, description="What arrived; default: everything still to come")
    location: Place | None = Field(default=None, description="Where it is put away, inside "
                                                             "the order's warehouse")


class PurchaseCancelIn(Request):
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)] | None = Field(
        default=None, description="What to cancel; default: everything still to come")


class SupplierReturnLineIn(LineIn):
    """Received units sent back: from where, and which lot."""

    location: Place | None = Field(default=None, description="Default: the order's warehouse")
    lot: Text | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, leaving out what was not given."""
        given = {name: getattr(self, name) for name in ("location", "lot")
                 if getattr(self, name) is not None}
        return {**super().fields(), **given}


class SupplierReturnIn(Request):
    lines: Annotated[list[SupplierReturnLineIn], Field(min_length=1, max_length=MAX_LINES)]
    reason: Reason


class PurchaseOrderLineOut(Reply):
    line: int
    sku: str
    qty: str
    unit_cost: str | None = Field(None, description="Only for roles that may see costs.")
    received: str
    cancelled: str
    returned: str
    incoming: str


class PurchaseOrderOut(Reply):
    reference: str
    owner: str
    supplier: str
    warehouse: str
    status: str = Field(description="draft, confirmed, closed or cancelled")
    tolerance: str
    expected_on: date | None
    created_at: datetime
    updated_at: datetime
    lines: list[PurchaseOrderLineOut]
    movement_ids: list[int]

    @classmethod
    def of(cls, order: PurchaseOrder, *, costs: bool) -> PurchaseOrderOut:
        body = order.to_dict()
        if not costs:
            body["lines"] = [{**line, "unit_cost": None} for line in body["lines"]]
        return cls.model_validate(body)


# --- transfers -------------------------------------------------------------------------------


class TransferLineIn(LineIn):
    """Units to send: picked first-expired, first-in unless a location (or lot) is named."""

    location: Place | None = Field(default=None, description="Inside the source warehouse")
    lot: Text | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it, leaving out what was not given."""
        given = {name: getattr(self, name) for name in ("location", "lot")
                 if getattr(self, name) is not None}
        return {**super().fields(), **given}


class TransferIn(Request):
    reference: Reference
    source: Place = Field(description="The warehouse it leaves")
    target: Place = Field(description="The warehouse it goes to")
    lines: Annotated[list[TransferLineIn], Field(min_length=1, max_length=MAX_LINES)]


class TransferArrivalIn(LineIn):
    """Units that arrived of a line (and lot)."""

    lot: Text | None = None

    def fields(self) -> dict[str, Any]:
        """Return the line as the services take it."""
        return {**super().fields(), **({} if self.lot is None else {"lot": self.lot})}


class TransferReceiveIn(Request):
    lines: Annotated[list[TransferArrivalIn], Field(min_length=1, max_length=MAX_LINES)] | \
        None = Field(default=None, description="What arrived; default: everything sent. The "
                                               "rest goes to loss, with a reason")
    location: Place | None = Field(default=None, description="Inside the target warehouse; "
                                                             "default: the warehouse")
    reason: Text | None = Field(default=None, description="Required when something is short")


class TransferLineOut(Reply):
    line: int
    sku: str
    lot: str | None
    qty: str
    received: str
    lost: str


class TransferOut(Reply):
    reference: str
    owner: str
    source: str
    target: str
    status: str = Field(description="in_transit or received")
    created_at: datetime
    updated_at: datetime
    lines: list[TransferLineOut]
    movement_ids: list[int]

    @classmethod
    def of(cls, transfer: Transfer) -> TransferOut:
        return cls.model_validate(transfer.to_dict())
