"""Readable test data: items and stock put in place in one line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import onhand


def mug(inv: onhand.Inventory, sku: str = "MUG-BLUE", **fields: Any) -> onhand.Item:
    """Add a countable item (no decimals) and return it."""
    return inv.add_item(sku=sku, name=fields.pop("name", "Blue mug"), **fields)


def rope(inv: onhand.Inventory, sku: str = "ROPE-10MM", **fields: Any) -> onhand.Item:
    """Add an item sold by the metre with two decimals and return it."""
    return inv.add_item(sku=sku, name="Rope 10 mm", unit="m", decimals=2, **fields)


def stocked(inv: onhand.Inventory, sku: str = "MUG-BLUE", qty: int | Decimal = 10,
            location: str = "WH1/A-01", **fields: Any) -> onhand.Movement:
    """Add a mug and receive ``qty`` of it at ``location``; return the receipt."""
    mug(inv, sku, **fields)
    return inv.receive(sku=sku, qty=qty, location=location, unit_cost=Decimal("2.50"))
