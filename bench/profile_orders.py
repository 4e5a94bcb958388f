"""Profile ``create_order``, accepted and rejected: its SQL statements, timed, then cProfile.

One client, no contention: what one order costs by itself. For each outcome it prints every
statement the order sends (in order) with its mean time, measured unprofiled from
SQLAlchemy's cursor events, the rest of the order's time (Python: onhand, SQLAlchemy, the
driver), and then the functions where cProfile finds the time.

    .venv/bin/python bench/profile_orders.py --url sqlite
    .venv/bin/python bench/profile_orders.py --orders 1000 --top 30 --sort tottime
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import databases
from sqlalchemy import event

import onhand


def label(sql: str) -> str:
    """A short name for a statement: its first words and the tables it names."""
    words = sql.split()
    head = " ".join(words[:2]) if words[0].upper() in ("SELECT", "WITH") else " ".join(words[:3])
    tables = [w for n, w in enumerate(words) if n and words[n - 1].upper() in ("FROM", "JOIN",
                                                                                "INTO", "UPDATE")]
    return f"{head[:40]} … {' '.join(dict.fromkeys(tables))}"[:100]


class StatementClock:
    """Times each statement an engine sends, by its position in the order and its label."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.start = engine, 0.0
        self.seen: list[tuple[str, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect  # COMMIT and ROLLBACK go to the driver, not through a cursor
        for name in ("do_commit", "do_rollback"):
            setattr(dialect, name, self._timed(name[3:].upper(), getattr(dialect, name)))

    def _timed(self, name: str, call: Callable[[Any], None]) -> Callable[[Any], None]:
        def timed(dbapi_connection: Any) -> None:
            start = time.perf_counter()
            call(dbapi_connection)
            self.seen.append((name, time.perf_counter() - start))
        return timed

    def _before(self, *_: Any) -> None:
        self.start = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        self.seen.append((label(sql), time.perf_counter() - self.start))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)
        for name in ("do_commit", "do_rollback"):
            delattr(self.engine.dialect, name)  # back to the class's own


def per_order(inv: onhand.Inventory, call: Callable[[int], Any], n: int) -> None:
    """Print the statements of one order (mean over ``n`` orders) and the rest of its time."""
    clock = StatementClock(inv.engine)
    by_step: dict[int, list[float]] = defaultdict(list)
    labels: dict[int, str] = {}
    total = 0.0
    cpu = time.process_time()
    try:
        for i in range(n):
            clock.seen.clear()
            start = time.perf_counter()
            call(i)
            total += time.perf_counter() - start
            for step, (name, seconds) in enumerate(clock.seen):
                labels.setdefault(step, name)
                by_step[step].append(seconds)
    finally:
        clock.close()
    cpu = time.process_time() - cpu
    sql = 0.0
    for step in sorted(by_step):
        mean = sum(by_step[step]) / n
        sql += mean
        print(f"  {step + 1:2d}. {mean * 1e3:7.3f} ms  {labels[step]}")
    print(f"      {sql * 1e3:7.3f} ms  in {len(by_step)} statements, COMMIT or ROLLBACK included")
    print(f"      {(total / n - sql) * 1e3:7.3f} ms  outside them (Python)")
    print(f"      {total / n * 1e3:7.3f} ms  per order (mean of {n}); this process's CPU: "
          f"{cpu / n * 1e3:.3f} ms per order\n")


def profile(call: Callable[[], Any], sort: str, top: int) -> str:
    """cProfile ``call``: onhand's own functions first, then everything."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(sort)
    stats.print_stats("onhand/(services|db|domain)/", top)
    stats.print_stats(top)
    return out.getvalue()


def order(inv: onhand.Inventory, sku: str, prefix: str) -> Callable[[int], Any]:
    def call(n: int) -> bool:
        try:
            inv.create_order(f"{prefix}-{n}", [{"sku": sku, "qty": 1}])
        except onhand.InsufficientStock:
            return False
        return True
    return call


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=databases.DEFAULT_ADMIN_URL,
                        help="a PostgreSQL admin URL, or 'sqlite'")
    parser.add_argument("--orders", type=int, default=500, help="orders per outcome")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    cfg = parser.parse_args(argv)
    engine = "sqlite" if cfg.url.startswith("sqlite") else "postgresql"
    admin = cfg.url if engine == "postgresql" else databases.DEFAULT_ADMIN_URL
    with databases.fresh(engine, admin) as pair:
        inv = onhand.open(pair.url)
        try:
            for path in ("WH1", "WH1/A-01", "WH2"):
                inv.add_location(path)
            for sku, stock in (("AMPLE", 10 * cfg.orders + 100), ("GONE", 1)):
                inv.add_item(sku=sku, name=sku)
                inv.receive(sku=sku, qty=stock, location="WH1/A-01")
            accept, reject = order(inv, "AMPLE", "a"), order(inv, "GONE", "r")
            for n in range(50):  # warm the pool and the catalog cache
                accept(-n - 1)
                reject(-n - 1)
            print(f"== accepted order ({engine}, durable commit) ==")
            per_order(inv, accept, cfg.orders)
            print(f"== rejected order ({engine}, InsufficientStock, rolled back) ==")
            per_order(inv, reject, cfg.orders)
            base = cfg.orders
            print(f"== cProfile, {cfg.orders} accepted orders ==")
            print(profile(lambda: [accept(base + n) for n in range(cfg.orders)], cfg.sort, cfg.top))
            print(f"== cProfile, {cfg.orders} rejected orders ==")
            print(profile(lambda: [reject(base + n) for n in range(cfg.orders)], cfg.sort, cfg.top))
        finally:
            inv.close()


if __name__ == "__main__":
    main(sys.argv[1:])
