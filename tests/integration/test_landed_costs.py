"""Landed costs: freight, duty or fees spread over receipts raise the value of the units
still on hand, and the share of units already gone goes to cost of goods sold.

Every expected figure is worked out by hand in the test (DESIGN.md §6).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

import onhand
from tests.factories import mug

BIN = "WH1/A-01"


def on(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


def worth(inv: onhand.Inventory, sku: str) -> tuple[object, D]:
    [found] = inv.valuation(sku=sku)
    return found.on_hand, found.value


def march_cogs(inv: onhand.Inventory, sku: str) -> D:
    [found] = inv.cogs(since=date(2026, 3, 1), until=date(2026, 3, 31), sku=sku)
    return found.cogs


def test_freight_spread_by_value_raises_the_stock_left_and_sends_the_sold_share_to_cogs(
        inv: onhand.Inventory) -> None:
    """A: 100 at 2.00 (200.00); B: 50 at 4.00 (200.00); 40 of A sold. 90.00 of freight by
    value: 45.00 each. A's layer is worth 245.00 and has given 40 of 100 units: round(24,500 ×
    40 ÷ 100) = 9,800 cents instead of 8,000, so 18.00 goes to COGS (98.00 in all) and A's 60
    left are worth 147.00; B's 50 are worth 245.00. The last 60 of A then cost exactly
    147.00."""
    mug(inv, sku="A")
    mug(inv, sku="B")
    a = inv.receive(sku="A", qty=100, location=BIN, unit_cost=D("2.00"), occurred_at=on(1))
    b = inv.receive(sku="B", qty=50, location=BIN, unit_cost=D("4.00"), occurred_at=on(1))
    inv.ship(sku="A", qty=40, location=BIN, occurred_at=on(2))
    assert worth(inv, "A") == (60, D("120.00"))
    landed = inv.add_landed_cost("FREIGHT-1", amount=D("90.00"), receipts=[a.id, b.id],
                                 occurred_at=on(5))
    assert [(line.sku, line.amount) for line in landed.lines] == [("A", D("45.00")),
                                                                   ("B", D("45.00"))]
    assert worth(inv, "A") == (60, D("147.00"))
    assert worth(inv, "B") == (50, D("245.00"))
    assert march_cogs(inv, "A") == D("98.00")
    five = [(e.category, e.value) for e in inv.value_entries(sku="A") if e.occurred_at == on(5)]
    assert five == [("landed_cost", D("45.00")), ("sale", D("-18.00"))]
    inv.ship(sku="A", qty=60, location=BIN, occurred_at=on(6))
    assert worth(inv, "A") == (0, D("0.00"))
    assert march_cogs(inv, "A") == D("245.00")
    assert inv.verify().ok


def test_the_cent_left_by_rounding_goes_to_the_last_line(inv: onhand.Inventory) -> None:
    """100.00 by quantity over three receipts of one unit: 33.33, 33.33 and 33.34."""
    mug(inv)
    ids = [inv.receive(sku="MUG-BLUE", qty=1, location=BIN, unit_cost=D("1.00"),
                       occurred_at=on(1)).id for _ in range(3)]
    landed = inv.add_landed_cost("DUTY-1", amount=D("100.00"), basis="qty", receipts=ids,
                                 occurred_at=on(2))
    assert [line.amount for line in landed.lines] == [D("33.33"), D("33.33"), D("33.34")]
    assert worth(inv, "MUG-BLUE") == (3, D("103.00"))


def test_spread_by_weight_needs_every_item_to_have_one(inv: onhand.Inventory) -> None:
    """X weighs 2.5 a unit, 4 received (10); Y 1, 5 received (5): 10.00 by weight gives X
    round(1,000 × 10 ÷ 15) = 667 cents and Y the 333 left."""
    inv.add_item(sku="X", name="Heavy", weight=D("2.5"))
    inv.add_item(sku="Y", name="Light", weight=D("1"))
    mug(inv, sku="Z")
    x = inv.receive(sku="X", qty=4, location=BIN, unit_cost=D("1.00"), occurred_at=on(1))
    y = inv.receive(sku="Y", qty=5, location=BIN, unit_cost=D("1.00"), occurred_at=on(1))
    z = inv.receive(sku="Z", qty=5, location=BIN, unit_cost=D("1.00"), occurred_at=on(1))
    landed = inv.add_landed_cost("FREIGHT-W", amount=D("10.00"), basis="weight",
                                 receipts=[x.id, y.id], occurred_at=on(2))
    assert [line.amount for line in landed.lines] == [D("6.67"), D("3.33")]
    with pytest.raises(onhand.InvalidInput, match="Z has no weight") as caught:
        inv.add_landed_cost("FREIGHT-Z", amount=D("1.00"), basis="weight",
                            receipts=[x.id, z.id], occurred_at=on(2))
    assert caught.value.field == "basis"


def test_under_the_average_the_units_it_can_still_account_for_keep_their_share(
        inv: onhand.Inventory) -> None:
    """10 at 1.00, 4 sold; 5.00 of freight: min(6 on hand, 10) = 6 of its 10 units are still
    here, so stock keeps round(500 × 6 ÷ 10) = 3.00 and COGS takes 2.00: 6 units worth
    9.00, COGS 4.00 + 2.00."""
    mug(inv, cost_method="average")
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("1.00"),
                          occurred_at=on(1))
    inv.ship(sku="MUG-BLUE", qty=4, location=BIN, occurred_at=on(2))
    inv.add_landed_cost("FREIGHT-A", amount=D("5.00"), basis="qty", receipts=[receipt.id],
                        occurred_at=on(3))
    assert worth(inv, "MUG-BLUE") == (6, D("9.00"))
    assert march_cogs(inv, "MUG-BLUE") == D("6.00")


def test_a_purchase_orders_receipts_take_its_landed_cost_once_per_reference(
        inv: onhand.Inventory) -> None:
    """PO-1: 10 of A at 3.00 and 10 of B at 1.00, received. 20.00 by value: A 15.00, B 5.00.
    The same reference again answers the same; other figures under it are a conflict."""
    mug(inv, sku="A")
    mug(inv, sku="B")
    inv.add_supplier("ACME")
    inv.create_purchase_order("PO-1", [{"sku": "A", "qty": 10, "unit_cost": D("3.00")},
                                       {"sku": "B", "qty": 10, "unit_cost": D("1.00")}],
                              supplier="ACME", warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1", location=BIN)
    first = inv.add_landed_cost("FREIGHT-PO-1", amount=D("20.00"), purchase_order="PO-1")
    assert [(line.sku, line.qty, line.amount) for line in first.lines] == [
        ("A", 10, D("15.00")), ("B", 10, D("5.00"))]
    assert inv.add_landed_cost("FREIGHT-PO-1", amount=D("20.00"), purchase_order="PO-1") == first
    assert worth(inv, "A") == (10, D("45.00"))
    with pytest.raises(onhand.Conflict) as caught:
        inv.add_landed_cost("FREIGHT-PO-1", amount=D("25.00"), purchase_order="PO-1")
    assert caught.value.field == "reference"
    assert worth(inv, "A") == (10, D("45.00"))


def test_bad_landed_costs_name_the_field_and_write_nothing(inv: onhand.Inventory) -> None:
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=5, location=BIN, unit_cost=D("1.00"),
                          occurred_at=on(3))
    sale = inv.ship(sku="MUG-BLUE", qty=1, location=BIN, occurred_at=on(4))
    cases = [
        ({"amount": D("-1")}, onhand.InvalidInput, "amount"),
        ({"amount": D("1.001")}, onhand.InvalidInput, "amount"),
        ({"basis": "volume"}, onhand.InvalidInput, "basis"),
        ({"occurred_at": on(2)}, onhand.InvalidTime, "occurred_at"),
        ({"receipts": [sale.id]}, onhand.InvalidInput, "receipts"),
        ({"receipts": [10**9]}, onhand.UnknownMovement, "receipts"),
        ({"receipts": [], "purchase_order": None}, onhand.InvalidInput, "receipts"),
        ({"receipts": [], "purchase_order": "PO-NONE"}, onhand.UnknownOrder, "purchase_order"),
    ]
    for change, error, field in cases:
        arguments = {"amount": D("10.00"), "receipts": [receipt.id], "occurred_at": on(5),
                     **change}
        with pytest.raises(error) as caught:
            inv.add_landed_cost("BAD", **arguments)  # type: ignore[arg-type]
        assert caught.value.field == field, change
    inv.close_period(date(2026, 3, 10))
    with pytest.raises(onhand.PeriodClosed):
        inv.add_landed_cost("LATE", amount=D("1.00"), receipts=[receipt.id], occurred_at=on(9))
    assert worth(inv, "MUG-BLUE") == (4, D("4.00"))
    assert all(e.category != "landed_cost" for e in inv.value_entries(sku="MUG-BLUE"))


def test_a_receipt_backdated_before_a_landed_cost_revalues_as_a_rebuild_does(
        inv: onhand.Inventory) -> None:
    """FIFO: 10 at 1.00 (Mar 2), 10.00 of freight on it (Mar 3: 20.00 for the layer), 15 sold
    on Mar 4 (the 10 at 2.00 = 20.00, then 5 of a later 10 at 3.00 = 15.00). A receipt of 5
    at 0.50 dated Mar 1 comes first: the sale now takes 5 × 0.50 + 10 at 2.00 = 22.50, and the
    stored values still equal a rebuild."""
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("1.00"),
                          occurred_at=on(2))
    inv.add_landed_cost("F-1", amount=D("10.00"), receipts=[receipt.id], occurred_at=on(3))
    inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("3.00"), occurred_at=on(3))
    inv.ship(sku="MUG-BLUE", qty=15, location=BIN, occurred_at=on(4))
    assert march_cogs(inv, "MUG-BLUE") == D("35.00")
    inv.receive(sku="MUG-BLUE", qty=5, location=BIN, unit_cost=D("0.50"), occurred_at=on(1))
    assert march_cogs(inv, "MUG-BLUE") == D("22.50")
    assert worth(inv, "MUG-BLUE") == (10, D("30.00"))
    assert inv.verify().ok


def test_the_journal_books_a_landed_cost_to_inventory_and_its_sold_share_to_cogs(
        inv: onhand.Inventory) -> None:
    """10 at 1.00 received (Dr inventory 10.00, Cr GRNI), 4 sold (Dr COGS 4.00), 5.00 of
    freight by quantity on Mar 3 (Dr inventory 5.00, Cr GRNI) of which 4 ÷ 10 gone, 2.00
    (Dr COGS, Cr inventory): inventory 10 − 4 + 5 − 2 = 9.00, COGS 6.00, GRNI 15.00."""
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("1.00"),
                          occurred_at=on(1))
    inv.ship(sku="MUG-BLUE", qty=4, location=BIN, occurred_at=on(2))
    inv.add_landed_cost("F-J", amount=D("5.00"), basis="qty", receipts=[receipt.id],
                        occurred_at=on(3))
    [text] = inv.export_journal(date(2026, 3, 1), date(2026, 3, 31))
    rows = {line.split(",")[4]: line.split(",")[6:8] for line in text.splitlines()[1:]}
    assert rows["inventory"] == ["9.00", "0.00"]
    assert rows["cogs"] == ["6.00", "0.00"]
    assert rows["grni"] == ["0.00", "15.00"]


def test_a_valued_items_receipts_must_carry_a_unit_cost(inv: onhand.Inventory) -> None:
    """An item marked cost_required refuses a receipt without a cost, naming unit_cost, and
    writes nothing; other items still take one (valued at zero, reported uncosted)."""
    inv.add_item(sku="VALUED", name="Valued", cost_required=True)
    mug(inv)
    with pytest.raises(onhand.InvalidInput, match="VALUED is a valued item") as caught:
        inv.receive(sku="VALUED", qty=5, location=BIN)
    assert caught.value.field == "unit_cost"
    assert inv.history(sku="VALUED") == []
    inv.receive(sku="VALUED", qty=5, location=BIN, unit_cost=D("2.00"))
    inv.receive(sku="MUG-BLUE", qty=5, location=BIN)
    [valued] = inv.valuation(sku="VALUED")
    [plain] = inv.valuation(sku="MUG-BLUE")
    assert (valued.value, plain.value, plain.uncosted) == (D("10.00"), D("0.00"), 5)
    assert inv.item("VALUED").cost_required


def test_uncosted_stock_is_worth_nothing_until_revalued(inv: onhand.Inventory) -> None:
    """FIFO: 10 received without a cost (Mar 1), 4 shipped at zero, 5 at 2.00 (Mar 2): 11
    units worth 10.00, 6 uncosted. Revalued at 1.50 on Mar 3: the 6 become worth
    round(6 × 1.50) = 9.00 (19.00 in all), nothing uncosted; the next 6 out cost exactly
    9.00. A receipt of 2 at 1.00 backdated to Feb 28 is taken first by the Mar 1 sale, so 8
    uncosted units were on hand on Mar 3: the revaluation itself is now worth 12.00, and the
    stored values still equal a rebuild."""
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=10, location=BIN, occurred_at=on(1))
    inv.ship(sku="MUG-BLUE", qty=4, location=BIN, occurred_at=datetime(2026, 3, 1, 18, tzinfo=UTC))
    inv.receive(sku="MUG-BLUE", qty=5, location=BIN, unit_cost=D("2.00"), occurred_at=on(2))
    [before] = inv.valuation(sku="MUG-BLUE")
    assert (before.value, before.uncosted) == (D("10.00"), 6)
    done = inv.revalue("MUG-BLUE", unit_cost=D("1.50"), reference="REVAL-1", occurred_at=on(3))
    assert (done.qty, done.value) == (6, D("9.00"))
    assert inv.revalue("MUG-BLUE", unit_cost=D("1.50"), reference="REVAL-1",
                       occurred_at=on(3)) == done
    [after] = inv.valuation(sku="MUG-BLUE")
    assert (after.value, after.uncosted) == (D("19.00"), 0)
    inv.ship(sku="MUG-BLUE", qty=6, location=BIN, occurred_at=on(4))
    assert worth(inv, "MUG-BLUE") == (5, D("10.00"))
    inv.receive(sku="MUG-BLUE", qty=2, location=BIN, unit_cost=D("1.00"),
                occurred_at=datetime(2026, 2, 28, tzinfo=UTC))
    revalued = [e.value for e in inv.value_entries(sku="MUG-BLUE") if e.category == "revaluation"]
    assert sum(revalued) == D("12.00")
    assert inv.verify().ok
    with pytest.raises(onhand.Conflict):
        inv.revalue("MUG-BLUE", unit_cost=D("2.00"), reference="REVAL-1", occurred_at=on(3))
    [text] = inv.export_journal(date(2026, 3, 1), date(2026, 3, 31))
    assert "revaluation,Inventory Revaluation" in text


def test_average_uncosted_units_join_the_pool_at_the_cost_given(inv: onhand.Inventory) -> None:
    """10 without a cost and 10 at 2.00: 20 units worth 20.00, 10 uncosted. Revalued at
    1.00: +10.00, 30.00 for 20 units, nothing uncosted."""
    mug(inv, cost_method="average")
    inv.receive(sku="MUG-BLUE", qty=10, location=BIN, occurred_at=on(1))
    inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("2.00"), occurred_at=on(2))
    done = inv.revalue("MUG-BLUE", unit_cost=D("1.00"), reference="R-AVG", occurred_at=on(3))
    assert (done.qty, done.value) == (10, D("10.00"))
    [after] = inv.valuation(sku="MUG-BLUE")
    assert (after.value, after.uncosted) == (D("30.00"), 0)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.revalue("MUG-BLUE", unit_cost=D("-1"), reference="R-BAD")
    assert caught.value.field == "unit_cost"


# --- cases a review found -----------------------------------------------------------------


def test_a_landed_cost_on_uncosted_units_survives_their_revaluation(
        inv: onhand.Inventory) -> None:
    """10 received without a cost; 5.00 of freight on them (the layer is worth 5.00); revalued
    at 2.00: the 10 units are worth 20.00 + the 5.00 they carry = 25.00; one shipped costs
    round(2,500 × 1 ÷ 10) = 2.50, leaving 22.50."""
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, occurred_at=on(1))
    inv.add_landed_cost("F-U", amount=D("5.00"), basis="qty", receipts=[receipt.id],
                        occurred_at=on(2))
    done = inv.revalue("MUG-BLUE", unit_cost=D("2.00"), reference="R-U", occurred_at=on(3))
    assert (done.qty, done.value) == (10, D("20.00"))
    inv.ship(sku="MUG-BLUE", qty=1, location=BIN, occurred_at=on(4))
    assert worth(inv, "MUG-BLUE") == (9, D("22.50"))
    assert inv.catch_up_valuation() == 0 and inv.verify().ok


def test_a_landed_cost_dated_at_its_receipts_moment_raises_the_receipt(
        inv: onhand.Inventory) -> None:
    """Receipt and freight at the same instant: the freight follows the receipt (10 at 2.00
    + 10.00 = 30.00), nothing goes to COGS."""
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("2.00"),
                          occurred_at=on(1))
    inv.add_landed_cost("F-SAME", amount=D("10.00"), basis="qty", receipts=[receipt.id],
                        occurred_at=on(1))
    assert worth(inv, "MUG-BLUE") == (10, D("30.00"))
    assert march_cogs(inv, "MUG-BLUE") == D("0.00")


def test_values_too_large_to_keep_are_refused_and_write_nothing(inv: onhand.Inventory) -> None:
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=1, location=BIN, unit_cost=D("1.00"),
                          occurred_at=on(1))
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.add_landed_cost("HUGE", amount=D("999999999999999999"), receipts=[receipt.id],
                            occurred_at=on(2))
    assert caught.value.field == "amount"
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive(sku="MUG-BLUE", qty=10**9, location=BIN, unit_cost=D("10000000"))
    assert caught.value.field == "unit_cost"
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.add_landed_cost("BOOL", amount=D("1.00"), receipts=[True], occurred_at=on(2))
    assert caught.value.field == "receipts"
    assert worth(inv, "MUG-BLUE") == (1, D("1.00"))


def test_a_reversal_valued_before_its_later_dated_original_keeps_its_category(
        inv: onhand.Inventory) -> None:
    """A receipt dated 4 minutes ahead, reversed at once (the reversal dated now, before it),
    both valued together: the reversal is stored as a receipt undone, as a rebuild says (the
    item may go below zero, or the reversal could not come first)."""
    mug(inv, allow_negative=True)
    ahead = datetime.now(UTC) + timedelta(minutes=4)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location=BIN, unit_cost=D("1.00"),
                          occurred_at=ahead)
    inv.reverse(receipt.id, reason="wrong supplier")
    assert [(e.category, e.qty) for e in inv.value_entries(sku="MUG-BLUE")
            if e.category != "correction"] == [("receipt", -10), ("receipt", 10)]
    assert inv.verify().ok


def test_a_place_below_zero_shows_its_units_at_no_value(inv: onhand.Inventory) -> None:
    """5 at 1.00 in A-01 and 8 shipped from A-02, which the item lets go below zero: 3 below
    zero in all, worth −3.00 (8 left at the last cost, 1.00). By location: A-01 carries the
    whole −3.00 (the only place holding units), A-02 its −8 units at 0.00."""
    mug(inv, allow_negative=True)
    inv.receive(sku="MUG-BLUE", qty=5, location=BIN, unit_cost=D("1.00"), occurred_at=on(1))
    inv.ship(sku="MUG-BLUE", qty=8, location="WH1/A-02", occurred_at=on(2))
    spread = inv.valuation(sku="MUG-BLUE", by="location")
    assert [(v.location, v.on_hand, v.value) for v in spread] == [
        ("WH1/A-01", 5, D("-3.00")), ("WH1/A-02", -8, D("0.00"))]


def test_a_purchase_order_receipt_of_a_valued_item_needs_the_lines_cost(
        inv: onhand.Inventory) -> None:
    inv.add_item(sku="VALUED", name="Valued", cost_required=True)
    inv.add_supplier("ACME")
    inv.create_purchase_order("PO-V", [{"sku": "VALUED", "qty": 5}], supplier="ACME",
                              warehouse="WH1", confirm=True)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_purchase_order("PO-V", location=BIN)
    assert caught.value.field == "unit_cost"
    assert inv.history(sku="VALUED") == []


def test_the_inventory_account_moves_with_the_stocks_value(inv: onhand.Inventory) -> None:
    """1 at 2.00; 6 shipped, 5 of them below zero at 2.00 (COGS 12.00); 5 at 3.00 cover them
    and correct COGS by 5 × 1.00. Inventory: +2.00 − 12.00 + 15.00 − 5.00 = 0.00, the
    stock's value; COGS 17.00."""
    mug(inv, allow_negative=True)
    inv.receive(sku="MUG-BLUE", qty=1, location=BIN, unit_cost=D("2.00"), occurred_at=on(1))
    inv.ship(sku="MUG-BLUE", qty=6, location=BIN, occurred_at=on(2))
    inv.receive(sku="MUG-BLUE", qty=5, location=BIN, unit_cost=D("3.00"), occurred_at=on(3))
    assert worth(inv, "MUG-BLUE") == (0, D("0.00"))
    [text] = inv.export_journal(date(2026, 3, 1), date(2026, 3, 31))
    rows = {line.split(",")[4]: line.split(",")[6:8] for line in text.splitlines()[1:]}
    assert "inventory" not in rows or rows["inventory"] == ["0.00", "0.00"]
    assert rows["cogs"] == ["17.00", "0.00"]


def test_units_shipped_uncosted_come_back_uncosted(inv: onhand.Inventory) -> None:
    """10 received without a cost, 4 shipped and returned against their shipment: all 10
    are still uncosted, and a revaluation at 2.00 prices all 10 (20.00)."""
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=10, location=BIN, occurred_at=on(1))
    sale = inv.ship(sku="MUG-BLUE", qty=4, location=BIN, occurred_at=on(2))
    inv.return_(sku="MUG-BLUE", qty=4, location=BIN, shipment_id=sale.id, occurred_at=on(3))
    [found] = inv.valuation(sku="MUG-BLUE")
    assert (found.on_hand, found.value, found.uncosted) == (10, D("0.00"), 10)
    done = inv.revalue("MUG-BLUE", unit_cost=D("2.00"), reference="R-BACK", occurred_at=on(4))
    assert (done.qty, done.value) == (10, D("20.00"))


def test_a_gain_of_a_valued_item_with_no_known_cost_needs_one(inv: onhand.Inventory) -> None:
    """Units found of a valued item that never had a cost: the adjustment must give one;
    once a receipt has set a cost, a gain without one is valued at it (10 at 2.00, 2 found:
    12 worth 24.00)."""
    inv.add_item(sku="VALUED", name="Valued", cost_required=True)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.adjust(sku="VALUED", qty=2, location=BIN, reason="found")
    assert caught.value.field == "unit_cost"
    inv.adjust(sku="VALUED", qty=2, location=BIN, reason="found", unit_cost=D("2.00"))
    inv.adjust(sku="VALUED", qty=-2, location=BIN, reason="lost again")
    inv.receive(sku="VALUED", qty=10, location=BIN, unit_cost=D("2.00"))
    inv.adjust(sku="VALUED", qty=2, location=BIN, reason="found")
    assert worth(inv, "VALUED") == (12, D("24.00"))
