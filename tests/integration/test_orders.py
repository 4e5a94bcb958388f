"""Sales orders and holds: reserve at once, never oversell, ship, cancel, return, rebalance.

The fixture's warehouses are WH1 (bins A-01, A-02) and WH2; "MUG-BLUE" is a countable item.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

import onhand
from tests.factories import mug, stocked

MUG = "MUG-BLUE"
TABLES = ("orders", "order_lines", "item_warehouses", "events", "movements", "order_movements")


def line(qty: int | Decimal, sku: str = MUG, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "qty": qty, **fields}


def written(inv: onhand.Inventory) -> dict[str, int]:
    """Count the rows of every table an order use case writes to."""
    with inv.engine.connect() as conn:
        return {name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
                for name in TABLES}


def levels(inv: onhand.Inventory, sku: str = MUG) -> tuple[Any, Any, Any]:
    """Return (on_hand, reserved, available) of an item in total."""
    stock = inv.stock(sku=sku)
    return stock.on_hand, stock.reserved, stock.available


def at(inv: onhand.Inventory, warehouse: str, sku: str = MUG) -> tuple[Any, Any, Any, Any]:
    """Return (on_hand, reserved, available, backordered) of an item in one warehouse."""
    w = inv.stock(sku=sku).by_warehouse[warehouse]
    return w.on_hand, w.reserved, w.available, w.backordered


def split(order: onhand.Order, number: int = 1) -> tuple[Any, ...]:
    """Return a line's (warehouse, reserved, backordered, shipped, cancelled)."""
    found = next(x for x in order.lines if x.line == number)
    return found.warehouse, found.reserved, found.backordered, found.shipped, found.cancelled


def kinds(inv: onhand.Inventory, after: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """Return the events after ``after`` other than stock.changed, as (type, data)."""
    return [(e.type, e.data) for e in inv.events(cursor=after, limit=1000)
            if e.type != "stock.changed"]


def last_event(inv: onhand.Inventory) -> int:
    found = inv.events(limit=1000)
    return found[-1].id if found else 0


def two_warehouses(inv: onhand.Inventory, wh1: int = 10, wh2: int = 5) -> None:
    stocked(inv, qty=wh1)
    inv.receive(sku=MUG, qty=wh2, location="WH2")


# --- creating orders --------------------------------------------------------------------------


def test_creating_an_order_reserves_at_once_per_warehouse_and_in_total(
    inv: onhand.Inventory,
) -> None:
    two_warehouses(inv)
    order = inv.create_order("SO-1", [line(4, unit_price=Decimal("9.50"))], warehouse="WH1")
    assert (order.status, order.reference, order.owner) == ("open", "SO-1", "default")
    assert split(order) == ("WH1", 4, 0, 0, 0)
    assert order.lines[0].unit_price == Decimal("9.50")
    assert levels(inv) == (15, 4, 11)
    assert at(inv, "WH1") == (10, 4, 6, 0)
    assert at(inv, "WH2") == (5, 0, 5, 0)
    assert inv.order("SO-1") == order
    assert inv.verify().ok


def test_an_order_short_of_stock_under_reject_names_the_line_and_writes_nothing(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=10, location="WH1/A-02")
    before = written(inv)
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.create_order("SO-1", [line(2, "MUG-RED"), line(5)], policy="reject")
    assert (caught.value.line, caught.value.sku) == (2, MUG)
    assert (caught.value.requested, caught.value.available) == (5, 3)
    assert written(inv) == before
    assert levels(inv, "MUG-RED") == (10, 0, 10)
    with pytest.raises(onhand.UnknownOrder):
        inv.order("SO-1")


def test_an_order_under_backorder_reserves_what_exists_and_backorders_the_rest(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    order = inv.create_order("SO-1", [line(5)], policy="backorder")
    assert split(order) == ("WH1", 3, 2, 0, 0)
    assert at(inv, "WH1") == (3, 3, 0, 2)
    assert inv.stock(sku=MUG).backordered == 2
    assert inv.verify().ok


def test_stock_arriving_in_another_warehouse_fills_an_any_warehouse_backorder_in_turn(
    inv: onhand.Inventory,
) -> None:
    """A backorder that may come from any warehouse waits wherever it was booked; stock
    arriving in another warehouse fills it there, oldest first, before a later order."""
    mug(inv)
    anywhere = inv.create_order("SO-1", [line(5)], policy="backorder")
    assert split(anywhere) == ("WH1", 0, 5, 0, 0)  # the first warehouse by path
    inv.create_order("SO-2", [line(2)], policy="backorder", warehouse="WH1",
                     any_warehouse=False)
    inv.create_order("SO-3", [line(1)], policy="backorder", warehouse="WH2",
                     any_warehouse=False)
    mark = last_event(inv)

    inv.receive(sku=MUG, qty=4, location="WH2")

    moved = inv.order("SO-1")  # the oldest, so first, though WH2 has its own waiting order
    assert [(x.warehouse, x.qty, x.reserved, x.backordered) for x in moved.lines] == [
        ("WH1", 1, 0, 1), ("WH2", 4, 4, 0)]
    assert split(inv.order("SO-3")) == ("WH2", 0, 1, 0, 0)
    assert split(inv.order("SO-2")) == ("WH1", 0, 2, 0, 0)  # tied to WH1: waits there
    assert at(inv, "WH1") == (0, 0, 0, 3)
    assert at(inv, "WH2") == (4, 4, 0, 1)
    assert ("order.allocated", {"reference": "SO-1", "sku": MUG, "warehouse": "WH2",
                                "qty": "4", "from": "WH1"}) in kinds(inv, mark)
    inv.receive(sku=MUG, qty=2, location="WH2")  # the rest of SO-1 joins its WH2 line
    assert [(x.warehouse, x.qty, x.reserved, x.backordered)
            for x in inv.order("SO-1").lines] == [("WH1", 0, 0, 0), ("WH2", 5, 5, 0)]
    assert split(inv.order("SO-3")) == ("WH2", 1, 0, 0, 0)
    assert split(inv.order("SO-2")) == ("WH1", 0, 2, 0, 0)
    assert inv.verify().ok


def test_an_order_that_names_no_policy_takes_its_items_policy(inv: onhand.Inventory) -> None:
    stocked(inv, qty=1, order_policy="backorder")
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=1, location="WH1/A-01")
    assert inv.create_order("SO-1", [line(3)]).policy == "backorder"
    assert split(inv.order("SO-1")) == ("WH1", 1, 2, 0, 0)
    with pytest.raises(onhand.InsufficientStock) as caught:  # one reject item: reject
        inv.create_order("SO-2", [line(1), line(2, "MUG-RED")])
    assert caught.value.line == 1
    assert inv.create_order("SO-3", [line(1, "MUG-RED")]).policy == "reject"


def test_an_order_goes_to_its_preferred_warehouse(inv: onhand.Inventory) -> None:
    two_warehouses(inv)
    order = inv.create_order("SO-1", [line(3)], warehouse="WH2")
    assert (order.warehouse, order.any_warehouse) == ("WH2", False)
    assert split(order) == ("WH2", 3, 0, 0, 0)
    assert at(inv, "WH2") == (5, 3, 2, 0)


def test_an_order_tied_to_a_short_warehouse_is_rejected_though_another_has_stock(
    inv: onhand.Inventory,
) -> None:
    two_warehouses(inv)
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.create_order("SO-1", [line(7)], warehouse="WH2")
    assert (caught.value.location, caught.value.available) == ("WH2", 5)


def test_an_order_allowed_any_warehouse_goes_where_the_stock_is(inv: onhand.Inventory) -> None:
    two_warehouses(inv)
    order = inv.create_order("SO-1", [line(7)], warehouse="WH2", any_warehouse=True)
    assert split(order) == ("WH1", 7, 0, 0, 0)
    anywhere = inv.create_order("SO-2", [line(5)])
    assert anywhere.any_warehouse and split(anywhere) == ("WH2", 5, 0, 0, 0)
    assert levels(inv) == (15, 12, 3)


@pytest.mark.parametrize("make", [
    lambda inv: inv.create_order("SO/1", [line(1)]),
    lambda inv: inv.place_hold("CART/1", [line(1)], ttl=timedelta(minutes=5)),
    lambda inv: inv.create_purchase_order("PO/1", [line(1)], supplier="ACME", warehouse="WH1"),
    lambda inv: inv.dispatch_transfer("TR/1", [line(1)], source="WH1", target="WH2"),
])
def test_a_document_reference_may_not_hold_a_slash(inv: onhand.Inventory, make: Any) -> None:
    stocked(inv)
    inv.add_supplier("ACME")
    before = written(inv)
    with pytest.raises(onhand.InvalidInput) as caught:
        make(inv)
    assert caught.value.field == "reference" and "'/'" in str(caught.value)
    assert written(inv) == before


def test_a_warehouse_preference_must_be_a_warehouse(inv: onhand.Inventory) -> None:
    stocked(inv)
    with pytest.raises(onhand.InvalidLocation) as caught:
        inv.create_order("SO-1", [line(1)], warehouse="WH1/A-01")
    assert caught.value.field == "warehouse"


def test_creating_the_same_order_again_returns_it_and_reserves_nothing_more(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    first = inv.create_order("SO-1", [line(4)])
    before = written(inv)
    assert inv.create_order("SO-1", [line(4)]) == first
    assert written(inv) == before
    assert levels(inv) == (10, 4, 6)


@pytest.mark.parametrize("other", [
    [line(5)],  # another quantity
    [line(4), line(1, "MUG-RED")],  # a line more
    [line(1, "MUG-RED")],  # another item
])
def test_the_same_reference_with_other_lines_raises_duplicate_order(
    inv: onhand.Inventory, other: list[dict[str, Any]],
) -> None:
    stocked(inv)
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=10, location="WH1/A-01")
    inv.create_order("SO-1", [line(4)])
    before = written(inv)
    with pytest.raises(onhand.DuplicateOrder):
        inv.create_order("SO-1", other)
    assert written(inv) == before


def test_the_same_reference_with_fewer_lines_raises_duplicate_order(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=10, location="WH1/A-01")
    inv.create_order("SO-1", [line(4), line(1, "MUG-RED")])
    with pytest.raises(onhand.DuplicateOrder):
        inv.create_order("SO-1", [line(4)])


def test_a_hold_that_ended_keeps_its_reference_from_a_new_order(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(2)], ttl=timedelta(minutes=5))
    with pytest.raises(onhand.DuplicateOrder):  # a live hold is confirmed, not re-created
        inv.create_order("CART-1", [line(2)])
    inv.release_hold("CART-1")
    with pytest.raises(onhand.DuplicateOrder):
        inv.create_order("CART-1", [line(2)])
    assert inv.place_hold("CART-1", [line(2)], ttl=timedelta(minutes=5)).status == "released"
    assert levels(inv) == (10, 0, 10)


def test_a_retried_order_is_the_same_after_a_reallocation_split_its_line(
    inv: onhand.Inventory,
) -> None:
    two_warehouses(inv, wh1=4, wh2=4)
    inv.create_order("SO-1", [line(4)], warehouse="WH1", any_warehouse=True)
    inv.scrap(sku=MUG, qty=2, location="WH1/A-01", reason="flood", damage=True)
    assert len(inv.order("SO-1").lines) == 2
    assert inv.create_order("SO-1", [line(4)], warehouse="WH1", any_warehouse=True) == (
        inv.order("SO-1"))


def test_a_bad_line_is_named_and_nothing_is_written(inv: onhand.Inventory) -> None:
    stocked(inv)
    before = written(inv)
    with pytest.raises(onhand.UnknownItem) as unknown:
        inv.create_order("SO-1", [line(1), line(1, "NOPE")])
    assert unknown.value.line == 2
    with pytest.raises(onhand.InvalidQuantity) as zero:
        inv.create_order("SO-1", [line(0)])
    assert (zero.value.field, zero.value.line) == ("qty", 1)
    with pytest.raises(onhand.InvalidInput) as price:
        inv.create_order("SO-1", [line(1), line(1, unit_price="cheap")])
    assert (price.value.field, price.value.line) == ("unit_price", 2)
    assert written(inv) == before


# --- holds ------------------------------------------------------------------------------------


def test_a_hold_counts_as_reserved_until_its_ttl_ends_with_no_sweep(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    hold = inv.place_hold("CART-1", [line(3)], ttl=timedelta(seconds=1))
    assert hold.status == "held" and hold.expires_at is not None
    assert levels(inv) == (10, 3, 7)
    assert at(inv, "WH1") == (10, 3, 7, 0)
    time.sleep(1.1)
    assert levels(inv) == (10, 0, 10)
    assert inv.create_order("SO-1", [line(10)]).status == "open"  # the hold's units are free
    assert inv.order("CART-1").status == "expired"  # read so before the sweep records it


def test_a_hold_under_reject_is_refused_when_short(inv: onhand.Inventory) -> None:
    stocked(inv, qty=2)
    before = written(inv)
    with pytest.raises(onhand.InsufficientStock):
        inv.place_hold("CART-1", [line(3)], ttl=timedelta(minutes=15))
    assert written(inv) == before


@pytest.mark.parametrize("ttl", [timedelta(milliseconds=500), timedelta(days=31), 60])
def test_a_hold_lasts_from_one_second_to_thirty_days(inv: onhand.Inventory, ttl: Any) -> None:
    stocked(inv)
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.place_hold("CART-1", [line(1)], ttl=ttl)
    assert caught.value.field == "ttl"
    assert written(inv)["orders"] == 0


def test_an_expired_hold_cannot_be_confirmed_or_shipped(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(3)], ttl=timedelta(seconds=1))
    time.sleep(1.1)
    before = written(inv)
    # read before the sweep: expired, holding nothing (as the sweep will record it)
    unswept = inv.order("CART-1")
    assert unswept.status == "expired" and split(unswept) == ("WH1", 0, 0, 0, 3)
    assert [o.status for o in inv.orders()] == ["expired"]
    assert [o.reference for o in inv.orders(status="expired")] == ["CART-1"]
    assert inv.orders(status="held") == []
    for action in (inv.confirm_hold, inv.ship_order, inv.release_hold):
        with pytest.raises(onhand.HoldExpired):
            action("CART-1")
    assert written(inv) == before
    assert inv.sweep() == (1, 0)
    for action in (inv.confirm_hold, inv.ship_order, inv.release_hold):
        with pytest.raises(onhand.HoldExpired):  # the same once the sweep has recorded it
            action("CART-1")
    swept = inv.order("CART-1")
    assert swept == unswept


def test_confirming_a_hold_keeps_its_units_reserved_past_the_ttl(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(3)], ttl=timedelta(seconds=1))
    order = inv.confirm_hold("CART-1")
    assert (order.status, order.expires_at) == ("open", None)
    time.sleep(1.1)
    assert levels(inv) == (10, 3, 7)
    assert inv.sweep() == (0, 0)
    assert inv.ship_order("CART-1").status == "completed"
    assert levels(inv) == (7, 0, 7)
    assert inv.verify().ok


def test_a_live_hold_is_confirmed_before_it_ships(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(3)], ttl=timedelta(minutes=15))
    with pytest.raises(onhand.OrderClosed):
        inv.ship_order("CART-1")
    inv.confirm_hold("CART-1")
    with pytest.raises(onhand.OrderClosed):
        inv.confirm_hold("CART-1")


def test_releasing_a_hold_frees_its_units_at_once(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(3)], ttl=timedelta(minutes=15))
    released = inv.release_hold("CART-1")
    assert released.status == "released"
    assert split(released) == ("WH1", 0, 0, 0, 3)
    assert levels(inv) == (10, 0, 10)
    with pytest.raises(onhand.OrderClosed) as caught:
        inv.confirm_hold("CART-1")
    assert str(caught.value) == "hold 'CART-1' is released: cannot confirm a hold"
    assert ("hold.released", {"reference": "CART-1"}) in kinds(inv)
    assert inv.verify().ok


def test_the_sweep_marks_expired_holds_and_writes_their_events(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.place_hold("CART-1", [line(2)], ttl=timedelta(seconds=1))
    inv.place_hold("CART-2", [line(1)], ttl=timedelta(minutes=15))
    time.sleep(1.1)
    mark = last_event(inv)
    assert inv.sweep() == (1, 0)
    assert kinds(inv, mark) == [("hold.expired", {"reference": "CART-1"})]
    expired = inv.order("CART-1")
    assert expired.status == "expired" and split(expired) == ("WH1", 0, 0, 0, 2)
    assert inv.order("CART-2").status == "held"
    assert levels(inv) == (10, 1, 9)
    assert inv.sweep() == (0, 0)  # once
    assert inv.verify().ok


def test_a_hold_that_expires_lets_waiting_backorders_fill_at_the_sweep(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    inv.place_hold("CART-1", [line(3)], ttl=timedelta(seconds=1))
    inv.create_order("SO-1", [line(2)], policy="backorder")
    assert split(inv.order("SO-1")) == ("WH1", 0, 2, 0, 0)
    time.sleep(1.1)
    inv.sweep()
    assert split(inv.order("SO-1")) == ("WH1", 2, 0, 0, 0)
    assert inv.verify().ok


# --- shipping ---------------------------------------------------------------------------------


def test_shipping_an_order_posts_shipments_and_consumes_its_reservation(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    order = inv.ship_order("SO-1")
    assert order.status == "completed"
    assert split(order) == ("WH1", 0, 0, 4, 0)
    shipment = inv.history(sku=MUG)[-1]
    assert order.movement_ids == (shipment.id,)
    assert (shipment.kind, shipment.qty, shipment.source, shipment.reference) == (
        "shipment", 4, "WH1/A-01", "SO-1")
    assert levels(inv) == (6, 0, 6)
    assert inv.verify().ok


def test_shipping_part_of_an_order_leaves_the_rest_reserved(inv: onhand.Inventory) -> None:
    stocked(inv)
    placed = inv.create_order("SO-1", [line(4)])
    order = inv.ship_order("SO-1", [line(1)])
    assert order.status == "open"
    assert order.updated_at > placed.updated_at  # a partial shipment changes the order
    assert split(order) == ("WH1", 3, 0, 1, 0)
    assert levels(inv) == (9, 3, 6)
    assert inv.ship_order("SO-1", [line(3)]).status == "completed"
    assert levels(inv) == (6, 0, 6)
    assert inv.verify().ok


def test_shipping_a_backordered_order_ships_what_is_reserved_and_stays_open(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=2)
    inv.create_order("SO-1", [line(5)], policy="backorder")
    order = inv.ship_order("SO-1")
    assert (order.status, split(order)) == ("open", ("WH1", 0, 3, 2, 0))
    with pytest.raises(onhand.InvalidInput):  # nothing reserved now
        inv.ship_order("SO-1")


def test_shipping_more_than_reserved_raises_invalid_quantity_and_writes_nothing(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=5, location="WH1/A-01")
    inv.create_order("SO-1", [line(2, "MUG-RED"), line(4)])
    before = written(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.ship_order("SO-1", [line(1, "MUG-RED"), line(5)])
    assert caught.value.line == 2
    assert written(inv) == before
    mug(inv, "MUG-GREEN")
    before = written(inv)
    with pytest.raises(onhand.InvalidInput) as missing:  # an item the order does not have
        inv.ship_order("SO-1", [line(1, "MUG-GREEN")])
    assert (missing.value.line, missing.value.field) == (1, "sku")
    assert "the order has no line for 'MUG-GREEN'" in str(missing.value)
    assert written(inv) == before
    assert levels(inv) == (10, 4, 6)


def test_shipping_with_a_key_twice_ships_once(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    first = inv.ship_order("SO-1", [line(1)], key="ship-1")
    assert inv.ship_order("SO-1", [line(1)], key="ship-1") == first
    assert levels(inv) == (9, 3, 6)


def test_returning_with_a_key_twice_returns_once(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1")
    first = inv.return_order("SO-1", [line(1)], location="WH1/A-01", reason="unwanted",
                             key="rma-1")
    again = inv.return_order("SO-1", [line(1)], location="WH1/A-01", reason="unwanted",
                             key="rma-1")
    assert again == first and first.lines[0].returned == 1
    with pytest.raises(onhand.IdempotencyConflict):
        inv.return_order("SO-1", [line(2)], location="WH1/A-01", reason="unwanted",
                         key="rma-1")
    assert levels(inv) == (7, 0, 7)


def test_the_pick_list_takes_the_lot_that_came_in_first(inv: onhand.Inventory) -> None:
    mug(inv)
    now = datetime.now(UTC)
    inv.receive(sku=MUG, qty=3, location="WH1/A-01", lot="L-NEW", occurred_at=now)
    inv.receive(sku=MUG, qty=3, location="WH1/A-02", lot="L-OLD",
                occurred_at=now - timedelta(days=5))
    inv.create_order("SO-1", [line(4)])
    assert [(p.location, p.lot, p.qty) for p in inv.pick_list("SO-1")] == [
        ("WH1/A-02", "L-OLD", 3), ("WH1/A-01", "L-NEW", 1)]
    inv.ship_order("SO-1")
    assert inv.stock(sku=MUG).by_location == {"WH1/A-01": 2}


def test_the_pick_list_takes_the_lot_that_expires_first(inv: onhand.Inventory) -> None:
    mug(inv)
    inv.add_supplier("ACME")
    inv.create_purchase_order("PO-1", [line(6, unit_cost=Decimal("2.00"))], supplier="ACME",
                              warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1", [
        line(3, location="WH1/A-01", lot="L-1", expires_on=date(2031, 1, 1)),
        line(3, location="WH1/A-02", lot="L-2", expires_on=date(2030, 1, 1))])
    inv.create_order("SO-1", [line(4)])
    assert [(p.location, p.lot, p.qty) for p in inv.pick_list("SO-1")] == [
        ("WH1/A-02", "L-2", 3), ("WH1/A-01", "L-1", 1)]


def test_the_pick_list_takes_no_stock_from_a_non_sellable_bin(inv: onhand.Inventory) -> None:
    inv.add_location("WH1/DAMAGED", sellable=False)
    stocked(inv, qty=4, location="WH1/A-02")
    inv.receive(sku=MUG, qty=4, location="WH1/DAMAGED")
    inv.create_order("SO-1", [line(4)])
    assert [(p.location, p.qty) for p in inv.pick_list("SO-1")] == [("WH1/A-02", 4)]
    with pytest.raises(onhand.InsufficientStock):
        inv.create_order("SO-2", [line(1)])


# --- cancelling -------------------------------------------------------------------------------


def test_cancelling_an_order_frees_its_reservations(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    mark = last_event(inv)
    order = inv.cancel_order("SO-1", reason="customer changed their mind")
    assert (order.status, split(order)) == ("cancelled", ("WH1", 0, 0, 0, 4))
    assert levels(inv) == (10, 0, 10)
    assert kinds(inv, mark) == [("order.cancelled", {
        "reference": "SO-1", "reason": "customer changed their mind"})]
    with pytest.raises(onhand.OrderClosed):
        inv.cancel_order("SO-1")
    assert inv.verify().ok


def test_cancelling_part_of_a_line_gives_back_its_backorder_first(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    inv.create_order("SO-1", [line(5)], policy="backorder")
    order = inv.cancel_order("SO-1", [line(3)])
    assert (order.status, split(order)) == ("open", ("WH1", 2, 0, 0, 3))
    assert levels(inv) == (3, 2, 1)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.cancel_order("SO-1", [line(3)])
    assert caught.value.line == 1
    assert inv.verify().ok


def test_cancelling_lines_the_order_does_not_have_names_the_line(inv: onhand.Inventory) -> None:
    stocked(inv)
    mug(inv, "MUG-RED")
    inv.create_order("SO-1", [line(4)])
    before = written(inv)
    with pytest.raises(onhand.UnknownItem) as unknown:
        inv.cancel_order("SO-1", [line(1), line(1, "NOPE")])
    assert unknown.value.line == 2
    with pytest.raises(onhand.InvalidInput) as absent:
        inv.cancel_order("SO-1", [line(1), line(1, "MUG-RED")])
    assert (absent.value.field, absent.value.line) == ("sku", 2)
    assert written(inv) == before


def test_cancelling_the_shipped_rest_of_an_order_completes_it(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1", [line(1)])
    assert inv.cancel_order("SO-1").status == "completed"
    assert levels(inv) == (9, 0, 9)


def test_cancelled_stock_fills_other_backorders_highest_priority_first(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=4)
    inv.create_order("SO-1", [line(4)])
    inv.create_order("SO-LOW", [line(2)], policy="backorder")
    inv.create_order("SO-HIGH", [line(3)], policy="backorder", priority=5)
    mark = last_event(inv)
    inv.cancel_order("SO-1")
    assert split(inv.order("SO-HIGH")) == ("WH1", 3, 0, 0, 0)
    assert split(inv.order("SO-LOW")) == ("WH1", 1, 1, 0, 0)
    allocated = [(kind, data["reference"], data["qty"]) for kind, data in kinds(inv, mark)
                 if kind == "order.allocated"]
    assert allocated == [("order.allocated", "SO-HIGH", "3"), ("order.allocated", "SO-LOW", "1")]
    assert inv.verify().ok


# --- changing orders --------------------------------------------------------------------------


def test_raising_a_line_reserves_more_by_the_orders_policy(inv: onhand.Inventory) -> None:
    stocked(inv, qty=6)
    inv.create_order("SO-1", [line(2)], warehouse="WH1")
    assert split(inv.update_order("SO-1", [line(5)])) == ("WH1", 5, 0, 0, 0)
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.update_order("SO-1", [line(7)])
    assert caught.value.line == 1
    assert levels(inv) == (6, 5, 1)
    assert inv.verify().ok


def test_raising_a_backorder_order_past_its_stock_backorders_the_rest(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=6)
    inv.create_order("SO-1", [line(2)], policy="backorder", warehouse="WH1")
    order = inv.update_order("SO-1", [line(9)])
    assert order.lines[0].qty == 9
    assert split(order) == ("WH1", 6, 3, 0, 0)


def test_lowering_a_line_gives_back_its_backorder_then_its_reservation(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=3)
    inv.create_order("SO-1", [line(5)], policy="backorder")
    order = inv.update_order("SO-1", [line(4)])
    assert (order.lines[0].qty, split(order)) == (4, ("WH1", 3, 1, 0, 0))
    order = inv.update_order("SO-1", [line(1)])
    assert (order.lines[0].qty, split(order)) == (1, ("WH1", 1, 0, 0, 0))
    assert levels(inv) == (3, 1, 2)
    assert inv.verify().ok


def test_adding_and_removing_lines(inv: onhand.Inventory) -> None:
    stocked(inv)
    mug(inv, "MUG-RED")
    inv.receive(sku="MUG-RED", qty=5, location="WH1/A-01")
    inv.create_order("SO-1", [line(2)])
    order = inv.update_order("SO-1", [line(3, "MUG-RED", unit_price="4.00")])
    assert [(x.line, x.sku, x.qty, x.reserved, x.unit_price) for x in order.lines] == [
        (1, MUG, 2, 2, None), (2, "MUG-RED", 3, 3, Decimal("4.00"))]
    order = inv.update_order("SO-1", [line(0)])  # 0 removes the line
    assert [(x.sku, x.qty, x.reserved) for x in order.lines] == [(MUG, 0, 0), ("MUG-RED", 3, 3)]
    assert levels(inv) == (10, 0, 10)
    assert levels(inv, "MUG-RED") == (5, 3, 2)
    assert inv.update_order("SO-1", [line(0, "MUG-RED")]).status == "cancelled"
    assert inv.verify().ok


def test_an_order_cannot_be_lowered_below_what_shipped(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1", [line(3)])
    before = written(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.update_order("SO-1", [line(2)])
    assert (caught.value.field, caught.value.line) == ("qty", 1)
    assert written(inv) == before
    assert split(inv.update_order("SO-1", [line(3)])) == ("WH1", 0, 0, 3, 0)
    assert inv.order("SO-1").status == "completed"


def test_a_bad_quantity_in_an_update_is_named_by_its_line(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    for wrong in (-1, Decimal("1.5"), "2"):
        with pytest.raises(onhand.InvalidQuantity) as caught:
            inv.update_order("SO-1", [line(4), line(wrong)])
        assert (caught.value.field, caught.value.line) == ("qty", 2)
    assert levels(inv) == (10, 4, 6)


# --- returns ----------------------------------------------------------------------------------


def test_returns_are_taken_only_against_what_shipped_and_not_yet_returned(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    with pytest.raises(onhand.InvalidQuantity):
        inv.return_order("SO-1", [line(1)], location="WH1/A-01", reason="unwanted")
    inv.ship_order("SO-1", [line(3)])
    inv.return_order("SO-1", [line(2)], location="WH1/A-01", reason="unwanted")
    before = written(inv)
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.return_order("SO-1", [line(2)], location="WH1/A-01", reason="unwanted")
    assert caught.value.line == 1
    with pytest.raises(onhand.InvalidQuantity):
        inv.return_order("SO-1", [line(1), line(1)], location="WH1/A-01", reason="unwanted")
    assert written(inv) == before
    assert inv.order("SO-1").lines[0].returned == 2
    assert inv.verify().ok


def test_one_return_of_two_lines_spreads_over_the_shipments(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(3)])
    inv.ship_order("SO-1", [line(1)])
    inv.ship_order("SO-1", [line(2)])
    order = inv.return_order("SO-1", [line(1), line(2)], location="WH1/A-01", reason="unwanted")
    assert order.lines[0].returned == 3
    returns = [m for m in inv.history(sku=MUG) if m.kind == "return"]
    shipments = [m.id for m in inv.history(sku=MUG) if m.kind == "shipment"]
    assert sorted((m.shipment_id, m.qty) for m in returns) == [
        (shipments[0], 1), (shipments[1], 2)]
    assert levels(inv) == (10, 0, 10)
    assert inv.verify().ok


def test_a_return_to_a_sellable_location_raises_available(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1")
    order = inv.return_order("SO-1", [line(1)], location="WH1/A-02", reason="unwanted")
    assert order.lines[0].returned == 1
    returned = inv.history(sku=MUG)[-1]
    assert (returned.kind, returned.target, returned.reason) == ("return", "WH1/A-02",
                                                                 "unwanted")
    assert returned.id in order.movement_ids
    assert levels(inv) == (7, 0, 7)
    assert inv.verify().ok


def test_a_return_to_a_non_sellable_location_raises_on_hand_but_not_available(
    inv: onhand.Inventory,
) -> None:
    inv.add_location("WH1/INSPECTION", sellable=False)
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1")
    inv.return_order("SO-1", [line(2)], location="WH1/INSPECTION", reason="dented box")
    assert levels(inv) == (8, 0, 6)
    assert inv.stock(sku=MUG).non_sellable == 2
    assert inv.verify().ok


def test_a_return_to_a_sellable_location_fills_a_waiting_backorder(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=4)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1")
    inv.create_order("SO-2", [line(1)], policy="backorder")
    inv.return_order("SO-1", [line(1)], location="WH1/A-01", reason="unwanted")
    assert split(inv.order("SO-2")) == ("WH1", 1, 0, 0, 0)
    assert inv.verify().ok


def test_a_return_needs_a_reason(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1")
    before = written(inv)
    for reason in ("", "  "):
        with pytest.raises(onhand.InvalidInput) as caught:
            inv.return_order("SO-1", [line(1)], location="WH1/A-01", reason=reason)
        assert caught.value.field == "reason"
    assert written(inv) == before


# --- reserved stock and the ledger ------------------------------------------------------------


@pytest.mark.parametrize("take", [
    lambda inv: inv.ship(sku=MUG, qty=3, location="WH1/A-01"),
    lambda inv: inv.scrap(sku=MUG, qty=3, location="WH1/A-01", reason="broken"),
    lambda inv: inv.transfer(sku=MUG, qty=3, source="WH1/A-01", target="WH2"),
    lambda inv: inv.adjust(sku=MUG, qty=-3, location="WH1/A-01", reason="miscount"),
], ids=["ship", "scrap", "transfer", "adjustment"])
def test_plain_outbound_movements_may_not_take_reserved_stock(
    inv: onhand.Inventory, take: Any,
) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(8)])
    before = written(inv)
    with pytest.raises(onhand.InsufficientStock) as caught:
        take(inv)
    assert (caught.value.requested, caught.value.available) == (3, 2)
    assert written(inv) == before
    assert levels(inv) == (10, 8, 2)


def test_a_plain_move_inside_a_warehouse_may_take_its_reserved_units(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(8)])
    inv.transfer(sku=MUG, qty=5, source="WH1/A-01", target="WH1/A-02")
    assert levels(inv) == (10, 8, 2)


def test_recorded_damage_takes_reserved_stock_and_the_newest_reservations_become_backorders(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.create_order("SO-OLD", [line(4)])
    inv.create_order("SO-NEW", [line(4)])
    mark = last_event(inv)
    inv.scrap(sku=MUG, qty=5, location="WH1/A-01", reason="shelf fell", damage=True)
    assert split(inv.order("SO-OLD")) == ("WH1", 4, 0, 0, 0)
    assert split(inv.order("SO-NEW")) == ("WH1", 1, 3, 0, 0)
    assert kinds(inv, mark) == [("order.backordered", {
        "reference": "SO-NEW", "sku": MUG, "warehouse": "WH1", "qty": "3"})]
    assert at(inv, "WH1") == (5, 5, 0, 3)
    assert inv.verify().ok


def test_a_count_takes_reserved_stock_and_backorders_the_newest(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(6)], policy="backorder")
    inv.post_batch([{"kind": "count", "sku": MUG, "qty": -7, "location": "WH1/A-01",
                     "reason": "cycle count"}])
    assert split(inv.order("SO-1")) == ("WH1", 3, 3, 0, 0)
    assert levels(inv) == (3, 3, 0)
    assert inv.verify().ok


def test_a_damaged_move_into_a_non_sellable_bin_may_take_reserved_stock(
    inv: onhand.Inventory,
) -> None:
    inv.add_location("WH1/DAMAGED", sellable=False)
    inv.add_location("WH1/B-01")
    stocked(inv)
    inv.create_order("SO-1", [line(9)], warehouse="WH1")
    with pytest.raises(onhand.InsufficientStock):
        inv.transfer(sku=MUG, qty=2, source="WH1/A-01", target="WH1/DAMAGED")
    with pytest.raises(onhand.InvalidLocation) as sellable:  # damage stays out of available
        inv.transfer(sku=MUG, qty=2, source="WH1/A-01", target="WH1/B-01", damage=True)
    assert sellable.value.fields()["field"] == "target"
    assert "not sellable" in str(sellable.value)
    assert split(inv.order("SO-1")) == ("WH1", 9, 0, 0, 0)
    inv.transfer(sku=MUG, qty=2, source="WH1/A-01", target="WH1/DAMAGED", damage=True)
    assert split(inv.order("SO-1")) == ("WH1", 8, 1, 0, 0)
    assert at(inv, "WH1") == (10, 8, 0, 1)
    assert inv.verify().ok


def test_damage_reallocates_reservations_to_another_warehouse_when_the_order_allows(
    inv: onhand.Inventory,
) -> None:
    two_warehouses(inv, wh1=6, wh2=5)
    inv.create_order("SO-ANY", [line(3)], warehouse="WH1", any_warehouse=True)
    inv.create_order("SO-WH1", [line(3)], warehouse="WH1")
    mark = last_event(inv)
    inv.scrap(sku=MUG, qty=3, location="WH1/A-01", reason="flood", damage=True)
    assert split(inv.order("SO-WH1")) == ("WH1", 0, 3, 0, 0)  # the newest, tied to WH1
    assert split(inv.order("SO-ANY")) == ("WH1", 3, 0, 0, 0)  # older: kept
    inv.scrap(sku=MUG, qty=2, location="WH1/A-01", reason="flood", damage=True)
    moved = inv.order("SO-ANY")
    assert [(x.warehouse, x.qty, x.reserved) for x in moved.lines] == [
        ("WH1", 1, 1), ("WH2", 2, 2)]
    assert ("order.reallocated", {"reference": "SO-ANY", "sku": MUG, "warehouse": "WH1",
                                  "qty": "2", "to": "WH2"}) in kinds(inv, mark)
    assert at(inv, "WH2") == (5, 2, 3, 0)
    assert inv.ship_order("SO-ANY").status == "completed"
    assert inv.verify().ok


def test_damage_that_only_takes_free_stock_changes_no_order(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.scrap(sku=MUG, qty=6, location="WH1/A-01", reason="cracked", damage=True)
    assert split(inv.order("SO-1")) == ("WH1", 4, 0, 0, 0)
    assert levels(inv) == (4, 4, 0)


def test_damage_shortens_a_live_hold(inv: onhand.Inventory) -> None:
    stocked(inv, qty=4)
    inv.place_hold("CART-1", [line(4)], ttl=timedelta(minutes=15))
    inv.scrap(sku=MUG, qty=1, location="WH1/A-01", reason="chipped", damage=True)
    assert split(inv.order("CART-1")) == ("WH1", 3, 0, 0, 1)
    assert levels(inv) == (3, 3, 0)
    assert inv.confirm_hold("CART-1").lines[0].reserved == 3
    assert inv.verify().ok


def test_a_hold_that_damage_emptied_is_cancelled_when_confirmed(inv: onhand.Inventory) -> None:
    stocked(inv, qty=4)
    inv.place_hold("CART-1", [line(4)], ttl=timedelta(minutes=15))
    inv.scrap(sku=MUG, qty=4, location="WH1/A-01", reason="crushed", damage=True)
    order = inv.confirm_hold("CART-1")
    assert (order.status, split(order)) == ("cancelled", ("WH1", 0, 0, 0, 4))
    assert inv.verify().ok


# --- receipts, safety stock, sellable locations -----------------------------------------------


def test_receipts_fill_backorders_highest_priority_first_then_oldest(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.create_order("SO-OLD", [line(2)], policy="backorder", warehouse="WH1")
    inv.create_order("SO-NEW", [line(2)], policy="backorder", warehouse="WH1")
    inv.create_order("SO-VIP", [line(2)], policy="backorder", warehouse="WH1", priority=10)
    inv.receive(sku=MUG, qty=3, location="WH1/A-01")
    assert split(inv.order("SO-VIP")) == ("WH1", 2, 0, 0, 0)
    assert split(inv.order("SO-OLD")) == ("WH1", 1, 1, 0, 0)
    assert split(inv.order("SO-NEW")) == ("WH1", 0, 2, 0, 0)
    inv.receive(sku=MUG, qty=10, location="WH1/A-02")
    assert [split(inv.order(r))[1:3] for r in ("SO-VIP", "SO-OLD", "SO-NEW")] == [
        (2, 0), (2, 0), (2, 0)]
    assert at(inv, "WH1") == (13, 6, 7, 0)
    assert inv.verify().ok


def test_a_receipt_in_another_warehouse_leaves_a_backorder_where_it_is(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.create_order("SO-1", [line(2)], policy="backorder", warehouse="WH1")
    inv.receive(sku=MUG, qty=5, location="WH2")
    assert split(inv.order("SO-1")) == ("WH1", 0, 2, 0, 0)


def test_safety_stock_lowers_available_and_what_orders_may_reserve(
    inv: onhand.Inventory,
) -> None:
    stocked(inv)
    inv.set_safety_stock(sku=MUG, warehouse="WH1", qty=3)
    assert levels(inv) == (10, 0, 7)
    assert inv.stock(sku=MUG).safety_stock == 3
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.create_order("SO-1", [line(8)])
    assert caught.value.available == 7
    inv.create_order("SO-2", [line(7)])
    assert levels(inv) == (10, 7, 0)
    inv.create_order("SO-3", [line(3)], policy="backorder")
    inv.set_safety_stock(sku=MUG, warehouse="WH1", qty=1)  # frees 2 for SO-3, and no more
    assert split(inv.order("SO-3")) == ("WH1", 2, 1, 0, 0)
    assert at(inv, "WH1") == (10, 9, 0, 1)
    assert inv.verify().ok


def test_a_location_set_not_sellable_lowers_available_and_may_backorder(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=4, location="WH1/A-01")
    inv.receive(sku=MUG, qty=4, location="WH1/A-02")
    inv.create_order("SO-1", [line(6)])
    mark = last_event(inv)
    inv.set_sellable("WH1/A-02", False)
    assert at(inv, "WH1") == (8, 4, 0, 2)
    assert inv.stock(sku=MUG).non_sellable == 4
    assert split(inv.order("SO-1")) == ("WH1", 4, 2, 0, 0)
    assert [kind for kind, _ in kinds(inv, mark)] == ["order.backordered"]
    inv.set_sellable("WH1/A-02", True)
    assert split(inv.order("SO-1")) == ("WH1", 6, 0, 0, 0)
    assert inv.verify().ok


# --- deadlines --------------------------------------------------------------------------------


def test_a_backorder_past_its_cancel_after_is_cancelled_by_the_sweep_with_an_event(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=2)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    inv.create_order("SO-2", [line(1)], policy="backorder", cancel_after=soon)
    inv.create_order("SO-1", [line(5)], policy="backorder", cancel_after=soon)
    assert inv.sweep() == (0, 0)
    time.sleep(1.1)
    mark = last_event(inv)
    assert inv.sweep() == (0, 1)
    order = inv.order("SO-1")  # the backordered line is cancelled, its reserved units too
    assert (order.status, split(order)) == ("cancelled", ("WH1", 0, 0, 0, 5))
    assert kinds(inv, mark) == [("order.cancelled", {
        "reference": "SO-1", "sku": MUG, "reason": "cancel_after passed"})]
    assert inv.order("SO-2").status == "open"  # nothing backordered: nothing to cancel
    assert levels(inv) == (2, 1, 1)
    assert inv.sweep() == (0, 0)
    assert inv.verify().ok


def test_an_order_with_nothing_left_but_a_late_backorder_is_cancelled_whole(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.create_order("SO-1", [line(5)], policy="backorder",
                     cancel_after=datetime.now(UTC) + timedelta(seconds=1))
    time.sleep(1.1)
    assert inv.sweep() == (0, 1)
    assert inv.order("SO-1").status == "cancelled"


# --- unknown orders ---------------------------------------------------------------------------


def test_an_unknown_order_raises_unknown_order_everywhere(inv: onhand.Inventory) -> None:
    stocked(inv)
    calls = [
        lambda: inv.order("SO-404"),
        lambda: inv.ship_order("SO-404"),
        lambda: inv.pick_list("SO-404"),
        lambda: inv.cancel_order("SO-404"),
        lambda: inv.update_order("SO-404", [line(1)]),
        lambda: inv.return_order("SO-404", [line(1)], location="WH1/A-01", reason="x"),
        lambda: inv.confirm_hold("SO-404"),
        lambda: inv.release_hold("SO-404"),
    ]
    for call in calls:
        with pytest.raises(onhand.UnknownOrder) as caught:
            call()
        assert caught.value.fields()["reference"] == "SO-404"


def test_orders_are_listed_a_page_at_a_time_after_the_last_one_seen(
        inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    for owner in ("default", "acme"):
        mug(inv, owner=owner)
        inv.receive(sku=MUG, qty=10, location="WH1/A-01", owner=owner)
    for n in range(1, 6):
        inv.create_order(f"SO-{n}", [line(1)], owner="acme" if n == 3 else "default")
    first = inv.orders(limit=2)
    second = inv.orders(limit=2, after=first[-1])
    third = inv.orders(limit=2, after=second[-1])
    assert [[(o.owner, o.reference) for o in page] for page in (first, second, third)] == [
        [("default", "SO-1"), ("default", "SO-2")], [("acme", "SO-3"), ("default", "SO-4")],
        [("default", "SO-5")]]
    assert [o.reference for o in inv.orders(owner="default", after=first[-1])] == [
        "SO-4", "SO-5"]
    assert inv.orders(after=third[-1]) == []


def test_another_owners_order_is_unknown(inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    mug(inv, owner="acme")
    inv.receive(sku=MUG, qty=10, location="WH1/A-01", owner="acme")
    inv.create_order("SO-1", [line(2)], owner="acme")
    inv.place_hold("CART-1", [line(1)], owner="acme", ttl=timedelta(minutes=5))
    for call in (lambda: inv.order("SO-1"), lambda: inv.ship_order("SO-1"),
                 lambda: inv.cancel_order("SO-1"), lambda: inv.confirm_hold("CART-1")):
        with pytest.raises(onhand.UnknownOrder):
            call()
    assert inv.order("SO-1", owner="acme").owner == "acme"
    assert [o.reference for o in inv.orders(owner="acme")] == ["SO-1", "CART-1"]
    assert inv.orders(owner="default") == []
    assert inv.ship_order("SO-1", owner="acme").status == "completed"


# --- events -----------------------------------------------------------------------------------


def test_events_come_in_id_order_with_no_gaps_and_page_by_cursor(inv: onhand.Inventory) -> None:
    stocked(inv)
    inv.create_order("SO-1", [line(4)])
    inv.ship_order("SO-1", [line(1)])
    inv.place_hold("CART-1", [line(1)], ttl=timedelta(minutes=5))
    inv.release_hold("CART-1")
    inv.cancel_order("SO-1")
    every = inv.events(limit=1000)
    assert [e.id for e in every] == list(range(1, len(every) + 1))
    assert {e.owner for e in every} == {"default"}
    paged, cursor = [], 0
    while page := inv.events(cursor=cursor, limit=3):
        assert len(page) <= 3
        paged += page
        cursor = page[-1].id
    assert paged == every
    assert inv.events(cursor=every[-1].id) == []
    last = every[-1]
    assert (last.type, last.data["available"], last.data["reserved"]) == (
        "stock.changed", "9", "0")


def test_each_change_of_available_writes_a_stock_changed_event(inv: onhand.Inventory) -> None:
    stocked(inv)
    mark = last_event(inv)
    inv.create_order("SO-1", [line(4)])
    changed = [e.data for e in inv.events(cursor=mark) if e.type == "stock.changed"]
    assert changed == [{"sku": MUG, "warehouse": "WH1", "on_hand": "10", "sellable": "10",
                        "reserved": "4", "backordered": "0", "safety_stock": "0",
                        "available": "6"}]


def test_events_of_one_owner_are_read_alone(inv: onhand.Inventory) -> None:
    inv.add_owner("acme")
    mug(inv, owner="acme")
    inv.receive(sku=MUG, qty=10, location="WH1/A-01", owner="acme")
    stocked(inv, sku="MUG-RED")
    acme = inv.events(owner="acme")
    assert acme and {e.owner for e in acme} == {"acme"}
    assert {e.data["sku"] for e in acme} == {MUG}


def test_a_bad_cursor_or_limit_names_its_field(inv: onhand.Inventory) -> None:
    for kwargs, field in (({"cursor": -1}, "cursor"), ({"limit": 0}, "limit"),
                          ({"cursor": True}, "cursor")):
        with pytest.raises(onhand.InvalidInput) as caught:
            inv.events(**kwargs)
        assert caught.value.field == field


# --- all of it --------------------------------------------------------------------------------


def test_a_day_of_orders_leaves_the_ledger_and_the_promises_verified(
    inv: onhand.Inventory,
) -> None:
    inv.add_location("WH1/DAMAGED", sellable=False)
    two_warehouses(inv, wh1=12, wh2=6)
    inv.create_order("SO-1", [line(5)], warehouse="WH1", any_warehouse=True)
    inv.create_order("SO-2", [line(8)], policy="backorder", warehouse="WH1", priority=2)
    inv.place_hold("CART-1", [line(2)], ttl=timedelta(minutes=5))
    inv.ship_order("SO-1", [line(2)])
    inv.scrap(sku=MUG, qty=4, location="WH1/A-01", reason="dropped", damage=True)
    inv.receive(sku=MUG, qty=6, location="WH1/A-02")
    inv.update_order("SO-2", [line(6)])
    inv.ship_order("SO-1")
    inv.return_order("SO-1", [line(1)], location="WH1/DAMAGED", reason="scratched")
    inv.confirm_hold("CART-1")
    inv.ship_order("CART-1")
    inv.cancel_order("SO-2", [line(1)])
    inv.set_safety_stock(sku=MUG, warehouse="WH2", qty=1)
    report = inv.verify()
    assert report.ok, report.problems
    stock = inv.stock(sku=MUG)
    assert stock.reserved == sum(x.reserved for o in inv.orders() for x in o.lines
                                 if o.status in ("open", "held"))
    assert stock.backordered == sum(x.backordered for o in inv.orders() for x in o.lines
                                    if o.status == "open")
    events = inv.events(limit=1000)
    assert [e.id for e in events] == list(range(1, len(events) + 1))
