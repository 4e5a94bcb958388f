"""Benchmark a flash sale (issue 5, Performance): many clients ordering the last units of one SKU.

On a fresh database (PostgreSQL by default; ``--url sqlite`` for a SQLite file), ``--clients``
threads make ``--attempts`` one-unit orders with ``Inventory.create_order`` against ``--stock``
units of one SKU (policy ``reject``): exactly ``--stock`` must be accepted, the rest rejected
with ``InsufficientStock``. Accepted and rejected orders are reported separately (count, rate,
p50 and p99 latency). ``--ample`` adds a second sale (``--ample-attempts``, 2,000) where stock
exceeds the attempts: every order accepted. ``--http`` runs the sales again through ``POST
/v1/orders`` of an ``onhand serve`` subprocess (bearer token, ``Idempotency-Key``;
``--http-attempts`` per sale, 2,000), and says so when the route is not there. Each path is
warmed up first (4 orders per client on another SKU). In the same run, beside them: the same
reservation done as a bare SQL transaction with psycopg / sqlite3 (``bench/raw_orders.py``) on
a twin database, and the ledger's single-posting rate, onhand's and the raw driver's
(``bench/baseline.py``). The units sold are then summed from the tables with plain SQL. Exit
status: 1 when a sale did not sell exactly what it had to (from the tables), 2 when attempts
failed (an error other than ``InsufficientStock``; an HTTP answer other than 201 and 409),
3 when ``--http`` finds no ``POST /v1/orders`` in the server's API; else 0.

    .venv/bin/python bench/flash_sale.py --quick                  # PostgreSQL, 2,000 attempts
    .venv/bin/python bench/flash_sale.py --ample                  # PostgreSQL, 10,000 attempts, 2 sales
    .venv/bin/python bench/flash_sale.py --url sqlite --ample --http --json out.json
"""

from __future__ import annotations

# ruff: noqa: E402
# bench/http.py (whose server and CPU meter this script reuses) would stand in for the
# standard library's ``http`` package while bench/ is first on sys.path: move bench/ last.
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import argparse
import asyncio
import importlib.util
import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import ModuleType
from typing import Any

import databases
from baseline import RawLedger, sqlite_pragmas
from ledger import Target, _git_version, machine
from loadgen import _read_response
from profile_ledger import post_one
from raw_orders import RawOrders, RawOrdersPostgres, RawOrdersSQLite
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from timing import Sample, each
from workload import WAREHOUSES, Workload, bins
from workload import sku as ledger_sku

import onhand

console = Console(stderr=True)

BIN = "WH1/A-01"  # where the sale's stock lies; orders reserve in its warehouse, WH1
LEDGER_ITEMS = 100  # SKU-0000000… for the ledger's single postings
TARGET_P99 = 0.050
PEER = {"name": "InvenTree 1.4.0 stock adjustment (REST API, SQLite)", "ops_per_s": 32.0,
        "p50_ms": 30.0, "p99_ms": 49.0}
LIBRARY, RAW, HTTP = "library", "raw SQL", "HTTP"
# exit statuses: what the tables say was sold is wrong; some attempts failed (an error other
# than InsufficientStock, or an HTTP answer other than 201 and 409); --http found no route
WRONG_UNITS, FAILED, MISSING_ROUTE = 1, 2, 3


def bench_http() -> ModuleType:
    """Load bench/http.py (its ``Server``, ``request``, ``CpuMeter``) under another name."""
    spec = importlib.util.spec_from_file_location("bench_http", BENCH / "http.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


web = bench_http()


# --- what the clients saw ----------------------------------------------------------------------


@dataclass
class Outcome:
    """Accepted (or rejected) orders: how many, at what rate over their own span, how fast."""

    count: int
    span: float  # seconds from the first such attempt's start to the last one's end
    p50: float
    p99: float

    @property
    def rate(self) -> float:
        return self.count / self.span if self.span else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "span_s": round(self.span, 4),
                "per_s": round(self.rate, 1), "p50_ms": round(self.p50 * 1e3, 3),
                "p99_ms": round(self.p99 * 1e3, 3)}


@dataclass
class Tally:
    """Every attempt of one sale: (start, end, accepted) in seconds from the sale's start."""

    spans: list[tuple[float, float, bool]]
    seconds: float
    failed: Counter[str] = field(default_factory=Counter)
    first_error: str = ""

    def of(self, accepted: bool) -> Outcome:
        mine = [(start, end) for start, end, ok in self.spans if ok == accepted]
        if not mine:
            return Outcome(0, 0.0, 0.0, 0.0)
        ordered = sorted(end - start for start, end in mine)
        span = max(end for _, end in mine) - min(start for start, _ in mine)
        return Outcome(len(mine), span, _pct(ordered, 0.5), _pct(ordered, 0.99))


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def drive(attempt: Callable[[int], bool], clients: int, attempts: int) -> Tally:
    """Make ``attempts`` calls of ``attempt(n)`` from ``clients`` threads; time each."""
    clock, lock = time.perf_counter, threading.Lock()
    numbers = iter(range(attempts))
    spans: list[list[tuple[float, float, bool]]] = [[] for _ in range(clients)]
    tally = Tally([], 0.0)
    gate = threading.Barrier(clients + 1)

    def work(tid: int) -> None:
        gate.wait()
        while (n := _next(numbers, lock)) is not None:
            start = clock()
            try:
                ok = attempt(n)
            except Exception as error:  # counted and shown: a sale must have none
                with lock:
                    tally.failed[type(error).__name__] += 1
                    tally.first_error = tally.first_error or f"{type(error).__name__}: {error}"
                continue
            spans[tid].append((start - begin, clock() - begin, ok))

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(clients)]
    for thread in threads:
        thread.start()
    begin = clock()
    gate.wait()
    for thread in threads:
        thread.join()
    tally.seconds = clock() - begin
    tally.spans = sorted(s for per in spans for s in per)
    return tally


def _next(numbers: Any, lock: threading.Lock) -> int | None:
    with lock:
        return next(numbers, None)


# --- one sale ----------------------------------------------------------------------------------


@dataclass
class Sale:
    """One sale through one path, what its clients saw and what the tables say it sold."""

    engine: str
    kind: str  # flash | ample
    path: str  # library | raw SQL | HTTP
    sku: str
    clients: int
    attempts: int
    stock: int
    tally: Tally
    workers: int | None = None
    sold: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    sessions: int | None = None  # PostgreSQL connections opened during the sale

    @property
    def failed(self) -> int:
        return sum(self.tally.failed.values())

    @property
    def expected(self) -> int:
        """Units the sale must sell: all its stock, or every attempt that did not fail."""
        return min(self.stock, self.attempts - self.failed)

    @property
    def cpu_per_attempt(self) -> float:
        """Seconds of the app's CPU (this process, or the server's) per attempt: steadier than
        rates on a busy machine."""
        app = self.cpu.get("server" if self.path == HTTP else "bench", 0.0)
        return app * self.tally.seconds / self.attempts if self.attempts else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "sale": self.kind, "path": self.path, "sku": self.sku,
                "clients": self.clients, "workers": self.workers, "attempts": self.attempts,
                "stock": self.stock, "seconds": round(self.tally.seconds, 3),
                "accepted": self.tally.of(True).to_dict(),
                "rejected": self.tally.of(False).to_dict(),
                "failed": dict(self.tally.failed), "first_error": self.tally.first_error,
                "sold": self.sold, "problems": self.problems,
                "app_cpu_ms_per_attempt": round(self.cpu_per_attempt * 1e3, 3),
                "cpu_cores": {k: round(v, 3) for k, v in self.cpu.items()},
                "pg_sessions_opened": self.sessions}


SOLD = text("""
    SELECT count(DISTINCT o.id) AS orders, coalesce(sum(ol.reserved), 0) AS reserved
    FROM order_lines ol JOIN orders o ON o.id = ol.order_id JOIN items i ON i.id = ol.item_id
    WHERE i.sku = :sku AND o.status = 'open'""")
COUNTED = text("""
    SELECT coalesce(sum(iw.reserved), 0) FROM item_warehouses iw
    JOIN items i ON i.id = iw.item_id WHERE i.sku = :sku""")
SELLABLE = text("""
    SELECT coalesce(sum(b.qty), 0) FROM balances b JOIN locations l ON l.id = b.location_id
    JOIN items i ON i.id = b.item_id WHERE i.sku = :sku AND l.kind = 'internal' AND l.sellable""")
RECEIVED = text("""
    SELECT coalesce(sum(m.qty), 0) FROM movements m JOIN items i ON i.id = m.item_id
    WHERE i.sku = :sku AND m.kind = 'receipt'""")


def audit(sale: Sale, url: str) -> None:
    """Sum what the sale sold straight from the tables; list every broken expectation."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            orders, reserved = conn.execute(SOLD, {"sku": sale.sku}).one()
            counted, sellable, received = (int(conn.execute(q, {"sku": sale.sku}).scalar_one())
                                           for q in (COUNTED, SELLABLE, RECEIVED))
    finally:
        engine.dispose()
    sale.sold = {"orders": int(orders), "units": int(reserved), "counter": counted,
                 "sellable": sellable, "received": received}
    accepted, rejected = sale.tally.of(True).count, sale.tally.of(False).count
    checks = [
        (int(reserved) == sale.expected, f"{reserved} units sold, expected {sale.expected}"),
        (int(orders) == accepted, f"{orders} open orders stored, {accepted} accepted"),
        (counted == int(reserved), f"reserved counter {counted}, order lines {reserved}"),
        (sellable - counted >= 0, f"available {sellable - counted} < 0: oversold"),
        (received == sale.stock, f"{received} units received, the sale had {sale.stock}"),
        (accepted + rejected + sale.failed == sale.attempts,
         f"{accepted} accepted + {rejected} rejected + {sale.failed} failed ≠ {sale.attempts}"),
    ]
    sale.problems = [f"{sale.engine} {sale.kind} sale, {sale.path}: {why}"
                     for ok, why in checks if not ok]


# --- the library and the raw baseline ----------------------------------------------------------


def library_attempt(inv: onhand.Inventory, sku: str, prefix: str) -> Callable[[int], bool]:
    def attempt(n: int) -> bool:
        try:
            inv.create_order(f"{prefix}-{n}", [{"sku": sku, "qty": 1}])
        except onhand.InsufficientStock:
            return False
        return True
    return attempt


def raw_attempt(raw: RawOrders, sku: str, prefix: str) -> Callable[[int], bool]:
    item = raw.ids(sku, "WH1")
    return lambda n: raw.reserve(f"{prefix}-{n}", item, 1)


def measured(sale: Sale, run: Callable[[], Tally], sessions: Any, pg_database: str | None,
             server_pid: int | None = None) -> Sale:
    """Run a sale under the CPU meter, counting the PostgreSQL connections it opened."""
    before = _sessions(sessions)
    with web.CpuMeter(server_pid, pg_database) as meter:
        sale.tally = run()
    sale.cpu = meter.cores
    if before is not None:
        time.sleep(1.1)  # backends flush their session counts within about a second
        sale.sessions = _sessions(sessions) - before
    _log(sale)
    return sale


def _sessions(counts: Any) -> int | None:
    return counts.now().get("pg_sessions") if counts is not None else None


def _log(sale: Sale) -> None:
    acc, rej = sale.tally.of(True), sale.tally.of(False)
    console.log(f"{sale.engine} {sale.kind} {sale.path}: {acc.count:,} accepted "
                f"({acc.rate:,.0f}/s, p99 {_ms(acc.p99)}), {rej.count:,} rejected "
                f"({rej.rate:,.0f}/s, p99 {_ms(rej.p99)}) in {sale.tally.seconds:.1f} s"
                + (f", [red]{sale.failed} failed[/red]" if sale.failed else ""))


# --- HTTP ----------------------------------------------------------------------------------------


async def _http_client(port: int, token: str, sku: str, prefix: str, numbers: Any,
                       begin: float, tally: Tally) -> None:
    """One keep-alive connection posting orders until the attempts run out."""
    clock = time.perf_counter
    reader = writer = None
    while (n := next(numbers, None)) is not None:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert reader is not None
        body = json.dumps({"reference": f"{prefix}-{n}",
                           "lines": [{"sku": sku, "qty": 1}]}).encode()
        head = (f"POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {token}\r\nIdempotency-Key: {prefix}-{n}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        start = clock()
        try:
            writer.write(head.encode() + body)
            status, payload, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            tally.failed["socket"] += 1
            tally.first_error = tally.first_error or f"socket: {error!r}"
            writer.close()
            reader = writer = None
            continue
        end = clock()
        if status == 201 or (status == 409 and b"insufficient-stock" in payload):
            tally.spans.append((start - begin, end - begin, status == 201))
        else:
            tally.failed[str(status)] += 1
            tally.first_error = tally.first_error or f"{status} {payload[:300].decode(errors='replace')}"
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def http_drive(port: int, token: str, sku: str, prefix: str, clients: int,
               attempts: int) -> Tally:
    """Post ``attempts`` orders over ``clients`` connections from one asyncio loop."""
    async def sale() -> Tally:
        numbers, tally = iter(range(attempts)), Tally([], 0.0)
        begin = time.perf_counter()
        await asyncio.gather(*(_http_client(port, token, sku, prefix, numbers, begin, tally)
                               for _ in range(clients)))
        tally.seconds = time.perf_counter() - begin
        tally.spans.sort()
        return tally

    try:
        import uvloop
    except ImportError:
        return asyncio.run(sale())
    return uvloop.run(sale())


def preflight(port: int, token: str, sku: str) -> tuple[bool, list[str]]:
    """Check POST /v1/orders is there and keeps its promises; (usable, what is not as promised)."""
    status, _, data = web.request(port, "GET", "/openapi.json")
    paths = json.loads(data).get("paths", {}) if status == 200 else {}
    if "post" not in paths.get("/v1/orders", {}):
        return False, ["POST /v1/orders is not in this server's API (/openapi.json): the orders "
                       "routes (src/onhand/api/routes/orders.py) are not there or not registered "
                       "yet, so the HTTP sales were not run"]
    found: list[str] = []
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    order = {"reference": f"{sku}-1", "lines": [{"sku": sku, "qty": 1}]}  # 1 unit in stock
    key = {**auth, "Idempotency-Key": f"{sku}-1"}
    first = web.request(port, "POST", "/v1/orders", order, key)
    again = web.request(port, "POST", "/v1/orders", order, key)
    short = web.request(port, "POST", "/v1/orders", {**order, "reference": f"{sku}-2"},
                        {**auth, "Idempotency-Key": f"{sku}-2"})
    if first[0] != 201:
        return False, [f"POST /v1/orders answered {first[0]} to a valid order, expected 201: "
                       f"{first[2][:300].decode(errors='replace')}; the HTTP sales were not run"]
    if again[0] != 201 or json.loads(again[2]) != json.loads(first[2]):
        found.append(f"POST /v1/orders retried with the same Idempotency-Key answered {again[0]} "
                     "with another body than the first answer")
    if short[0] != 409 or b"insufficient-stock" not in short[2]:
        found.append(f"POST /v1/orders short of stock answered {short[0]} "
                     f"{short[2][:200].decode(errors='replace')}, expected 409 insufficient-stock")
    return True, found


# --- one engine --------------------------------------------------------------------------------


@dataclass
class EngineRun:
    """Everything measured on one engine: the sales, the ledger's rates, what was found."""

    engine: str
    sales: list[Sale] = field(default_factory=list)
    ledger: dict[str, Sample] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    http_missing: bool = False


def kinds(cfg: argparse.Namespace, http: bool = False) -> list[tuple[str, int, int]]:
    """The sales to run, (kind, attempts, stock): the flash sale, then (--ample) the ample one."""
    flash = cfg.http_attempts if http else cfg.attempts
    ample = cfg.http_attempts if http else cfg.ample_attempts
    return [("flash", flash, cfg.stock)] + ([("ample", ample, ample + cfg.stock)]
                                           if cfg.ample else [])


def setup(url: str, cfg: argparse.Namespace) -> str:
    """Add the locations, the items and their stock, and an admin token; return its secret."""
    from onhand.services import access

    inv = onhand.open(url, sqlite_synchronous="OFF")  # the catalog is not measured
    try:
        for path in (*WAREHOUSES, *bins()):
            inv.add_location(path)
        for i in range(LEDGER_ITEMS):
            inv.add_item(sku=ledger_sku(i), name=f"Ledger item {i}")
        stocks = {"WARM": 1_000_000}
        stocks.update({f"{kind.upper()}-LIB": stock for kind, _, stock in kinds(cfg)})
        for workers in cfg.workers if cfg.http else ():
            stocks.update({f"{kind.upper()}-HTTP{workers}": stock
                           for kind, _, stock in kinds(cfg, http=True)})
            stocks[f"CHECK-HTTP{workers}"] = 1
        for code, stock in stocks.items():
            inv.add_item(sku=code, name=f"Flash sale item {code}")
            inv.receive(sku=code, qty=stock, location=BIN)
        _, token = access.create_token(inv.unit_of_work(), name="bench", role="admin")
        if inv.engine.dialect.name == "postgresql":
            with inv.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))  # copied into the twin with the database
    finally:
        inv.close()
    return str(token)


def twin_url(pair: databases.Pair) -> str:
    if pair.sqlite_path is not None:
        return f"sqlite:///{pair.sqlite_path.with_name('raw.db')}"
    return make_url(pair.url).set(database=f"{pair.name}_raw").render_as_string(
        hide_password=False)


def raw_orders(pair: databases.Pair, inv: onhand.Inventory, admin_url: str) -> RawOrders:
    """The raw baseline on the twin, with the PRAGMAs of onhand's own connections."""
    if pair.sqlite_path is not None:
        with inv.engine.connect() as conn:
            pragmas = sqlite_pragmas(conn.connection.dbapi_connection)
        return RawOrdersSQLite(str(pair.sqlite_path.with_name("raw.db")), pragmas)
    return RawOrdersPostgres(databases._conninfo(admin_url, f"{pair.name}_raw"))


def ledger_rates(inv: onhand.Inventory, pair: databases.Pair, cfg: argparse.Namespace
                 ) -> dict[str, Sample]:
    """Single durable postings, one client: onhand's ``receive``/``transfer`` and the raw
    driver's insert + 2 upserts (bench/ledger.py's measure), on other items than the sales'."""
    postings = Workload(items=LEDGER_ITEMS, movements=cfg.postings).singles(cfg.postings)
    ours, _ = each(lambda p: post_one(inv, p), postings)
    raw: RawLedger = pair.open_twin(inv.engine)
    try:
        rows = [raw.rows([p]) for p in postings]
        theirs, _ = each(lambda r: raw.post_one(r[0][0], r[1]), rows)
    finally:
        raw.close()
    console.log(f"ledger single postings: onhand {ours.rate:,.0f}/s, raw {theirs.rate:,.0f}/s")
    return {"onhand": ours, "raw": theirs}


def warm_up(inv: onhand.Inventory, raw: RawOrders, clients: int) -> None:
    """Open every client's connection and fill the caches: 4 orders per client, another SKU."""
    drive(library_attempt(inv, "WARM", "warm-lib"), clients, clients * 4)
    drive(raw_attempt(raw, "WARM", "warm-raw"), clients, clients * 4)


def run(cfg: argparse.Namespace) -> EngineRun:
    """Set up fresh databases, measure the ledger, the sales and their baselines, audit."""
    out = EngineRun(cfg.engine)
    with databases.fresh(cfg.engine, cfg.admin_url) as pair:
        console.log(f"{cfg.engine}: {LEDGER_ITEMS} ledger items, the sale items and their stock")
        token = setup(pair.url, cfg)
        pair.make_twin()
        twin = twin_url(pair)
        pg = pair.name or None
        counts = web.Counts(pair.url) if pg else None
        twin_counts = web.Counts(twin) if pg else None
        inv = onhand.open(pair.url)
        raw = raw_orders(pair, inv, cfg.admin_url)
        try:
            out.ledger = ledger_rates(inv, pair, cfg)
            warm_up(inv, raw, cfg.clients)
            for kind, attempts, stock in kinds(cfg):
                sku = f"{kind.upper()}-LIB"
                for path, attempt, where, meter in (
                        (LIBRARY, library_attempt(inv, sku, kind), pg, counts),
                        (RAW, raw_attempt(raw, sku, kind), f"{pg}_raw" if pg else None,
                         twin_counts)):
                    sale = Sale(cfg.engine, kind, path, sku, cfg.clients, attempts, stock,
                                Tally([], 0.0))
                    out.sales.append(measured(sale, partial(drive, attempt, cfg.clients,
                                                            attempts), meter, where))
        finally:
            inv.close()
            raw.close()
            for c in (counts, twin_counts):
                if c is not None:
                    c.close()
        if cfg.http:
            http_sales(out, pair, cfg, token)
        for sale in out.sales:
            audit(sale, twin if sale.path == RAW else pair.url)
    return out


def http_sales(out: EngineRun, pair: databases.Pair, cfg: argparse.Namespace, token: str) -> None:
    """The same sales through ``POST /v1/orders`` of ``onhand serve --workers N``."""
    pg = pair.name or None
    counts = web.Counts(pair.url) if pg else None
    try:
        for workers in cfg.workers:
            server = web.Server(pair.url, workers, None)
            try:
                server.start()
                console.log(f"{cfg.engine}: onhand serve --workers {workers} on port {server.port}")
                usable, found = preflight(server.port, token, f"CHECK-HTTP{workers}")
                out.findings += [f"{cfg.engine}, HTTP, {workers} worker(s): {f}" for f in found]
                if not usable:
                    out.http_missing = True
                    console.log(f"[bold red]{found[0]}[/bold red]")
                    return
                http_drive(server.port, token, "WARM", f"warm-http{workers}", cfg.clients,
                           cfg.clients * 4)
                for kind, attempts, stock in kinds(cfg, http=True):
                    sku = f"{kind.upper()}-HTTP{workers}"
                    sale = Sale(cfg.engine, kind, HTTP, sku, cfg.clients, attempts, stock,
                                Tally([], 0.0), workers=workers)
                    sell = partial(http_drive, server.port, token, sku,
                                   f"{sku}-{uuid.uuid4().hex[:6]}", cfg.clients, attempts)
                    out.sales.append(measured(sale, sell, counts, pg,
                                              server.proc.pid if server.proc else None))
            finally:
                server.close()
    finally:
        if counts is not None:
            counts.close()


# --- report ------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:,.0f} ms"


def targets(run: EngineRun) -> list[Target]:
    """Issue 5's target: p99 < 50 ms, for accepted and for rejected orders (not the baseline)."""
    out = []
    for sale in run.sales:
        if sale.path == RAW:
            continue
        acc, rej = sale.tally.of(True), sale.tally.of(False)
        worst = max(acc.p99, rej.p99)
        where = sale.path + (f" ({sale.workers} worker(s))" if sale.workers else "")
        out.append(Target(sale.engine, f"{sale.kind} sale, {where}, {sale.clients} clients",
                          f"p99 < {TARGET_P99 * 1e3:.0f} ms",
                          f"accepted {_ms(acc.p99)}" + (f", rejected {_ms(rej.p99)}"
                                                        if rej.count else ""),
                          worst < TARGET_P99 and not sale.problems and not sale.failed))
    return out


def findings(run: EngineRun) -> list[str]:
    """What the run found besides its figures: broken sales, connection churn, HTTP issues."""
    found = [p for sale in run.sales for p in sale.problems] + run.findings
    for sale in run.sales:
        if sale.failed:
            found.append(f"{sale.engine} {sale.kind} sale, {sale.path}: {sale.failed:,} attempts "
                         f"failed {dict(sale.tally.failed)}; first: {sale.tally.first_error[:300]}")
        if sale.sessions is not None and sale.sessions > 2 * sale.clients:
            found.append(f"{sale.engine} {sale.kind} sale, {sale.path}: {sale.sessions:,} "
                         f"connections to PostgreSQL opened during the sale "
                         f"({sale.sessions / max(sale.attempts, 1):.2f} per attempt): the pool "
                         "churns (more concurrent callers than pool_size)")
    return found


def render(run: EngineRun, cfg: argparse.Namespace) -> None:
    table = Table(title=f"flash sale on {run.engine}: {cfg.clients} clients, one-unit orders "
                        "(same run, same database)")
    for name in ("sale", "path", "attempts", "stock", "accepted", "acc/s", "acc p50", "acc p99", "rejected",
                 "rej/s", "rej p50", "rej p99", "failed", "attempts/s", "wall", "units sold",
                 "CPU/order", "CPU app", "CPU pg", "CPU other"):
        table.add_column(name, justify="left" if name in ("sale", "path") else "right")
    for sale in run.sales:
        acc, rej, cpu = sale.tally.of(True), sale.tally.of(False), sale.cpu
        sold = sale.sold.get("units", -1)
        app = cpu.get("server" if sale.path == HTTP else "bench", 0.0)
        busy = sum(cpu.get(k, 0.0) for k in ("server", "loadgen", "postgres", "bench"))
        table.add_row(
            sale.kind, sale.path + (f" ({sale.workers}w)" if sale.workers else ""),
            f"{sale.attempts:,}", f"{sale.stock:,}",
            f"{acc.count:,}", f"{acc.rate:,.0f}", _ms(acc.p50), _ms(acc.p99),
            f"{rej.count:,}", f"{rej.rate:,.0f}" if rej.count else "",
            _ms(rej.p50) if rej.count else "", _ms(rej.p99) if rej.count else "",
            f"[red]{sale.failed:,}[/red]" if sale.failed else "0",
            f"{sale.attempts / sale.tally.seconds:,.0f}", f"{sale.tally.seconds:.1f} s",
            (f"{sold:,} ✓" if not sale.problems else f"[red]{sold:,} ✗[/red]"),
            _ms(sale.cpu_per_attempt), f"{app:.2f}",
            f"{cpu.get('postgres', 0):.2f}" if run.engine == "postgresql" else "",
            f"{max(0.0, cpu.get('busy', 0.0) - busy):.2f}")
    out = Console(width=max(Console().width, 230))
    out.print(table)
    ledger = Table(title="the ledger's single durable postings, 1 client (same run)")
    for name in ("path", "postings/s", "p50", "p99"):
        ledger.add_column(name, justify="left" if name == "path" else "right")
    for name, sample in run.ledger.items():
        ledger.add_row("onhand receive/transfer" if name == "onhand" else
                       "raw: insert + 2 upserts (bench/baseline.py)", f"{sample.rate:,.0f}",
                       _ms(sample.p50), _ms(sample.p99))
    out.print(ledger)
    out.print(
        "acc/s, rej/s: accepted (rejected) orders ÷ the span from the first such attempt's start "
        "to the last one's end; attempts/s: all ÷ wall. library: Inventory.create_order from "
        "threads in this process; raw SQL: lock the item row, read available, insert the order "
        "and its line, add to the reserved counter, commit, with the bare driver on a twin "
        "database (bench/raw_orders.py); HTTP: POST /v1/orders with a bearer token and an "
        "Idempotency-Key from one asyncio loop in this process. units sold: summed from the "
        "order tables with SQL (✓: exactly the stock, or every attempt that did not fail in an "
        "ample sale; the counters agree; nothing oversold). CPU: "
        "cores used by the app (this process, or the server), PostgreSQL, and other processes.")
    out.print(f"peer: {PEER['name']}: {PEER['ops_per_s']:.0f} ops/s, p50 {PEER['p50_ms']:.0f} "
              f"ms, p99 {PEER['p99_ms']:.0f} ms; Odoo: 20 processes reserving the same 10 units "
              "all succeed (odoo PR #32857) (shared/ANCHORS.md).")
    goals = Table(title="target (issue 5)")
    for name in ("engine", "target", "goal", "measured", "met"):
        goals.add_column(name)
    for t in targets(run):
        goals.add_row(t.engine, t.name, t.goal, t.measured,
                      "[green]yes[/green]" if t.met else "[red]no[/red]")
    out.print(goals)
    where = os.path.dirname(onhand.__file__)
    out.print(f"onhand from {where} ({_git_version(where) or 'not a git checkout'})")
    found = findings(run)
    if found:
        out.print("[bold]found while measuring[/bold]")
        for line in found:
            out.print(f"  - {line}", highlight=False, markup=False)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=databases.DEFAULT_ADMIN_URL,
                        help="a PostgreSQL admin URL (a database onhand_bench_<random> is created "
                             "and dropped), or 'sqlite' (a file in a temporary directory)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--attempts", type=int, help="orders tried per sale (10,000)")
    parser.add_argument("--stock", type=int, default=100, help="units of the flash sale's SKU")
    parser.add_argument("--ample", action="store_true",
                        help="a second sale with stock above the attempts: every order accepted")
    parser.add_argument("--ample-attempts", type=int,
                        help="orders tried in the ample sale (2,000; --quick 1,000)")
    parser.add_argument("--http", action="store_true",
                        help="also run the sales through POST /v1/orders of onhand serve")
    parser.add_argument("--http-attempts", type=int,
                        help="orders tried per HTTP sale, flash and ample (2,000; --quick 1,000)")
    parser.add_argument("--workers", default="1", help="uvicorn workers for --http (1; e.g. 1,2)")
    parser.add_argument("--postings", type=int, help="ledger single postings per path (1,000)")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 attempts (ample and HTTP: 1,000), 200 postings")
    parser.add_argument("--json", help="also write the figures to this file")
    cfg = parser.parse_args(argv)
    cfg.attempts = cfg.attempts or (2_000 if cfg.quick else 10_000)
    cfg.postings = cfg.postings or (200 if cfg.quick else 1_000)
    cfg.ample_attempts = cfg.ample_attempts or (1_000 if cfg.quick else 2_000)
    cfg.http_attempts = cfg.http_attempts or (1_000 if cfg.quick else 2_000)
    try:
        cfg.workers = [int(n) for n in cfg.workers.split(",")]
    except ValueError:
        parser.error("--workers takes whole numbers separated by commas")
    if min(cfg.clients, cfg.attempts, cfg.ample_attempts, cfg.http_attempts, cfg.stock,
           cfg.postings, *cfg.workers) < 1:
        parser.error("clients, attempts, stock, postings and workers must be positive")
    cfg.engine = "sqlite" if cfg.url.startswith("sqlite") else "postgresql"
    if cfg.engine == "postgresql" and not cfg.url.startswith("postgresql"):
        parser.error("--url: 'sqlite' or a postgresql+psycopg:// admin URL")
    cfg.admin_url = cfg.url if cfg.engine == "postgresql" else databases.DEFAULT_ADMIN_URL
    cfg.pg_url = cfg.admin_url  # for ledger.machine()
    return cfg


def main(argv: list[str]) -> int:
    cfg = parse(argv)
    result = run(cfg)
    render(result, cfg)
    if cfg.json:
        report = {"config": {k: v for k, v in vars(cfg).items() if k not in ("json", "url")},
                  "machine": machine([cfg.engine], cfg), "peer": PEER,
                  "sales": [s.to_dict() for s in result.sales],
                  "ledger": {k: v.to_dict() for k, v in result.ledger.items()},
                  "targets": [t.to_dict() for t in targets(result)],
                  "findings": findings(result)}
        with open(cfg.json, "w") as out:
            json.dump(report, out, indent=2)
    if any(sale.problems for sale in result.sales):
        return WRONG_UNITS
    if any(sale.failed for sale in result.sales):
        return FAILED
    return MISSING_ROUTE if result.http_missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
