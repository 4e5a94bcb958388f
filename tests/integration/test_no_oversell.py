"""No oversell: many clients ordering and holding little stock at once, and the last unit.

Clients (threads, in one or several processes) make thousands of order and hold attempts
against a few SKUs with little stock in two warehouses, while they also confirm, release
and let lapse their holds, cancel and ship their orders, receive stock and sweep. Each
client keeps its own tally of what it was granted. A monitor reads the books with plain
SQL in consistent snapshots while they run, and once more at the end: no warehouse is
ever promised more than it holds, the reservation counters equal the open lines, and the
units promised (reserved, held, shipped) never exceed the units that existed (received),
by the SQL sums and by the clients' tallies alike.
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import onhand
import onhand.domain.times
from tests.conftest import ENGINE
from tests.factories import stocked
from tests.orders_sql import Books, Key, problems, snapshot

SKUS = ("MUG-BLUE", "MUG-RED", "TEE-S")
BINS = {"WH1": "WH1/A-01", "WH2": "WH2"}  # where each warehouse receives
OPENING = 3  # units of each SKU in each warehouse at the start
LONG, SHORT = timedelta(minutes=10), timedelta(seconds=1)  # a cart's hold; one that lapses


@dataclass(frozen=True)
class Size:
    """How many clients run (threads in each of ``processes``) and how many order and hold
    attempts each makes."""

    processes: int
    threads: int
    attempts: int

    @property
    def total(self) -> int:
        return self.processes * self.threads * self.attempts


# PostgreSQL: the size, 32 clients in 2 processes (a process's connection pool serves
# 20 threads at once). SQLite: 16 clients in 4 processes, sized to stay well within a minute.
SIZES = {"postgresql": Size(processes=2, threads=16, attempts=313),
         "sqlite": Size(processes=4, threads=4, attempts=500)}
SIZE = SIZES[ENGINE]
LAST_UNIT_ROUNDS = 1000
LANES = 4  # last-unit races run four at a time, each between its own two clients


def units(order: onhand.Order) -> Counter[Key]:
    """Return the units an order or hold has reserved, by (sku, warehouse)."""
    return Counter({(line.sku, line.warehouse): int(line.reserved) for line in order.lines
                    if line.reserved})


@dataclass
class Tally:
    """One client's own record of what it was granted and did, in units by (sku, warehouse)."""

    attempts: int = 0
    granted: int = 0  # orders and holds created
    rejected: int = 0  # attempts refused with InsufficientStock
    orders: dict[str, Counter[Key]] = field(default_factory=dict)  # its open orders
    holds: dict[str, Counter[Key]] = field(default_factory=dict)  # its live holds
    short: dict[str, datetime] = field(default_factory=dict)  # holds that lapse: when
    shipped: Counter[Key] = field(default_factory=Counter)
    received: Counter[Key] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def reserved(self) -> Counter[Key]:
        return sum(self.orders.values(), Counter())

    def held(self) -> Counter[Key]:
        return sum((units for ref, units in self.holds.items() if ref not in self.short),
                   Counter())


class Client:
    """One sales channel: orders, holds, and what it does with them, at random."""

    def __init__(self, inv: onhand.Inventory, seed: int) -> None:
        self.inv, self.seed, self.rng = inv, seed, random.Random(seed)
        self.tally = Tally()
        self.made = 0

    def run(self, attempts: int) -> Tally:
        while self.tally.attempts < attempts:
            self.step()
        return self.tally

    def step(self) -> None:
        actions: list[tuple[float, Callable[[], None]]] = [
            (0.48, self.order), (0.32, self.hold), (0.06, self.settle_hold),
            (0.05, self.cancel), (0.05, self.ship), (0.03, self.receive), (0.01, self.sweep)]
        pick = self.rng.random()
        for weight, action in actions:
            if pick < weight:
                return self.attempt(action)
            pick -= weight

    def attempt(self, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as error:  # noqa: BLE001 - every other error is a finding
            self.tally.unexpected.append(f"{action.__name__}: {error!r}")

    def reference(self, kind: str) -> str:
        self.made += 1
        return f"{kind}-{self.seed}-{self.made}"

    def lines(self) -> list[dict[str, Any]]:
        return [{"sku": sku, "qty": self.rng.randint(1, 2)}
                for sku in self.rng.sample(SKUS, self.rng.choice((1, 1, 2)))]

    def order(self) -> None:
        self.tally.attempts += 1
        warehouse = self.rng.choice((None, "WH1", "WH2"))
        try:
            order = self.inv.create_order(self.reference("SO"), self.lines(), policy="reject",
                                          warehouse=warehouse)
        except onhand.InsufficientStock:
            self.tally.rejected += 1
            return
        self.tally.granted += 1
        self.tally.orders[order.reference] = units(order)

    def hold(self) -> None:
        self.tally.attempts += 1
        ttl = SHORT if self.rng.random() < 0.3 else LONG
        try:
            hold = self.inv.place_hold(self.reference("CART"), self.lines(), ttl=ttl)
        except onhand.InsufficientStock:
            self.tally.rejected += 1
            return
        self.tally.granted += 1
        self.tally.holds[hold.reference] = units(hold)
        if ttl == SHORT:
            assert hold.expires_at is not None
            self.tally.short[hold.reference] = hold.expires_at

    def settle_hold(self) -> None:
        """Confirm or release one of its holds (a lapsed one may refuse to confirm)."""
        if not self.tally.holds:
            return
        reference = self.rng.choice(sorted(self.tally.holds))
        del self.tally.holds[reference]
        lapses = self.tally.short.pop(reference, None)
        try:
            if self.rng.random() < 0.5:
                self.tally.orders[reference] = units(self.inv.confirm_hold(reference))
            else:
                self.inv.release_hold(reference)
        except (onhand.HoldExpired, onhand.OrderClosed):
            if lapses is None or lapses > datetime.now(UTC):
                raise  # only a hold whose time ran out may refuse

    def cancel(self) -> None:
        if self.tally.orders:
            reference = self.rng.choice(sorted(self.tally.orders))
            self.inv.cancel_order(reference)
            del self.tally.orders[reference]

    def ship(self) -> None:
        """Ship one of its orders, whole or one unit of one line."""
        if not self.tally.orders:
            return
        reference = self.rng.choice(sorted(self.tally.orders))
        left = self.tally.orders.pop(reference)
        if left and self.rng.random() < 0.5:
            sku, warehouse = self.rng.choice(sorted(left))
            self.inv.ship_order(reference, [{"sku": sku, "qty": 1}])
            shipped = Counter({(sku, warehouse): 1})
        else:
            self.inv.ship_order(reference)
            shipped = left
        self.tally.shipped += shipped
        if left - shipped:
            self.tally.orders[reference] = left - shipped

    def receive(self) -> None:
        if self.seed % 4 == 0:  # a quarter of the clients also receive stock
            sku, warehouse = self.rng.choice(SKUS), self.rng.choice(sorted(BINS))
            qty = self.rng.randint(1, 4)
            self.inv.receive(sku=sku, qty=qty, location=BINS[warehouse])
            self.tally.received[(sku, warehouse)] += qty

    def sweep(self) -> None:
        if self.seed % 8 == 1:  # a few clients are also the server's sweeper
            self.inv.sweep()


def run_clients(inv: onhand.Inventory, seeds: list[int], attempts: int) -> list[Tally]:
    """Run one client per seed on its own thread, all released at the same moment."""
    start = threading.Barrier(len(seeds))

    def client(seed: int) -> Tally:
        start.wait()
        return Client(inv, seed).run(attempts)

    with ThreadPoolExecutor(len(seeds)) as pool:
        return list(pool.map(client, seeds))


def clients_in_a_new_process(url: str, seeds: list[int], attempts: int) -> list[Tally]:
    """Open the database in this (spawned) process and run its clients on threads."""
    with onhand.open(url) as inv:
        return run_clients(inv, seeds, attempts)


class Monitor:
    """Reads the books in consistent snapshots while clients write, noting every problem."""

    def __init__(self, inv: onhand.Inventory) -> None:
        self.inv, self.reads = inv, 0
        self.seen: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, name="monitor")

    def watch(self) -> None:
        while not self.done.wait(0.5):
            self.reads += 1
            self.seen += [f"while running: {p}" for p in problems(snapshot(self.inv.engine))]

    def __enter__(self) -> Monitor:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        self.thread.join()


def open_with_little_stock(inv: onhand.Inventory) -> None:
    for sku in SKUS:
        inv.add_item(sku=sku, name=sku.title())
        for place in BINS.values():
            inv.receive(sku=sku, qty=OPENING, location=place)


def run_everyone(url: str) -> list[Tally]:
    """Run every client: threads in spawned processes, each with its own inventory."""
    seeds = list(range(SIZE.processes * SIZE.threads))
    groups = [seeds[p::SIZE.processes] for p in range(SIZE.processes)]
    with multiprocessing.get_context("spawn").Pool(SIZE.processes) as pool:
        results = pool.starmap(clients_in_a_new_process,
                               [(url, group, SIZE.attempts) for group in groups])
    return [tally for group in results for tally in group]


def wait_for_lapses(tallies: list[Tally]) -> None:
    """Sleep until every short hold a client left alone has lapsed."""
    lapses = [when for tally in tallies for when in tally.short.values()]
    if lapses:
        time.sleep(max(0.0, (max(lapses) - datetime.now(UTC)).total_seconds()) + 0.05)


def assert_tallies_agree(books: Books, tallies: list[Tally]) -> None:
    """The clients' own records: what is reserved, held, shipped and received now."""
    opening = Counter({(sku, warehouse): OPENING for sku in SKUS for warehouse in BINS})
    received = opening + sum((t.received for t in tallies), Counter())
    shipped = sum((t.shipped for t in tallies), Counter())
    reserved = sum((t.reserved() for t in tallies), Counter())
    held = sum((t.held() for t in tallies), Counter())
    assert books.received == received
    assert books.shipped == shipped == books.shipped_by_lines
    assert books.open_reserved == +reserved
    assert books.held == +held
    assert books.sellable == received - shipped  # nothing else moved stock
    for key in sorted(reserved + held + shipped):
        assert reserved[key] + held[key] + shipped[key] <= received[key], key


def test_many_clients_ordering_and_holding_little_stock_never_oversell(
    inv: onhand.Inventory, database_url: str,
) -> None:
    open_with_little_stock(inv)
    with Monitor(inv) as monitor:
        tallies = run_everyone(database_url)
    wait_for_lapses(tallies)
    books = snapshot(inv.engine)
    assert [e for t in tallies for e in t.unexpected] == []
    assert monitor.seen == [] and monitor.reads > 0
    assert problems(books) == []
    for key in sorted(books.promised):
        assert books.promised[key] <= books.received[key], f"{key}: promised more than existed"
    assert_tallies_agree(books, tallies)
    assert sum(t.attempts for t in tallies) >= SIZE.total
    assert sum(t.granted for t in tallies) > 0 and sum(t.rejected for t in tallies) > 0
    report = inv.verify()
    assert report.ok, report.problems


# --- the last unit ---------------------------------------------------------------------------


def race(inv: onhand.Inventory, start: threading.Barrier, sku: str, client: int,
         hold: bool) -> bool:
    """Order (or hold) the one unit of ``sku``; return whether this client got it."""
    reference, lines = f"{sku}-{client}", [{"sku": sku, "qty": 1}]
    start.wait()
    try:
        if hold:
            inv.place_hold(reference, lines, ttl=LONG)
        else:
            inv.create_order(reference, lines)
    except onhand.InsufficientStock:
        return False
    return True


def races(inv: onhand.Inventory, skus: list[str]) -> list[int]:
    """Race two clients for the one unit of each SKU in turn; return each race's winners."""
    start, winners = threading.Barrier(2), []
    with ThreadPoolExecutor(2) as pool:
        for n, sku in enumerate(skus):  # an order against an order, or against a hold
            racers = [pool.submit(race, inv, start, sku, client, hold)
                      for client, hold in enumerate((False, n % 2 == 1))]
            winners.append(sum(racer.result() for racer in racers))
    return winners


def test_two_clients_racing_for_the_last_unit_leave_exactly_one_winner(
    inv: onhand.Inventory,
) -> None:
    skus = [f"LAST-{n:04}" for n in range(LAST_UNIT_ROUNDS)]
    inv.add_items([onhand.Item(sku=sku, name="Last one") for sku in skus])
    inv.post_batch([{"kind": "receipt", "sku": sku, "qty": 1,
                     "location": "WH1/A-01" if n % 2 else "WH2"} for n, sku in enumerate(skus)])
    with ThreadPoolExecutor(LANES) as lanes:  # races side by side, each on its own SKUs
        winners = [w for lane in lanes.map(lambda k: races(inv, skus[k::LANES]), range(LANES))
                   for w in lane]
    assert Counter(winners) == {1: LAST_UNIT_ROUNDS}
    books = snapshot(inv.engine)
    assert problems(books) == []
    assert books.open_reserved + books.held == books.sellable


# --- a client paused between reading the clock and taking its locks --------------------------
# A thread can be descheduled at any point; these stop one right after it reads the time,
# let a hold lapse and another client order its units, then let it go on.

ONE_MUG = [{"sku": "MUG-BLUE", "qty": 1}]


class PausedClock:
    """The services' clock; it stops the first thread whose name starts with ``thread``
    right after that thread's first reading, until ``go`` is set."""

    def __init__(self, thread: str) -> None:
        self.thread, self.reached, self.go = thread, threading.Event(), threading.Event()

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        if threading.current_thread().name.startswith(self.thread) and not self.reached.is_set():
            self.reached.set()
            self.go.wait(10)
        return now


def use_clock(monkeypatch: pytest.MonkeyPatch, clock: Callable[[], datetime]) -> None:
    """Make every onhand module that reads the time read ``clock`` instead."""
    real = onhand.domain.times.utcnow
    for name, module in list(sys.modules.items()):
        if name.startswith("onhand.") and getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", clock)


def outcome(future: Future[Any]) -> str:
    try:
        future.result()
    except onhand.OnhandError as error:
        return type(error).__name__
    return "ok"


def across_a_lapse(inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
                   hold: onhand.Order, paused: Callable[[], Any]) -> tuple[str, str]:
    """Run ``paused`` on a thread stopped after it reads the clock; once ``hold`` has
    lapsed, order one mug on another; let the first go on. Return both outcomes."""
    clock = PausedClock("paused")
    use_clock(monkeypatch, clock)
    with ThreadPoolExecutor(1, thread_name_prefix="paused") as first, ThreadPoolExecutor(1) as then:
        stopped = first.submit(paused)
        assert clock.reached.wait(5), "the paused call never read the clock"
        assert hold.expires_at is not None
        time.sleep(max(0.0, (hold.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
        order = then.submit(inv.create_order, "SO-LATER", ONE_MUG)
        wait([order], timeout=1)  # SQLite: it waits for the paused writer to finish
        clock.go.set()
        return outcome(stopped), outcome(order)


def test_a_hold_confirmed_as_it_lapses_never_shares_its_units_with_a_later_order(
    inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stocked(inv, qty=1)
    hold = inv.place_hold("CART-1", ONE_MUG, ttl=SHORT)
    outcomes = across_a_lapse(inv, monkeypatch, hold, lambda: inv.confirm_hold("CART-1"))
    assert sorted(outcomes) in (["HoldExpired", "ok"], ["InsufficientStock", "ok"])
    assert problems(snapshot(inv.engine)) == []


def test_an_order_shipped_as_a_hold_lapses_still_ships_its_reserved_units(
    inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stocked(inv, qty=2)
    inv.create_order("SO-1", ONE_MUG)
    hold = inv.place_hold("CART-1", ONE_MUG, ttl=SHORT)
    outcomes = across_a_lapse(inv, monkeypatch, hold, lambda: inv.ship_order("SO-1"))
    assert outcomes == ("ok", "ok")
    assert problems(snapshot(inv.engine)) == []


def test_damage_recorded_as_a_hold_lapses_takes_back_no_reservation_stock_still_covers(
    inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stocked(inv, qty=3)
    inv.create_order("SO-1", ONE_MUG)
    hold = inv.place_hold("CART-1", ONE_MUG, ttl=SHORT)
    outcomes = across_a_lapse(inv, monkeypatch, hold, lambda: inv.scrap(
        sku="MUG-BLUE", qty=1, location="WH1/A-01", reason="dropped", damage=True))
    assert outcomes == ("ok", "ok")
    for reference in ("SO-1", "SO-LATER"):  # 2 units left, 2 reserved: nothing to take back
        assert [line.reserved for line in inv.order(reference).lines] == [1], reference


def test_an_order_for_several_skus_reserves_each_of_them(inv: onhand.Inventory) -> None:
    for sku in ("MUG-BLUE", "MUG-RED"):
        stocked(inv, sku, qty=1)
    lines = [{"sku": "MUG-BLUE", "qty": 1}, {"sku": "MUG-RED", "qty": 1}]
    assert [line.reserved for line in inv.create_order("SO-1", lines).lines] == [1, 1]
    with pytest.raises(onhand.InsufficientStock):
        inv.create_order("SO-2", [{"sku": "MUG-RED", "qty": 1}])
