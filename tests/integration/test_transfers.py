"""Transfers between warehouses in two steps: dispatch into transit, receive at the target.

Dispatch lowers the source and shows the units ``in_transit`` at the target; it never takes
what open orders reserved. Receipt puts them away; a shortfall is posted to loss with a reason.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import onhand
from tests.factories import mug


@pytest.fixture
def inv(inv: onhand.Inventory) -> onhand.Inventory:
    """The inventory of ``tests/conftest.py`` with 6 mugs in WH1/A-01 and 4 in WH1/A-02, and a
    bin WH2/B-01."""
    mug(inv)
    inv.add_location("WH2/B-01")
    inv.receive(sku="MUG-BLUE", qty=6, location="WH1/A-01", unit_cost=Decimal("2.00"))
    inv.receive(sku="MUG-BLUE", qty=4, location="WH1/A-02", unit_cost=Decimal("2.00"))
    return inv


def send(inv: onhand.Inventory, qty: int = 5, reference: str = "TR-1",
         **line: Any) -> onhand.Transfer:
    """Dispatch ``qty`` blue mugs from WH1 to WH2."""
    return inv.dispatch_transfer(reference, [{"sku": "MUG-BLUE", "qty": qty, **line}],
                                 source="WH1", target="WH2")


def snapshot(inv: onhand.Inventory) -> tuple[Any, ...]:
    """Everything a transfer write changes: the ledger and the stock."""
    return [m.id for m in inv.history(limit=1000)], inv.stock(sku="MUG-BLUE").to_dict()


# --- dispatch ---------------------------------------------------------------------------------


def test_dispatching_lowers_the_source_and_shows_the_units_in_transit_at_the_target(
        inv: onhand.Inventory) -> None:
    sent = send(inv, 5)
    assert (sent.status, sent.source, sent.target) == ("in_transit", "WH1", "WH2")
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.in_transit) == (5, 5)
    assert level.by_warehouse["WH1"].on_hand == 5
    assert level.by_warehouse["WH2"].in_transit == 5
    assert level.by_warehouse["WH2"].on_hand == 0
    moves = [inv.history(limit=100)[-1]]
    assert all((m.kind, m.target, m.reference) == ("transfer", "transit", "TR-1") for m in moves)


def test_dispatch_picks_the_oldest_stock_first_when_no_location_is_given(
        inv: onhand.Inventory) -> None:
    sent = send(inv, 8)
    legs = [m for m in inv.history(limit=100) if m.id in sent.movement_ids]
    assert [(m.source, m.qty) for m in legs] == [("WH1/A-01", 6), ("WH1/A-02", 2)]
    assert [(line.sku, line.qty) for line in sent.lines] == [("MUG-BLUE", 8)]


def test_dispatch_takes_the_lines_own_location_when_given(inv: onhand.Inventory) -> None:
    send(inv, 3, location="WH1/A-02")
    assert inv.stock(sku="MUG-BLUE", location="WH1/A-02").on_hand == 1
    assert inv.stock(sku="MUG-BLUE", location="WH1/A-01").on_hand == 6


def test_dispatch_refuses_stock_reserved_by_open_orders(inv: onhand.Inventory) -> None:
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 7}], warehouse="WH1")
    before = snapshot(inv)
    with pytest.raises(onhand.InsufficientStock) as caught:
        send(inv, 4)
    assert (caught.value.sku, caught.value.available) == ("MUG-BLUE", 3)
    with pytest.raises(onhand.InsufficientStock) as caught:  # picked from both bins
        send(inv, 8)
    assert (caught.value.line, caught.value.requested, caught.value.available) == (1, 8, 3)
    with pytest.raises(onhand.InsufficientStock):
        send(inv, 4, location="WH1/A-01")
    assert snapshot(inv) == before
    assert inv.order("SO-1").lines[0].reserved == 7
    assert send(inv, 3).status == "in_transit"  # what is not reserved may go


def test_dispatching_more_than_the_source_holds_raises_insufficient_stock(
        inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.InsufficientStock) as caught:
        send(inv, 11)
    assert (caught.value.line, caught.value.requested, caught.value.available) == (1, 11, 10)
    assert inv.stock(sku="MUG-BLUE").in_transit == 0


@pytest.mark.parametrize(("source", "target", "field"), [
    ("WH1", "WH1", "target"), ("WH1", "WH2/B-01", "target"), ("WH1/A-01", "WH2", "source")])
def test_a_transfer_goes_from_one_warehouse_to_another(inv: onhand.Inventory, source: str,
                                                       target: str, field: str) -> None:
    with pytest.raises(onhand.InvalidLocation) as caught:
        inv.dispatch_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 1}], source=source,
                              target=target)
    assert caught.value.field == field


def test_a_dispatch_location_outside_the_source_is_refused(inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.InvalidLocation) as caught:
        send(inv, 1, location="WH2/B-01")
    assert caught.value.line == 1


def test_the_same_reference_and_lines_again_return_the_same_transfer(
        inv: onhand.Inventory) -> None:
    first = send(inv, 5)
    assert send(inv, 5) == first
    assert inv.stock(sku="MUG-BLUE").in_transit == 5
    with pytest.raises(onhand.DuplicateOrder):
        send(inv, 6)


# --- receipt ----------------------------------------------------------------------------------


def test_receiving_everything_puts_it_away_at_the_target(inv: onhand.Inventory) -> None:
    send(inv, 5)
    received = inv.receive_transfer("TR-1", location="WH2/B-01")
    assert received.status == "received"
    assert [(line.received, line.lost) for line in received.lines] == [(5, 0)]
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.in_transit) == (10, 0)
    assert level.by_warehouse["WH2"].on_hand == 5
    assert level.by_location["WH2/B-01"] == 5
    assert level.by_warehouse["WH2"].in_transit == 0


def test_a_short_receipt_posts_the_shortfall_to_loss_with_its_reason(
        inv: onhand.Inventory) -> None:
    send(inv, 5)
    received = inv.receive_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 4}],
                                    reason="broken in the truck")
    assert [(line.received, line.lost) for line in received.lines] == [(4, 1)]
    lost = inv.history(limit=100)[-1]
    assert (lost.kind, lost.source, lost.target, lost.qty, lost.reason) == (
        "adjustment", "transit", "loss", 1, "broken in the truck")
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.in_transit, level.by_warehouse["WH2"].on_hand) == (9, 0, 4)


def test_a_short_receipt_without_a_reason_is_refused(inv: onhand.Inventory) -> None:
    send(inv, 5)
    before = snapshot(inv)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 4}])
    assert caught.value.field == "reason"
    assert snapshot(inv) == before
    assert inv.transfer_document("TR-1").status == "in_transit"


def test_receiving_more_than_was_dispatched_raises_invalid_quantity(
        inv: onhand.Inventory) -> None:
    send(inv, 5)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.receive_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 6}])
    assert (caught.value.line, caught.value.field) == (1, "qty")
    mug(inv, "MUG-RED")
    with pytest.raises(onhand.InvalidInput) as missing:
        inv.receive_transfer("TR-1", [{"sku": "MUG-RED", "qty": 1}])
    assert (missing.value.line, missing.value.field) == (1, "sku")
    assert "the transfer has no line for 'MUG-RED'" in str(missing.value)


def test_a_bad_received_quantity_names_its_line(inv: onhand.Inventory) -> None:
    send(inv, 5)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.receive_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 0}], reason="lost")
    assert (caught.value.line, caught.value.field) == (1, "qty")


def test_receiving_a_transfer_twice_raises_order_closed(inv: onhand.Inventory) -> None:
    send(inv, 5)
    inv.receive_transfer("TR-1")
    before = snapshot(inv)
    with pytest.raises(onhand.OrderClosed) as caught:
        inv.receive_transfer("TR-1")
    assert caught.value.order_status == "received"
    assert str(caught.value) == "transfer 'TR-1' is received: cannot receive"
    assert snapshot(inv) == before


def test_a_retried_receipt_with_its_key_is_applied_once(inv: onhand.Inventory) -> None:
    send(inv, 5)
    first = inv.receive_transfer("TR-1", key="dock-7")
    assert inv.receive_transfer("TR-1", key="dock-7") == first
    assert inv.stock(sku="MUG-BLUE").by_warehouse["WH2"].on_hand == 5


def test_receiving_outside_the_target_warehouse_is_refused(inv: onhand.Inventory) -> None:
    send(inv, 5)
    with pytest.raises(onhand.InvalidLocation):
        inv.receive_transfer("TR-1", location="WH1/A-01")


def test_an_unknown_or_another_owners_transfer_raises_unknown_order(
        inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    mug(inv, "ACME-1", owner="acme")
    inv.receive(sku="ACME-1", qty=2, location="WH1", owner="acme")
    inv.dispatch_transfer("TR-A", [{"sku": "ACME-1", "qty": 2}], source="WH1", target="WH2",
                          owner="acme")
    for reference in ("TR-404", "TR-A"):
        with pytest.raises(onhand.UnknownOrder):
            inv.receive_transfer(reference)
        with pytest.raises(onhand.UnknownOrder):
            inv.transfer_document(reference)
    assert inv.stock(sku="ACME-1", owner="acme").in_transit == 2


def test_a_transfer_arriving_fills_the_targets_backorders(inv: onhand.Inventory) -> None:
    inv.create_order("SO-2", [{"sku": "MUG-BLUE", "qty": 3}], warehouse="WH2",
                     policy="backorder", any_warehouse=False)
    send(inv, 4)
    assert inv.order("SO-2").lines[0].backordered == 3
    inv.receive_transfer("TR-1")
    line = inv.order("SO-2").lines[0]
    assert (line.reserved, line.backordered) == (3, 0)


def test_the_ledger_verifies_after_transfers(inv: onhand.Inventory) -> None:
    send(inv, 5, "TR-1")
    send(inv, 2, "TR-2")
    inv.receive_transfer("TR-1", [{"sku": "MUG-BLUE", "qty": 3}], reason="crushed")
    inv.receive_transfer("TR-2", location="WH2/B-01")
    assert inv.verify().ok
    assert inv.stock(sku="MUG-BLUE").to_dict()["by_location"] == {
        "WH1/A-02": "3", "WH2": "3", "WH2/B-01": "2"}
