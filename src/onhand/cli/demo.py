"""``onhand demo``: build the demo database and show what it holds.

Run again on the same database, it builds nothing and shows the stock that is there; a
database that holds other items is refused (the ledger is append-only, so nothing is
ever wiped to make room).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import onhand
from onhand.cli.common import cells, console, inventory
from onhand.domain.locations import warehouse_of


def demo(ctx: typer.Context) -> None:
    """Build a demo database (warehouses, items, months of history) and show its stock."""
    with inventory(ctx) as inv:
        summary = build(inv)
        levels = inv.levels(owner="default")
    out = console()
    out.print(_table(levels))
    state = "built" if summary.built else "already there, nothing added"
    out.print(f"demo {state}: {summary.items} items, {summary.locations} locations, "
              f"{summary.movements} movements", markup=False)
    out.print("try: onhand stock MUG-BLUE · onhand history MUG-BLUE --limit 10 · "
              "onhand verify", markup=False)


def build(inv: onhand.Inventory) -> onhand.DemoSummary:
    """Build the demo into ``inv`` (nothing when it is there), with a progress bar on a terminal."""
    errors = Console(stderr=True)
    with Progress(console=errors, transient=True, disable=not errors.is_terminal) as bar:
        task = bar.add_task("building the demo", total=None)
        return inv.build_demo(
            progress=lambda _, done, total: bar.update(task, completed=done, total=total))


def _table(levels: list[onhand.Stock]) -> Table:
    """Return the stock per warehouse of every item, with totals."""
    houses = sorted({warehouse_of(p) for level in levels for p in level.by_location})
    table = Table("SKU", *houses, "On hand", title="Stock by warehouse")
    for level in levels:
        per_house: dict[str, Decimal] = defaultdict(Decimal)
        for path, qty in level.by_location.items():
            per_house[warehouse_of(path)] += qty
        table.add_row(*cells(level.sku, *(per_house.get(h, "-") for h in houses),
                             level.on_hand))
    return table


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo")(demo)
