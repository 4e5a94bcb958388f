"""Valuation properties (Hypothesis): value is conserved, FIFO costs the oldest units, the
average never moves on an outbound, zero units are worth zero, and a rebuild gives the same.

A driver in this file posts random operations through the public methods of
:class:`Valuation` (keeping, as a service would, the shipments a return can refer to) and
records each as an :class:`Entry`, so the same history can be replayed from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from onhand.domain.valuation import (
    IN,
    OUT,
    Entry,
    Shipped,
    Take,
    Valuation,
    ValuationState,
    Valued,
    replay,
)

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CENT = Decimal("0.01")

qtys = st.integers(min_value=1, max_value=40)
costs = st.decimals(min_value=0, max_value=500, places=3)  # finer than the cent, on purpose
maybe_cost = st.one_of(st.none(), costs)
picks = st.integers(min_value=0, max_value=1000)
operation = st.one_of(
    st.tuples(st.just("receipt"), qtys, maybe_cost),
    st.tuples(st.just("receipt"), qtys, costs),  # twice: mostly costed receipts
    st.tuples(st.just("shipment"), qtys, picks),
    st.tuples(st.just("scrap"), qtys, picks),
    st.tuples(st.just("gain"), qtys, maybe_cost),
    st.tuples(st.just("return"), qtys, picks),
    st.tuples(st.just("unlinked_return"), qtys, maybe_cost),
    st.tuples(st.just("supplier_return"), qtys, picks),
    st.tuples(st.just("transfer"), qtys, picks),
)
operations = st.lists(operation, max_size=40)
Op = tuple[str, int, Decimal | int | None]  # kind, qty, a cost or which shipment/receipt
methods = st.sampled_from(["fifo", "average"])


@dataclass
class Step:
    """One posting: the state before it, what it was worth, the state after it."""

    before: ValuationState
    valued: Valued
    after: ValuationState


@dataclass
class Driver:
    """Posts operations through the public API; keeps shipments, receipts and entries."""

    book: Valuation
    below_zero: bool = True  # whether an outbound may take more than is on hand
    key: int = 0
    entries: list[Entry] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    shipments: dict[int, tuple[tuple[Take, ...], int]] = field(default_factory=dict)
    receipts: list[int] = field(default_factory=list)

    def run(self, ops: list[Op]) -> Driver:
        for kind, qty, extra in ops:
            self.post(kind, qty, extra)
        return self

    def post(self, kind: str, qty: int, extra: Decimal | int | None) -> None:
        on_hand = int(self.book.state().on_hand)
        if kind in ("shipment", "scrap", "supplier_return") and not self.below_zero:
            qty = min(qty, on_hand)
        if kind == "return":
            qty = self._returnable(qty, extra)
        if qty <= 0:
            return
        self.key += 1
        at = START + timedelta(minutes=self.key // 2)  # pairs share a time: posting order decides
        before = self.book.state()
        valued, entry = self._post(kind, qty, extra, at)
        self.steps.append(Step(before, valued, self.book.state()))
        self.entries.append(entry)

    def _post(self, kind: str, qty: int, extra: Decimal | int | None,
              at: datetime) -> tuple[Valued, Entry]:
        book, key = self.book, self.key
        if kind == "receipt":
            cost = extra if isinstance(extra, Decimal) else None
            self.receipts.append(key)
            return book.receive(qty, cost, key=key, occurred_at=at), Entry(key, kind, qty, at, cost)
        if kind in ("shipment", "scrap"):
            valued = book.outbound(qty, key=key)
            if kind == "shipment":
                self.shipments[key] = (valued.takes, 0)
            return valued, Entry(key, kind, qty, at)
        if kind in ("gain", "unlinked_return"):
            cost = self._cost(extra)
            if kind == "gain":
                return (book.gain(qty, key=key, occurred_at=at, unit_cost=cost),
                        Entry(key, "count", qty, at, cost))
            return (book.customer_return(qty, key=key, occurred_at=at, unit_cost=cost),
                    Entry(key, "return", qty, at, cost))
        if kind == "return":
            shipment = self._shipment(extra)
            takes, returned = self.shipments[shipment]
            self.shipments[shipment] = (takes, returned + qty)
            return (book.customer_return(qty, key=key, occurred_at=at,
                                         shipped=Shipped(takes, returned)),
                    Entry(key, kind, qty, at, shipment=shipment))
        if kind == "supplier_return":
            receipt = self.receipts[int(extra or 0) % len(self.receipts)] if self.receipts else None
            return (book.supplier_return(qty, key=key, receipt=receipt),
                    Entry(key, kind, qty, at, receipt=receipt))
        return transfer_of(book, Entry(key, "transfer", qty, at))

    def _cost(self, extra: Decimal | int | None) -> Decimal | None:
        """The cost drawn, else none (the current cost), or 1.25 where no cost is known yet."""
        if isinstance(extra, Decimal):
            return extra
        return None if self.book.unit_cost is not None else Decimal("1.25")

    def _shipment(self, pick: Decimal | int | None) -> int:
        open_ = sorted(k for k, (takes, returned) in self.shipments.items()
                       if sum(t.qty for t in takes) > returned)
        return open_[int(pick or 0) % len(open_)]

    def _returnable(self, qty: int, pick: Decimal | int | None) -> int:
        if not any(sum(t.qty for t in takes) > returned
                   for takes, returned in self.shipments.values()):
            return 0
        takes, returned = self.shipments[self._shipment(pick)]
        return min(qty, int(sum(t.qty for t in takes)) - returned)


def transfer_of(book: Valuation, entry: Entry) -> tuple[Valued, Entry]:
    """A transfer: valuation is per item and owner, so it changes nothing."""
    return Valued(entry.key, entry.qty, book.currency.amount(0), 0), entry


def half_up(value: Fraction) -> Decimal:
    """Round an exact fraction to the cent, half-up, with the standard library's rounding."""
    with localcontext() as context:
        context.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            CENT, rounding=ROUND_HALF_UP)


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(methods, operations)
def test_value_is_conserved_after_any_sequence(method: str, ops: list[Op]) -> None:
    driver = Driver(Valuation(method, "USD")).run(ops)
    received = cogs = corrections = Decimal(0)
    for step in driver.steps:
        valued = step.valued
        assert step.after.value == step.before.value + valued.change
        assert valued.value >= 0 and valued.value == valued.value.quantize(CENT)
        received += valued.value if valued.direction == IN else 0
        cogs += valued.value if valued.direction == OUT else 0
        corrections += valued.correction
    final = driver.book.state()
    assert final.value == received - cogs - corrections
    if method == "fifo" and final.on_hand > 0:
        assert sum(layer.remaining for layer in final.layers) == final.on_hand
        assert sum(layer.remaining_value for layer in final.layers) == final.value


@settings(max_examples=300, deadline=None)
@given(methods, operations)
def test_zero_units_are_worth_exactly_zero(method: str, ops: list[Op]) -> None:
    driver = Driver(Valuation(method, "USD")).run(ops)
    on_hand = int(driver.book.state().on_hand)  # then back to zero, from either side
    driver.post("shipment" if on_hand > 0 else "receipt", abs(on_hand), Decimal("1.005"))
    assert driver.book.state().on_hand == 0
    for step in driver.steps:
        if step.after.on_hand == 0:
            assert step.after.value == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("receipt"), qtys, costs),
                          st.tuples(st.just("shipment"), qtys, picks)), max_size=40))
def test_fifo_cost_of_goods_sold_is_the_cost_of_the_oldest_units(
    ops: list[Op],
) -> None:
    driver = Driver(Valuation("fifo", "USD"), below_zero=False).run(ops)
    layers = [(entry.qty, half_up(Fraction(entry.qty) * Fraction(entry.unit_cost or 0)))
              for entry in driver.entries if entry.kind == "receipt"]
    sold = sum(int(entry.qty) for entry in driver.entries if entry.kind == "shipment")
    oldest = Decimal(0)
    for qty, value in layers:  # the first ``sold`` units, each layer at its own value
        part = min(qty, sold)
        oldest += value if part == qty else half_up(Fraction(value) * part / qty)
        sold -= part
    cogs = sum((step.valued.value for step in driver.steps if step.valued.direction == OUT),
               start=Decimal(0))
    assert cogs == oldest


@settings(max_examples=300, deadline=None)
@given(operations)
def test_an_outbound_never_moves_the_average_beyond_its_own_rounding(
    ops: list[Op],
) -> None:
    driver = Driver(Valuation("average", "USD"), below_zero=False).run(ops)
    for step in driver.steps:
        before, after = step.before, step.after
        if step.valued.direction != OUT or after.on_hand <= 0:
            continue
        # value after vs. the old average × units after: within half a cent
        drift = Fraction(after.value) - Fraction(before.value) * Fraction(after.on_hand) / Fraction(
            before.on_hand)
        assert abs(drift) <= Fraction(1, 200)


@settings(max_examples=200, deadline=None)
@given(methods, operations)
def test_a_rebuild_from_scratch_gives_the_same_values(
    method: str, ops: list[Op],
) -> None:
    driver = Driver(Valuation(method, "USD")).run(ops)
    rebuilt = replay(reversed(driver.entries), method=method, currency="USD")
    assert list(rebuilt.values) == [step.valued for step in driver.steps]
    assert rebuilt.state == driver.book.state()
    assert replay(driver.entries, method=method, currency="USD") == rebuilt


@settings(max_examples=200, deadline=None)
@given(methods, operations, operations)
def test_a_valuation_resumed_from_its_state_carries_on_the_same(
    method: str, first: list[Op], then: list[Op],
) -> None:
    whole = Driver(Valuation(method, "USD")).run(first)
    resumed = Driver(Valuation.resume(whole.book.state()), key=whole.key,
                     shipments=dict(whole.shipments), receipts=list(whole.receipts))
    posted_first = len(whole.steps)
    whole.run(then)
    resumed.run(then)
    assert [s.valued for s in resumed.steps] == [s.valued for s in whole.steps[posted_first:]]
    assert resumed.book.state() == whole.book.state()
