"""Benchmark valuation (issue 6, Performance): one item with many movements, then a backdated
receipt dated before all of them.

On a fresh database (SQLite by default; ``--url`` a PostgreSQL admin URL), for each cost
method (FIFO and moving average) two items get ``--movements`` movements each (100,000;
``--quick`` 10,000), alternately a receipt of 10 at a varying cost and a shipment of 9 (half
of them outbound), one minute apart, posted in batches of 10,000:

- **valuation on vs off**: the first item's batches are each followed by the valuer
  catching up (``inv.catch_up_valuation()``, what the server's sweeper does); the second's
  are not. Postings per second with and without the valuing, and its cost in throughput.
- **from scratch**: the second item's 100,000 movements then valued all at once — a rebuild;
  **raw: write values**: as many value rows inserted with the bare driver into a scratch
  table with the same columns and indexes, in one transaction (the floor under storing them).
- **read**: ``inv.valuation(sku=…)`` and ``inv.cogs(…)`` over the whole span, values stored;
  **raw read**: the item's movements fetched with the bare driver (sqlite3 / psycopg).
- **backdated, before all**: a receipt dated before every movement of the first item, and
  the time until valuation and COGS are right again (post, then both reads): every later
  movement is valued again, revaluations appended where its value changed.
- **backdated, late**: a receipt dated before only the last 1% of the movements: the valuer
  carries on from the checkpoint before it and values again only what follows.

The figures are checked: after each backdated receipt the value equals the pure engine's
replay of the movements done here, and ``inv.verify()`` (stored values against a rebuild)
passes; the script exits 1 otherwise.

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
SINGLES, SWEEP = 2_000, 100  # single postings, and how many the valuer catches up at once
SINCE, UNTIL = date(2023, 12, 1), date(2030, 1, 1)  # the COGS read: the whole span


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """Return what ``work`` returns and the seconds it took."""
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def fill(inv: onhand.Inventory, sku: str, movements: int, *, valued: bool
         ) -> tuple[float, float]:
    """Post ``movements`` alternating receipts and shipments of ``sku``, the valuer catching
    up after each batch when ``valued``; return the seconds posting and valuing took."""
    lines: list[dict[str, Any]] = []
    for n in range(movements):
        at = START + timedelta(minutes=n)
        if n % 2 == 0:
            lines.append({"kind": "receipt", "sku": sku, "qty": 10, "location": "WH1",
                          "unit_cost": cost(n), "occurred_at": at})
        else:
            lines.append({"kind": "shipment", "sku": sku, "qty": 9, "location": "WH1",
                          "occurred_at": at})
    posting = valuing = 0.0
    for start in range(0, movements, BATCH):
        _, took = timed(lambda: inv.post_batch(lines[start:start + BATCH]))  # noqa: B023
        posting += took
        if valued:
            valuing += timed(inv.catch_up_valuation)[1]
    return posting, valuing


def singles(inv: onhand.Inventory, sku: str, count: int, *, valued: bool
            ) -> tuple[float, float]:
    """Post ``count`` alternating receipts and shipments one per transaction (as the API,
    the CLI and scanners post), the valuer catching up after every ``SWEEP`` of them when
    ``valued`` (the server's sweeper does every few seconds); return the seconds each took."""
    posting = valuing = 0.0
    for n in range(count):
        at = START + timedelta(days=400, minutes=n)
        began = time.perf_counter()
        if n % 2 == 0:
            inv.receive(sku=sku, qty=10, location="WH1", unit_cost=cost(n), occurred_at=at)
        else:
            inv.ship(sku=sku, qty=9, location="WH1", occurred_at=at)
        posting += time.perf_counter() - began
        if valued and n % SWEEP == SWEEP - 1:
            valuing += timed(inv.catch_up_valuation)[1]
    return posting, valuing


def cost(n: int) -> Decimal:
    return Decimal("2.00") + Decimal(n % 97) / 100


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


RAW_TABLE = ("CREATE TABLE bench_entries (id {serial} PRIMARY KEY, owner_id INTEGER NOT NULL, "
             "item_id INTEGER NOT NULL, movement_id BIGINT NOT NULL, entry_key BIGINT NOT NULL, "
             "occurred_at {time} NOT NULL, category VARCHAR(16) NOT NULL, units BIGINT NOT NULL, "
             "amount BIGINT NOT NULL, uncosted BIGINT NOT NULL, takes TEXT, cause_id BIGINT)")
RAW_INDEXES = ("CREATE INDEX bench_e1 ON bench_entries (item_id, occurred_at)",
               "CREATE INDEX bench_e2 ON bench_entries (owner_id, occurred_at)",
               "CREATE INDEX bench_e3 ON bench_entries (movement_id)")


def raw_write(url: str, movements: int) -> float:
    """Insert ``movements`` value rows like the valuer's into a scratch table with the same
    columns and indexes, with the bare driver in one transaction; return the seconds (the
    floor under storing every movement's value)."""
    parsed = make_url(url)
    rows = [(1, 1, n + 1, n + 1, START + timedelta(minutes=n), "sale", -9, -1800, 0,
             '[["9","18.00",5,false]]' if n % 2 else None, None) for n in range(movements)]
    columns = ("owner_id, item_id, movement_id, entry_key, occurred_at, category, units, "
               "amount, uncosted, takes, cause_id")
    if parsed.get_backend_name() == "sqlite":
        conn: Any = sqlite3.connect(parsed.database or "")
        ddl, mark = RAW_TABLE.format(serial="INTEGER", time="TEXT"), "?"
        rows = [(*row[:4], row[4].isoformat(" "), *row[5:]) for row in rows]
    else:
        conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        conn, ddl, mark = psycopg.connect(conninfo), RAW_TABLE.format(
            serial="BIGSERIAL", time="TIMESTAMPTZ"), "%s"
    try:
        for statement in (ddl, *RAW_INDEXES):
            conn.execute(statement)
        conn.commit()
        began = time.perf_counter()
        conn.cursor().executemany(f"INSERT INTO bench_entries ({columns}) VALUES "
                                  f"({', '.join([mark] * 11)})", rows)
        conn.commit()
        took = time.perf_counter() - began
        conn.execute("DROP TABLE bench_entries")
        conn.commit()
        return took
    finally:
        conn.close()


def entries(movements: int, backdated: list[tuple[int, datetime]]) -> list[Entry]:
    """The movements ``fill`` posts (and the backdated receipts of 1,000 at 1.00, keyed after
    them), as the engine sees them."""
    found = [Entry(n + 1, "receipt" if n % 2 == 0 else "shipment", 10 if n % 2 == 0 else 9,
                   START + timedelta(minutes=n), cost(n) if n % 2 == 0 else None)
             for n in range(movements)]
    return found + [Entry(key, "receipt", 1000, at, Decimal("1.00")) for key, at in backdated]


def backdate(inv: onhand.Inventory, sku: str, at: datetime) -> float:
    """Post a receipt dated ``at``; return the seconds until valuation and COGS are read."""
    began = time.perf_counter()
    inv.receive(sku=sku, qty=1000, location="WH1", unit_cost=Decimal("1.00"), occurred_at=at)
    inv.valuation(sku=sku)
    inv.cogs(since=SINCE, until=UNTIL, sku=sku)
    return time.perf_counter() - began


def measure(inv: onhand.Inventory, url: str, method: str, movements: int) -> dict[str, Any]:
    """Time one cost method: postings with valuation on and off, from scratch, the reads,
    and the two backdated receipts."""
    on, off = f"ON-{method}", f"OFF-{method}"
    inv.add_item(sku=on, name="valued as posted", cost_method=method)
    inv.add_item(sku=off, name="valued at once", cost_method=method)
    inv.add_item(sku=f"S{on}", name="posted singly, valued", cost_method=method)
    inv.add_item(sku=f"S{off}", name="posted singly", cost_method=method)
    posting_on, valuing = fill(inv, on, movements, valued=True)
    posting_off, _ = fill(inv, off, movements, valued=False)
    scratch = timed(inv.catch_up_valuation)[1]
    read = timed(lambda: inv.valuation(sku=on))[1]
    cogs_read = timed(lambda: inv.cogs(since=SINCE, until=UNTIL, sku=on))[1]
    raw = timed(lambda: raw_rows(url, on))[1]
    raw_written = raw_write(url, movements)
    first = START - timedelta(days=1)
    late = START + timedelta(minutes=movements - movements // 100, seconds=-30)
    before_all = backdate(inv, on, first)
    before_last = backdate(inv, on, late)
    single_on, single_valuing = singles(inv, f"S{on}", SINGLES, valued=True)
    single_off, _ = singles(inv, f"S{off}", SINGLES, valued=False)
    expected = replay(entries(movements, [(movements + 1, first), (movements + 2, late)]),
                      method=method, currency="USD").state
    after = inv.valuation(sku=on)[0]
    return {"method": method, "movements": movements,
            "postings_off_per_s": movements / posting_off,
            "postings_on_per_s": movements / (posting_on + valuing),
            "valuing_share": valuing / (posting_on + valuing),
            "singles_off_per_s": SINGLES / single_off,
            "singles_on_per_s": SINGLES / (single_on + single_valuing),
            "singles_valuing_share": single_valuing / (single_on + single_valuing),
            "raw_write_s": raw_written, "from_scratch_s": scratch, "read_s": read,
            "cogs_s": cogs_read, "raw_read_s": raw,
            "backdated_all_s": before_all, "backdated_late_s": before_last,
            "value_after": str(after.value),
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
            rows = [measure(inv, pair.url, method, movements) for method in ("fifo", "average")]
            verified = inv.verify().ok
    table = Table(title=f"valuation on {engine}: one item, {movements:,} movements "
                        "(half outbound), in batches of 10,000")
    for name in ("method", "postings/s off", "on (post + value)", "valuing's share",
                 "from scratch", "raw: write values", "valuation read", "cogs read",
                 "raw read",
                 "backdated: before all", "before last 1%", "value after", "checked"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for row in rows:
        table.add_row(row["method"], f"{row['postings_off_per_s']:,.0f}",
                      f"{row['postings_on_per_s']:,.0f}", f"{row['valuing_share']:.0%}",
                      f"{row['from_scratch_s']:.2f} s", f"{row['raw_write_s']:.2f} s",
                      f"{row['read_s']:.3f} s",
                      f"{row['cogs_s']:.3f} s", f"{row['raw_read_s']:.3f} s",
                      f"{row['backdated_all_s']:.2f} s", f"{row['backdated_late_s']:.3f} s",
                      row["value_after"], "✓" if row["checked"] and verified else "✗")
    Console(width=180).print(table)
    singles_table = Table(title=f"valuation on {engine}: {SINGLES:,} single postings (one "
                                f"per transaction), the valuer catching up every {SWEEP}")
    for name in ("method", "postings/s off", "on (post + value)", "valuing's share"):
        singles_table.add_column(name, justify="left" if name == "method" else "right")
    for row in rows:
        singles_table.add_row(row["method"], f"{row['singles_off_per_s']:,.0f}",
                              f"{row['singles_on_per_s']:,.0f}",
                              f"{row['singles_valuing_share']:.0%}")
    Console(width=180).print(singles_table)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)
    return 0 if verified and all(row["checked"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
