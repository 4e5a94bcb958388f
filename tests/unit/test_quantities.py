"""Exact quantities: ints and Decimals within the item's decimals, nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from onhand.domain.quantities import (
    MAX_UNITS,
    from_units,
    parse_qty,
    parse_qty_text,
    to_units,
)
from onhand.errors import InvalidQuantity, OnhandError


def test_an_int_is_accepted_as_it_is() -> None:
    assert parse_qty(3, 0) == 3
    assert type(parse_qty(3, 0)) is int


def test_an_int_for_an_item_with_decimals_comes_back_as_an_exact_decimal() -> None:
    qty = parse_qty(3, 2)
    assert qty == Decimal("3") and isinstance(qty, Decimal)


def test_a_decimal_within_the_items_decimals_is_accepted() -> None:
    assert parse_qty(Decimal("12.25"), 2) == Decimal("12.25")
    assert parse_qty(Decimal("0.5"), 2) == Decimal("0.5")


def test_a_decimal_with_a_zero_fraction_is_fine_for_an_item_without_decimals() -> None:
    qty = parse_qty(Decimal("3.0"), 0)
    assert qty == 3 and type(qty) is int


def test_a_decimal_with_more_places_than_the_item_allows_is_rejected() -> None:
    with pytest.raises(InvalidQuantity) as caught:
        parse_qty(Decimal("3.5"), 0)
    assert caught.value.field == "qty"
    assert "must be a whole number" in str(caught.value)
    with pytest.raises(InvalidQuantity) as caught:
        parse_qty(Decimal("0.125"), 2)
    assert "more than 2 decimal places" in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [0, Decimal("0"), Decimal("0.00"), -1, Decimal("-2.5"), 1.0, 2.5, float("nan"),
     Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), True, False,
     "3", None, [3]],
    ids=repr,
)
def test_zero_negative_float_nan_infinity_bool_and_text_are_invalid_quantities(
    value: object,
) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        parse_qty(value, 2)
    assert caught.value.field == "qty"
    assert caught.value.fields()["field"] == "qty"
    assert isinstance(caught.value, OnhandError)


def test_a_negative_quantity_is_accepted_only_when_signed() -> None:
    assert parse_qty(-2, 0, signed=True) == -2
    assert parse_qty(Decimal("-0.25"), 2, signed=True) == Decimal("-0.25")
    with pytest.raises(InvalidQuantity):
        parse_qty(0, 0, signed=True)


def test_the_error_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidQuantity) as caught:
        parse_qty(0, 0, field="counted")
    assert caught.value.field == "counted"
    assert str(caught.value).startswith("counted ")


def test_a_quantity_too_large_for_a_64_bit_sum_is_rejected() -> None:
    assert parse_qty(MAX_UNITS - 1, 0) == MAX_UNITS - 1
    with pytest.raises(InvalidQuantity, match="too large"):
        parse_qty(MAX_UNITS, 0)
    with pytest.raises(InvalidQuantity, match="too large"):
        parse_qty(MAX_UNITS // 100, 2)


def test_text_from_files_is_parsed_exactly() -> None:
    assert parse_qty_text(" 3 ", 0) == 3
    assert parse_qty_text("1.25", 2) == Decimal("1.25")
    assert parse_qty_text("-2", 0, signed=True) == -2
    for text in ("abc", "", "1,5", "0", "1.5"):
        with pytest.raises(InvalidQuantity):
            parse_qty_text(text, 0)


def test_quantities_are_stored_as_scaled_integers_and_read_back_exactly() -> None:
    assert to_units(Decimal("12.25"), 2) == 1225
    assert to_units(7, 3) == 7000
    assert from_units(1225, 2) == Decimal("12.25")
    assert from_units(7, 0) == 7 and type(from_units(7, 0)) is int
    with pytest.raises(InvalidQuantity):
        to_units(Decimal("0.001"), 2)
