"""Benchmark valuation (issue 6, Performance): one item with many movements, then a backdated
receipt dated before all of them.

On a fresh database (SQLite by default; ``--url`` a PostgreSQL admin URL), one FIFO item and
one moving-average item each get ``--movements`` movements (100,000; ``--quick`` 10,000),
alternately a receipt of 10 at a varying cost and a shipment of 9 (half of them outbound),
one minute apart, posted in batches. Then, for each item, in the same run:

- **read**: ``inv.valuation(sku=…)`` and ``inv.cogs(…)`` over the whole span — the reports
  replay the item's movements, so this is also the time to rebuild it from scratch;
- **raw read**: the same movements fetched with the bare driver (sqlite3 / psycopg), the
  floor under any replay;
- **engine**: the pure engine's replay of those movements, in memory;
- **backdated**: a receipt dated before every movement is posted, and the time until
  valuation and COGS are right again (the post, then one read).

The figures are checked: the value after the backdated receipt equals a replay of the
movements done here with the engine; the script exits 1 when it does not.

    .venv/bin/python bench/valuation.py --quick
    .venv/bin/python bench/valuation.py                       # 100,000 movements per item
    .venv/bin/python bench/valuation.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from databases import fresh
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

import onhand
from onhand.domain.valuation import Entry, replay

T = TypeVar("T")
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 10_000


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """Return what ``work`` returns and the seconds it took."""
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def fill(inv: onhand.Inventory, sku: str, movements: int) -> float:
    """Post ``movements`` alternating receipts and shipments of ``sku``; return the seconds."""
    lines: list[dict[str, Any]] = []
    for n in range(movements):
        at = START + timedelta(minutes=n)
        if n % 2 == 0:
            lines.append({"kind": "receipt", "sku": sku, "qty": 10, "location": "WH1",
                          "unit_cost": Decimal("2.00") + Decimal(n % 97) / 100,
                          "occurred_at": at})
        else:
            lines.append({"kind": "shipment", "sku": sku, "qty": 9, "location": "WH1",
                          "occurred_at": at})
    began = time.perf_counter()
    for start in range(0, movements, BATCH):
        inv.post_batch(lines[start:start + BATCH])
    return time.perf_counter() - began


def raw_rows(url: str, item_sku: str) -> list[Any]:
    """Fetch an item's movements with the bare driver, as a replay must."""
    sql = ("SELECT m.id, m.qty, m.source_id, m.target_id, m.unit_cost, m.occurred_at "
           "FROM movements m JOIN items i ON i.id = m.item_id WHERE i.sku = {p} "
           "ORDER BY m.occurred_at, m.id")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database or "") as conn:
            return conn.execute(sql.format(p="?"), (item_sku,)).fetchall()
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql.format(p="%s"), (item_sku,)).fetchall()


def entries(movements: int, backdated: bool) -> list[Entry]:
    """The movements ``fill`` posts (and the backdated receipt), as the engine sees them."""
    found = [Entry(n + 1, "receipt" if n % 2 == 0 else "shipment", 10 if n % 2 == 0 else 9,
                   START + timedelta(minutes=n),
                   Decimal("2.00") + Decimal(n % 97) / 100 if n % 2 == 0 else None)
             for n in range(movements)]
    if backdated:
        found.append(Entry(movements + 1, "receipt", 1000, START - timedelta(days=1),
                           Decimal("1.00")))
    return found


def measure(inv: onhand.Inventory, url: str, sku: str, method: str, movements: int
            ) -> dict[str, Any]:
    """Time the reads, the raw read, the engine and the backdated receipt for one item."""
    posted = fill(inv, sku, movements)
    since, until = date(2023, 12, 1), date(2030, 1, 1)
    value, read = timed(lambda: inv.valuation(sku=sku)[0])
    _, cogs_read = timed(lambda: inv.cogs(since=since, until=until, sku=sku))
    _, raw = timed(lambda: raw_rows(url, sku))
    _, engine = timed(lambda: replay(entries(movements, False), method=method, currency="USD"))
    began = time.perf_counter()
    inv.receive(sku=sku, qty=1000, location="WH1", unit_cost=Decimal("1.00"),
                occurred_at=START - timedelta(days=1))
    after = inv.valuation(sku=sku)[0]
    inv.cogs(since=since, until=until, sku=sku)
    backdated = time.perf_counter() - began
    expected = replay(entries(movements, True), method=method, currency="USD").state
    return {"sku": sku, "method": method, "movements": movements,
            "postings_per_s": movements / posted, "read_s": read, "cogs_s": cogs_read,
            "raw_read_s": raw, "engine_s": engine, "backdated_s": backdated,
            "value_before": str(value.value), "value_after": str(after.value),
            "checked": (after.on_hand, after.value) == (expected.on_hand, expected.value)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite",
                        help="'sqlite' (a temporary file) or a PostgreSQL admin URL")
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 movements per item")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    movements = 10_000 if args.quick else args.movements
    engine = "sqlite" if args.url == "sqlite" else "postgresql"
    rows = []
    with fresh(engine, *(() if engine == "sqlite" else (args.url,))) as pair:
        with onhand.open(pair.url) as inv:
            inv.add_location("WH1")
            inv.add_item(sku="VAL-FIFO", name="FIFO item")
            inv.add_item(sku="VAL-AVG", name="Average item", cost_method="average")
            for sku, method in (("VAL-FIFO", "fifo"), ("VAL-AVG", "average")):
                rows.append(measure(inv, pair.url, sku, method, movements))
    table = Table(title=f"valuation on {engine}: one item, {movements:,} movements "
                        "(half outbound), then a receipt dated before all of them")
    for name in ("method", "postings/s", "valuation read", "cogs read", "raw read",
                 "engine replay", "backdated: post + read", "value after", "checked"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for row in rows:
        table.add_row(row["method"], f"{row['postings_per_s']:,.0f}", f"{row['read_s']:.2f} s",
                      f"{row['cogs_s']:.2f} s", f"{row['raw_read_s']:.3f} s",
                      f"{row['engine_s']:.2f} s", f"{row['backdated_s']:.2f} s",
                      row["value_after"], "✓" if row["checked"] else "✗")
    Console(width=160).print(table)
    print("Valuation is computed when read (a replay of the item's movements), so posting "  # noqa: T201
          "pays nothing for it: postings/s is the same with valuation on or off.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)
    return 0 if all(row["checked"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
