"""The outbox: every change of available is an event, numbered 1..N in commit order.

Readers polling ``inv.events(cursor=last_seen)`` while writers post and order at once must
each see every event exactly once, in order, with no gap: an event never commits later with
a lower number than one a reader has already passed. A change of available writes a
``stock.changed`` event with the new level; a rolled-back write leaves no event and no gap.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

import onhand
import onhand.services.orders
from tests.factories import mug, stocked
from tests.orders_sql import event_ids

SKUS = ("MUG-BLUE", "MUG-RED")
WRITERS, READERS, WRITES = 6, 3, 40
SKU = "MUG-BLUE"


class Writer:
    """Posts, orders, holds, cancels and ships at random; notes any error but a shortage."""

    def __init__(self, inv: onhand.Inventory, seed: int) -> None:
        self.inv, self.seed, self.rng = inv, seed, random.Random(seed)
        self.orders: list[str] = []
        self.errors: list[str] = []

    def run(self) -> list[str]:
        actions = (self.receive, self.receive_both, self.order, self.order, self.hold,
                   self.cancel, self.ship)
        for n in range(WRITES):
            try:
                self.rng.choice(actions)(f"{self.seed}-{n}")
            except onhand.InsufficientStock:
                pass
            except Exception as error:  # noqa: BLE001 - every other error is a finding
                self.errors.append(repr(error))
        return self.errors

    def receive(self, _: str) -> None:
        self.inv.receive(sku=self.rng.choice(SKUS), qty=self.rng.randint(1, 3),
                         location=self.rng.choice(("WH1/A-01", "WH2")))

    def receive_both(self, _: str) -> None:  # one transaction, one event per SKU
        self.inv.post_batch([{"kind": "receipt", "sku": sku, "qty": 1, "location": "WH2"}
                             for sku in SKUS])

    def order(self, name: str) -> None:
        lines = [{"sku": self.rng.choice(SKUS), "qty": self.rng.randint(1, 3)}]
        self.orders.append(self.inv.create_order(f"SO-{name}", lines).reference)

    def hold(self, name: str) -> None:
        lines = [{"sku": self.rng.choice(SKUS), "qty": 1}]
        self.inv.place_hold(f"CART-{name}", lines, ttl=timedelta(minutes=5))
        self.inv.release_hold(f"CART-{name}")

    def cancel(self, _: str) -> None:
        if self.orders:
            self.inv.cancel_order(self.orders.pop(self.rng.randrange(len(self.orders))))

    def ship(self, _: str) -> None:
        if self.orders:
            self.inv.ship_order(self.orders.pop(self.rng.randrange(len(self.orders))))


def read_until(inv: onhand.Inventory, done: threading.Event) -> list[onhand.Event]:
    """Poll from the last event seen until the writers are done and nothing more comes."""
    seen: list[onhand.Event] = []
    while True:
        finished = done.is_set()
        page = inv.events(cursor=seen[-1].id if seen else 0, limit=50)
        seen += page
        if not page:
            if finished:
                return seen
            time.sleep(0.002)


def stored_events(inv: onhand.Inventory) -> list[tuple[int, str, dict[str, Any]]]:
    with inv.engine.connect() as conn:
        return [(int(row.id), row.type, json.loads(row.data))
                for row in conn.execute(text("SELECT id, type, data FROM events ORDER BY id"))]


def test_readers_polling_with_their_cursor_see_every_event_once_in_order(
    inv: onhand.Inventory,
) -> None:
    for sku in SKUS:
        stocked(inv, sku, qty=4)
    done = threading.Event()
    with ThreadPoolExecutor(READERS) as readers:
        seen = [readers.submit(read_until, inv, done) for _ in range(READERS)]
        with ThreadPoolExecutor(WRITERS) as writers:
            errors = list(writers.map(lambda seed: Writer(inv, seed).run(), range(WRITERS)))
        done.set()
    stored = stored_events(inv)
    assert [e for found in errors for e in found] == []
    assert [event_id for event_id, _, _ in stored] == list(range(1, len(stored) + 1))
    assert len(stored) > WRITERS * WRITES / 2
    for reader in seen:
        assert [(e.id, e.type, e.data) for e in reader.result()] == stored


def step_events(inv: onhand.Inventory, change: Callable[[], Any]) -> dict[str, str]:
    """Make ``change``; return the available each new stock.changed event gives, by warehouse."""
    cursor = max((e.id for e in inv.events(limit=1000)), default=0)
    change()
    new = inv.events(cursor=cursor)
    assert [e.id for e in new] == list(range(cursor + 1, cursor + 1 + len(new)))
    return {e.data["warehouse"]: e.data["available"] for e in new
            if e.type == "stock.changed" and e.data["sku"] == SKU}


def test_every_change_of_available_writes_a_stock_changed_event_with_the_new_level(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    changes: list[tuple[Callable[[], Any], dict[str, str]]] = [
        (lambda: inv.receive(sku=SKU, qty=5, location="WH1/A-01"), {"WH1": "5"}),
        (lambda: inv.create_order("SO-1", [{"sku": SKU, "qty": 2}]), {"WH1": "3"}),
        (lambda: inv.place_hold("CART-1", [{"sku": SKU, "qty": 1}], ttl=timedelta(minutes=5)),
         {"WH1": "2"}),
        (lambda: inv.release_hold("CART-1"), {"WH1": "3"}),
        (lambda: inv.cancel_order("SO-1"), {"WH1": "5"}),
        (lambda: inv.transfer(sku=SKU, qty=1, source="WH1/A-01", target="WH2"),
         {"WH1": "4", "WH2": "1"}),
        (lambda: inv.ship(sku=SKU, qty=4, location="WH1/A-01"), {"WH1": "0"}),
    ]
    for change, expected in changes:
        assert step_events(inv, change) == expected
        levels = inv.stock(sku=SKU).by_warehouse  # a warehouse with nothing may be left out
        assert {w: str(levels[w].available) if w in levels else "0" for w in expected} == expected


def test_a_write_that_is_refused_leaves_no_event_and_no_gap(inv: onhand.Inventory) -> None:
    stocked(inv, qty=2)
    last = inv.events()[-1].id
    with pytest.raises(onhand.InsufficientStock):
        inv.create_order("SO-1", [{"sku": SKU, "qty": 3}])
    with pytest.raises(onhand.InsufficientStock):
        inv.ship(sku=SKU, qty=3, location="WH1/A-01")
    with pytest.raises(onhand.InsufficientStock):
        inv.place_hold("CART-1", [{"sku": SKU, "qty": 3}], ttl=timedelta(minutes=5))
    assert inv.events(cursor=last) == []
    inv.receive(sku=SKU, qty=1, location="WH1/A-01")
    assert [e.id for e in inv.events(cursor=last)] == [last + 1]
    assert event_ids(inv.engine) == (last + 1, 1, last + 1)


def test_a_sweep_expiring_holds_of_several_items_never_deadlocks_with_an_order(
    inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sweeper numbers the events of its first hold, then locks the next hold's items;
    meanwhile an order holds those items and waits to number its own events."""
    for sku in SKUS:
        stocked(inv, sku, qty=2)
    for sku in SKUS:  # they lapse in this order, and are swept in it
        inv.place_hold(f"CART-{sku}", [{"sku": sku, "qty": 1}], ttl=timedelta(seconds=1))
    time.sleep(1.1)
    paused, go, holds = threading.Event(), threading.Event(), []
    locked = onhand.services.orders.locked

    def pausing_before_the_second_hold(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("sweeping"):
            holds.append(args)
            if len(holds) == 2:
                paused.set()
                go.wait(10)
        return locked(*args, **kwargs)

    monkeypatch.setattr(onhand.services.orders, "locked", pausing_before_the_second_hold)
    with ThreadPoolExecutor(1, thread_name_prefix="sweeping") as sweeping, \
            ThreadPoolExecutor(1) as ordering:
        sweep = sweeping.submit(inv.sweep)
        assert paused.wait(5), "the sweeper did not come to its second hold"
        order = ordering.submit(inv.create_order, "SO-1", [{"sku": SKUS[1], "qty": 1}])
        wait([order], timeout=0.5)  # it now holds MUG-RED and waits for the event clock
        go.set()
        assert sweep.result() == (2, 0)
        assert order.result().status == "open"
