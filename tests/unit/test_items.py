"""Items: SKUs, names, units, decimals, modes and barcodes with GS1 check digits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from onhand.domain.items import Item, check_barcode, check_item, check_sku, gtin_is_valid
from onhand.errors import InvalidInput

MUG = Item(sku="MUG-BLUE", name="Blue mug")


@pytest.mark.parametrize("gtin", ["4006381333931", "96385074", "036000291452",
                                  "10012345678902", "5901234123457"])
def test_gtins_with_the_right_check_digit_are_valid(gtin: str) -> None:
    assert gtin_is_valid(gtin)
    assert check_barcode(gtin) == gtin


@pytest.mark.parametrize("gtin", ["4006381333932", "96385075", "036000291453",
                                  "10012345678903"])
def test_a_gtin_with_a_wrong_check_digit_is_rejected(gtin: str) -> None:
    assert not gtin_is_valid(gtin)
    with pytest.raises(InvalidInput, match="check digit") as caught:
        check_barcode(gtin)
    assert caught.value.field == "barcodes"


def test_codes_that_are_not_gtins_are_kept_as_they_are() -> None:
    assert check_barcode("ABC-123") == "ABC-123"
    assert check_barcode("12345") == "12345"  # all digits, but no GTIN length


@pytest.mark.parametrize("code", ["", "with space", "x" * 65, 4006381333931, "tab\there"],
                         ids=repr)
def test_a_barcode_that_is_empty_too_long_or_not_printable_is_rejected(code: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_barcode(code)
    assert caught.value.field == "barcodes"


def test_an_item_with_the_defaults_is_valid() -> None:
    assert check_item(MUG) is MUG
    assert (MUG.owner, MUG.unit, MUG.decimals, MUG.allow_negative, MUG.tracking,
            MUG.cost_method) == ("default", "each", 0, False, "none", "fifo")


def test_a_sku_must_be_printable_short_and_without_surrounding_spaces() -> None:
    assert check_sku("MUG 1") == "MUG 1"
    for sku in ("", "   ", "  MUG-1 ", "/MUG", "MUG\t1", "MUG\n1", "M" * 65, 42, None):
        with pytest.raises(InvalidInput) as caught:
            check_sku(sku)
        assert caught.value.field == "sku"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"sku": ""}, "sku"), ({"name": ""}, "name"), ({"name": "x" * 201}, "name"),
     ({"unit": " "}, "unit"), ({"unit": "u" * 21}, "unit"), ({"decimals": -1}, "decimals"),
     ({"decimals": 7}, "decimals"), ({"decimals": True}, "decimals"),
     ({"decimals": 1.0}, "decimals"), ({"tracking": "batch"}, "tracking"),
     ({"cost_method": "lifo"}, "cost_method"), ({"allow_negative": "yes"}, "allow_negative"),
     ({"barcodes": ("4006381333932",)}, "barcodes"),
     ({"barcodes": ("4006381333931", "4006381333931")}, "barcodes")],
    ids=lambda value: repr(value) if isinstance(value, dict) else value,
)
def test_an_invalid_item_field_is_rejected_naming_the_field(change: dict[str, object],
                                                            field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_item(replace(MUG, **change))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_lot_and_serial_tracking_and_average_cost_are_accepted() -> None:
    for change in ({"tracking": "lot"}, {"tracking": "serial"}, {"cost_method": "average"},
                   {"decimals": 6}, {"allow_negative": True}):
        assert check_item(replace(MUG, **change))  # type: ignore[arg-type]
