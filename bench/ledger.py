"""Benchmark the stock ledger (issue 3, Performance), each figure beside a raw-driver baseline.

Per engine, on fresh databases: batch posting (``post_batch``, 100,000 movements per
transaction), single postings with one durable commit each, current-stock and ``as_of``
reads at random item × bin pairs, measured with a small ledger and again with a large one.
The baseline does the same inserts and upserts with sqlite3 / psycopg on a twin database.

    .venv/bin/python bench/ledger.py --quick                 # a smoke run, under a minute
    .venv/bin/python bench/ledger.py                         # 1M movements, both engines
    .venv/bin/python bench/ledger.py --engine sqlite --movements 200000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import databases
import psycopg
from baseline import RawLedger
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from timing import Sample, each, once
from workload import UNIT_COST, WAREHOUSES, Posting, Workload, bins, sku

import onhand

console = Console(stderr=True)

FULL = {"movements": 1_000_000, "items": 10_000, "small": 10_000, "batch": 100_000,
        "singles": 2_000, "reads": 5_000}
QUICK = {"movements": 60_000, "items": 2_000, "small": 5_000, "batch": 20_000,
         "singles": 300, "reads": 1_000}


@dataclass
class Figure:
    """One measured operation: onhand's sample beside the raw baseline's."""

    engine: str
    measure: str
    ledger: int  # movements in the ledger when measured (before, for a batch)
    ours: Sample
    raw: Sample | None

    @property
    def ratio(self) -> float | None:
        return None if self.raw is None else self.ours.rate / self.raw.rate

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "measure": self.measure, "ledger": self.ledger,
                "onhand": self.ours.to_dict(),
                "raw": None if self.raw is None else self.raw.to_dict(),
                "ratio": None if self.ratio is None else round(self.ratio, 4)}


@dataclass
class Target:
    """A target of issue 3 and whether this run met it."""

    engine: str
    name: str
    goal: str
    measured: str
    met: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Bench:
    """Runs the stages on one engine, keeping onhand's database and the twin in step."""

    engine: str
    inv: onhand.Inventory
    raw: RawLedger
    work: Workload
    cfg: argparse.Namespace
    ledger: int = 0
    figures: list[Figure] = field(default_factory=list)
    batches: list[Figure] = field(default_factory=list)

    def load(self, postings: list[Posting]) -> None:
        """Post one chunk as one onhand batch and as one raw transaction."""
        lines = [p.line() for p in postings]
        ours = once(lambda: self.inv.post_batch(lines), len(lines))
        moves, ups = self.raw.rows(postings)
        raw = once(lambda: self.raw.post_batch(moves, ups), len(moves))
        figure = Figure(self.engine, f"batch {len(postings):,}", self.ledger, ours, raw)
        self.ledger += len(postings)
        self.batches.append(figure)
        console.log(f"{self.engine}: ledger {self.ledger:>9,}  batch {ours.rate:>9,.0f}/s"
                    f"  raw {raw.rate:>9,.0f}/s")

    def measure(self) -> None:
        """Measure single postings, current-stock reads and ``as_of`` reads at this size."""
        size = self.ledger
        postings = self.work.singles(self.cfg.singles)
        ours, _ = each(self._post_one, postings)
        rows = [self.raw.rows([p]) for p in postings]
        raw, _ = each(lambda r: self.raw.post_one(r[0][0], r[1]), rows)
        self.ledger += len(postings)
        self.figures.append(Figure(self.engine, "single post", size, ours, raw))

        pairs = [(sku(i), where) for i, where in self.work.reads(self.cfg.reads)]
        self._warm(pairs)
        ours, got = each(lambda p: self.inv.stock(sku=p[0], location=p[1]).on_hand, pairs)
        raw, want = each(lambda p: self.raw.stock(p[0], p[1]), pairs)
        expected = [self.work.stock.get((int(s[4:]), where), 0) for s, where in pairs]
        _agree("current stock", got, want, expected)
        self.figures.append(Figure(self.engine, "stock read", size, ours, raw))

        times = self.work.times(len(pairs))
        asks = [(s, where, t) for (s, where), t in zip(pairs, times, strict=True)]
        ours, got = each(lambda a: self.inv.stock(sku=a[0], location=a[1], as_of=a[2]).on_hand,
                         asks)
        raw, want = each(lambda a: self.raw.stock_as_of(*a), asks)
        _agree("as_of stock", got, want, want)
        self.figures.append(Figure(self.engine, "as_of read", size, ours, raw))
        console.log(f"{self.engine}: measured at ledger {size:,}")

    def _post_one(self, p: Posting) -> onhand.Movement:
        if p.kind == "receipt":
            return self.inv.receive(sku=sku(p.item), qty=p.qty, location=p.target,
                                    unit_cost=UNIT_COST, occurred_at=p.occurred_at)
        return self.inv.transfer(sku=sku(p.item), qty=p.qty, source=p.source, target=p.target,
                                 occurred_at=p.occurred_at)

    def _warm(self, pairs: list[tuple[str, str]]) -> None:
        for item_sku, where in pairs[:200]:
            self.inv.stock(sku=item_sku, location=where)
            self.raw.stock(item_sku, where)

    def analyze(self) -> None:
        """On PostgreSQL, refresh planner statistics on both databases (as autovacuum would)."""
        if self.engine == "postgresql":
            with self.inv.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
            self.raw.analyze()


def _agree(what: str, got: list[Any], want: list[Any], expected: list[Any]) -> None:
    bad = [n for n, (a, b, c) in enumerate(zip(got, want, expected, strict=True))
           if not a == b == c]
    if bad:
        n = bad[0]
        raise SystemExit(f"{what} disagrees at read {n}: onhand {got[n]}, raw {want[n]}, "
                         f"workload {expected[n]} ({len(bad)} reads differ)")


def run(engine: str, cfg: argparse.Namespace) -> Bench:
    """Build the catalog, load the ledger in chunks and measure at both sizes."""
    with databases.fresh(engine, cfg.pg_url) as pair:
        console.log(f"{engine}: catalog of {cfg.items:,} items in {len(bins())} bins")
        setup = onhand.open(pair.url, sqlite_synchronous="OFF")  # the catalog is not measured
        for path in (*WAREHOUSES, *bins()):
            setup.add_location(path)
        for i in range(cfg.items):
            setup.add_item(sku=sku(i), name=f"Item {i}")
        setup.close()
        pair.make_twin()
        inv = onhand.open(pair.url)
        raw = pair.open_twin(inv.engine)
        work = Workload(items=cfg.items, movements=cfg.movements, seed=cfg.seed)
        bench = Bench(engine, inv, raw, work, cfg)
        try:
            rest = cfg.movements - cfg.small
            sizes = [cfg.batch] * (rest // cfg.batch) + ([rest % cfg.batch] if rest % cfg.batch else [])
            bench.load(work.mixed(cfg.small))
            bench.analyze()
            bench.measure()
            for chunk in work.chunks(sizes):
                bench.load(chunk)
            bench.analyze()
            bench.measure()
        finally:
            inv.close()
            raw.close()
    return bench


def targets(bench: Bench, cfg: argparse.Namespace) -> list[Target]:
    """Judge this run against the targets of issue 3."""
    e, out = bench.engine, []
    full = [f for f in bench.batches if f.ours.ops == cfg.batch]
    if full:
        ours = sum(f.ours.ops for f in full) / sum(f.ours.seconds for f in full)
        raw = sum(f.raw.ops for f in full if f.raw) / sum(f.raw.seconds for f in full if f.raw)
        out.append(Target(e, f"batch posting ({len(full)} × {cfg.batch:,})", "≥25% of raw",
                          f"{ours / raw:.0%} ({ours:,.0f} vs {raw:,.0f}/s)", ours / raw >= 0.25))
    small, large = bench.figures[:3], bench.figures[3:]
    for s, label in ((small[0], "small"), (large[0], "large")):
        ratio = s.ratio or 0.0
        out.append(Target(e, f"single posting at {s.ledger:,} ({label})", "≥50% of raw",
                          f"{ratio:.0%} ({s.ours.rate:,.0f} vs {s.raw.rate if s.raw else 0:,.0f}/s)",
                          ratio >= 0.5))
    if e == "sqlite":
        worst = max(small[1].ours.p99, large[1].ours.p99)
        out.append(Target(e, "stock read p99 (both sizes)", "≤1 ms", _ms(worst), worst <= 1e-3))
    grow50 = large[1].ours.p50 / small[1].ours.p50
    grow99 = large[1].ours.p99 / small[1].ours.p99
    out.append(Target(e, f"stock read growth {small[1].ledger:,} → {large[1].ledger:,}",
                      "none (≤+20%)", f"p50 ×{grow50:.2f}, p99 ×{grow99:.2f}",
                      grow50 <= 1.2 and grow99 <= 1.2))
    out.append(Target(e, f"as_of read p99 at {large[2].ledger:,}", "≤10 ms",
                      _ms(large[2].ours.p99), large[2].ours.p99 <= 10e-3))
    flat = large[0].ours.rate / small[0].ours.rate
    out.append(Target(e, "single posting rate, large vs small", "≥90%", f"{flat:.0%}",
                      flat >= 0.9))
    if len(full) >= 2:
        flat = full[-1].ours.rate / full[0].ours.rate
        out.append(Target(e, f"batch rate at {full[-1].ledger:,} vs at {full[0].ledger:,}",
                          "≥90%", f"{flat:.0%}", flat >= 0.9))
    return out


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f} ms" if ms < 1 else f"{ms:.2f} ms" if ms < 100 else f"{ms:,.0f} ms"


def render(benches: list[Bench], judged: list[Target]) -> None:
    """Print the figures table and the targets table."""
    table = Table(title="onhand ledger vs raw driver (same schema, same run)")
    for name, justify in (("engine", "left"), ("measure", "left"), ("ledger", "right"),
                          ("onhand ops/s", "right"), ("p50", "right"), ("p99", "right"),
                          ("raw ops/s", "right"), ("raw p50", "right"), ("raw p99", "right"),
                          ("onhand/raw", "right"), ("CPU/op", "right"), ("raw CPU/op", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for bench in benches:
        for f in _shown(bench):
            raw = f.raw
            table.add_row(
                f.engine, f.measure, f"{f.ledger:,}", f"{f.ours.rate:,.0f}", _ms(f.ours.p50),
                _ms(f.ours.p99), f"{raw.rate:,.0f}" if raw else "", _ms(raw.p50) if raw else "",
                _ms(raw.p99) if raw else "", f"{f.ratio:.0%}" if f.ratio is not None else "",
                _ms(f.ours.cpu_per_op), _ms(raw.cpu_per_op) if raw else "",
            )
        table.add_section()
    goals = Table(title="targets (issue 3)")
    for name in ("engine", "target", "goal", "measured", "met"):
        goals.add_column(name)
    for t in judged:
        goals.add_row(t.engine, t.name, t.goal, t.measured,
                      "[green]yes[/green]" if t.met else "[red]no[/red]")
    out = Console(width=max(Console().width, 150))
    out.print(table)
    out.print("batch: p50/p99 = the transaction's duration · single post: a receive or transfer, "
              "one durable commit · reads: one item in one bin, random pairs (as_of: random time)")
    out.print(goals)
    out.print(f"onhand from {os.path.dirname(onhand.__file__)} "
              f"({_git_version(os.path.dirname(onhand.__file__)) or 'not a git checkout'})")


def _shown(bench: Bench) -> list[Figure]:
    """Return the figures to print: every batch chunk would be long; show first, last, and measures."""
    chunks = bench.batches
    shown = chunks[:2] + ([chunks[-1]] if len(chunks) > 2 else [])
    return shown + bench.figures


def machine(engines: list[str], cfg: argparse.Namespace) -> dict[str, Any]:
    """Describe the machine and the software versions the run used."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version,
            "onhand": onhand.__version__, "psycopg": psycopg.__version__}
    info["onhand_path"] = os.path.dirname(onhand.__file__)
    info["git"] = _git_version(info["onhand_path"])
    if "postgresql" in engines:
        with psycopg.connect(databases._conninfo(cfg.pg_url, "postgres")) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else "?"
    return info


def _git_version(where: str) -> str | None:
    """Return the commit the measured onhand source is at (``+dirty`` if edited), if known."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", where, *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return None
    return commit + ("+dirty" if git("status", "--porcelain", "--", ".") else "")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="a small, fast smoke run")
    parser.add_argument("--movements", type=int, help="ledger size at the end (default 1M)")
    parser.add_argument("--items", type=int, help="items in the catalog (default 10,000)")
    parser.add_argument("--small", type=int, help="ledger size of the first measure (10,000)")
    parser.add_argument("--batch", type=int, help="movements per post_batch (100,000)")
    parser.add_argument("--singles", type=int, help="single postings per measure (2,000)")
    parser.add_argument("--reads", type=int, help="reads per measure (5,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-url", default=databases.DEFAULT_ADMIN_URL,
                        help="admin URL; a database onhand_bench_<random> is created and dropped")
    parser.add_argument("--json", help="also write the figures to this file")
    cfg = parser.parse_args(argv)
    for name, value in (QUICK if cfg.quick else FULL).items():
        if getattr(cfg, name) is None:
            setattr(cfg, name, value)
    if not 0 < cfg.small < cfg.movements or cfg.batch > 100_000:
        parser.error("need 0 < --small < --movements and --batch ≤ 100,000")
    return cfg


def main(argv: list[str]) -> None:
    cfg = parse(argv)
    engines = ["sqlite", "postgresql"] if cfg.engine == "both" else [cfg.engine]
    benches = [run(engine, cfg) for engine in engines]
    judged = [t for bench in benches for t in targets(bench, cfg)]
    render(benches, judged)
    if cfg.json:
        report = {"config": {k: v for k, v in vars(cfg).items() if k != "json"},
                  "machine": machine(engines, cfg),
                  "figures": [f.to_dict() for b in benches for f in b.batches + b.figures],
                  "targets": [t.to_dict() for t in judged]}
        with open(cfg.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main(sys.argv[1:])
