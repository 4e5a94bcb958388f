"""Location paths: a tree of internal locations, four virtual ones outside it."""

from __future__ import annotations

import pytest

from onhand.domain.locations import (
    MAX_DEPTH,
    VIRTUAL,
    holds_stock,
    is_virtual,
    normalize_path,
    parent_of,
    warehouse_of,
)
from onhand.errors import InvalidLocation


@pytest.mark.parametrize(
    ("given", "normal"),
    [("WH1", "WH1"), (" WH1/A-01 ", "WH1/A-01"), ("/WH1/A-01/", "WH1/A-01"),
     ("WH1/ A-01 /shelf 3", "WH1/A-01/shelf 3"), ("wh_2.b", "wh_2.b")],
)
def test_paths_are_normalised_by_trimming_spaces_and_slashes(given: str, normal: str) -> None:
    assert normalize_path(given) == normal


@pytest.mark.parametrize(
    "path",
    ["", "   ", "/", "WH1//A-01", "-WH1", "WH1/.hidden", "WH1/A*01", "WH1\tA", "WH1/A-01\n",
     "W" * 65, None, 7],
    ids=repr,
)
def test_malformed_paths_raise_invalid_location(path: object) -> None:
    with pytest.raises(InvalidLocation) as caught:
        normalize_path(path)
    assert caught.value.field == "location"


def test_a_path_deeper_than_the_limit_is_rejected() -> None:
    assert normalize_path("/".join(["L"] * MAX_DEPTH)).count("/") == MAX_DEPTH - 1
    with pytest.raises(InvalidLocation, match="deeper"):
        normalize_path("/".join(["L"] * (MAX_DEPTH + 1)))


def test_a_segment_of_64_characters_is_the_longest_allowed() -> None:
    assert normalize_path("W" * 64) == "W" * 64


def test_the_error_names_the_field_and_the_path() -> None:
    with pytest.raises(InvalidLocation) as caught:
        normalize_path("WH1//X", field="target")
    assert (caught.value.field, caught.value.location) == ("target", "WH1//X")


def test_parent_and_warehouse_are_read_from_the_path() -> None:
    assert parent_of("WH1/A-01/03") == "WH1/A-01"
    assert parent_of("WH1") is None
    assert warehouse_of("WH1/A-01/03") == "WH1"
    assert warehouse_of("WH2") == "WH2"


def test_only_the_four_virtual_locations_are_virtual() -> None:
    assert set(VIRTUAL) == {"supplier", "customer", "loss", "transit"}
    assert all(is_virtual(path) for path in VIRTUAL)
    assert not is_virtual("WH1")
    assert not is_virtual("WH1/transit")


def test_internal_locations_and_transit_hold_real_stock_the_outside_world_does_not() -> None:
    assert holds_stock("WH1") and holds_stock("WH1/A-01") and holds_stock("transit")
    assert not any(holds_stock(path) for path in ("supplier", "customer", "loss"))
