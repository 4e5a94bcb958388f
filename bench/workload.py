"""The benchmark's workload: a catalog, and a stream of valid postings in business-time order.

The same postings go to onhand (as ``post_batch`` lines or ``receive``/``transfer`` calls)
and to the raw-driver baseline (as rows with ids), so both databases end up with the same
ledger and the same balances. The generator tracks every bin's stock, so an outbound posting
never asks for more than the bin holds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

WAREHOUSES = ("WH1", "WH2")
BINS_PER_WAREHOUSE = 10
UNIT_COST = Decimal("2.50")
SUPPLIER, CUSTOMER = "supplier", "customer"


def sku(index: int) -> str:
    """Return the SKU of item number ``index``."""
    return f"SKU-{index:07d}"


def bins() -> list[str]:
    """Return the paths of the bins postings go to (leaves under each warehouse)."""
    return [f"{wh}/{chr(ord('A') + w)}-{b:02d}"
            for w, wh in enumerate(WAREHOUSES) for b in range(1, BINS_PER_WAREHOUSE + 1)]


@dataclass(frozen=True, slots=True)
class Posting:
    """One movement to post: item number, source and target paths, quantity, business time."""

    kind: str  # receipt | shipment | transfer
    item: int
    source: str
    target: str
    qty: int
    occurred_at: datetime

    def line(self) -> dict[str, Any]:
        """Return the posting as an onhand ``post_batch`` line (the keywords of the calls)."""
        line: dict[str, Any] = {"kind": self.kind, "sku": sku(self.item), "qty": self.qty,
                                "occurred_at": self.occurred_at}
        if self.kind == "receipt":
            line.update(location=self.target, unit_cost=UNIT_COST)
        elif self.kind == "shipment":
            line["location"] = self.source
        else:
            line.update(source=self.source, target=self.target)
        return line

    def unit_cost(self) -> Decimal | None:
        """Return the unit cost the movement carries (receipts only)."""
        return UNIT_COST if self.kind == "receipt" else None


class Workload:
    """A deterministic stream of postings over ``items`` items and the bins, oldest first.

    Business times start about a year ago and advance by a fixed step per posting, so a
    loaded ledger spans a year and every posting is later than the ones before it.
    """

    def __init__(self, *, items: int, movements: int, seed: int = 7) -> None:
        self.items = items
        self.bins = bins()
        self.random = random.Random(seed)
        self.stock: dict[tuple[int, str], int] = {}
        self.stocked: list[tuple[int, str]] = []  # keys with stock > 0 (some may have drained)
        self.step = timedelta(days=365) / max(movements, 1)
        self.start = datetime.now(UTC) - timedelta(days=400)
        self.count = 0

    def _next_time(self) -> datetime:
        self.count += 1
        return self.start + self.step * self.count

    def _move(self, key: tuple[int, str], delta: int) -> None:
        before = self.stock.get(key, 0)
        self.stock[key] = before + delta
        if before <= 0 < before + delta:
            self.stocked.append(key)

    def _stocked_key(self) -> tuple[int, str] | None:
        """Return a random (item, bin) that holds stock, or None after a few misses."""
        for _ in range(4):
            if not self.stocked:
                return None
            n = self.random.randrange(len(self.stocked))
            key = self.stocked[n]
            if self.stock[key] > 0:
                return key
            self.stocked[n] = self.stocked[-1]  # drained: drop it
            self.stocked.pop()
        return None

    def receipt(self) -> Posting:
        """Return a receipt of 1–20 units into a random bin."""
        key = (self.random.randrange(self.items), self.random.choice(self.bins))
        qty = self.random.randint(1, 20)
        self._move(key, qty)
        return Posting("receipt", key[0], SUPPLIER, key[1], qty, self._next_time())

    def transfer(self) -> Posting:
        """Return a transfer from a bin that holds stock to another bin (or a receipt)."""
        key = self._stocked_key()
        if key is None:
            return self.receipt()
        target = self.random.choice([b for b in self.bins if b != key[1]])
        qty = self.random.randint(1, self.stock[key])
        self._move(key, -qty)
        self._move((key[0], target), qty)
        return Posting("transfer", key[0], key[1], target, qty, self._next_time())

    def shipment(self) -> Posting:
        """Return a shipment from a bin that holds stock (or a receipt)."""
        key = self._stocked_key()
        if key is None:
            return self.receipt()
        qty = self.random.randint(1, min(self.stock[key], 5))
        self._move(key, -qty)
        return Posting("shipment", key[0], key[1], CUSTOMER, qty, self._next_time())

    def mixed(self, n: int) -> list[Posting]:
        """Return ``n`` postings: half receipts, a quarter shipments, a quarter transfers."""
        make = (self.receipt, self.receipt, self.shipment, self.transfer)
        return [make[self.random.randrange(4)]() for _ in range(n)]

    def singles(self, n: int) -> list[Posting]:
        """Return ``n`` postings for one-at-a-time calls: receipts and transfers in turn."""
        return [self.receipt() if i % 2 == 0 else self.transfer() for i in range(n)]

    def reads(self, n: int) -> list[tuple[int, str]]:
        """Return ``n`` random (item, bin) pairs to read the stock of."""
        return [(self.random.randrange(self.items), self.random.choice(self.bins))
                for _ in range(n)]

    def times(self, n: int) -> list[datetime]:
        """Return ``n`` random business times within the ledger posted so far."""
        span = self.count
        return [self.start + self.step * self.random.uniform(1, span) for _ in range(n)]

    def chunks(self, sizes: list[int]) -> Iterator[list[Posting]]:
        """Yield one list of mixed postings per size, generated lazily."""
        for size in sizes:
            yield self.mixed(size)
