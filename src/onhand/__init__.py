"""onhand: a perpetual inventory system built on an exact, append-only, double-entry ledger.

>>> import onhand
>>> inv = onhand.open("sqlite:///shop.db")  # doctest: +SKIP
>>> inv.add_location("WH1")  # doctest: +SKIP
>>> inv.add_item(sku="MUG-1", name="Blue mug")  # doctest: +SKIP
>>> inv.receive(sku="MUG-1", qty=10, location="WH1")  # doctest: +SKIP
>>> inv.stock(sku="MUG-1").on_hand  # doctest: +SKIP
10
"""

from onhand.config import Settings
from onhand.domain.imports import ImportReport, Rejection
from onhand.domain.items import Item
from onhand.domain.locations import Location
from onhand.domain.movements import Movement, MovementRequest
from onhand.domain.orders import Event, Order, OrderLine
from onhand.domain.owners import Owner
from onhand.domain.purchasing import PurchaseOrder, PurchaseOrderLine
from onhand.domain.stock import Problem, Stock, VerifyReport
from onhand.domain.transfers import Transfer, TransferLine
from onhand.domain.valuation import ItemCogs, ItemValue, OwnerValue, Revaluation, ValueEntry
from onhand.domain.valuation.landed import LandedCost, LandedCostLine
from onhand.errors import (
    AccessDenied,
    AlreadyReversed,
    BatchTooLarge,
    Conflict,
    DuplicateItem,
    DuplicateLocation,
    DuplicateOrder,
    DuplicateOwner,
    DuplicateUser,
    Forbidden,
    HoldExpired,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    InvalidTime,
    NotAuthenticated,
    NotFound,
    OnhandError,
    OrderClosed,
    PayloadTooLarge,
    PeriodClosed,
    RequestInFlight,
    StorageError,
    Throttled,
    UnknownItem,
    UnknownLocation,
    UnknownMovement,
    UnknownOrder,
    UnknownOwner,
    UnknownSupplier,
    UnknownToken,
    UnknownTransfer,
    UnknownUser,
)
from onhand.inventory import Inventory, open
from onhand.services.demo import DemoSummary

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "AlreadyReversed",
    "BatchTooLarge",
    "Conflict",
    "DemoSummary",
    "DuplicateItem",
    "DuplicateLocation",
    "DuplicateOrder",
    "DuplicateOwner",
    "DuplicateUser",
    "Event",
    "Forbidden",
    "HoldExpired",
    "IdempotencyConflict",
    "ImportReport",
    "InsufficientStock",
    "InvalidInput",
    "InvalidLocation",
    "InvalidQuantity",
    "InvalidTime",
    "Inventory",
    "Item",
    "ItemCogs",
    "ItemValue",
    "LandedCost",
    "LandedCostLine",
    "Location",
    "Movement",
    "MovementRequest",
    "NotAuthenticated",
    "NotFound",
    "OnhandError",
    "Order",
    "OrderClosed",
    "OrderLine",
    "Owner",
    "OwnerValue",
    "PayloadTooLarge",
    "PeriodClosed",
    "Problem",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Rejection",
    "RequestInFlight",
    "Revaluation",
    "Settings",
    "Stock",
    "StorageError",
    "Throttled",
    "Transfer",
    "TransferLine",
    "UnknownItem",
    "UnknownLocation",
    "UnknownMovement",
    "UnknownOrder",
    "UnknownOwner",
    "UnknownSupplier",
    "UnknownToken",
    "UnknownTransfer",
    "UnknownUser",
    "ValueEntry",
    "VerifyReport",
    "open",
]
