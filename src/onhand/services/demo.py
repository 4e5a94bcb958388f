"""The demo database: two warehouses and a store, three dozen items, four months of trade.

The history is simulated day by day with a fixed random seed (the same quantities and
order every time; the dates end yesterday), keeping every balance at zero or more, and
posted as one backdated batch per month. Building into a database that already has the
demo answers with what is there; a database holding other items is refused.

Handler: ``BuildDemo``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onhand.domain.imports import BuildDemo, Progress
from onhand.domain.imports import DemoSummary as DemoSummary  # onhand.DemoSummary, from here
from onhand.domain.items import Item
from onhand.domain.movements import MovementRequest
from onhand.domain.quantities import from_units
from onhand.domain.times import utcnow
from onhand.errors import Conflict
from onhand.services import catalog, movements, placing, purchasing, stock
from onhand.services.executor import UnitOfWork, handles

SEED = 20260101
DAYS = 120
BINS = {"WH1": ("A-01", "A-02", "A-03", "B-01", "B-02", "R-01"), "WH2": ("A-01", "A-02", "A-03"),
        "STORE": ()}
RETURNS_BIN = "WH1/R-01"


def _catalog() -> list[tuple[Item, Decimal]]:
    """Return the demo items with their purchase cost per unit."""
    items: list[tuple[Item, Decimal]] = []
    for colour, cost in (("BLUE", "2.50"), ("RED", "2.50"), ("WHITE", "2.20"), ("BLACK", "2.75")):
        items.append((Item(sku=f"MUG-{colour}", name=f"{colour.title()} mug"), Decimal(cost)))
    for colour in ("RED", "NAVY", "GREY"):
        for size in ("S", "M", "L", "XL"):
            items.append((Item(sku=f"TSHIRT-{colour}-{size}",
                               name=f"T-shirt {colour.title()} {size}"), Decimal("6.40")))
    for ruling in ("LINED", "DOTTED", "PLAIN"):
        items.append((Item(sku=f"NOTEBOOK-A5-{ruling}", name=f"Notebook A5 {ruling.lower()}"),
                      Decimal("3.15")))
    for ink in ("BLACK", "BLUE", "RED", "GREEN"):
        items.append((Item(sku=f"PEN-GEL-{ink}", name=f"Gel pen {ink.lower()}"), Decimal("0.45")))
    for scent in ("LAVENDER", "CEDAR", "VANILLA"):
        items.append((Item(sku=f"CANDLE-{scent}", name=f"Candle {scent.lower()}"),
                      Decimal("4.80")))
    for size in ("6MM", "10MM"):
        items.append((Item(sku=f"ROPE-{size}", name=f"Rope {size.lower()}", unit="m",
                           decimals=2), Decimal("0.85")))
    for origin in ("BRAZIL", "ETHIOPIA"):
        items.append((Item(sku=f"COFFEE-{origin}", name=f"Coffee beans {origin.title()}",
                           unit="kg", decimals=3), Decimal("14.20")))
    for poster in ("MAP", "WAVE", "BOTANICA", "ORBIT"):
        items.append((Item(sku=f"POSTER-{poster}", name=f"Poster {poster.title()}"),
                      Decimal("1.90")))
    return items


@dataclass
class _Simulation:
    """Four months of trade, day by day, never taking a balance below zero."""

    start: datetime
    rng: random.Random
    items: list[tuple[Item, Decimal]]
    held: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    lines: list[dict[str, Any]] = field(default_factory=list)
    shipped: list[tuple[str, int]] = field(default_factory=list)
    orders: int = 0

    def run(self, days: int) -> list[dict[str, Any]]:
        for day in range(days):
            times = iter(sorted(self.rng.randrange(8 * 3600, 20 * 3600) for _ in range(150)))
            at = self.start + timedelta(days=day)
            clock = (at + timedelta(seconds=s) for s in times)
            if day % 14 == 0:
                self.replenish(clock, first=day == 0)
            self.trade(clock)
            if day % 7 == 3:
                self.housekeeping(clock)
        return self.lines

    def add(self, kind: str, item: Item, units: int, at: datetime, **where: Any) -> None:
        self.lines.append({"kind": kind, "sku": item.sku, "qty": from_units(units, item.decimals),
                           "occurred_at": at, **where})

    def unit(self, item: Item) -> int:
        return int(10**item.decimals)  # one whole unit (a metre, a kilogram) in scaled units

    def replenish(self, clock: Iterator[datetime], *, first: bool) -> None:
        """Receive every item running low (everything on the first day) into a bin."""
        for item, cost in self.items:
            total = sum(q for (sku, _), q in self.held.items() if sku == item.sku)
            if first or total < 30 * self.unit(item):
                place = self.rng.choice(["WH1/A-01", "WH1/A-02", "WH1/A-03", "WH1/B-01"])
                units = self.rng.randrange(60, 200) * self.unit(item)
                self.held[(item.sku, place)] += units
                self.add("receipt", item, units, next(clock), location=place, unit_cost=cost,
                         reference=f"PO-{len(self.lines) + 1000}")

    def trade(self, clock: Iterator[datetime]) -> None:
        """Ship a dozen-odd orders from wherever stock is, and take back a few returns."""
        for _ in range(self.rng.randrange(8, 18)):
            item, _ = self.rng.choice(self.items)
            stocked = sorted(p for (sku, p), q in self.held.items() if sku == item.sku and q > 0
                             and p != RETURNS_BIN)
            if not stocked:
                continue
            place = self.rng.choice(stocked)
            units = min(self.held[(item.sku, place)],
                        self.rng.randrange(1, 4) * self.unit(item) // (2 if item.decimals else 1))
            self.orders += 1
            self.held[(item.sku, place)] -= units
            self.add("shipment", item, units, next(clock), location=place,
                     reference=f"SO-{self.orders}")
            if self.rng.random() < 0.06:
                self.held[(item.sku, RETURNS_BIN)] += units
                self.add("return", item, units, next(clock), location=RETURNS_BIN,
                         reference=f"SO-{self.orders}")

    def housekeeping(self, clock: Iterator[datetime]) -> None:
        """Scrap a damaged unit, correct a count and move stock to WH2 and the store."""
        for item, _ in self.rng.sample(self.items, 4):
            stocked = sorted(p for (sku, p), q in self.held.items()
                             if sku == item.sku and q >= 10 * self.unit(item))
            if not stocked:
                continue
            place = stocked[0]
            if self.rng.random() < 0.5:
                self.held[(item.sku, place)] -= self.unit(item)
                self.add("scrap", item, self.unit(item), next(clock), location=place,
                         reason="damaged")
            delta = self.rng.choice([-1, 1]) * self.unit(item)
            self.held[(item.sku, place)] += delta
            self.add("adjustment", item, delta, next(clock), location=place,
                     reason="cycle count")
            target = self.rng.choice(["WH2/A-01", "WH2/A-02", "WH2/A-03", "STORE"])
            units = 5 * self.unit(item)
            self.held[(item.sku, place)] -= units
            self.held[(item.sku, target)] += units
            self.add("transfer", item, units, next(clock), source=place, target=target)


def build(uow: UnitOfWork, *, seed: int = SEED, days: int = DAYS, now: datetime | None = None,
          progress: Progress | None = None) -> DemoSummary:
    """Build the demo catalog and history into an empty database (or report the one there)."""
    items = _catalog()
    present = {item.sku for item in catalog.list_items(uow)}
    if present and {item.sku for item, _ in items} <= present:  # every demo item: built before
        return _summary(uow, len(items), built=False)
    if present:
        raise Conflict("this database already holds items; build the demo into an empty "
                       "database", field="database")
    _add_locations(uow)
    catalog.add_items(uow, [item for item, _ in items])
    start = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    simulation = _Simulation(start - timedelta(days=days), random.Random(seed), items)
    lines = simulation.run(days)
    months = _by_month(lines)
    for done, batch in enumerate(months, start=1):
        movements.post(uow, [MovementRequest(**line) for line in batch])
        if progress is not None:
            progress("posting", done, len(months))
    _open_documents(uow)
    return _summary(uow, len(items), built=True)


@handles(BuildDemo)
def build_demo(uow: UnitOfWork, command: BuildDemo) -> DemoSummary:
    """Build the demo (or answer what is there)."""
    return build(uow, progress=command.progress)


def _open_documents(uow: UnitOfWork) -> None:
    """Leave some work open: a purchase order on its way, orders (one backordered), a cart."""
    purchasing.add_supplier(uow, code="ACME", name="Acme Supplies")
    purchasing.create_purchase_order(
        uow, reference="PO-1001", supplier="ACME", warehouse="WH1", confirm=True,
        lines=[{"sku": "MUG-BLUE", "qty": 48, "unit_cost": Decimal("2.50")},
               {"sku": "NOTEBOOK-A5-LINED", "qty": 60, "unit_cost": Decimal("3.15")}])
    sales = [("MUG-BLUE", 2, "12.00"), ("TSHIRT-RED-M", 1, "19.00"),
             ("CANDLE-CEDAR", 3, "14.50"), ("NOTEBOOK-A5-LINED", 500, "8.90")]
    for number, (sku, qty, price) in enumerate(sales, start=1001):
        placing.create_order(uow, reference=f"SHOP-{number}", terms=placing.Terms(
            policy="backorder", warehouse="WH1"),
            lines=[{"sku": sku, "qty": qty, "unit_price": Decimal(price)}])
    placing.place_hold(uow, reference="CART-1", lines=[{"sku": "MUG-RED", "qty": 1}],
                      ttl=timedelta(hours=1))


def _add_locations(uow: UnitOfWork) -> None:
    existing = {place.path for place in catalog.list_locations(uow)}
    for warehouse, bins in BINS.items():
        for path in (warehouse, *(f"{warehouse}/{b}" for b in bins)):
            if path not in existing:  # returns wait for inspection before they sell again
                catalog.add_location(uow, path=path, sellable=path != RETURNS_BIN)


def _by_month(lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    months: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        at: datetime = line["occurred_at"]
        months[(at.year, at.month)].append(line)
    return [months[key] for key in sorted(months)]


def _summary(uow: UnitOfWork, items: int, *, built: bool) -> DemoSummary:
    locations = sum(1 + len(bins) for bins in BINS.values())
    count = len(stock.history(uow, limit=100_000))  # the demo is small
    return DemoSummary(items=items, locations=locations, movements=count, built=built)
