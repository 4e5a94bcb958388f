"""Valuation through the ledger: what stock was worth at any date and what each sale cost.

Every expected figure is worked out by hand in the test (DESIGN.md §6: one half-up rounding
per movement, to the currency's minor unit), never copied from the code's output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

import onhand
from tests.factories import mug

SKU = "MUG-BLUE"


def on(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def value(inv: onhand.Inventory, **filters: Any) -> tuple[Any, Any]:
    """Return (on_hand, value) of the blue mug, now or as filtered."""
    [found] = inv.valuation(owner=filters.pop("owner", "default"), sku=SKU, **filters)
    return found.on_hand, found.value


def cogs(inv: onhand.Inventory, since: date, until: date, owner: str = "default") -> Any:
    [found] = inv.cogs(since=since, until=until, owner=owner, sku=SKU)
    return found


def warren(inv: onhand.Inventory) -> None:
    """Warren, Reeve & Duchac, *Financial Accounting*, "Perpetual inventory using FIFO" (the
    variant of tests/unit/test_valuation.py): 3,900 at $40 on Jan 1, a sale of 2,400 on Apr 19,
    4,500 at $43 on Jun 30, a sale of 4,800 on Sep 2, 2,200 at $46 on Nov 15."""
    mug(inv)
    inv.receive(sku=SKU, qty=3900, location="WH1/A-01", unit_cost=D(40), occurred_at=on(1, 1))
    inv.ship(sku=SKU, qty=2400, location="WH1/A-01", occurred_at=on(4, 19))
    inv.receive(sku=SKU, qty=4500, location="WH1/A-01", unit_cost=D(43), occurred_at=on(6, 30))
    inv.ship(sku=SKU, qty=4800, location="WH1/A-01", occurred_at=on(9, 2))
    inv.receive(sku=SKU, qty=2200, location="WH1/A-01", unit_cost=D(46), occurred_at=on(11, 15))


def test_fifo_values_stock_at_any_date_and_costs_each_sale_from_the_oldest_units(
        inv: onhand.Inventory) -> None:
    """By hand: Apr 19 takes 2,400 × 40 = 96,000.00; Sep 2 the 1,500 left at 40 (60,000.00)
    and 3,300 at 43 (141,900.00) = 201,900.00. On Jul 1: 1,500 × 40 + 4,500 × 43 =
    253,500.00 for 6,000 units; at the end 1,200 × 43 + 2,200 × 46 = 152,800.00."""
    warren(inv)
    assert value(inv, as_of=on(3, 1)) == (3900, D("156000.00"))
    assert value(inv, as_of=on(7, 1)) == (6000, D("253500.00"))
    assert value(inv) == (3400, D("152800.00"))
    year = cogs(inv, date(2026, 1, 1), date(2026, 12, 31))
    assert (year.sold, year.cogs, year.currency) == (7200, D("297900.00"), "USD")
    spring = cogs(inv, date(2026, 4, 1), date(2026, 4, 30))
    assert (spring.sold, spring.cogs) == (2400, D("96000.00"))


def test_a_backdated_receipt_changes_the_cost_of_the_later_sales_only(
        inv: onhand.Inventory) -> None:
    """A receipt of 1,000 at $30 dated Mar 1 lands between the Jan layer and the Jun one.
    Apr 19 still takes 2,400 of the Jan layer (96,000.00); Sep 2 now takes 1,500 at 40,
    1,000 at 30 and 2,300 at 43: 60,000 + 30,000 + 98,900 = 188,900.00. The end: 2,200 at 43
    and 2,200 at 46 = 94,600 + 101,200 = 195,800.00 (receipts 480,700 − COGS 284,900)."""
    warren(inv)
    inv.receive(sku=SKU, qty=1000, location="WH1/A-01", unit_cost=D(30), occurred_at=on(3, 1))
    assert value(inv) == (4400, D("195800.00"))
    assert cogs(inv, date(2026, 4, 1), date(2026, 4, 30)).cogs == D("96000.00")
    assert cogs(inv, date(2026, 9, 1), date(2026, 9, 30)).cogs == D("188900.00")
    assert value(inv, as_of=on(2, 1)) == (3900, D("156000.00"))  # before it: unchanged


def test_the_moving_average_is_taken_from_the_totals_and_empties_to_exactly_zero(
        inv: onhand.Inventory) -> None:
    """10 at 2.00 and 20 at 3.50: 30 units worth 90.00. A sale of 7: round(90 × 7 ÷ 30) =
    21.00, leaving 23 worth 69.00. 5 more at 4.10 (20.50): 28 worth 89.50; the sale of all 28
    takes exactly 89.50. COGS 110.50, nothing left."""
    mug(inv, cost_method="average")
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D("2.00"), occurred_at=on(2, 1))
    inv.receive(sku=SKU, qty=20, location="WH1/A-01", unit_cost=D("3.50"), occurred_at=on(2, 2))
    inv.ship(sku=SKU, qty=7, location="WH1/A-01", occurred_at=on(2, 3))
    assert value(inv, as_of=on(2, 4)) == (23, D("69.00"))
    inv.receive(sku=SKU, qty=5, location="WH1/A-01", unit_cost=D("4.10"), occurred_at=on(2, 5))
    inv.ship(sku=SKU, qty=28, location="WH1/A-01", occurred_at=on(2, 6))
    assert value(inv) == (0, D("0.00"))
    assert cogs(inv, date(2026, 2, 1), date(2026, 2, 28)).cogs == D("110.50")


def test_thirds_round_half_up_once_per_sale_and_leave_no_drift(inv: onhand.Inventory) -> None:
    """3 units at 3.3333 are worth round(9.9999) = 10.00. Under the average, the first sale of
    one takes round(10.00 ÷ 3) = 3.33, the second round(6.67 ÷ 2) = round(3.335) = 3.34, the
    last exactly what is left, 3.33."""
    mug(inv, cost_method="average")
    inv.receive(sku=SKU, qty=3, location="WH1/A-01", unit_cost=D("3.3333"), occurred_at=on(5, 1))
    for day in (2, 3, 4):
        inv.ship(sku=SKU, qty=1, location="WH1/A-01", occurred_at=on(5, day))
    assert value(inv, as_of=on(5, 2, 18)) == (2, D("6.67"))
    assert value(inv, as_of=on(5, 3, 18)) == (1, D("3.33"))
    assert value(inv) == (0, D("0.00"))
    assert cogs(inv, date(2026, 5, 3), date(2026, 5, 3)).cogs == D("3.34")


def test_an_owner_values_in_its_own_currency_and_its_days_end_in_its_own_zone(
        inv: onhand.Inventory) -> None:
    """Yen have no minor unit: 3 at 100.5 are worth round(301.5) = 302 yen. A sale at 03:00
    UTC on Mar 1 is still Feb 28 in New York, so February's COGS holds it there, not in UTC."""
    inv.add_owner("tokyo", currency="JPY", time_zone="America/New_York")
    mug(inv, owner="tokyo")
    inv.receive(sku=SKU, qty=3, location="WH1/A-01", unit_cost=D("100.5"), owner="tokyo",
                occurred_at=on(2, 1))
    assert value(inv, owner="tokyo") == (3, D("302"))
    inv.ship(sku=SKU, qty=1, location="WH1/A-01", owner="tokyo",
             occurred_at=datetime(2026, 3, 1, 3, tzinfo=UTC))
    february = cogs(inv, date(2026, 2, 1), date(2026, 2, 28), owner="tokyo")
    assert (february.currency, february.sold, february.cogs) == ("JPY", 1, D("101"))
    assert cogs(inv, date(2026, 3, 1), date(2026, 3, 31), owner="tokyo").sold == 0
    # a date is the end of that day where the owner is: Feb 28 in New York holds the sale
    assert value(inv, owner="tokyo", as_of=date(2026, 2, 28)) == (2, D("201"))
    assert value(inv, owner="tokyo", as_of=datetime(2026, 3, 1, 2, tzinfo=UTC)) == (
        3, D("302"))


def test_sales_through_orders_carry_revenue_and_a_return_comes_back_at_its_cost(
        inv: onhand.Inventory) -> None:
    """4 at 2.50 (10.00); an order of 3 at 9.50 ships them (COGS 7.50, revenue 28.50); one
    comes back against its shipment at 2.50: COGS 5.00, revenue 19.00, margin 14.00."""
    mug(inv)
    inv.receive(sku=SKU, qty=4, location="WH1/A-01", unit_cost=D("2.50"))
    inv.create_order("SO-1", [{"sku": SKU, "qty": 3, "unit_price": D("9.50")}])
    inv.ship_order("SO-1")
    inv.return_order("SO-1", [{"sku": SKU, "qty": 1}], location="WH1/A-01", reason="dented")
    today = datetime.now(UTC).date()
    found = cogs(inv, today - timedelta(days=1), today + timedelta(days=1))
    assert (found.sold, found.returned, found.unpriced) == (3, 1, 0)
    assert (found.cogs, found.revenue, found.margin) == (D("5.00"), D("19.00"), D("14.00"))
    assert value(inv) == (2, D("5.00"))


def test_a_reversal_leaves_at_its_originals_cost_and_transfers_keep_value(
        inv: onhand.Inventory) -> None:
    """FIFO: 5 at 2.00 then 5 at 3.00 (25.00). Reversing the second receipt takes its own 5
    at 3.00 out (15.00), not the oldest; a move to another warehouse changes nothing."""
    mug(inv)
    inv.receive(sku=SKU, qty=5, location="WH1/A-01", unit_cost=D("2.00"), occurred_at=on(6, 1))
    second = inv.receive(sku=SKU, qty=5, location="WH1/A-01", unit_cost=D("3.00"),
                         occurred_at=on(6, 2))
    inv.transfer(sku=SKU, qty=4, source="WH1/A-01", target="WH2")
    assert value(inv) == (10, D("25.00"))
    inv.reverse(second.id, reason="wrong item")
    assert value(inv) == (5, D("10.00"))


def test_stock_received_without_a_cost_is_worth_nothing_and_reported_uncosted(
        inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=4, location="WH1/A-01")
    inv.receive(sku=SKU, qty=6, location="WH1/A-01", unit_cost=D("1.25"))
    [found] = inv.valuation(sku=SKU, owner="default")
    assert (found.on_hand, found.value, found.uncosted) == (10, D("7.50"), 4)


def test_every_item_of_every_owner_is_valued_and_bad_bounds_are_refused(
        inv: onhand.Inventory) -> None:
    warren(inv)
    inv.add_owner("acme", currency="EUR")
    mug(inv, "MUG-RED", owner="acme")
    assert [(v.owner, v.sku, v.currency) for v in inv.valuation()] == [
        ("acme", "MUG-RED", "EUR"), ("default", SKU, "USD")]
    assert inv.valuation(owner="acme")[0].to_dict() == {
        "owner": "acme", "sku": "MUG-RED", "currency": "EUR", "cost_method": "fifo",
        "on_hand": "0", "value": "0.00", "uncosted": "0"}
    with pytest.raises(onhand.InvalidTime) as naive:
        inv.valuation(as_of=datetime(2026, 3, 1))  # noqa: DTZ001 (the point of the test)
    assert naive.value.field == "as_of"
    with pytest.raises(onhand.InvalidTime) as backwards:
        inv.cogs(since=date(2026, 3, 2), until=date(2026, 3, 1))
    assert backwards.value.field == "since"
    with pytest.raises(onhand.UnknownItem):
        inv.valuation(sku="NOPE", owner="default")
    with pytest.raises(onhand.InvalidTime) as far:
        inv.valuation(as_of=date.max)
    assert far.value.field == "as_of"


# --- closing a period ---------------------------------------------------------------------------


def test_a_closed_period_takes_no_movement_dated_in_it_until_reopened(
        inv: onhand.Inventory) -> None:
    """Closed through Mar 31 in New York: the bound is Apr 1 00:00 there, 04:00 UTC."""
    inv.add_owner("acme", time_zone="America/New_York")
    mug(inv, owner="acme")
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D(2), owner="acme",
                occurred_at=on(3, 2))
    assert inv.close_period(date(2026, 3, 31), owner="acme") == date(2026, 3, 31)
    assert inv.closed_through(owner="acme") == date(2026, 3, 31)
    assert inv.closed_through() is None  # another owner's books are open
    before = value(inv, owner="acme")
    with pytest.raises(onhand.PeriodClosed) as closed:
        inv.ship(sku=SKU, qty=1, location="WH1/A-01", owner="acme",
                 occurred_at=datetime(2026, 4, 1, 3, 59, tzinfo=UTC))  # Mar 31 in New York
    assert (closed.value.field, closed.value.owner) == ("occurred_at", "acme")
    assert closed.value.closed_before == "2026-04-01T04:00:00+00:00"
    with pytest.raises(onhand.PeriodClosed) as batch:
        inv.post_batch([{"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH1/A-01",
                         "occurred_at": on(4, 2)},
                        {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH1/A-01",
                         "occurred_at": on(3, 30)}], owner="acme")
    assert batch.value.line == 2
    assert value(inv, owner="acme") == before  # nothing written
    inv.ship(sku=SKU, qty=1, location="WH1/A-01", owner="acme",
             occurred_at=datetime(2026, 4, 1, 4, tzinfo=UTC))  # April: open
    assert inv.reopen_period(owner="acme", through=date(2026, 3, 15)) == date(2026, 3, 15)
    inv.ship(sku=SKU, qty=1, location="WH1/A-01", owner="acme", occurred_at=on(3, 20))
    assert inv.reopen_period(owner="acme") is None
    assert inv.closed_through(owner="acme") is None


def test_a_period_closes_only_forward_and_only_once_its_days_have_ended(
        inv: onhand.Inventory) -> None:
    inv.close_period(date(2026, 3, 31))
    assert inv.close_period(date(2026, 3, 31)) == date(2026, 3, 31)  # again: unchanged
    for until, field in ((date(2026, 3, 1), "until"), (datetime.now(UTC).date(), "until")):
        with pytest.raises(onhand.InvalidInput) as refused:
            inv.close_period(until)
        assert refused.value.field == field
    with pytest.raises(onhand.InvalidTime):
        inv.close_period(on(3, 31))  # type: ignore[arg-type]  # a time, not a day
    with pytest.raises(onhand.InvalidInput) as forward:
        inv.reopen_period(through=date(2026, 4, 30))
    assert forward.value.field == "through"
    assert inv.closed_through() == date(2026, 3, 31)
    with pytest.raises(onhand.UnknownOwner):
        inv.close_period(date(2026, 3, 31), owner="nobody")


# --- the journal --------------------------------------------------------------------------------


def test_the_journal_of_a_year_is_summed_per_account_and_balances_in_each_format(
        inv: onhand.Inventory) -> None:
    """Warren's year: receipts 156,000 + 193,500 + 101,200 = 450,700.00 (Dr inventory, Cr
    goods received not invoiced); sales 96,000 + 201,900 = 297,900.00 (Dr COGS, Cr
    inventory). Inventory nets to a debit of 152,800.00, the stock's value at the end."""
    warren(inv)
    year = (date(2026, 1, 1), date(2026, 12, 31))
    [plain] = inv.export_journal(*year, accounts={"inventory": "1400", "grni": "2150"})
    assert plain.splitlines() == [
        "owner,currency,since,until,account,code,debit,credit",
        "default,USD,2026-01-01,2026-12-31,inventory,1400,152800.00,0.00",
        "default,USD,2026-01-01,2026-12-31,cogs,Cost of Goods Sold,297900.00,0.00",
        "default,USD,2026-01-01,2026-12-31,grni,2150,0.00,450700.00"]
    with pytest.raises(onhand.Conflict) as twice:  # never the same period twice by mistake
        inv.export_journal(date(2026, 6, 1), date(2026, 6, 30), format="qbo")
    assert twice.value.field == "since"
    [qbo] = inv.export_journal(*year, format="qbo", again=True)
    narration = "onhand inventory default 2026-01-01 to 2026-12-31"
    assert qbo.splitlines() == [
        "Journal No,Journal Date,Account Name,Debits,Credits,Description,Name",
        f"2,12/31/2026,Inventory Asset,152800.00,,{narration},",
        f"2,12/31/2026,Cost of Goods Sold,297900.00,,{narration},",
        f"2,12/31/2026,Goods Received Not Invoiced,,450700.00,{narration},"]
    [xero] = inv.export_journal(*year, format="xero", again=True, tax_rate="No VAT",
                                accounts={"inventory": "630", "cogs": "310", "grni": "820"})
    assert xero.splitlines() == [
        "Narration,Date,Description,AccountCode,TaxRate,Amount",
        f"{narration},31 Dec 2026,inventory,630,No VAT,152800.00",
        f"{narration},31 Dec 2026,cogs,310,No VAT,297900.00",
        f"{narration},31 Dec 2026,grni,820,No VAT,-450700.00"]


def test_losses_gains_and_returns_book_to_shrinkage_and_cogs(inv: onhand.Inventory) -> None:
    """10 at 2.00 (20.00 received); 3 scrapped (6.00 shrinkage); a count finds 1 more at the
    current 2.00 (a 2.00 gain); an order ships 4 (8.00 COGS) and 1 comes back (2.00 off
    COGS). Inventory: 20 − 6 + 2 − 8 + 2 = 10.00."""
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D("2.00"))
    inv.scrap(sku=SKU, qty=3, location="WH1/A-01", reason="broken")
    inv.adjust(sku=SKU, qty=1, location="WH1/A-01", reason="found")
    inv.create_order("SO-1", [{"sku": SKU, "qty": 4}])
    inv.ship_order("SO-1")
    inv.return_order("SO-1", [{"sku": SKU, "qty": 1}], location="WH1/A-01", reason="unwanted")
    today = datetime.now(UTC).date()
    [plain] = inv.export_journal(today, today)
    assert [line.split(",")[4:] for line in plain.splitlines()[1:]] == [
        ["inventory", "Inventory Asset", "10.00", "0.00"],
        ["cogs", "Cost of Goods Sold", "6.00", "0.00"],
        ["grni", "Goods Received Not Invoiced", "0.00", "20.00"],
        ["shrinkage", "Inventory Shrinkage", "4.00", "0.00"]]
    with pytest.raises(onhand.InvalidInput) as bad:
        inv.export_journal(today, today, accounts={"sales": "4000"}, again=True)
    assert bad.value.field == "accounts"
    with pytest.raises(onhand.InvalidInput) as fmt:
        inv.export_journal(today, today, format="iif", again=True)
    assert fmt.value.field == "format"


def test_a_reversal_is_booked_as_what_it_undoes(inv: onhand.Inventory) -> None:
    """5 at 2.00 shipped (10.00 COGS), taken back (−10.00), and the return reversed (+10.00):
    the sale stands, COGS 10.00; the journal books Dr COGS 10 / Cr inventory 10. A loss of
    one (2.00) reversed nets shrinkage to nothing, where booked as a gain it would show."""
    mug(inv)
    inv.receive(sku=SKU, qty=8, location="WH1/A-01", unit_cost=D("2.00"))
    shipped = inv.ship(sku=SKU, qty=5, location="WH1/A-01")
    taken = inv.return_(sku=SKU, qty=5, location="WH1/A-01", shipment_id=shipped.id)
    inv.reverse(taken.id, reason="posted twice")
    today = datetime.now(UTC).date()
    found = cogs(inv, today, today)
    assert (found.sold, found.returned, found.cogs) == (5, 0, D("10.00"))
    sent = inv.post_batch([{"kind": "adjustment", "sku": SKU, "qty": -1,
                            "location": "WH1/A-01", "reason": "to supplier"}])[0]
    inv.reverse(sent.id, reason="never left")
    [plain] = inv.export_journal(today, today)
    assert [line.split(",")[4:] for line in plain.splitlines()[1:]] == [
        ["inventory", "Inventory Asset", "6.00", "0.00"],
        ["cogs", "Cost of Goods Sold", "10.00", "0.00"],
        ["grni", "Goods Received Not Invoiced", "0.00", "16.00"]]


def test_a_return_the_ledger_takes_but_valuation_cannot_link_still_values(
        inv: onhand.Inventory) -> None:
    """Return R of shipment S, R reversed, then S returned again: the ledger allows it (its
    returns are net of reversals). The report values the second return unlinked, at the
    current cost, instead of failing for the whole owner."""
    mug(inv)
    inv.receive(sku=SKU, qty=5, location="WH1/A-01", unit_cost=D("2.00"))
    shipped = inv.ship(sku=SKU, qty=2, location="WH1/A-01")
    first = inv.return_(sku=SKU, qty=2, location="WH1/A-01", shipment_id=shipped.id)
    inv.reverse(first.id, reason="wrong box")
    inv.return_(sku=SKU, qty=2, location="WH1/A-01", shipment_id=shipped.id)
    assert value(inv) == (5, D("10.00"))


def test_a_days_value_ends_before_the_next_days_first_moment(inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D(1), occurred_at=on(1, 31))
    inv.close_period(date(2026, 1, 31))
    inv.receive(sku=SKU, qty=5, location="WH1/A-01", unit_cost=D(1),
                occurred_at=datetime(2026, 2, 1, tzinfo=UTC))  # the first open moment
    assert value(inv, as_of=date(2026, 1, 31)) == (10, D("10"))  # the closed day's value holds
    assert value(inv, as_of=datetime(2026, 2, 1, tzinfo=UTC)) == (15, D("15"))


def test_a_dry_run_names_every_line_dated_in_a_closed_period(inv: onhand.Inventory) -> None:
    mug(inv)
    inv.close_period(date(2026, 1, 31))
    line = {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH1/A-01"}
    found = inv.check_batch([{**line, "occurred_at": on(1, 5)}, {**line},
                             {**line, "occurred_at": on(1, 20)}])
    assert [(type(e), e.line) for e in found] == [(onhand.PeriodClosed, 1),
                                                 (onhand.PeriodClosed, 3)]


def test_value_by_location_and_warehouse_spreads_the_items_value_by_units(
        inv: onhand.Inventory) -> None:
    """10 at 1.00 in WH1/A-01, 20 at 2.00 in WH1/A-02, 5 at 3.00 in WH2: 35 units worth
    65.00 (per item and owner). Spread by units in path order, each share by the cumulative
    rule: A-01 round(6,500 × 10 ÷ 35) = 1,857 cents; A-02 round(6,500 × 30 ÷ 35) − 1,857 =
    5,571 − 1,857 = 3,714; WH2 the 929 left. By warehouse: WH1 5,571 (55.71) and WH2 9.29.
    A transfer of the 5 to A-01 on Mar 10 changes the spread after it only."""
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D("1.00"), occurred_at=on(3, 1))
    inv.receive(sku=SKU, qty=20, location="WH1/A-02", unit_cost=D("2.00"), occurred_at=on(3, 2))
    inv.receive(sku=SKU, qty=5, location="WH2", unit_cost=D("3.00"), occurred_at=on(3, 3))
    inv.transfer(sku=SKU, qty=5, source="WH2", target="WH1/A-01", occurred_at=on(3, 10))
    spread = inv.valuation(sku=SKU, by="location", as_of=date(2026, 3, 5))
    assert [(v.location, v.on_hand, v.value) for v in spread] == [
        ("WH1/A-01", 10, D("18.57")), ("WH1/A-02", 20, D("37.14")), ("WH2", 5, D("9.29"))]
    by_warehouse = inv.valuation(sku=SKU, by="warehouse", as_of=date(2026, 3, 5))
    assert [(v.location, v.on_hand, v.value) for v in by_warehouse] == [
        ("WH1", 30, D("55.71")), ("WH2", 5, D("9.29"))]
    # after the transfer: A-01 15 units, round(6,500 × 15 ÷ 35) = 2,786; A-02 the 3,714 left
    assert [(v.location, v.on_hand, v.value) for v in inv.valuation(sku=SKU, by="location")
            ] == [("WH1/A-01", 15, D("27.86")), ("WH1/A-02", 20, D("37.14"))]
    [total] = inv.valuation(by="owner")
    assert (total.owner, total.items, total.value, total.currency) == (
        "default", 1, D("65.00"), "USD")
    with pytest.raises(onhand.InvalidInput, match="by must be one of"):
        inv.valuation(by="shelf")  # type: ignore[call-overload]


def test_a_return_to_the_supplier_leaves_at_the_cost_of_the_receipt_it_returns(
        inv: onhand.Inventory) -> None:
    """FIFO: 10 at 1.00 on hand, then PO-1's 10 at 3.00 received. Sending 4 of PO-1 back
    takes them from PO-1's receipt (4 × 3.00 = 12.00), not from the oldest layer: 10 at 1.00
    and 6 at 3.00 stay, 28.00."""
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", unit_cost=D("1.00"), occurred_at=on(3, 1))
    inv.add_supplier("ACME")
    inv.create_purchase_order("PO-1", [{"sku": SKU, "qty": 10, "unit_cost": D("3.00")}],
                              supplier="ACME", warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1", location="WH1/A-01")
    inv.return_to_supplier("PO-1", [{"sku": SKU, "qty": 4, "location": "WH1/A-01"}],
                           reason="damaged in transit")
    assert value(inv) == (16, D("28.00"))
    [returned] = [e for e in inv.value_entries(sku=SKU) if e.category == "supplier_return"]
    assert (returned.qty, returned.value) == (-4, D("-12.00"))
    assert inv.verify().ok


def test_cogs_by_month_gives_a_row_per_item_and_month_with_sales(inv: onhand.Inventory) -> None:
    """Warren's year by month: April sold 2,400 for 96,000.00, September 4,800 for
    201,900.00; no other month had a sale. By week, the Apr 19 (a Sunday) sale falls in the
    week from Monday Apr 13."""
    warren(inv)
    months = inv.cogs(since=date(2026, 1, 1), until=date(2026, 12, 31), sku=SKU, by="month")
    assert [(r.period, r.sold, r.cogs) for r in months] == [
        (date(2026, 4, 1), 2400, D("96000.00")), (date(2026, 9, 1), 4800, D("201900.00"))]
    weeks = inv.cogs(since=date(2026, 4, 1), until=date(2026, 4, 30), sku=SKU, by="week")
    assert [(r.period, r.sold) for r in weeks] == [(date(2026, 4, 13), 2400)]
    assert months[0].to_dict()["period"] == "2026-04-01"
    with pytest.raises(onhand.InvalidInput, match="by must be one of"):
        inv.cogs(since=date(2026, 1, 1), until=date(2026, 12, 31), by="year")
