"""Stored values: every movement's value is kept, and a backdated movement appends
revaluations of only the later movements of its item, equal to a rebuild from scratch.

Expected figures are worked out by hand in each test (DESIGN.md §6), never copied from the
code's output.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import onhand
from onhand.domain.valuation import Entry, replay
from onhand.errors import InsufficientStock
from onhand.services import valuer
from tests.factories import mug

SKU = "MUG-BLUE"
BIN = "WH1/A-01"


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def entries(inv: onhand.Inventory, sku: str = SKU) -> list[tuple[Any, ...]]:
    return [(e.movement_id, e.occurred_at.date().isoformat(), e.category, e.qty, e.value,
             e.cause_id) for e in inv.value_entries(sku=sku)]


def test_each_movement_is_valued_once_and_a_backdated_receipt_revalues_only_later_sales(
        inv: onhand.Inventory) -> None:
    """Warren, Reeve & Duchac's FIFO year (as in test_valuation.py), valued as it is posted:
    Apr 19 takes 2,400 × 40 = 96,000.00 and Sep 2 takes 1,500 × 40 + 3,300 × 43 =
    201,900.00. A receipt of 1,000 at $30 dated Mar 1 leaves Apr 19 alone (the Jan layer
    still covers it) and makes Sep 2 take 1,500 × 40 + 1,000 × 30 + 2,300 × 43 = 188,900.00:
    one revaluation of +13,000.00 dated Sep 2, naming the receipt."""
    mug(inv)
    posted = []
    for qty, cost, when in ((3900, 40, on(1, 1)), (-2400, None, on(4, 19)),
                            (4500, 43, on(6, 30)), (-4800, None, on(9, 2)),
                            (2200, 46, on(11, 15))):
        if cost is None:
            posted.append(inv.ship(sku=SKU, qty=-qty, location=BIN, occurred_at=when))
        else:
            posted.append(inv.receive(sku=SKU, qty=qty, location=BIN, unit_cost=D(cost),
                                      occurred_at=when))
        inv.valuation(sku=SKU)  # a reader values what was posted
    jan, apr, jun, sep, nov = (m.id for m in posted)
    assert entries(inv) == [
        (jan, "2026-01-01", "receipt", 3900, D("156000.00"), None),
        (apr, "2026-04-19", "sale", -2400, D("-96000.00"), None),
        (jun, "2026-06-30", "receipt", 4500, D("193500.00"), None),
        (sep, "2026-09-02", "sale", -4800, D("-201900.00"), None),
        (nov, "2026-11-15", "receipt", 2200, D("101200.00"), None)]
    mar = inv.receive(sku=SKU, qty=1000, location=BIN, unit_cost=D(30), occurred_at=on(3, 1))
    after = entries(inv)
    assert after[1] == (mar.id, "2026-03-01", "receipt", 1000, D("30000.00"), None)
    assert [e for e in after if e[5] is not None] == [
        (sep, "2026-09-02", "sale", 0, D("13000.00"), mar.id)]
    [item] = inv.valuation(sku=SKU)
    assert (item.on_hand, item.value) == (4400, D("195800.00"))
    assert inv.verify().ok


def test_a_backdated_receipt_moves_every_later_average_cost(inv: onhand.Inventory) -> None:
    """10 at 2.00 and 20 at 3.50, a sale of 7 (round(90.00 × 7 ÷ 30) = 21.00), 5 at 4.10, a
    sale of 28 (the 28 left, exactly 89.50). Then 10 at 1.00 dated before them all: the first
    sale takes round(100.00 × 7 ÷ 40) = 17.50 (+3.50), leaving 33 worth 82.50; with 20.50
    more, 38 worth 103.00, the second takes round(103.00 × 28 ÷ 38) = 75.89 (+13.61):
    27.11 left for 10 units (receipts 120.50 − 17.50 − 75.89)."""
    mug(inv, cost_method="average")
    inv.receive(sku=SKU, qty=10, location=BIN, unit_cost=D("2.00"), occurred_at=on(2, 1))
    inv.receive(sku=SKU, qty=20, location=BIN, unit_cost=D("3.50"), occurred_at=on(2, 2))
    first = inv.ship(sku=SKU, qty=7, location=BIN, occurred_at=on(2, 3))
    inv.receive(sku=SKU, qty=5, location=BIN, unit_cost=D("4.10"), occurred_at=on(2, 5))
    second = inv.ship(sku=SKU, qty=28, location=BIN, occurred_at=on(2, 6))
    assert inv.valuation(sku=SKU)[0].value == D("0.00")
    early = inv.receive(sku=SKU, qty=10, location=BIN, unit_cost=D("1.00"),
                        occurred_at=on(1, 31))
    [item] = inv.valuation(sku=SKU)
    assert (item.on_hand, item.value) == (10, D("27.11"))
    assert [e for e in entries(inv) if e[5] is not None] == [
        (first.id, "2026-02-03", "sale", 0, D("3.50"), early.id),
        (second.id, "2026-02-06", "sale", 0, D("13.61"), early.id)]
    feb = inv.cogs(since=on(2, 1).date(), until=on(2, 28).date(), sku=SKU)[0]
    assert feb.cogs == D("93.39")  # 17.50 + 75.89, as a rebuild says


def test_a_backdated_movement_carries_on_from_the_checkpoint_before_it(
        inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a checkpoint every 4 movements, 40 movements valued as they come, then a receipt
    dated between the 30th and 31st: the valuer replays from the checkpoint after the 28th,
    so it values 13 movements (the 12 after it and the new one), not 41, and agrees with a
    rebuild from scratch."""
    monkeypatch.setattr(valuer, "CHECKPOINT_EVERY", 4)
    mug(inv)
    for n in range(40):
        when = on(1, 1) + timedelta(hours=n)
        if n % 2 == 0:
            inv.receive(sku=SKU, qty=10, location=BIN, unit_cost=D(n + 1), occurred_at=when)
        else:
            inv.ship(sku=SKU, qty=7, location=BIN, occurred_at=when)
        if n % 5 == 4:
            inv.valuation(sku=SKU)
    inv.receive(sku=SKU, qty=3, location=BIN, unit_cost=D("0.10"),
                occurred_at=on(1, 1) + timedelta(hours=29, minutes=30))
    uow = inv._uow()  # the valuer's own entry point, to count what it values
    with uow:
        assert valuer.catch_up(uow) == 13
        uow.commit()
    assert inv.verify().ok
    assert inv.valuation(sku=SKU)[0].value == _replayed(inv)


def _replayed(inv: onhand.Inventory, sku: str = SKU) -> D:
    """The item's value by the pure engine, from the ledger's receipts and shipments."""
    moved = inv.history(sku=sku, limit=10_000)
    return replay([Entry(m.id, "receipt" if m.kind == "receipt" else "shipment", m.qty,
                         m.occurred_at, m.unit_cost) for m in moved],
                  method="fifo", currency="USD").state.value


def test_two_readers_at_once_value_each_movement_once(inv: onhand.Inventory) -> None:
    """Readers racing to value the same movements: each movement gets one first value."""
    mug(inv)
    inv.post_batch([{"kind": "receipt" if n % 2 == 0 else "shipment", "sku": SKU,
                     "qty": 5 if n % 2 == 0 else 3, "location": BIN,
                     "unit_cost": D(n + 1) if n % 2 == 0 else None,
                     "occurred_at": on(1, 1) + timedelta(minutes=n)} for n in range(200)])
    threads = [threading.Thread(target=inv.valuation, kwargs={"sku": SKU}) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = inv.value_entries(sku=SKU)
    assert len(found) == 200 and len({e.movement_id for e in found}) == 200
    assert inv.verify().ok


_skus, _extras = itertools.count(), itertools.count(1)
steps = st.lists(st.tuples(st.sampled_from(["receipt", "shipment", "scrap", "return", "read",
                                            "landed", "revalue"]),
                           st.integers(1, 12), st.integers(0, 40 * 24),
                           st.decimals(0, 50, places=2)), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, method=st.sampled_from(["fifo", "average"]))
def test_values_kept_as_movements_come_equal_a_rebuild_from_scratch(
        inv: onhand.Inventory, steps: list[tuple[str, int, int, D]], method: str) -> None:
    """Movements posted in any order of business time (backdated ones among them), landed
    costs and revaluations of uncosted stock among them, read at any point: the stored values
    equal a rebuild from scratch (verify), and the value at every moment equals the engine's
    replay of the movements up to it (keyed as the valuer orders them: a landed cost by 2**50
    and its line's id, a revaluation by 2**51 and its id, both in creation order)."""
    sku = f"P-{next(_skus)}"
    mug(inv, sku=sku, cost_method=method)
    posted: list[Entry] = []
    shipments: list[int] = []
    receipts: list[Entry] = []
    for kind, qty, hours, cost in steps:
        when = on(1, 1) + timedelta(hours=hours)
        later = when + timedelta(minutes=30)  # never at the same moment as a movement
        try:
            if kind == "read":
                inv.valuation(sku=sku)
            elif kind == "receipt":
                given = None if cost < 1 else cost  # now and then one without a cost
                m = inv.receive(sku=sku, qty=qty, location=BIN, unit_cost=given,
                                occurred_at=when)
                posted.append(Entry(m.id, "receipt", qty, when, given))
                receipts.append(posted[-1])
            elif kind == "landed" and receipts:
                receipt = receipts[hours % len(receipts)]
                number = next(_extras)
                inv.add_landed_cost(f"L-{number}", amount=cost + D("0.01"), basis="qty",
                                    receipts=[receipt.key], occurred_at=later)
                posted.append(Entry(2**50 + number, "landed_cost", receipt.qty, later,
                                    receipt=receipt.key, amount=cost + D("0.01")))
            elif kind == "revalue":
                number = next(_extras)
                inv.revalue(sku, unit_cost=cost, reference=f"R-{number}", occurred_at=later)
                posted.append(Entry(2**51 + number, "revaluation", 0, later, cost))
            elif kind in ("shipment", "scrap"):
                m = (inv.ship(sku=sku, qty=qty, location=BIN, occurred_at=when)
                     if kind == "shipment" else
                     inv.scrap(sku=sku, qty=qty, location=BIN, reason="broken", occurred_at=when))
                posted.append(Entry(m.id, kind, qty, when))
                shipments += [m.id] if kind == "shipment" else []
            elif shipments:
                shipment = shipments[hours % len(shipments)]
                m = inv.return_(sku=sku, qty=1, location=BIN, shipment_id=shipment,
                                occurred_at=when)
                posted.append(Entry(m.id, "return", 1, when, shipment=shipment))
        except (InsufficientStock, onhand.InvalidQuantity, onhand.InvalidTime):
            continue  # refused by the ledger: nothing written
    inv.catch_up_valuation()
    assert inv.verify().ok
    for moment in [on(1, 1) + timedelta(hours=h) for h in (0, 100, 400, 960)] + [None]:
        before = [e for e in posted if moment is None or e.occurred_at <= moment]
        expected = replay(before, method=method, currency="USD", lenient=True).state
        [found] = inv.valuation(sku=sku, as_of=moment)
        assert (found.on_hand, found.value, found.uncosted) == (
            expected.on_hand, expected.value, expected.uncosted)
