"""Posting movements: each kind routes stock, the rules reject bad input and write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import onhand
from tests.factories import mug, rope, stocked


def test_receiving_puts_stock_at_the_location_and_its_parents(inv: onhand.Inventory) -> None:
    mug(inv)
    receipt = inv.receive(sku="MUG-BLUE", qty=10, location="WH1/A-01",
                          unit_cost=Decimal("2.50"), reference="PO-7")
    assert (receipt.kind, receipt.source, receipt.target, receipt.qty) == (
        "receipt", "supplier", "WH1/A-01", 10)
    assert receipt.unit_cost == Decimal("2.50") and receipt.id > 0
    assert inv.stock(sku="MUG-BLUE", location="WH1/A-01").on_hand == 10
    assert inv.stock(sku="MUG-BLUE", location="WH1").on_hand == 10
    assert inv.stock(sku="MUG-BLUE", location="WH2").on_hand == 0
    assert inv.stock(sku="MUG-BLUE").available == 10


def test_shipping_more_than_on_hand_raises_insufficient_stock_and_writes_nothing(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku="MUG-BLUE", qty=4, location="WH1/A-01")
    assert (caught.value.sku, caught.value.location) == ("MUG-BLUE", "WH1/A-01")
    assert (caught.value.requested, caught.value.available) == (4, 3)
    assert inv.stock(sku="MUG-BLUE").on_hand == 3
    assert len(inv.history(sku="MUG-BLUE")) == 1


def test_a_retry_with_the_same_key_returns_the_first_movement(inv: onhand.Inventory) -> None:
    mug(inv)
    first = inv.receive(sku="MUG-BLUE", qty=5, location="WH2", key="scan-1")
    again = inv.receive(sku="MUG-BLUE", qty=5, location="WH2", key="scan-1")
    assert again == first
    assert inv.stock(sku="MUG-BLUE").on_hand == 5
    with pytest.raises(onhand.IdempotencyConflict):
        inv.receive(sku="MUG-BLUE", qty=6, location="WH2", key="scan-1")


def test_decimal_items_take_decimals_up_to_their_places(inv: onhand.Inventory) -> None:
    rope(inv)
    inv.receive(sku="ROPE-10MM", qty=Decimal("12.5"), location="WH1")
    inv.ship(sku="ROPE-10MM", qty=Decimal("0.25"), location="WH1")
    assert inv.stock(sku="ROPE-10MM").on_hand == Decimal("12.25")
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.ship(sku="ROPE-10MM", qty=Decimal("0.125"), location="WH1")
    assert caught.value.field == "qty"


def test_stock_as_of_a_past_moment_folds_only_earlier_movements(inv: onhand.Inventory) -> None:
    mug(inv)
    monday = datetime(2026, 11, 2, 9, tzinfo=UTC)
    inv.receive(sku="MUG-BLUE", qty=10, location="WH1/A-01", occurred_at=monday)
    inv.ship(sku="MUG-BLUE", qty=4, location="WH1/A-01", occurred_at=monday + timedelta(days=2))
    assert inv.stock(sku="MUG-BLUE", as_of=monday + timedelta(days=1)).on_hand == 10
    assert inv.stock(sku="MUG-BLUE", as_of=monday - timedelta(seconds=1)).on_hand == 0
    assert inv.stock(sku="MUG-BLUE").on_hand == 6
    assert inv.verify().ok


def test_a_sub_location_another_process_adds_counts_in_its_parent_at_once(
    inv: onhand.Inventory, database_url: str,
) -> None:
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=2, location="WH1/A-01")
    assert inv.stock(sku="MUG-BLUE", location="WH1").on_hand == 2  # this process caches WH1
    with onhand.open(database_url) as other:  # e.g. another API worker
        other.add_location("WH1/C-09")
        other.receive(sku="MUG-BLUE", qty=3, location="WH1/C-09")
    assert inv.stock(sku="MUG-BLUE", location="WH1").on_hand == 5
    assert [s.on_hand for s in inv.levels(location="WH1")] == [5]
    assert [m.target for m in inv.history(sku="MUG-BLUE", location="WH1")] == [
        "WH1/A-01", "WH1/C-09"]


def test_checking_a_batch_reports_every_bad_line_shortages_included(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=5, location="WH1/A-01")
    inv.receive(sku="MUG-BLUE", qty=2, location="WH2")
    errors = inv.check_batch([
        {"kind": "shipment", "sku": "MUG-BLUE", "qty": 9, "location": "WH1/A-01"},
        {"kind": "receipt", "sku": "NOPE", "qty": 1, "location": "WH2"},
        {"kind": "shipment", "sku": "MUG-BLUE", "qty": 3, "location": "WH1/A-01"},
        {"kind": "shipment", "sku": "MUG-BLUE", "qty": 8, "location": "WH2"},
    ])
    assert [(type(e).__name__, e.fields()["line"]) for e in errors] == [
        ("InsufficientStock", 1), ("UnknownItem", 2), ("InsufficientStock", 4)]
    assert inv.stock(sku="MUG-BLUE").on_hand == 7  # nothing written


def test_one_batch_cannot_return_a_shipment_twice(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku="MUG-BLUE", qty=3, location="WH1/A-01")
    give_back = {"kind": "return", "sku": "MUG-BLUE", "qty": 3, "location": "WH1/A-01",
                 "shipment_id": shipment.id}
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.post_batch([give_back, give_back])
    assert caught.value.line == 2
    assert inv.stock(sku="MUG-BLUE").on_hand == 7


def test_a_shipment_id_must_be_an_integer(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku="MUG-BLUE", qty=3, location="WH1/A-01")
    for wrong in (True, str(shipment.id)):
        with pytest.raises(onhand.InvalidInput) as caught:
            inv.return_(sku="MUG-BLUE", qty=1, location="WH1/A-01", shipment_id=wrong)  # type: ignore[arg-type]
        assert caught.value.field == "shipment_id"
    assert inv.verify().ok


def test_an_empty_lot_and_no_lot_are_the_same_retry(inv: onhand.Inventory) -> None:
    mug(inv)
    first = inv.receive(sku="MUG-BLUE", qty=2, location="WH2", lot="", key="k-lot")
    assert inv.receive(sku="MUG-BLUE", qty=2, location="WH2", key="k-lot") == first
    assert first.lot is None


def test_a_name_too_long_for_its_column_is_invalid_input(inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.add_location("WH9", name="x" * 500)
    assert caught.value.field == "name"
    assert "WH9" not in [place.path for place in inv.locations()]


def test_checking_a_batch_reports_a_return_of_more_than_was_shipped(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku="MUG-BLUE", qty=3, location="WH1/A-01")
    give_back = {"kind": "return", "sku": "MUG-BLUE", "qty": 2, "location": "WH1/A-01",
                 "shipment_id": shipment.id}
    errors = inv.check_batch([give_back, give_back])
    assert [(type(e).__name__, e.line) for e in errors] == [("InvalidQuantity", 2)]
