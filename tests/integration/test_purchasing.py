"""Purchasing: suppliers, purchase orders, receiving within a tolerance, returns to the supplier.

``incoming`` rises when a purchase order is confirmed and falls as it is received or
cancelled, per warehouse; a receipt posts at the line's unit cost and fills waiting
backorders; bad input raises a clear error and writes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import onhand
from tests.factories import mug

COST = Decimal("2.10")


@pytest.fixture
def inv(inv: onhand.Inventory) -> onhand.Inventory:
    """The inventory of ``tests/conftest.py`` with a mug and a supplier, ACME."""
    mug(inv)
    inv.add_supplier("ACME", "Acme Ltd")
    return inv


def order(inv: onhand.Inventory, reference: str = "PO-1", qty: int = 10, *,
          confirm: bool = True, **terms: Any) -> onhand.PurchaseOrder:
    """Order ``qty`` blue mugs from ACME into WH1 at 2.10 each."""
    terms.setdefault("supplier", "ACME")
    terms.setdefault("warehouse", "WH1")
    return inv.create_purchase_order(
        reference, [{"sku": "MUG-BLUE", "qty": qty, "unit_cost": COST}], confirm=confirm,
        **terms)


def snapshot(inv: onhand.Inventory, reference: str = "PO-1") -> tuple[Any, ...]:
    """Everything a purchasing write changes: the order, the ledger, the stock."""
    return (inv.purchase_order(reference), [m.id for m in inv.history(limit=1000)],
            inv.stock(sku="MUG-BLUE").to_dict())


# --- suppliers ---------------------------------------------------------------------------------


def test_suppliers_are_listed_by_owner_and_code(inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    inv.add_supplier("BOLT", owner="acme")
    inv.add_supplier("ANVILS")
    assert inv.suppliers(owner="default") == [
        {"owner": "default", "code": "ACME", "name": "Acme Ltd"},
        {"owner": "default", "code": "ANVILS", "name": "ANVILS"}]
    assert [s["code"] for s in inv.suppliers()] == ["ACME", "ANVILS", "BOLT"]


def test_a_second_supplier_with_the_same_code_is_a_conflict(inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.Conflict) as caught:
        inv.add_supplier("ACME")
    assert caught.value.field == "code"


def test_an_order_from_an_unknown_supplier_raises_unknown_supplier(
        inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.UnknownSupplier) as caught:
        order(inv, supplier="NOBODY")
    assert caught.value.field == "supplier"
    assert inv.purchase_orders() == []


def test_another_owners_supplier_is_unknown(inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    inv.add_supplier("BOLT", owner="acme")
    with pytest.raises(onhand.UnknownSupplier):
        order(inv, supplier="BOLT")


# --- incoming -------------------------------------------------------------------------------


def test_a_draft_is_not_incoming_until_it_is_confirmed(inv: onhand.Inventory) -> None:
    draft = order(inv, confirm=False)
    assert draft.status == "draft" and draft.lines[0].incoming == 0
    assert inv.stock(sku="MUG-BLUE").incoming == 0
    confirmed = inv.confirm_purchase_order("PO-1")
    assert confirmed.status == "confirmed" and confirmed.lines[0].incoming == 10
    assert inv.stock(sku="MUG-BLUE").incoming == 10


def test_incoming_is_shown_per_warehouse_and_in_total(inv: onhand.Inventory) -> None:
    order(inv, "PO-1", 10, warehouse="WH1")
    order(inv, "PO-2", 4, warehouse="WH2")
    level = inv.stock(sku="MUG-BLUE")
    assert level.incoming == 14
    assert level.by_warehouse["WH1"].incoming == 10
    assert level.by_warehouse["WH2"].incoming == 4


def test_receiving_lowers_incoming_and_raises_on_hand(inv: onhand.Inventory) -> None:
    placed = order(inv)
    partly = inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 4}])
    assert partly.status == "confirmed"
    assert partly.updated_at > placed.updated_at  # a partial receipt changes the order
    assert (partly.lines[0].received, partly.lines[0].incoming) == (4, 6)
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.incoming, level.by_warehouse["WH1"].incoming) == (4, 6, 6)
    full = inv.receive_purchase_order("PO-1")
    assert full.status == "closed"
    assert (full.lines[0].received, full.lines[0].incoming) == (10, 0)
    assert (inv.stock(sku="MUG-BLUE").on_hand, inv.stock(sku="MUG-BLUE").incoming) == (10, 0)


def test_cancelling_the_rest_lowers_incoming_and_closes_a_received_order(
        inv: onhand.Inventory) -> None:
    order(inv)
    inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 3}])
    partly = inv.cancel_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 2}])
    assert (partly.status, partly.lines[0].cancelled, partly.lines[0].incoming) == (
        "confirmed", 2, 5)
    assert inv.stock(sku="MUG-BLUE").incoming == 5
    rest = inv.cancel_purchase_order("PO-1")
    assert (rest.status, rest.lines[0].cancelled, rest.lines[0].incoming) == ("closed", 7, 0)
    assert inv.stock(sku="MUG-BLUE").incoming == 0


def test_cancelling_an_order_with_nothing_received_cancels_it(inv: onhand.Inventory) -> None:
    order(inv, "PO-1", warehouse="WH1")
    order(inv, "PO-2", 4, warehouse="WH2")
    assert inv.cancel_purchase_order("PO-1").status == "cancelled"
    level = inv.stock(sku="MUG-BLUE")
    assert (level.incoming, level.by_warehouse["WH2"].incoming) == (4, 4)
    assert "WH1" not in level.by_warehouse or level.by_warehouse["WH1"].incoming == 0


def test_cancelling_every_line_of_a_draft_cancels_it(inv: onhand.Inventory) -> None:
    order(inv, confirm=False)
    assert inv.cancel_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 10}]).status == \
        "cancelled"


def test_a_draft_cut_down_before_confirming_is_incoming_only_for_what_is_left(
        inv: onhand.Inventory) -> None:
    order(inv, confirm=False)
    inv.cancel_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 4}])
    confirmed = inv.confirm_purchase_order("PO-1")
    assert confirmed.lines[0].incoming == 6
    assert inv.stock(sku="MUG-BLUE").incoming == 6
    inv.receive_purchase_order("PO-1")
    assert inv.stock(sku="MUG-BLUE").incoming == 0
    assert inv.verify().ok


def test_cancelling_more_than_is_still_to_come_raises_invalid_quantity(
        inv: onhand.Inventory) -> None:
    order(inv)
    inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 8}])
    before = snapshot(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.cancel_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 3}])
    assert caught.value.line == 1
    assert snapshot(inv) == before


# --- receiving ------------------------------------------------------------------------------


def test_receiving_within_the_tolerance_is_accepted(inv: onhand.Inventory) -> None:
    order(inv, tolerance=10)
    received = inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 11}])
    assert received.status == "closed"
    assert (received.lines[0].received, received.lines[0].incoming) == (11, 0)
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.incoming) == (11, 0)


def test_receiving_beyond_the_tolerance_raises_invalid_quantity_naming_the_line(
        inv: onhand.Inventory) -> None:
    mug(inv, "MUG-RED", name="Red mug")
    inv.create_purchase_order("PO-1", [{"sku": "MUG-RED", "qty": 5, "unit_cost": COST},
                                       {"sku": "MUG-BLUE", "qty": 10, "unit_cost": COST}],
                              supplier="ACME", warehouse="WH1", tolerance=10, confirm=True)
    before = snapshot(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-RED", "qty": 5},
                                            {"sku": "MUG-BLUE", "qty": 12}])
    assert (caught.value.line, caught.value.field) == (2, "qty")
    assert "11" in str(caught.value)  # what the line could still take
    assert snapshot(inv) == before
    assert inv.stock(sku="MUG-RED").on_hand == 0


def test_without_a_tolerance_not_one_unit_more_is_received(inv: onhand.Inventory) -> None:
    order(inv, qty=10)
    with pytest.raises(onhand.InvalidQuantity):
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 11}])


def test_a_tolerance_out_of_range_is_refused(inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        order(inv, tolerance=-1)
    assert caught.value.field == "tolerance"


def test_the_default_tolerance_is_the_over_receipt_setting(database_url: str) -> None:
    with onhand.open(database_url, over_receipt_percent=20) as inv:
        inv.add_location("WH1")
        mug(inv)
        inv.add_supplier("ACME")
        assert order(inv).tolerance == 20
        assert inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 12}]).status == \
            "closed"


def test_receiving_a_sku_the_order_does_not_have_is_refused(inv: onhand.Inventory) -> None:
    mug(inv, "MUG-RED", name="Red mug")
    order(inv)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-RED", "qty": 1}])
    assert (caught.value.field, caught.value.line) == ("sku", 1)


def test_receiving_into_a_bin_of_another_warehouse_is_refused(inv: onhand.Inventory) -> None:
    order(inv)
    with pytest.raises(onhand.InvalidLocation):
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 1, "location": "WH2"}])
    received = inv.receive_purchase_order("PO-1", location="WH1/A-02")
    assert inv.stock(sku="MUG-BLUE", location="WH1/A-02").on_hand == 10
    assert received.status == "closed"


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_receiving_against_a_closed_or_cancelled_order_raises_order_closed(
        inv: onhand.Inventory, status: str) -> None:
    order(inv)
    if status == "closed":
        inv.receive_purchase_order("PO-1")
    else:
        inv.cancel_purchase_order("PO-1")
    before = snapshot(inv)
    with pytest.raises(onhand.OrderClosed) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 1}])
    assert (caught.value.field, caught.value.order_status) == ("reference", status)
    assert snapshot(inv) == before


def test_receiving_against_a_draft_raises_order_closed(inv: onhand.Inventory) -> None:
    order(inv, confirm=False)
    with pytest.raises(onhand.OrderClosed) as caught:
        inv.receive_purchase_order("PO-1")
    assert caught.value.order_status == "draft"
    assert inv.stock(sku="MUG-BLUE").on_hand == 0


def test_confirming_or_cancelling_twice_raises_order_closed(inv: onhand.Inventory) -> None:
    order(inv)
    with pytest.raises(onhand.OrderClosed):
        inv.confirm_purchase_order("PO-1")
    inv.cancel_purchase_order("PO-1")
    with pytest.raises(onhand.OrderClosed):
        inv.cancel_purchase_order("PO-1")


@pytest.mark.parametrize("action", ["receive", "confirm", "cancel", "return", "read"])
def test_an_unknown_purchase_order_raises_unknown_order(inv: onhand.Inventory,
                                                        action: str) -> None:
    calls = {
        "receive": lambda: inv.receive_purchase_order("PO-404"),
        "confirm": lambda: inv.confirm_purchase_order("PO-404"),
        "cancel": lambda: inv.cancel_purchase_order("PO-404"),
        "return": lambda: inv.return_to_supplier("PO-404", [{"sku": "MUG-BLUE", "qty": 1}],
                                                 reason="faulty"),
        "read": lambda: inv.purchase_order("PO-404"),
    }
    with pytest.raises(onhand.UnknownOrder) as caught:
        calls[action]()
    assert (caught.value.field, caught.value.reference) == ("reference", "PO-404")


def test_another_owners_purchase_order_is_unknown(inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    mug(inv, "ACME-1", owner="acme")
    inv.add_supplier("BOLT", owner="acme")
    inv.create_purchase_order("PO-A", [{"sku": "ACME-1", "qty": 3}], supplier="BOLT",
                              warehouse="WH1", owner="acme", confirm=True)
    with pytest.raises(onhand.UnknownOrder):
        inv.receive_purchase_order("PO-A")
    with pytest.raises(onhand.UnknownOrder):
        inv.purchase_order("PO-A")
    assert inv.stock(sku="ACME-1", owner="acme").on_hand == 0
    assert [po.reference for po in inv.purchase_orders(owner="default")] == []


# --- lots and expiry --------------------------------------------------------------------------


def test_a_lot_tracked_item_is_received_only_with_a_lot(inv: onhand.Inventory) -> None:
    inv.add_item(sku="MILK-1L", name="Milk", tracking="lot")
    inv.create_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 6}], supplier="ACME",
                              warehouse="WH1", confirm=True)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 2}])
    assert (caught.value.field, caught.value.line) == ("lot", 1)
    with pytest.raises(onhand.InvalidInput):
        inv.receive_purchase_order("PO-1")  # everything at once has no lot either
    inv.receive_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 2, "lot": "B-7"}])
    assert inv.stock(sku="MILK-1L", lot="B-7").on_hand == 2


def test_a_received_lots_expiry_is_recorded_and_picked_first_expired_first(
        inv: onhand.Inventory) -> None:
    inv.add_item(sku="MILK-1L", name="Milk", tracking="lot")
    inv.create_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 6}], supplier="ACME",
                              warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1", [
        {"sku": "MILK-1L", "qty": 3, "lot": "LATE", "expires_on": date(2031, 6, 1)},
        {"sku": "MILK-1L", "qty": 3, "lot": "SOON", "expires_on": date(2031, 1, 1)}])
    sent = inv.dispatch_transfer("TR-1", [{"sku": "MILK-1L", "qty": 2}], source="WH1",
                                 target="WH2")
    assert [(line.lot, line.qty) for line in sent.lines] == [("SOON", 2)]


def test_a_conflicting_expiry_for_a_known_lot_is_refused(inv: onhand.Inventory) -> None:
    inv.add_item(sku="MILK-1L", name="Milk", tracking="lot")
    inv.create_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 6}], supplier="ACME",
                              warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 2, "lot": "B-7",
                                         "expires_on": date(2031, 1, 1)}])
    before = inv.purchase_order("PO-1")
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 2, "lot": "B-7",
                                             "expires_on": date(2031, 2, 1)}])
    assert (caught.value.field, caught.value.line) == ("expires_on", 1)
    assert inv.purchase_order("PO-1") == before
    inv.receive_purchase_order("PO-1", [{"sku": "MILK-1L", "qty": 2, "lot": "B-7",
                                         "expires_on": date(2031, 1, 1)}])  # the same: fine
    assert inv.stock(sku="MILK-1L", lot="B-7").on_hand == 4


def test_an_expiry_without_a_lot_is_refused(inv: onhand.Inventory) -> None:
    order(inv)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 1,
                                             "expires_on": date(2031, 1, 1)}])
    assert caught.value.field == "expires_on"


# --- costs ------------------------------------------------------------------------------------


def test_receipts_carry_the_unit_cost_of_their_order_line(inv: onhand.Inventory) -> None:
    inv.create_purchase_order("PO-1", [
        {"sku": "MUG-BLUE", "qty": 10, "unit_cost": Decimal("2.00")},
        {"sku": "MUG-BLUE", "qty": 5, "unit_cost": Decimal("2.20")}],
        supplier="ACME", warehouse="WH1", confirm=True)
    received = inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 12}])
    assert [(line.received, line.incoming) for line in received.lines] == [(10, 0), (2, 3)]
    receipts = inv.history(sku="MUG-BLUE")
    assert [(m.kind, m.qty, m.unit_cost, m.reference) for m in receipts] == [
        ("receipt", 10, Decimal("2.00"), "PO-1"), ("receipt", 2, Decimal("2.20"), "PO-1")]
    assert list(received.movement_ids) == [m.id for m in receipts]


# --- backorders -------------------------------------------------------------------------------


def test_a_receipt_fills_waiting_backorders_highest_priority_first(
        inv: onhand.Inventory) -> None:
    inv.create_order("SO-LOW", [{"sku": "MUG-BLUE", "qty": 3}], policy="backorder",
                     warehouse="WH1", priority=0)
    inv.create_order("SO-HIGH", [{"sku": "MUG-BLUE", "qty": 3}], policy="backorder",
                     warehouse="WH1", priority=5)
    assert inv.stock(sku="MUG-BLUE").backordered == 6
    order(inv)
    inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 4}])
    high, low = inv.order("SO-HIGH").lines[0], inv.order("SO-LOW").lines[0]
    assert (high.reserved, high.backordered) == (3, 0)
    assert (low.reserved, low.backordered) == (1, 2)
    level = inv.stock(sku="MUG-BLUE")
    assert (level.on_hand, level.reserved, level.available, level.backordered) == (4, 4, 0, 2)
    assert inv.verify().ok


# --- returns to the supplier ------------------------------------------------------------------


def test_returning_to_the_supplier_leaves_at_the_received_cost(inv: onhand.Inventory) -> None:
    inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01", unit_cost=Decimal("3.00"))
    order(inv)
    inv.receive_purchase_order("PO-1", location="WH1/A-01")
    returned = inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 2,
                                                "location": "WH1/A-01"}], reason="chipped")
    assert (returned.lines[0].received, returned.lines[0].returned) == (10, 2)
    last = inv.history(sku="MUG-BLUE")[-1]
    assert (last.kind, last.source, last.target, last.qty, last.unit_cost, last.reason) == (
        "supplier_return", "WH1/A-01", "supplier", 2, COST, "chipped")
    assert inv.stock(sku="MUG-BLUE").on_hand == 13
    assert inv.stock(sku="MUG-BLUE").incoming == 0  # a return does not reopen the order


def test_returning_more_than_received_and_not_yet_returned_is_refused(
        inv: onhand.Inventory) -> None:
    order(inv)
    inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 4}])
    inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 3}], reason="chipped")
    before = snapshot(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 2}], reason="chipped")
    assert caught.value.line == 1
    assert snapshot(inv) == before
    inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 1}], reason="chipped")
    assert inv.purchase_order("PO-1").lines[0].returned == 4


def test_a_return_to_the_supplier_needs_a_reason(inv: onhand.Inventory) -> None:
    order(inv)
    inv.receive_purchase_order("PO-1")
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 1}], reason="")
    assert caught.value.field == "reason"


def test_a_retried_return_with_its_key_is_applied_once(inv: onhand.Inventory) -> None:
    order(inv)
    inv.receive_purchase_order("PO-1")
    for _ in range(2):
        returned = inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 1}],
                                          reason="chipped", key="rts-1")
    assert returned.lines[0].returned == 1
    assert inv.stock(sku="MUG-BLUE").on_hand == 9


# --- the same reference again -----------------------------------------------------------------


def test_the_same_reference_and_lines_again_return_the_same_order(
        inv: onhand.Inventory) -> None:
    first = order(inv)
    again = order(inv)
    assert again == first
    assert len(inv.purchase_orders()) == 1
    assert inv.stock(sku="MUG-BLUE").incoming == 10


@pytest.mark.parametrize("change", ["qty", "unit_cost", "supplier", "warehouse"])
def test_the_same_reference_with_another_order_raises_duplicate_order(
        inv: onhand.Inventory, change: str) -> None:
    inv.add_supplier("BOLT")
    order(inv)
    line: dict[str, Any] = {"sku": "MUG-BLUE", "qty": 10, "unit_cost": COST}
    terms = {"supplier": "ACME", "warehouse": "WH1"}
    if change in line:
        line[change] = 11 if change == "qty" else Decimal("9.99")
    else:
        terms[change] = {"supplier": "BOLT", "warehouse": "WH2"}[change]
    with pytest.raises(onhand.DuplicateOrder):
        inv.create_purchase_order("PO-1", [line], confirm=True, **terms)
    assert inv.stock(sku="MUG-BLUE").incoming == 10


# --- reads ----------------------------------------------------------------------------------


def test_purchase_orders_are_listed_oldest_first_and_by_status(inv: onhand.Inventory) -> None:
    order(inv, "PO-1")
    order(inv, "PO-2", confirm=False)
    order(inv, "PO-3")
    inv.cancel_purchase_order("PO-3")
    assert [po.reference for po in inv.purchase_orders()] == ["PO-1", "PO-2", "PO-3"]
    assert [po.reference for po in inv.purchase_orders(status="draft")] == ["PO-2"]
    assert [po.reference for po in inv.purchase_orders(status="cancelled")] == ["PO-3"]
    first = inv.purchase_orders(limit=2)
    assert [po.reference for po in inv.purchase_orders(after=first[-1])] == ["PO-3"]
    assert [po.reference for po in inv.purchase_orders(status="cancelled",
                                                       after=first[0])] == ["PO-3"]
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.purchase_orders(status="lost")
    assert caught.value.field == "status"


def test_the_ledger_verifies_after_purchasing(inv: onhand.Inventory) -> None:
    order(inv, tolerance=5)
    inv.receive_purchase_order("PO-1", [{"sku": "MUG-BLUE", "qty": 6,
                                         "location": "WH1/A-01"}])
    inv.return_to_supplier("PO-1", [{"sku": "MUG-BLUE", "qty": 2, "location": "WH1/A-01"}],
                           reason="chipped")
    inv.cancel_purchase_order("PO-1")
    assert inv.verify().ok
