"""Orders, holds and the ledger as a state machine: every promise kept after every step.

Random sequences of orders (reject and backorder, with or without a warehouse), holds
(placed, confirmed, released, lapsing as the clock moves on, swept), shipments (whole and
partial), cancels (whole and partial), returns (to sellable and damaged locations),
receipts, transfers between the two warehouses, and scraps (refused when they would take
reserved units; recorded as damage, they turn reservations into backorders).

Before each request the outcome is predicted from the tables (what is available, what the
order has reserved, shipped and returned); after every step plain SQL checks that each line
is split exactly (qty = reserved + backordered + shipped + cancelled, returned <= shipped),
the reservation counters equal the open lines, no warehouse is promised more than its
sellable stock, balances sum to zero per item, on hand matches the model, nothing a refused
request tried was written, and the outbox is numbered 1..N with no gap.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

import onhand
import onhand.domain.times
from tests.conftest import ENGINE, Databases
from tests.orders_sql import Books, Key, balance, event_ids, order_state, problems, snapshot

SKUS = ("MUG-BLUE", "MUG-RED")
WAREHOUSES = ("WH1", "WH2")
BINS = ("WH1/A-01", "WH1/A-02", "WH1/DAMAGED", "WH2")  # WH1/DAMAGED is not sellable
STOCKED = ("WH1/A-01", "WH1/A-01", "WH2", "WH2", "WH1/A-02", "WH1/DAMAGED")  # mostly with stock
TTL = timedelta(minutes=10)  # the clock moves in steps far from it, never within a step
EXAMPLES = {"postgresql": 20, "sqlite": 50}[ENGINE]  # each about 30 s on this 2-core machine

skus = st.sampled_from(SKUS)
bins = st.sampled_from(BINS)
sources = st.sampled_from(STOCKED)
amounts = st.integers(min_value=1, max_value=3)
order_lines = st.lists(st.tuples(skus, amounts), min_size=1, max_size=2,
                       unique_by=lambda line: line[0])
preferences = st.sampled_from((None, "WH1", "WH2"))


class Clock:
    """The services' clock: real time, plus however far the test has moved it on."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


CLOCK = Clock()


def clocked_modules() -> list[ModuleType]:
    """Every onhand module that reads the clock through ``onhand.domain.times.utcnow``."""
    return [module for name, module in sorted(sys.modules.items()) if name.startswith("onhand.")
            and getattr(module, "utcnow", None) is onhand.domain.times.utcnow]


def warehouse_of(path: str) -> str:
    return path.split("/")[0]


def available(books: Books, key: Key) -> int:
    """What a warehouse can still promise of an item, from the tables."""
    return books.sellable[key] - books.open_reserved[key] - books.held[key]


def short(books: Books, lines: list[tuple[str, int]], warehouse: str | None) -> bool:
    """Tell whether a reject order (or hold) must be refused: a line no allowed warehouse covers."""
    allowed = WAREHOUSES if warehouse is None else (warehouse,)
    return any(max(available(books, (sku, w)) for w in allowed) < qty for sku, qty in lines)


class Orders(RuleBasedStateMachine):
    """An inventory on a fresh database, and a model of its stock and its holds."""

    new_database: Callable[[], str]
    drop_database: Callable[[str], None]

    def __init__(self) -> None:
        super().__init__()
        CLOCK.ahead = timedelta(0)
        self.url = self.new_database()
        self.inv = onhand.open(self.url)
        for path in ("WH1", "WH1/A-01", "WH1/A-02", "WH2"):
            self.inv.add_location(path)
        self.inv.add_location("WH1/DAMAGED", sellable=False)
        for sku in SKUS:
            self.inv.add_item(sku=sku, name=sku.title())
        self.on_hand: Counter[Key] = Counter()  # what the ledger must hold, per warehouse
        self.orders: list[str] = []  # every order and hold created
        self.holds: dict[str, datetime] = {}  # holds still held: when each lapses
        self.swept: set[str] = set()  # holds the sweeper marked expired
        self.confirmed: list[str] = []
        self.shipped: list[str] = []  # orders that shipped something

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # a failed step is reported as it is, not masked
                report = self.inv.verify()
                assert report.ok, report.problems
        finally:
            self.inv.close()
            self.drop_database(self.url)

    def books(self) -> Books:
        return snapshot(self.inv.engine, now=CLOCK())

    def refused(self, error: type[onhand.OnhandError], request: Callable[[], Any]) -> None:
        """Send a request the model says must fail with ``error``."""
        with pytest.raises(error):
            request()

    def moved(self, units: Counter[Key], sign: int = 1) -> None:
        self.on_hand.update({key: sign * n for key, n in units.items()})

    # --- orders and holds ---------------------------------------------------------------------

    @initialize(amounts=st.lists(st.integers(min_value=0, max_value=8), min_size=4,
                                 max_size=4))
    def opening_stock(self, amounts: list[int]) -> None:
        places = [(sku, place) for sku in SKUS for place in ("WH1/A-01", "WH2")]
        for (sku, place), qty in zip(places, amounts, strict=True):
            if qty:
                self.receive(sku, place, qty)

    @rule(lines=order_lines, warehouse=preferences,
          policy=st.sampled_from(("reject", "reject", "reject", "backorder")))
    def order(self, lines: list[tuple[str, int]], warehouse: str | None, policy: str) -> None:
        reference = f"SO-{len(self.orders) + 1}"
        create = partial(self.inv.create_order, reference,
                         [{"sku": sku, "qty": qty} for sku, qty in lines], policy=policy,
                         warehouse=warehouse)
        if policy == "reject" and short(self.books(), lines, warehouse):
            return self.refused(onhand.InsufficientStock, create)
        order = create()
        self.orders.append(reference)
        for line in order.lines:  # a reject order reserves all; a backorder, what it can
            assert line.reserved + line.backordered == line.qty
            assert line.reserved == line.qty or policy == "backorder"

    @rule(lines=order_lines, warehouse=preferences)
    def hold(self, lines: list[tuple[str, int]], warehouse: str | None) -> None:
        reference = f"CART-{len(self.orders) + 1}"
        request = [{"sku": sku, "qty": qty} for sku, qty in lines]
        place = partial(self.inv.place_hold, reference, request, ttl=TTL, warehouse=warehouse)
        if short(self.books(), lines, warehouse):
            return self.refused(onhand.InsufficientStock, place)
        hold = place()
        assert hold.expires_at is not None and all(line.reserved == line.qty
                                                   for line in hold.lines)
        self.orders.append(reference)
        self.holds[reference] = hold.expires_at

    def carts(self) -> list[str]:
        return [reference for reference in self.orders if reference.startswith("CART")]

    def a_hold(self, data: st.DataObject) -> str:
        """Draw a hold still held, or the first one placed (which may have ended)."""
        return data.draw(st.sampled_from(sorted(self.holds) + self.carts()[:1]), label="hold")

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        reference = self.a_hold(data)
        confirm = partial(self.inv.confirm_hold, reference)
        if reference in self.swept or reference in self.holds and self.holds[reference] <= CLOCK():
            return self.refused(onhand.HoldExpired, confirm)  # lapsed, swept or not
        if reference not in self.holds:
            return self.refused(onhand.OrderClosed, confirm)  # released or confirmed
        left = order_state(self.inv.engine, reference).reserved  # damage may have taken all
        assert confirm().status == ("open" if left else "cancelled")
        del self.holds[reference]
        self.confirmed.append(reference)

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        reference = self.a_hold(data)
        release = partial(self.inv.release_hold, reference)
        if reference in self.swept or reference in self.holds and self.holds[reference] <= CLOCK():
            return self.refused(onhand.HoldExpired, release)  # lapsed, swept or not
        if reference not in self.holds:
            return self.refused(onhand.OrderClosed, release)
        assert release().status == "released"
        del self.holds[reference]

    @rule(minutes=st.sampled_from((7, 15)), sweep=st.sampled_from((False, False, True)))
    def time_passes(self, minutes: int, sweep: bool) -> None:
        """Move the clock on (holds lapse as it passes their time); the server may sweep."""
        CLOCK.ahead += timedelta(minutes=minutes)
        if sweep:
            now = CLOCK()
            lapsed = [reference for reference, until in self.holds.items() if until <= now]
            assert self.inv.sweep() == (len(lapsed), 0)
            for reference in lapsed:
                del self.holds[reference]
                self.swept.add(reference)

    # --- shipping, cancelling, returning ------------------------------------------------------

    def sales(self) -> list[str]:
        return [r for r in self.orders if r.startswith("SO")] + self.confirmed

    @precondition(lambda self: self.sales())
    @rule(data=st.data(), whole=st.booleans(), sku=skus, qty=amounts)
    def ship(self, data: st.DataObject, whole: bool, sku: str, qty: int) -> None:
        """Ship what an order has reserved, or ``qty`` of one SKU."""
        reference = data.draw(st.sampled_from(self.sales()), label="order")
        state = order_state(self.inv.engine, reference)
        ship = partial(self.inv.ship_order, reference,
                       None if whole else [{"sku": sku, "qty": qty}])
        reserved = sum(n for (s, _), n in state.reserved.items() if whole or s == sku)
        if state.status != "open":
            return self.refused(onhand.OrderClosed, ship)
        if not reserved or (reserved < qty and not whole):
            return self.refused(onhand.InvalidInput, ship)  # too little (or nothing) reserved
        ship()
        shipped = order_state(self.inv.engine, reference).shipped
        shipped.subtract(state.shipped)
        assert sum(shipped.values()) == (reserved if whole else qty)
        self.moved(shipped, -1)
        self.shipped.append(reference)

    @precondition(lambda self: self.sales())
    @rule(data=st.data(), whole=st.booleans(), sku=skus, qty=amounts)
    def cancel(self, data: st.DataObject, whole: bool, sku: str, qty: int) -> None:
        reference = data.draw(st.sampled_from(self.sales()), label="order")
        state = order_state(self.inv.engine, reference)
        cancel = partial(self.inv.cancel_order, reference,
                         None if whole else [{"sku": sku, "qty": qty}])
        left = sum(units for (s, _), units in (state.reserved + state.backordered).items()
                   if whole or s == sku)
        if state.status != "open":
            return self.refused(onhand.OrderClosed, cancel)
        if not whole and left < qty:
            return self.refused(onhand.InvalidInput, cancel)
        cancel()

    @precondition(lambda self: self.shipped)
    @rule(data=st.data(), sku=skus, qty=amounts, location=bins)
    def return_(self, data: st.DataObject, sku: str, qty: int, location: str) -> None:
        reference = data.draw(st.sampled_from(self.shipped), label="order")
        state = order_state(self.inv.engine, reference)
        send = partial(self.inv.return_order, reference, [{"sku": sku, "qty": qty}],
                       location=location, reason="customer changed mind")
        if sum(n for (s, _), n in (state.shipped - state.returned).items() if s == sku) < qty:
            return self.refused(onhand.InvalidQuantity, send)
        send()
        self.on_hand[(sku, warehouse_of(location))] += qty

    # --- the ledger ---------------------------------------------------------------------------

    @rule(sku=skus, location=bins, qty=st.integers(min_value=1, max_value=6))
    def receive(self, sku: str, location: str, qty: int) -> None:
        self.inv.receive(sku=sku, qty=qty, location=location)
        self.on_hand[(sku, warehouse_of(location))] += qty

    def takes_reserved(self, sku: str, source: str, qty: int, target: str | None) -> bool:
        """Tell whether moving ``qty`` out of ``source`` leaves its warehouse promising
        more than its sellable stock, or takes more than the location holds."""
        books, home = self.books(), warehouse_of(source)
        sellable = books.sellable[(sku, home)]
        if source != "WH1/DAMAGED":
            sellable -= qty
        if target is not None and warehouse_of(target) == home and target != "WH1/DAMAGED":
            sellable += qty
        return (balance(self.inv.engine, sku, source) < qty
                or sellable < books.open_reserved[(sku, home)] + books.held[(sku, home)])

    @rule(sku=skus, source=sources, destination=bins, qty=amounts)
    def transfer(self, sku: str, source: str, destination: str, qty: int) -> None:
        if source == destination:
            return
        move = partial(self.inv.transfer, sku=sku, qty=qty, source=source, target=destination)
        if self.takes_reserved(sku, source, qty, destination):
            return self.refused(onhand.InsufficientStock, move)
        move()
        self.on_hand[(sku, warehouse_of(source))] -= qty
        self.on_hand[(sku, warehouse_of(destination))] += qty

    @rule(sku=skus, location=sources, qty=amounts, damage=st.booleans())
    def scrap(self, sku: str, location: str, qty: int, damage: bool) -> None:
        scrap = partial(self.inv.scrap, sku=sku, qty=qty, location=location, reason="broken",
                        damage=damage)
        if (balance(self.inv.engine, sku, location) < qty if damage
                else self.takes_reserved(sku, location, qty, None)):
            return self.refused(onhand.InsufficientStock, scrap)
        scrap()
        self.on_hand[(sku, warehouse_of(location))] -= qty

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def every_promise_is_kept(self) -> None:
        books = self.books()
        assert problems(books) == []
        assert books.on_hand == {key: n for key, n in self.on_hand.items() if n}
        assert books.shipped == books.shipped_by_lines

    @invariant()
    def refused_requests_wrote_nothing(self) -> None:
        with self.inv.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM orders")).scalar_one() == len(
                self.orders)
        count, low, high = event_ids(self.inv.engine)
        assert (low, high) == ((1, count) if count else (0, 0)), "the outbox has a gap"


def test_random_orders_holds_and_movements_keep_every_promise(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in clocked_modules():
        monkeypatch.setattr(module, "utcnow", CLOCK)
    Orders.new_database = staticmethod(lambda: databases.fresh(tmp_path))  # type: ignore[method-assign]
    Orders.drop_database = staticmethod(databases.drop)  # type: ignore[method-assign]
    # no shrinking: each example is a fresh database, so shrinking a failure takes minutes;
    # the failing steps are printed as they ran
    run_state_machine_as_test(Orders, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=50, deadline=None, database=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
