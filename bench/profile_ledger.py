"""Profile the posting hot paths: single postings and one batch, with cProfile.

Prints the SQL statements one posting sends, then the functions where the time goes.

    .venv/bin/python bench/profile_ledger.py --engine sqlite --singles 2000 --batch 100000
    .venv/bin/python bench/profile_ledger.py --engine postgresql --top 30 --sort tottime
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from collections import Counter
from typing import Any

import databases
from sqlalchemy import event
from workload import UNIT_COST, WAREHOUSES, Posting, Workload, bins, sku

import onhand


def post_one(inv: onhand.Inventory, p: Posting) -> onhand.Movement:
    """Post one workload posting through the public calls, as the benchmark does."""
    if p.kind == "receipt":
        return inv.receive(sku=sku(p.item), qty=p.qty, location=p.target, unit_cost=UNIT_COST,
                           occurred_at=p.occurred_at)
    return inv.transfer(sku=sku(p.item), qty=p.qty, source=p.source, target=p.target,
                        occurred_at=p.occurred_at)


def statements(inv: onhand.Inventory, postings: list[Posting]) -> Counter[str]:
    """Return the SQL statements (first words) the postings send, counted."""
    seen: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen[" ".join(sql.split()[:4])[:60]] += 1

    event.listen(inv.engine, "before_cursor_execute", count)
    for p in postings:
        post_one(inv, p)
    event.remove(inv.engine, "before_cursor_execute", count)
    return seen


def profile(call: Any, sort: str, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--preload", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--pg-url", default=databases.DEFAULT_ADMIN_URL)
    cfg = parser.parse_args(argv)
    with databases.fresh(cfg.engine, cfg.pg_url) as pair:
        setup = onhand.open(pair.url, sqlite_synchronous="OFF")
        for path in (*WAREHOUSES, *bins()):
            setup.add_location(path)
        for i in range(cfg.items):
            setup.add_item(sku=sku(i), name=f"Item {i}")
        setup.close()
        work = Workload(items=cfg.items, movements=cfg.preload + cfg.batch + cfg.singles + 10)
        inv = onhand.open(pair.url)
        try:
            inv.post_batch([p.line() for p in work.mixed(cfg.preload)])
            print("== SQL statements per single posting (one receipt, one transfer) ==")
            for sql, n in statements(inv, work.singles(2)).most_common():
                print(f"{n:3d}  {sql}")
            singles = work.singles(cfg.singles)
            print(f"\n== {cfg.singles:,} single postings ({cfg.engine}) ==")
            print(profile(lambda: [post_one(inv, p) for p in singles], cfg.sort, cfg.top))
            lines = [p.line() for p in work.mixed(cfg.batch)]
            print(f"\n== one post_batch of {cfg.batch:,} ({cfg.engine}) ==")
            print(profile(lambda: inv.post_batch(lines), cfg.sort, cfg.top))
        finally:
            inv.close()


if __name__ == "__main__":
    main(sys.argv[1:])
