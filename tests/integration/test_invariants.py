"""The invariants of DESIGN.md §1, as properties of random sequences of operations.

A model in this file predicts what each operation must do (post, replay its first result, or
raise which error) from the movements written so far, and after every step the database
must agree with the model: the ledger is what was written and nothing else, balances are
the fold of the ledger, they sum to zero per item, and stock that must not go negative does
not. Operations: receipts, shipments, returns (against a shipment or not), adjustments,
scraps, transfers (through transit too), batches (with a bad line or not), reversals,
backdated times, and retries with the same key, of requests that succeeded or failed.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

import onhand
from onhand.db.tables import balances, items, locations
from tests.conftest import Databases

# sku -> (decimals, allow_negative)
ITEMS = {"MUG-BLUE": (0, False), "ROPE-10MM": (2, False), "GIFT-WRAP": (0, True)}
INTERNAL = ("WH1", "WH1/A-01", "WH1/A-02", "WH2")
HOLDS_STOCK = (*INTERNAL, "transit")
PLACES = (*HOLDS_STOCK, "supplier", "customer", "loss")
BACKDATED = (timedelta(0), timedelta(minutes=30), timedelta(hours=1), timedelta(days=1),
             timedelta(days=2))
KEYS = tuple(f"scan-{n}" for n in range(12))
LATER = datetime.max.replace(tzinfo=UTC)  # "now": after every stored movement

skus = st.sampled_from(sorted(ITEMS))
amounts = st.integers(min_value=1, max_value=6)
places = st.sampled_from(INTERNAL)
ago = st.one_of(st.none(), st.none(), st.sampled_from(BACKDATED))  # None: occurred_at defaulted
keys = st.one_of(st.none(), st.none(), st.sampled_from(KEYS))


def quantity(sku: str, amount: int) -> int | Decimal:
    """Return a quantity of ``sku``: whole units, or quarter metres for the rope."""
    return Decimal(amount) / 4 if ITEMS[sku][0] else amount


def units(sku: str, qty: int | Decimal) -> int:
    """Return ``qty`` of ``sku`` as a scaled integer, as the model counts."""
    scaled = Decimal(qty).scaleb(ITEMS[sku][0])
    assert scaled == scaled.to_integral_value()
    return int(scaled)


@dataclass(frozen=True)
class Flow:
    """What the model expects a line to move: ``qty`` units from ``source`` to ``target``."""

    kind: str
    sku: str
    source: str
    target: str
    qty: int
    at: datetime | None  # None: dated "now"
    reverses: int | None = None
    shipment_id: int | None = None


class Prediction(Exception):
    """What the model expects instead of a posting: an error class, or a replayed result."""

    def __init__(self, error: type[onhand.OnhandError] | None = None,
                 replay: list[onhand.Movement] | None = None, line: int | None = None) -> None:
        super().__init__(error.__name__ if error else "replay")
        self.error, self.replay, self.line = error, replay, line


class Ledger(RuleBasedStateMachine):
    """An inventory on a fresh database, and a model of what it must hold."""

    new_database: Callable[[], str]
    drop_database: Callable[[str], None]

    def __init__(self) -> None:
        super().__init__()
        self.url = self.new_database()
        self.inv = onhand.open(self.url)
        for path in INTERNAL:
            self.inv.add_location(path)
        for sku, (decimals, allow_negative) in ITEMS.items():
            self.inv.add_item(sku=sku, name=sku.title(), decimals=decimals,
                              allow_negative=allow_negative)
        self.start = datetime.now(UTC)
        self.written: dict[int, onhand.Movement] = {}  # every movement, as first returned
        self.keyed: dict[str, tuple[tuple[str, dict[str, Any]], list[onhand.Movement]]] = {}
        # requests that were rejected, each with how the model predicts its outcome
        self.failed: list[tuple[str, dict[str, Any], Callable[[], list[Flow]]]] = []

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # a failed step is reported as it is, not masked
                self.check_ledger_and_stock()
        finally:
            self.inv.close()
            self.drop_database(self.url)

    # --- the model ------------------------------------------------------------------------------

    def at(self, back: timedelta | None) -> datetime | None:
        return None if back is None else self.start - back

    def fold(self, until: datetime | None = None) -> dict[tuple[str, str], int]:
        """Return every balance (virtual places too) from the movements written, up to ``until``."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for m in self.written.values():
            if until is None or m.occurred_at <= until:
                totals[(m.sku, m.source)] -= units(m.sku, m.qty)
                totals[(m.sku, m.target)] += units(m.sku, m.qty)
        return {key: qty for key, qty in totals.items() if qty}

    def reversed_by(self, movement_id: int) -> int | None:
        return next((m.id for m in self.written.values() if m.reverses == movement_id), None)

    def dips(self, flows: list[Flow]) -> bool:
        """Tell whether adding ``flows`` takes a guarded balance below zero at any time."""
        for flow in flows:
            if flow.source not in HOLDS_STOCK or ITEMS[flow.sku][1]:
                continue
            guarded = (flow.sku, flow.source)
            timeline = [(m.occurred_at, m.id, units(m.sku, m.qty) * sign)
                        for m in self.written.values() for place, sign in
                        ((m.source, -1), (m.target, 1)) if (m.sku, place) == guarded]
            timeline += [(f.at or LATER, (1 << 62) + k, f.qty * sign)
                         for k, f in enumerate(flows) for place, sign in
                         ((f.source, -1), (f.target, 1)) if (f.sku, place) == guarded]
            balance = 0
            for _, _, delta in sorted(timeline):
                balance += delta
                if balance < 0:
                    return True
        return False

    def flow(self, kind: str, sku: str, qty: int | Decimal, *, location: str = "",
             source: str = "", target: str = "", at: datetime | None = None) -> Flow:
        routes = {"receipt": ("supplier", location), "shipment": (location, "customer"),
                  "return": ("customer", location), "scrap": (location, "loss"),
                  "transfer": (source, target)}
        if kind == "adjustment":
            routes["adjustment"] = ("loss", location) if qty > 0 else (location, "loss")
        where = routes[kind]
        return Flow(kind, sku, where[0], where[1], units(sku, abs(qty)), at)

    def expect(self, method: str, kwargs: dict[str, Any], flows: Iterable[Flow]) -> list[Flow]:
        """Return the flows a request must post, or raise the ``Prediction`` it must meet."""
        key = kwargs.get("key")
        if key in self.keyed:
            (first_method, first_kwargs), result = self.keyed[key]
            if (first_method, first_kwargs) == (method, kwargs):
                raise Prediction(replay=result)
            raise Prediction(onhand.IdempotencyConflict)
        flows = list(flows)
        if self.dips(flows):
            raise Prediction(onhand.InsufficientStock)
        return flows

    # --- posting and comparing ------------------------------------------------------------------

    def attempt(self, method: str, kwargs: dict[str, Any],
                predict: Callable[[], list[Flow]]) -> None:
        """Send one request and check the outcome, the movements and the key against the model."""
        try:
            flows, prediction = predict(), None
        except Prediction as expected:
            flows, prediction = [], expected
        sent = datetime.now(UTC)
        try:
            result = getattr(self.inv, method)(**kwargs)
        except onhand.OnhandError as error:
            assert prediction is not None and prediction.error is not None, (
                f"{method}({kwargs}) raised {error!r}; the model expected it to succeed")
            assert isinstance(error, prediction.error), (
                f"{method}({kwargs}) raised {error!r}, expected {prediction.error.__name__}")
            if prediction.line is not None:
                assert error.fields().get("line") == prediction.line
            self.failed.append((method, kwargs, predict))
            return
        movements = result if isinstance(result, list) else [result]
        if prediction is not None:
            assert prediction.replay is not None, (
                f"{method}({kwargs}) succeeded; expected {prediction.error.__name__}")
            assert movements == prediction.replay, "a retry did not return the first result"
            return
        self.compare(movements, flows, sent)
        for movement in movements:
            assert movement.id not in self.written, "a new posting reused a movement id"
            self.written[movement.id] = movement
        if kwargs.get("key"):
            self.keyed[kwargs["key"]] = ((method, kwargs), movements)

    @staticmethod
    def compare(movements: list[onhand.Movement], flows: list[Flow], sent: datetime) -> None:
        assert len(movements) == len(flows)
        for movement, flow in zip(movements, flows, strict=True):
            assert (movement.kind, movement.sku, movement.source, movement.target,
                    units(movement.sku, movement.qty), movement.reverses,
                    movement.shipment_id) == (
                flow.kind, flow.sku, flow.source, flow.target, flow.qty, flow.reverses,
                flow.shipment_id)
            if flow.at is None:
                assert sent <= movement.occurred_at <= datetime.now(UTC)
            else:
                assert movement.occurred_at == flow.at

    def post(self, method: str, kwargs: dict[str, Any], flow: Flow) -> None:
        self.attempt(method, kwargs, lambda: self.expect(method, kwargs, [flow]))

    # --- rules: one per kind of request ---------------------------------------------------------

    @initialize(amounts=st.lists(st.integers(min_value=0, max_value=12),
                                 min_size=len(ITEMS) * len(INTERNAL),
                                 max_size=len(ITEMS) * len(INTERNAL)))
    def opening_stock(self, amounts: list[int]) -> None:
        """Receive some opening stock three days back, in one batch (zero amounts left out)."""
        at = self.start - timedelta(days=3)
        pairs = [(sku, place) for sku in sorted(ITEMS) for place in INTERNAL]
        lines = [{"kind": "receipt", "sku": sku, "qty": quantity(sku, amount),
                  "location": place, "occurred_at": at}
                 for (sku, place), amount in zip(pairs, amounts, strict=True) if amount]
        if lines:
            flows = [self.flow("receipt", line["sku"], line["qty"], location=line["location"],
                               at=at) for line in lines]
            kwargs = {"lines": lines}
            self.attempt("post_batch", kwargs, lambda: self.expect("post_batch", kwargs, flows))

    @rule(sku=skus, amount=amounts, location=places, back=ago, key=keys)
    def receive(self, sku: str, amount: int, location: str, back: timedelta | None,
                key: str | None) -> None:
        qty, at = quantity(sku, amount), self.at(back)
        kwargs = {"sku": sku, "qty": qty, "location": location, "occurred_at": at, "key": key}
        self.post("receive", kwargs, self.flow("receipt", sku, qty, location=location, at=at))

    @rule(sku=skus, amount=amounts, location=places, back=ago, key=keys)
    def ship(self, sku: str, amount: int, location: str, back: timedelta | None,
             key: str | None) -> None:
        qty, at = quantity(sku, amount), self.at(back)
        kwargs = {"sku": sku, "qty": qty, "location": location, "occurred_at": at, "key": key}
        self.post("ship", kwargs, self.flow("shipment", sku, qty, location=location, at=at))

    @rule(sku=skus, amount=amounts, location=places, back=ago, key=keys,
          negative=st.booleans())
    def adjust(self, sku: str, amount: int, location: str, back: timedelta | None,
               key: str | None, negative: bool) -> None:
        qty, at = quantity(sku, -amount if negative else amount), self.at(back)
        kwargs = {"sku": sku, "qty": qty, "location": location, "reason": "count",
                  "occurred_at": at, "key": key}
        self.post("adjust", kwargs, self.flow("adjustment", sku, qty, location=location, at=at))

    @rule(sku=skus, amount=amounts, location=places, back=ago, key=keys)
    def scrap(self, sku: str, amount: int, location: str, back: timedelta | None,
              key: str | None) -> None:
        qty, at = quantity(sku, amount), self.at(back)
        kwargs = {"sku": sku, "qty": qty, "location": location, "reason": "broken",
                  "occurred_at": at, "key": key}
        self.post("scrap", kwargs, self.flow("scrap", sku, qty, location=location, at=at))

    @rule(sku=skus, amount=amounts, ends=st.permutations(HOLDS_STOCK), back=ago, key=keys)
    def transfer(self, sku: str, amount: int, ends: list[str], back: timedelta | None,
                 key: str | None) -> None:
        qty, at, (source, target) = quantity(sku, amount), self.at(back), ends[:2]
        kwargs = {"sku": sku, "qty": qty, "source": source, "target": target,
                  "occurred_at": at, "key": key}
        self.post("transfer", kwargs,
                  self.flow("transfer", sku, qty, source=source, target=target, at=at))

    @rule(sku=skus, amount=amounts, location=places, back=ago, key=keys)
    def return_without_a_shipment(self, sku: str, amount: int, location: str,
                                  back: timedelta | None, key: str | None) -> None:
        qty, at = quantity(sku, amount), self.at(back)
        kwargs = {"sku": sku, "qty": qty, "location": location, "occurred_at": at, "key": key}
        self.post("return_", kwargs, self.flow("return", sku, qty, location=location, at=at))

    def shipments(self) -> list[onhand.Movement]:
        return [m for m in self.written.values() if m.kind == "shipment" and m.reverses is None]

    @precondition(lambda self: self.shipments())
    @rule(data=st.data(), amount=amounts, location=places, key=keys)
    def return_against_a_shipment(self, data: st.DataObject, amount: int, location: str,
                                  key: str | None) -> None:
        shipment = data.draw(st.sampled_from(self.shipments()), label="shipment")
        qty = quantity(shipment.sku, amount)
        kwargs = {"sku": shipment.sku, "qty": qty, "location": location,
                  "shipment_id": shipment.id, "key": key}
        flow = replace(self.flow("return", shipment.sku, qty, location=location),
                       shipment_id=shipment.id)

        def predict() -> list[Flow]:
            if key not in self.keyed:
                returned = sum(units(m.sku, m.qty) for m in self.written.values()
                               if m.shipment_id == shipment.id and self.reversed_by(m.id) is None)
                if self.reversed_by(shipment.id) is not None:
                    raise Prediction(onhand.InvalidInput)
                if returned + flow.qty > units(shipment.sku, shipment.qty):
                    raise Prediction(onhand.InvalidQuantity)
            return self.expect("return_", kwargs, [flow])

        self.attempt("return_", kwargs, predict)

    @precondition(lambda self: self.written)
    @rule(data=st.data(), key=keys)
    def reverse(self, data: st.DataObject, key: str | None) -> None:
        original = self.written[data.draw(st.sampled_from(sorted(self.written)), label="id")]
        kwargs = {"movement_id": original.id, "reason": "undo", "key": key}
        flow = Flow(original.kind, original.sku, original.target, original.source,
                    units(original.sku, original.qty), None, reverses=original.id)

        def predict() -> list[Flow]:
            if key not in self.keyed and self.reversed_by(original.id) is not None:
                raise Prediction(onhand.AlreadyReversed)
            live_returns = [m for m in self.written.values()
                            if m.shipment_id == original.id and self.reversed_by(m.id) is None]
            if key not in self.keyed and original.kind == "shipment" and live_returns:
                raise Prediction(onhand.Conflict)  # reverse the returns first
            return self.expect("reverse", kwargs, [flow])

        self.attempt("reverse", kwargs, predict)

    @rule(lines=st.lists(st.tuples(st.sampled_from(["receipt", "shipment", "transfer", "scrap"]),
                                   skus, amounts, st.permutations(HOLDS_STOCK), ago),
                         min_size=1, max_size=4),
          bad=st.one_of(st.none(), st.none(), st.none(), st.integers(min_value=0, max_value=3)),
          key=keys)
    def batch(self, lines: list[tuple[str, str, int, list[str], timedelta | None]],
              bad: int | None, key: str | None) -> None:
        batch: list[dict[str, Any]] = []
        flows: list[Flow] = []
        for kind, sku, amount, ends, back in lines:
            qty, at = quantity(sku, amount), self.at(back)
            place = ends[0] if ends[0] in INTERNAL else "WH1"
            line: dict[str, Any] = {"kind": kind, "sku": sku, "qty": qty, "occurred_at": at}
            if kind == "transfer":
                line |= {"source": ends[0], "target": ends[1]}
                flows.append(self.flow(kind, sku, qty, source=ends[0], target=ends[1], at=at))
            else:
                line |= {"location": place} | ({"reason": "broken"} if kind == "scrap" else {})
                flows.append(self.flow(kind, sku, qty, location=place, at=at))
            batch.append(line)
        if bad is not None and bad < len(batch) and len(batch) > 1:
            batch[bad] = {**batch[bad], "qty": 0}
        kwargs = {"lines": batch, "key": key}

        def predict() -> list[Flow]:
            if key not in self.keyed and any(line["qty"] == 0 for line in batch):
                raise Prediction(onhand.InvalidQuantity, line=bad + 1 if bad is not None else None)
            return self.expect("post_batch", kwargs, flows)

        self.attempt("post_batch", kwargs, predict)

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), change=st.booleans())
    def retry_a_request_that_succeeded(self, data: st.DataObject, change: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.keyed)), label="key")
        (method, kwargs), first = self.keyed[key]
        if change:  # the same key for something else: a conflict, whatever it is
            other = {"sku": "MUG-BLUE", "qty": 1, "location": "WH2", "key": key,
                     "reference": "another request"}
            self.attempt("receive", other, lambda: self.expect("receive", other, []))
        else:
            self.attempt(method, kwargs, lambda: self.expect(method, kwargs, []))

    @precondition(lambda self: self.failed)
    @rule(data=st.data())
    def retry_a_request_that_failed(self, data: st.DataObject) -> None:
        """Send a rejected request again: it may pass now, or fail again, or meet its key used."""
        index = data.draw(st.integers(0, len(self.failed) - 1), label="failed request")
        method, kwargs, predict = self.failed.pop(index)
        self.attempt(method, kwargs, predict)

    # --- checks ---------------------------------------------------------------------------------

    @invariant()
    def balances_are_the_fold_of_the_ledger_and_sum_to_zero(self) -> None:
        stored = self.balance_rows()
        assert {key: qty for key, qty in stored.items() if qty} == self.fold()
        for sku in ITEMS:
            assert sum(qty for (s, _), qty in stored.items() if s == sku) == 0, sku
        for (sku, place), qty in stored.items():
            if place in HOLDS_STOCK and not ITEMS[sku][1]:
                assert qty >= 0, f"{sku} at {place} is {qty}"

    def balance_rows(self) -> dict[tuple[str, str], int]:
        query = (select(items.c.sku, locations.c.path, balances.c.qty)
                 .join(items, items.c.id == balances.c.item_id)
                 .join(locations, locations.c.id == balances.c.location_id))
        with self.inv.engine.connect() as conn:
            return {(row.sku, row.path): int(row.qty) for row in conn.execute(query)}

    @rule(data=st.data())
    def stock_as_of_a_past_time_is_the_fold_up_to_then(self, data: st.DataObject) -> None:
        times = [self.start - back - timedelta(minutes=1) for back in BACKDATED]
        times += [m.occurred_at for m in self.written.values()]
        when = data.draw(st.sampled_from(sorted(set(times))), label="as_of")
        sku = data.draw(skus, label="sku")
        self.check_stock(sku, self.fold(until=when), when)

    def check_stock(self, sku: str, fold: dict[tuple[str, str], int],
                    when: datetime | None) -> None:
        def expected(within: str | None) -> int:
            places = INTERNAL if within is None else [
                p for p in HOLDS_STOCK if p == within or p.startswith(within + "/")]
            return sum(fold.get((sku, p), 0) for p in places)

        for within in (None, *HOLDS_STOCK):
            level = self.inv.stock(sku=sku, location=within, as_of=when)
            assert units(sku, level.on_hand) == expected(within), (sku, within, when)

    def check_ledger_and_stock(self) -> None:
        history = self.inv.history(limit=100_000)
        expected = sorted(self.written.values(), key=lambda m: (m.occurred_at, m.id))
        assert history == expected, "the ledger is not exactly the movements written"
        fold = self.fold()
        for sku in ITEMS:
            self.check_stock(sku, fold, None)
        report = self.inv.verify()
        assert report.ok, report.problems
        assert report.movements == len(self.written)



def test_random_sequences_of_operations_keep_every_invariant(databases: Databases,
                                                            tmp_path: Path) -> None:
    Ledger.new_database = staticmethod(lambda: databases.fresh(tmp_path))  # type: ignore[method-assign]
    Ledger.drop_database = staticmethod(databases.drop)  # type: ignore[method-assign]
    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=40, stateful_step_count=50, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    ))
