"""The pure rules of orders: allocate a line, pick its stock, fill backorders, give way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import onhand
from onhand.domain.orders import (
    Claim,
    check_lines,
    check_policy,
    check_price,
    check_priority,
    fill,
    shortfall,
)
from onhand.domain.positions import Allocation, Pickable, Position, allocate, pick

WH1, WH2, WH3 = 1, 2, 3
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def minute(n: int) -> datetime:
    return MONDAY + timedelta(minutes=n)


def claim(line_id: int, *, reserved: int = 0, backordered: int = 0, priority: int = 0,
          at: int = 0) -> Claim:
    return Claim(line_id=line_id, order_id=line_id, reserved=reserved,
                 backordered=backordered, priority=priority, created_at=minute(at))


def place(path: str, qty: int, *, lot: str = "", expires: date | None = None,
          first_in: int | None = None) -> Pickable:
    return Pickable(location_id=0, path=path, lot=lot, qty=qty,
                    expires_on=expires, first_in=None if first_in is None else minute(first_in))


# --- allocate ---------------------------------------------------------------------------------


def test_a_line_goes_to_the_preferred_warehouse_when_it_covers_the_line() -> None:
    choice = allocate(5, {WH1: 9, WH2: 5}, preferred=WH2, any_warehouse=True, backorder=False)
    assert choice == Allocation(WH2, 5, 0)


def test_a_line_short_in_the_preferred_warehouse_goes_elsewhere_when_the_order_allows() -> None:
    choice = allocate(5, {WH1: 9, WH2: 2}, preferred=WH2, any_warehouse=True, backorder=False)
    assert choice == Allocation(WH1, 5, 0)


def test_a_line_tied_to_its_preferred_warehouse_is_rejected_when_that_one_is_short() -> None:
    choice = allocate(5, {WH1: 9, WH2: 2}, preferred=WH2, any_warehouse=False, backorder=False)
    assert choice is None


def test_a_line_tied_to_its_warehouse_backorders_there_even_when_another_has_stock() -> None:
    choice = allocate(5, {WH1: 9, WH2: 2}, preferred=WH2, any_warehouse=False, backorder=True)
    assert choice == Allocation(WH2, 2, 3)


def test_with_no_preference_the_first_warehouse_that_covers_the_line_takes_it() -> None:
    choice = allocate(4, {WH1: 3, WH2: 4, WH3: 10}, preferred=None, any_warehouse=False,
                      backorder=False)
    assert choice == Allocation(WH2, 4, 0)


def test_short_everywhere_with_backorder_reserves_what_the_fullest_warehouse_has() -> None:
    choice = allocate(10, {WH1: 3, WH2: 6, WH3: 0}, preferred=None, any_warehouse=True,
                      backorder=True)
    assert choice == Allocation(WH2, 6, 4)


def test_short_everywhere_with_backorder_prefers_the_preferred_warehouse() -> None:
    choice = allocate(10, {WH1: 3, WH2: 6}, preferred=WH1, any_warehouse=True, backorder=True)
    assert choice == Allocation(WH1, 3, 7)


def test_short_everywhere_without_backorder_is_refused() -> None:
    assert allocate(10, {WH1: 3, WH2: 6}, preferred=None, any_warehouse=True,
                    backorder=False) is None


def test_an_overcommitted_warehouse_backorders_the_whole_line_and_reserves_nothing() -> None:
    choice = allocate(2, {WH1: -3}, preferred=WH1, any_warehouse=False, backorder=True)
    assert choice == Allocation(WH1, 0, 2)


def test_with_no_warehouse_at_all_nothing_is_allocated() -> None:
    assert allocate(1, {}, preferred=None, any_warehouse=True, backorder=True) is None


# --- pick -------------------------------------------------------------------------------------


def test_picking_takes_the_lot_that_expires_first_whatever_came_in_first() -> None:
    later = place("WH1/A-01", 5, lot="OLD", expires=date(2027, 6, 1), first_in=0)
    sooner = place("WH1/A-02", 5, lot="NEW", expires=date(2027, 1, 1), first_in=10)
    assert [(p.lot, n) for p, n in pick(7, [later, sooner])] == [("NEW", 5), ("OLD", 2)]


def test_picking_takes_lots_with_an_expiry_before_lots_without_one() -> None:
    no_date = place("WH1/A-01", 5, lot="A", first_in=0)
    dated = place("WH1/A-02", 5, lot="B", expires=date(2030, 1, 1), first_in=10)
    assert [p.lot for p, _ in pick(6, [no_date, dated])] == ["B", "A"]


def test_picking_without_expiry_takes_the_lot_that_came_in_first() -> None:
    newer = place("WH1/A-01", 4, lot="L2", first_in=30)
    older = place("WH1/A-02", 4, lot="L1", first_in=5)
    assert [(p.lot, n) for p, n in pick(5, [newer, older])] == [("L1", 4), ("L2", 1)]


def test_picking_stock_of_unknown_age_comes_after_stock_with_a_first_in_time() -> None:
    unknown = place("WH1/A-01", 4)
    known = place("WH1/A-02", 4, lot="L1", first_in=5)
    assert [p.path for p, _ in pick(5, [unknown, known])] == ["WH1/A-02", "WH1/A-01"]


def test_picking_equal_stock_goes_by_location_path() -> None:
    stock = [place("WH1/B-01", 3), place("WH1/A-02", 3), place("WH1/A-01", 3)]
    assert [(p.path, n) for p, n in pick(7, stock)] == [
        ("WH1/A-01", 3), ("WH1/A-02", 3), ("WH1/B-01", 1)]


def test_picking_more_than_exists_takes_everything_there_is() -> None:
    picks = pick(10, [place("WH1/A-01", 3), place("WH1/A-02", 4)])
    assert sum(n for _, n in picks) == 7


def test_picking_skips_empty_places_and_stops_once_the_units_are_found() -> None:
    stock = [place("WH1/A-01", 0), place("WH1/A-02", 2), place("WH1/A-03", 9)]
    assert [(p.path, n) for p, n in pick(2, stock)] == [("WH1/A-02", 2)]


# --- fill -------------------------------------------------------------------------------------


def test_backorders_fill_highest_priority_first() -> None:
    low, high = claim(1, backordered=5, priority=0, at=0), claim(2, backordered=5, priority=9,
                                                                 at=5)
    assert [(c.line_id, n) for c, n in fill(6, [low, high])] == [(2, 5), (1, 1)]


def test_backorders_of_equal_priority_fill_oldest_first() -> None:
    newer, older = claim(1, backordered=3, at=10), claim(2, backordered=3, at=1)
    assert [(c.line_id, n) for c, n in fill(4, [newer, older])] == [(2, 3), (1, 1)]


def test_a_line_is_filled_completely_before_the_next_gets_anything() -> None:
    first, second = claim(1, backordered=10, at=0), claim(2, backordered=1, at=1)
    assert [(c.line_id, n) for c, n in fill(10, [first, second])] == [(1, 10)]


def test_nothing_available_fills_nothing() -> None:
    assert fill(0, [claim(1, backordered=3)]) == []
    assert fill(-2, [claim(1, backordered=3)]) == []


def test_more_available_than_backordered_fills_every_line_and_no_more() -> None:
    grants = fill(100, [claim(1, backordered=3), claim(2, backordered=4, at=1)])
    assert [(c.line_id, n) for c, n in grants] == [(1, 3), (2, 4)]


# --- shortfall --------------------------------------------------------------------------------


def test_when_stock_falls_short_the_newest_reservations_give_way_first() -> None:
    oldest, middle, newest = (claim(1, reserved=4, at=0), claim(2, reserved=4, at=5),
                              claim(3, reserved=4, at=9))
    losses = shortfall(6, [middle, newest, oldest])
    assert [(c.line_id, n) for c, n in losses] == [(3, 4), (2, 2)]


def test_a_shortfall_ignores_priority_only_age_counts() -> None:
    urgent_new, plain_old = claim(1, reserved=2, priority=100, at=9), claim(2, reserved=2, at=0)
    assert [c.line_id for c, _ in shortfall(1, [plain_old, urgent_new])] == [1]


def test_no_shortfall_takes_nothing() -> None:
    assert shortfall(0, [claim(1, reserved=3)]) == []


# --- Position ---------------------------------------------------------------------------------


def test_available_is_sellable_stock_less_reservations_holds_and_safety_stock() -> None:
    position = Position(sellable=20, on_hand=25, reserved=6, held=3, safety_stock=4)
    assert position.available == 7
    assert position.overcommitted == 0


def test_available_goes_negative_and_overcommitted_counts_the_uncovered_reservations() -> None:
    position = Position(sellable=5, on_hand=9, reserved=6, held=2, safety_stock=1)
    assert position.available == -4
    assert position.overcommitted == 3


def test_safety_stock_alone_never_makes_a_warehouse_overcommitted() -> None:
    position = Position(sellable=5, reserved=5, safety_stock=3)
    assert (position.available, position.overcommitted) == (-3, 0)


# --- checks -----------------------------------------------------------------------------------


def test_a_policy_is_reject_or_backorder() -> None:
    assert check_policy("backorder") == "backorder"
    with pytest.raises(onhand.InvalidInput) as caught:
        check_policy("allow")
    assert caught.value.field == "policy"


@pytest.mark.parametrize("wrong", [True, 1.5, "1", 1001, -1001])
def test_a_priority_is_an_integer_within_bounds(wrong: object) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        check_priority(wrong)
    assert caught.value.field == "priority"


def test_lines_must_be_a_non_empty_list() -> None:
    for wrong in ("MUG-BLUE", {"sku": "MUG-BLUE", "qty": 1}, 7, []):
        with pytest.raises(onhand.InvalidInput) as caught:
            check_lines(wrong)
        assert caught.value.field == "lines"
    assert check_lines([], allow_empty=True) == []


def test_a_line_that_is_not_a_mapping_is_named_by_its_number() -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        check_lines([{"sku": "MUG-BLUE", "qty": 1}, "MUG-RED"])
    assert (caught.value.field, caught.value.line) == ("lines", 2)


def test_an_unknown_field_on_a_line_is_named_with_the_line() -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        check_lines([{"sku": "MUG-BLUE", "qty": 1}, {"sku": "MUG-RED", "qty": 1, "price": 2}])
    assert (caught.value.field, caught.value.line) == ("price", 2)
    assert "line 2" in str(caught.value)


@pytest.mark.parametrize("missing", ["sku", "qty"])
def test_a_line_without_its_sku_or_qty_names_the_missing_field(missing: str) -> None:
    line = {"sku": "MUG-BLUE", "qty": 1}
    del line[missing]
    with pytest.raises(onhand.InvalidInput) as caught:
        check_lines([{"sku": "MUG-RED", "qty": 2}, {"sku": "MUG-RED", "qty": 2}, line])
    assert (caught.value.field, caught.value.line) == (missing, 3)


def test_too_many_lines_are_refused() -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        check_lines([{"sku": "MUG-BLUE", "qty": 1}] * 1001)
    assert caught.value.field == "lines"


def test_a_unit_price_is_a_non_negative_decimal_given_as_decimal_text_or_int() -> None:
    assert check_price(Decimal("9.50"), 1) == Decimal("9.50")
    assert check_price(" 9.50 ", 1) == Decimal("9.50")
    assert check_price(3, 1) == Decimal(3)
    assert check_price(None, 1) is None


@pytest.mark.parametrize("wrong", [9.5, "-1", "abc", "NaN", Decimal("-0.01"), True, "Infinity"])
def test_a_bad_unit_price_names_the_field_and_the_line(wrong: object) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        check_price(wrong, 4)
    assert (caught.value.field, caught.value.line) == ("unit_price", 4)
