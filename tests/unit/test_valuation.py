"""Valuation: textbook cases worked by hand under DESIGN.md §6, rounding, currencies, returns,
gains, stock below zero, uncosted stock and replay.

Every expected figure here was worked out by hand from the rules of §6 (and the cumulative
rule for a partial FIFO take, in ``onhand.domain.valuation``); none was read off the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import iso4217
import pytest

from onhand.domain.valuation import (
    IN,
    MINOR_UNITS,
    NO_MINOR_UNIT,
    NONE,
    OUT,
    Currency,
    Entry,
    Shipped,
    Take,
    UnitCost,
    Valuation,
    Valued,
    currency,
    divide_half_up,
    replay,
)
from onhand.errors import InvalidInput, InvalidQuantity, InvalidTime, UnknownMovement

D = Decimal
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def values(valued: list[Valued] | tuple[Valued, ...]) -> list[Decimal]:
    return [v.value for v in valued]


# --- textbook cases -----------------------------------------------------------------------


WARREN_FIFO = [
    Entry(1, "receipt", 3900, on(1, 1), D("40")),
    Entry(2, "shipment", 2400, on(4, 19)),
    Entry(3, "receipt", 4500, on(6, 30), D("43")),
    Entry(4, "shipment", 4800, on(9, 2)),
    Entry(5, "receipt", 2200, on(11, 15), D("46")),
]


def test_textbook_perpetual_fifo_with_sales_between_purchases() -> None:
    """Warren, Reeve & Duchac, *Financial Accounting* (Cengage), chapter "Inventories",
    exercise "Perpetual inventory using FIFO", in one published variant of its figures (as
    quoted at solutioninn.com, question 9752342): Jan 1 inventory 3,900 units at $40, Apr 19
    sale 2,400, Jun 30 purchase 4,500 at $43, Sep 2 sale 4,800, Nov 15 purchase 2,200 at $46.

    By hand: Apr 19 takes 2,400 × 40 = 96,000.00. Sep 2 takes the 1,500 left at 40
    (60,000.00) and 3,300 at 43 (141,900.00): 201,900.00. Dec 31: 1,200 × 43 = 51,600.00
    and 2,200 × 46 = 101,200.00, 3,400 units worth 152,800.00.
    """
    result = replay(WARREN_FIFO, method="fifo", currency="USD")
    assert values(result.values) == [D("156000.00"), D("96000.00"), D("193500.00"),
                                     D("201900.00"), D("101200.00")]
    assert result.values[3].takes == (Take(1500, D("60000.00"), 1), Take(3300, D("141900.00"), 3))
    assert (result.state.on_hand, result.state.value) == (3400, D("152800.00"))
    assert [(layer.remaining, layer.remaining_value) for layer in result.state.layers] == [
        (1200, D("51600.00")), (2200, D("101200.00"))]


MIDNIGHT_SUPPLIES = [
    Entry(1, "receipt", 7700, on(1, 1), D("76.00")),
    Entry(2, "receipt", 23100, on(1, 10), D("86.00")),
    Entry(3, "shipment", 11550, on(1, 28)),
    Entry(4, "shipment", 3850, on(1, 30)),
    Entry(5, "shipment", 1540, on(2, 5)),
    Entry(6, "receipt", 55440, on(2, 10), D("88.50")),
    Entry(7, "shipment", 27720, on(2, 16)),
    Entry(8, "shipment", 26180, on(2, 28)),
    Entry(9, "receipt", 46200, on(3, 5), D("90.50")),
    Entry(10, "shipment", 30800, on(3, 14)),
    Entry(11, "receipt", 7700, on(3, 25), D("91.00")),
    Entry(12, "shipment", 26950, on(3, 30)),
]


def test_textbook_perpetual_moving_average_with_sales_between_purchases() -> None:
    """Warren, Reeve & Duchac, *Financial Accounting* (Cengage), problem "Weighted average
    cost method with perpetual inventory" (Midnight Supplies, January to March; quoted at
    solutioninn.com, question 9880751). The book rounds unit costs to two places; here every
    average comes out exact, so the book and §6 agree.

    By hand: after Jan 10, 30,800 units worth 2,571,800.00 (average 83.50); sales of
    11,550, 3,850 and 1,540 cost 964,425.00, 321,475.00 and 128,590.00. Feb 10 brings
    13,860 units worth 1,157,310.00 to 69,300 worth 6,063,750.00 (87.50); sales of 27,720
    and 26,180 cost 2,425,500.00 and 2,290,750.00. Mar 5 makes 61,600 worth 5,528,600.00
    (89.75); the sale of 30,800 costs 2,764,300.00. Mar 25 makes 38,500 worth 3,465,000.00
    (90.00); the sale of 26,950 costs 2,425,500.00, leaving 11,550 worth 1,039,500.00.
    """
    result = replay(MIDNIGHT_SUPPLIES, method="average", currency="USD")
    cogs = [v.value for v in result.values if v.direction == OUT]
    assert cogs == [D("964425.00"), D("321475.00"), D("128590.00"), D("2425500.00"),
                    D("2290750.00"), D("2764300.00"), D("2425500.00")]
    assert sum(cogs) == D("11320540.00")
    assert (result.state.on_hand, result.state.value) == (11550, D("1039500.00"))


WARNERWOODS = [
    Entry(1, "receipt", 230, on(3, 1), D("53.60")),
    Entry(2, "receipt", 290, on(3, 5), D("58.60")),
    Entry(3, "shipment", 390, on(3, 9)),
    Entry(4, "receipt", 150, on(3, 18), D("63.60")),
    Entry(5, "receipt", 280, on(3, 25), D("65.60")),
    Entry(6, "shipment", 260, on(3, 29)),
]


def test_textbook_perpetual_fifo_takes_the_oldest_layers_first() -> None:
    """Wild, Shaw & Chiappetta, *Fundamental Accounting Principles* (McGraw-Hill), problem
    "Warnerwoods Company" (perpetual FIFO and weighted average), in the variant quoted at
    solutioninn.com, question 5762090: Mar 1 230 units at $53.60, Mar 5 290 at $58.60,
    Mar 9 sale 390, Mar 18 150 at $63.60, Mar 25 280 at $65.60, Mar 29 sale 260.

    By hand: Mar 9 takes 230 × 53.60 = 12,328.00 and 160 × 58.60 = 9,376.00: 21,704.00.
    Mar 29 takes 130 × 58.60 = 7,618.00 and 130 × 63.60 = 8,268.00: 15,886.00. Left:
    20 × 63.60 = 1,272.00 and 280 × 65.60 = 18,368.00, 300 units worth 19,640.00.
    """
    result = replay(WARNERWOODS, method="fifo", currency="USD")
    assert [v.value for v in result.values if v.direction == OUT] == [D("21704.00"),
                                                                      D("15886.00")]
    assert result.values[5].takes == (Take(130, D("7618.00"), 2), Take(130, D("8268.00"), 4))
    assert (result.state.on_hand, result.state.value) == (300, D("19640.00"))


def test_textbook_moving_average_where_the_book_rounds_the_unit_cost_first() -> None:
    """The same Warnerwoods figures under the moving average. The book rounds the average
    unit cost to two places (56.39 after Mar 5, so 390 × 56.39 = 21,992.10; 62.93 after
    Mar 25); §6 values an outbound movement from the stored totals, never from a rounded
    unit cost, so the figures differ by cents.

    By hand under §6: Mar 5, 520 units worth 12,328.00 + 16,994.00 = 29,322.00. Mar 9:
    round(29,322.00 × 390 ÷ 520) = 21,991.50 (exact: 390/520 = 0.75), leaving 130 worth
    7,330.50. Mar 18 and 25 add 9,540.00 and 18,368.00: 560 units worth 35,238.50. Mar 29:
    35,238.50 × 260 ÷ 560 = 16,360.7321… → 16,360.73, leaving 300 units worth 18,877.77.
    """
    result = replay(WARNERWOODS, method="average", currency="USD")
    assert [v.value for v in result.values if v.direction == OUT] == [D("21991.50"),
                                                                      D("16360.73")]
    assert (result.state.on_hand, result.state.value) == (300, D("18877.77"))


MERCER = [
    Entry(1, "receipt", 200, on(1, 1), D("12")),
    Entry(2, "receipt", 280, on(1, 5), D("15")),
    Entry(3, "shipment", 220, on(1, 8)),
    Entry(4, "return", 20, on(1, 10), shipment=3),
    Entry(5, "receipt", 110, on(1, 15), D("17")),
    Entry(6, "supplier_return", 10, on(1, 16), receipt=5),
    Entry(7, "shipment", 180, on(1, 20)),
    Entry(8, "receipt", 40, on(1, 25), D("19")),
]


def test_textbook_perpetual_fifo_with_a_sales_return_and_a_purchase_return() -> None:
    """Kieso, Weygandt, Warfield, Wiecek & McConomy, *Intermediate Accounting*, Canadian
    edition, chapter "Inventory", problem "Pember Inc." (perpetual, with a sales return and
    a purchase return), in the variant "Mercer Inc." quoted at usacourseworkhelp.com
    ("Moving average cost"): Jan 1 200 units at $12, Jan 5 280 at $15, Jan 8 sale 220,
    Jan 10 sales return 20 (of the Jan 8 sale), Jan 15 110 at $17, Jan 16 purchase return 10 (of the
    Jan 15 purchase), Jan 20 sale 180, Jan 25 40 at $19.

    By hand: Jan 8 takes 200 × 12 = 2,400.00 and 20 × 15 = 300.00: 2,700.00. The Jan 10
    return undoes the last take of its shipment: 20 × 15 = 300.00, a new layer. Jan 16
    returns 10 of the Jan 15 layer: 10 × 17 = 170.00. Jan 20 takes 180 of the Jan 5 layer
    (260 left): 2,700.00. Left: 80 × 15 + 20 × 15 + 100 × 17 + 40 × 19 = 1,200.00 + 300.00
    + 1,700.00 + 760.00 = 3,960.00 for 240 units; net cost of goods sold 5,100.00.
    """
    result = replay(MERCER, method="fifo", currency="USD")
    assert values(result.values) == [D("2400.00"), D("4200.00"), D("2700.00"), D("300.00"),
                                     D("1870.00"), D("170.00"), D("2700.00"), D("760.00")]
    assert result.values[5].takes == (Take(10, D("170.00"), 5),)
    assert [(layer.key, layer.remaining, layer.remaining_value)
            for layer in result.state.layers] == [
        (2, 80, D("1200.00")), (4, 20, D("300.00")), (5, 100, D("1700.00")), (8, 40, D("760.00"))]
    assert (result.state.on_hand, result.state.value) == (240, D("3960.00"))


def test_textbook_moving_average_with_a_sales_return_and_a_purchase_return() -> None:
    """The Mercer Inc. figures above under the moving average. The book asks for unit costs
    rounded to three places; §6 rounds only each movement's value. And under §6 an outbound
    movement never changes the average, so the return to the supplier leaves at the average
    (where a book may credit its purchase cost, 10 × 17 = 170.00).

    By hand: Jan 5, 480 units worth 6,600.00 (13.75). Jan 8: 220 × 13.75 = 3,025.00.
    Jan 10, the return at its shipment's cost: 3,025.00 × 20 ÷ 220 = 275.00, so 280 units
    worth 3,850.00. Jan 15: 390 units worth 5,720.00. Jan 16: 5,720.00 × 10 ÷ 390 =
    146.666… → 146.67, leaving 380 worth 5,573.33. Jan 20: 5,573.33 × 180 ÷ 380 =
    2,639.9984… → 2,640.00, leaving 200 worth 2,933.33. Jan 25: 240 units worth 3,693.33.
    """
    result = replay(MERCER, method="average", currency="USD")
    assert values(result.values) == [D("2400.00"), D("4200.00"), D("3025.00"), D("275.00"),
                                     D("1870.00"), D("146.67"), D("2640.00"), D("760.00")]
    assert (result.state.on_hand, result.state.value) == (240, D("3693.33"))


# --- rounding -------------------------------------------------------------------------------


def test_a_value_is_rounded_half_up_not_half_to_even() -> None:
    book = Valuation("fifo", "USD")
    assert book.receive(1, D("0.125"), key=1, occurred_at=at(0)).value == D("0.13")
    assert D("0.125").quantize(D("0.01"), rounding=ROUND_HALF_EVEN) == D("0.12")  # not that
    assert book.receive(1, D("0.145"), key=2, occurred_at=at(1)).value == D("0.15")
    assert Currency("USD", 2).round(D("-0.125")) == D("-0.13")


def test_yen_has_no_minor_unit() -> None:
    book = Valuation("average", "JPY")
    assert book.receive(5, D("0.5"), key=1, occurred_at=at(0)).value == D("3")  # 2.5 → 3
    assert book.receive(3, D("0.5"), key=2, occurred_at=at(1)).value == D("2")  # 1.5 → 2
    assert book.outbound(3, key=3).value == D("2")  # 5 × 3 ÷ 8 = 1.875 → 2
    assert book.state().value == D("3")


def test_a_three_decimal_currency_rounds_to_the_fils() -> None:
    book = Valuation("fifo", "BHD")
    assert book.receive(1, D("0.0125"), key=1, occurred_at=at(0)).value == D("0.013")
    assert Valuation("fifo", "KWD").receive(3, D("1.0005"), key=1,
                                            occurred_at=at(0)).value == D("3.002")  # 3.0015


def test_a_four_decimal_unit_of_account_keeps_four_places() -> None:
    book = Valuation("fifo", "CLF")
    assert book.receive(1, D("0.00005"), key=1, occurred_at=at(0)).value == D("0.0001")


def test_an_average_outbound_is_rounded_from_the_totals_and_the_last_unit_takes_the_rest() -> None:
    book = Valuation("average", "USD")
    book.receive(2, D("0.125"), key=1, occurred_at=at(0))  # 2 × 0.125 = 0.25 exactly
    assert book.outbound(1, key=2).value == D("0.13")  # 0.25 × 1 ÷ 2 = 0.125 → 0.13
    assert book.outbound(1, key=3).value == D("0.12")  # what is left, exactly
    assert (book.state().on_hand, book.state().value) == (0, D("0.00"))


def test_thirds_leave_an_average_stock_at_exactly_zero() -> None:
    book = Valuation("average", "USD")
    assert book.receive(3, D("0.3333333333"), key=1, occurred_at=at(0)).value == D("1.00")
    # 1.00 ÷ 3 = 0.333… → 0.33; 0.67 ÷ 2 = 0.335 → 0.34; the last unit takes the 0.33 left
    assert [book.outbound(1, key=k).value for k in (2, 3, 4)] == [D("0.33"), D("0.34"),
                                                                   D("0.33")]
    assert book.state().value == D("0.00")


def test_a_fifo_layer_is_taken_by_the_cumulative_rule() -> None:
    book = Valuation("fifo", "USD")
    assert book.receive(7, D("0.1428571429"), key=1, occurred_at=at(0)).value == D("1.00")
    # taken so far is always round(1.00 × t ÷ 7): 0.14 (t=1), 0.29 (t=2), 0.71 (t=5)
    assert book.outbound(1, key=2).value == D("0.14")
    assert book.outbound(1, key=3).value == D("0.15")  # 0.29 − 0.14
    assert book.outbound(3, key=4).value == D("0.42")  # 0.71 − 0.29
    assert book.outbound(2, key=5).value == D("0.29")  # the 1.00 − 0.71 left
    assert book.state().value == D("0.00")


def test_splitting_a_fifo_shipment_does_not_change_its_cost() -> None:
    whole, split = Valuation("fifo", "USD"), Valuation("fifo", "USD")
    for book in (whole, split):
        book.receive(7, D("0.1428571429"), key=1, occurred_at=at(0))
    assert whole.outbound(2, key=2).value == D("0.29")  # round(2 ÷ 7) = 0.29
    assert split.outbound(1, key=2).value + split.outbound(1, key=3).value == D("0.29")
    assert whole.state().layers == split.state().layers


def test_an_outbound_across_layers_rounds_only_the_layer_it_takes_in_part() -> None:
    book = Valuation("fifo", "USD")
    book.receive(2, D("1.005"), key=1, occurred_at=at(0))  # 2.01
    book.receive(3, D("0.3333333333"), key=2, occurred_at=at(1))  # 0.9999999999 → 1.00
    shipped = book.outbound(3, key=3)
    # all of layer 1 (2.01, exact) and one unit of layer 2: round(1.00 ÷ 3) = 0.33
    assert shipped.takes == (Take(2, D("2.01"), 1), Take(1, D("0.33"), 2))
    assert shipped.value == D("2.34")
    assert book.state().value == D("0.67")


def test_quantities_with_decimals_are_exact() -> None:
    book = Valuation("fifo", "EUR", decimals=3)
    assert book.receive(D("2.5"), D("3.99"), key=1, occurred_at=at(0)).value == D("9.98")
    assert book.outbound(D("1.25"), key=2).value == D("4.99")  # 9.98 × 1.25 ÷ 2.5
    assert book.state().on_hand == D("1.25")
    with pytest.raises(InvalidQuantity) as caught:
        book.outbound(D("0.0005"), key=3)
    assert caught.value.field == "qty"


def test_divide_half_up_rounds_ties_away_from_zero() -> None:
    assert [divide_half_up(n, 2) for n in (1, 3, -1, -3)] == [1, 2, -1, -2]
    assert divide_half_up(7, 3) == 2 and divide_half_up(-7, 3) == -2


# --- currencies -------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0),
                                              ("BHD", 3), ("KWD", 3), ("JOD", 3), ("CLF", 4)])
def test_minor_units_come_from_iso_4217(code: str, digits: int) -> None:
    assert currency(code) == Currency(code, digits)


def test_iso_4217_minor_units_not_cldr_display_digits() -> None:
    # CLDR shows the Iraqi dinar with 0 digits; ISO 4217 gives it a 3-digit minor unit
    assert currency("IQD").digits == 3


def test_the_minor_unit_table_matches_the_published_iso_4217_list() -> None:
    published = {c.code: c.exponent for c in iso4217.Currency}
    assert {code: digits for code, digits in published.items() if digits is not None} == MINOR_UNITS
    assert {code for code, digits in published.items() if digits is None} <= NO_MINOR_UNIT


def test_a_currency_code_is_read_case_insensitively() -> None:
    assert currency(" usd ") == Currency("USD", 2)


@pytest.mark.parametrize("code", ["ABC", "US", "", "DEM", 840, None])
def test_an_unknown_currency_is_invalid_input_naming_the_field(code: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        currency(code)
    assert caught.value.field == "currency"


def test_a_currency_without_a_minor_unit_cannot_value_stock() -> None:
    with pytest.raises(InvalidInput, match="no minor unit") as caught:
        Valuation("fifo", "XAU")
    assert caught.value.field == "currency"


def test_an_unknown_cost_method_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        Valuation("lifo", "USD")
    assert caught.value.field == "cost_method"


# --- inbound and outbound movements ---------------------------------------------------------------


def test_a_receipt_without_a_cost_is_valued_at_zero_and_reported_uncosted() -> None:
    book = Valuation("fifo", "USD")
    received = book.receive(5, None, key=1, occurred_at=at(0))
    assert (received.value, received.uncosted) == (D("0.00"), True)
    book.receive(5, D("2.00"), key=2, occurred_at=at(1))
    assert (book.state().uncosted, book.state().value) == (5, D("10.00"))
    shipped = book.outbound(6, key=3)  # the 5 uncosted first, then one at 2.00
    assert (shipped.value, shipped.uncosted, book.state().uncosted) == (D("2.00"), True, 0)


def test_a_gain_without_a_cost_needs_a_known_one() -> None:
    book = Valuation("average", "USD")
    with pytest.raises(InvalidInput) as caught:
        book.gain(2, key=1, occurred_at=at(0))
    assert caught.value.field == "unit_cost"
    assert book.gain(2, key=1, occurred_at=at(0), unit_cost=D("4.00")).value == D("8.00")


def test_a_gain_is_valued_at_the_current_unit_cost() -> None:
    book = Valuation("average", "USD")
    book.receive(3, D("1.00"), key=1, occurred_at=at(0))
    book.receive(1, D("2.00"), key=2, occurred_at=at(1))  # 4 units worth 5.00
    assert book.unit_cost == UnitCost(D("5.00"), 4)
    assert book.gain(2, key=3, occurred_at=at(2)).value == D("2.50")  # 5.00 × 2 ÷ 4


def test_a_fifo_gain_opens_a_layer_at_the_current_unit_cost_of_the_stock() -> None:
    book = Valuation("fifo", "USD")
    book.receive(2, D("1.00"), key=1, occurred_at=at(0))
    book.receive(2, D("2.00"), key=2, occurred_at=at(1))
    gained = book.gain(1, key=3, occurred_at=at(2))  # 6.00 ÷ 4 = 1.50
    assert gained.value == D("1.50")
    assert book.state().layers[-1].key == 3


def test_a_return_to_the_supplier_leaves_from_the_layer_of_its_receipt() -> None:
    book = Valuation("fifo", "USD")
    book.receive(10, D("1.00"), key=1, occurred_at=at(0))
    book.receive(10, D("2.00"), key=2, occurred_at=at(1))
    returned = book.supplier_return(4, key=3, receipt=2)
    assert (returned.value, returned.takes) == (D("8.00"), (Take(4, D("8.00"), 2),))
    assert book.outbound(10, key=4).value == D("10.00")  # layer 1 is still the oldest


def test_a_return_to_the_supplier_whose_layer_is_gone_takes_the_oldest() -> None:
    book = Valuation("fifo", "USD")
    book.receive(10, D("1.00"), key=1, occurred_at=at(0))
    book.receive(10, D("2.00"), key=2, occurred_at=at(1))
    book.outbound(12, key=3)  # layer 1 and 2 units of layer 2
    assert book.supplier_return(4, key=4, receipt=1).value == D("8.00")  # 4 of layer 2


def test_a_return_to_the_supplier_under_the_average_leaves_at_the_average() -> None:
    book = Valuation("average", "USD")
    book.receive(10, D("1.00"), key=1, occurred_at=at(0))
    book.receive(10, D("2.00"), key=2, occurred_at=at(1))
    assert book.supplier_return(4, key=3, receipt=2).value == D("6.00")  # 30.00 × 4 ÷ 20


def test_partial_returns_of_a_shipment_add_up_to_what_it_left_with() -> None:
    book = Valuation("fifo", "USD")
    book.receive(3, D("0.3333333333"), key=1, occurred_at=at(0))  # 1.00
    shipped = book.outbound(3, key=2)
    first = book.customer_return(1, key=3, occurred_at=at(1), shipped=Shipped(shipped.takes))
    second = book.customer_return(2, key=4, occurred_at=at(2),
                                  shipped=Shipped(shipped.takes, returned=1))
    # counted from the end of the take: round(1.00 × 1 ÷ 3) = 0.33, then the 0.67 left
    assert (first.value, second.value) == (D("0.33"), D("0.67"))
    with pytest.raises(InvalidQuantity) as caught:
        book.customer_return(1, key=5, occurred_at=at(3), shipped=Shipped(shipped.takes, 3))
    assert caught.value.field == "qty"


def test_a_return_of_a_shipment_across_layers_comes_back_at_its_last_costs_first() -> None:
    book = Valuation("fifo", "USD")
    book.receive(2, D("1.00"), key=1, occurred_at=at(0))
    book.receive(2, D("3.00"), key=2, occurred_at=at(1))
    shipped = book.outbound(4, key=3)
    link = Shipped(shipped.takes)
    assert book.customer_return(3, key=4, occurred_at=at(2), shipped=link).value == D("7.00")


def test_an_unlinked_return_comes_back_at_the_current_unit_cost() -> None:
    book = Valuation("average", "USD")
    book.receive(4, D("2.50"), key=1, occurred_at=at(0))
    assert book.customer_return(2, key=2, occurred_at=at(1)).value == D("5.00")
    empty = Valuation("average", "USD")
    with pytest.raises(InvalidInput) as caught:
        empty.customer_return(2, key=1, occurred_at=at(0))
    assert caught.value.field == "unit_cost"


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_stock_below_zero_leaves_at_the_last_cost_and_the_covering_receipt_corrects_it(
    method: str,
) -> None:
    book = Valuation(method, "USD")
    book.receive(2, D("5.00"), key=1, occurred_at=at(0))
    shipped = book.outbound(5, key=2)  # 2 on hand at 5.00, 3 below zero at the last 5.00
    assert (shipped.value, shipped.shortfall) == (D("25.00"), 3)
    assert (book.state().on_hand, book.state().value) == (-3, D("-15.00"))
    received = book.receive(10, D("6.00"), key=3, occurred_at=at(1))
    # the 3 cost 60.00 × 3 ÷ 10 = 18.00, not the 15.00 they left with: 3.00 more COGS
    assert (received.value, received.correction, received.change) == (
        D("60.00"), D("3.00"), D("57.00"))
    assert (book.state().on_hand, book.state().value) == (7, D("42.00"))


def test_stock_below_zero_with_no_cost_ever_known_leaves_at_zero_uncosted() -> None:
    book = Valuation("fifo", "USD")
    shipped = book.outbound(2, key=1)
    assert (shipped.value, shipped.uncosted, shipped.takes) == (
        D("0.00"), True, (Take(2, D("0.00"), None, True, True),))
    received = book.receive(5, D("4.00"), key=2, occurred_at=at(0))
    assert received.correction == D("8.00")  # 20.00 × 2 ÷ 5
    assert (book.state().on_hand, book.state().value) == (3, D("12.00"))


def test_receipts_that_cover_stock_below_zero_in_parts_leave_exactly_zero() -> None:
    book = Valuation("average", "USD")
    book.receive(1, D("2.00"), key=1, occurred_at=at(0))
    book.outbound(6, key=2)  # 5 below zero at 2.00: −10.00
    first = book.receive(2, D("3.00"), key=3, occurred_at=at(1))
    assert first.correction == D("2.00")  # 6.00 − 10.00 × 2 ÷ 5
    assert (book.state().on_hand, book.state().value) == (-3, D("-6.00"))
    second = book.receive(3, D("3.00"), key=4, occurred_at=at(2))
    assert second.correction == D("3.00")  # 9.00 − the 6.00 left
    assert (book.state().on_hand, book.state().value) == (0, D("0.00"))


def test_a_naive_time_is_rejected() -> None:
    with pytest.raises(InvalidTime):
        Valuation("fifo", "USD").receive(1, D("1"), key=1, occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize("qty", [0, -1, D("1.5"), "2"])
def test_a_quantity_must_be_positive_and_within_the_items_decimals(qty: object) -> None:
    with pytest.raises(InvalidQuantity):
        Valuation("fifo", "USD").outbound(qty, key=1)  # type: ignore[arg-type]


def test_a_negative_unit_cost_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        Valuation("fifo", "USD").receive(1, D("-1"), key=1, occurred_at=at(0))
    assert caught.value.field == "unit_cost"


# --- replay and resume ------------------------------------------------------------------------


def test_replay_orders_by_business_time_then_posting_order() -> None:
    shuffled = [MERCER[6], MERCER[0], MERCER[3], MERCER[7], MERCER[2], MERCER[5], MERCER[1],
                MERCER[4]]
    assert replay(shuffled, method="fifo", currency="USD") == replay(MERCER, method="fifo",
                                                                     currency="USD")
    tie = [Entry(2, "shipment", 1, at(0)), Entry(1, "receipt", 1, at(0), D("1"))]
    assert [v.key for v in replay(tie, method="fifo", currency="USD").values] == [1, 2]


def test_replay_equals_posting_one_movement_at_a_time() -> None:
    book = Valuation("fifo", "USD")
    posted = [book.receive(200, D("12"), key=1, occurred_at=on(1, 1)),
              book.receive(280, D("15"), key=2, occurred_at=on(1, 5))]
    shipment = book.outbound(220, key=3)
    posted += [shipment,
               book.customer_return(20, key=4, occurred_at=on(1, 10),
                                    shipped=Shipped(shipment.takes)),
               book.receive(110, D("17"), key=5, occurred_at=on(1, 15)),
               book.supplier_return(10, key=6, receipt=5), book.outbound(180, key=7),
               book.receive(40, D("19"), key=8, occurred_at=on(1, 25))]
    rebuilt = replay(MERCER, method="fifo", currency="USD")
    assert list(rebuilt.values) == posted
    assert rebuilt.state == book.state()


def test_a_transfer_keeps_the_value() -> None:
    entries = [Entry(1, "receipt", 4, at(0), D("2.00")), Entry(2, "transfer", 3, at(1))]
    result = replay(entries, method="average", currency="USD")
    assert (result.values[1].value, result.values[1].direction) == (D("0.00"), NONE)
    assert result.state.value == D("8.00")


def test_signed_adjustments_and_counts_are_gains_or_losses() -> None:
    entries = [Entry(1, "receipt", 4, at(0), D("2.00")), Entry(2, "adjustment", -1, at(1)),
               Entry(3, "count", 2, at(2)), Entry(4, "scrap", 1, at(3))]
    result = replay(entries, method="average", currency="USD")
    assert [(v.direction, v.value) for v in result.values] == [
        (IN, D("8.00")), (OUT, D("2.00")), (IN, D("4.00")), (OUT, D("2.00"))]
    assert (result.state.on_hand, result.state.value) == (4, D("8.00"))


def test_replay_of_a_return_of_an_unknown_shipment_is_not_found() -> None:
    entries = [Entry(1, "receipt", 4, at(0), D("2.00")), Entry(2, "return", 1, at(1), shipment=9)]
    with pytest.raises(UnknownMovement) as caught:
        replay(entries, method="fifo", currency="USD")
    assert caught.value.field == "shipment"


def test_replay_of_an_unknown_kind_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        replay([Entry(1, "gift", 1, at(0))], method="fifo", currency="USD")
    assert caught.value.field == "kind"


@pytest.mark.parametrize("method", ["fifo", "average"])
def test_a_resumed_valuation_carries_on_as_the_original(method: str) -> None:
    original = Valuation(method, "USD")
    original.receive(7, D("0.1428571429"), key=1, occurred_at=at(0))
    original.outbound(2, key=2)
    original.receive(3, None, key=3, occurred_at=at(1))
    resumed = Valuation.resume(original.state())
    assert resumed.state() == original.state()
    assert resumed.outbound(6, key=4) == original.outbound(6, key=4)
    assert resumed.receive(1, D("9"), key=5, occurred_at=at(2)) == original.receive(
        1, D("9"), key=5, occurred_at=at(2))
    assert resumed.state() == original.state()
