"""Movements: how each kind routes stock, and what makes two requests the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from onhand.domain.movements import (
    GENESIS,
    Movement,
    MovementRequest,
    Route,
    chain_hash,
    check_text,
    check_unit_cost,
    fingerprint,
    route,
)
from onhand.errors import InvalidInput, InvalidLocation

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "source", "target"),
    [("receipt", "supplier", "WH1/A-01"), ("shipment", "WH1/A-01", "customer"),
     ("return", "customer", "WH1/A-01"), ("scrap", "WH1/A-01", "loss"),
     ("adjustment", "loss", "WH1/A-01"), ("count", "loss", "WH1/A-01")],
)
def test_each_kind_routes_stock_between_the_location_and_its_virtual_side(
    kind: str, source: str, target: str,
) -> None:
    assert route(kind, 3, location="WH1/A-01", source=None, target=None) == Route(
        source, target, 3)


@pytest.mark.parametrize("kind", ["adjustment", "count"])
def test_a_negative_adjustment_moves_the_positive_quantity_to_loss(kind: str) -> None:
    assert route(kind, -2, location="WH1", source=None, target=None) == Route("WH1", "loss", 2)
    assert route(kind, Decimal("-0.25"), location="WH1", source=None, target=None) == Route(
        "WH1", "loss", Decimal("0.25"))


def test_a_transfer_moves_stock_from_source_to_target() -> None:
    assert route("transfer", 2, location=None, source="WH1/A-01", target="WH2") == Route(
        "WH1/A-01", "WH2", 2)


def test_a_transfer_may_go_into_and_out_of_transit() -> None:
    assert route("transfer", 2, location=None, source="WH1", target="transit").target == "transit"
    assert route("transfer", 2, location=None, source="transit", target="WH2").source == "transit"


@pytest.mark.parametrize("virtual", ["supplier", "customer", "loss"])
def test_a_transfer_into_a_virtual_location_other_than_transit_is_an_invalid_location(
    virtual: str,
) -> None:
    with pytest.raises(InvalidLocation) as caught:
        route("transfer", 1, location=None, source="WH1", target=virtual)
    assert (caught.value.field, caught.value.location) == ("target", virtual)


@pytest.mark.parametrize("virtual", ["supplier", "customer", "loss"])
def test_a_transfer_out_of_a_virtual_location_other_than_transit_is_an_invalid_location(
    virtual: str,
) -> None:
    with pytest.raises(InvalidLocation) as caught:
        route("transfer", 1, location=None, source=virtual, target="WH1")
    assert (caught.value.field, caught.value.location) == ("source", virtual)


def test_a_transfer_to_the_same_location_is_an_invalid_location() -> None:
    with pytest.raises(InvalidLocation):
        route("transfer", 1, location=None, source="WH1", target="WH1")


def test_a_transfer_needs_both_source_and_target() -> None:
    with pytest.raises(InvalidInput) as caught:
        route("transfer", 1, location=None, source=None, target="WH1")
    assert caught.value.field == "source"
    with pytest.raises(InvalidInput) as caught:
        route("transfer", 1, location=None, source="WH1", target=None)
    assert caught.value.field == "target"


@pytest.mark.parametrize("kind", ["receipt", "shipment", "return", "scrap", "adjustment"])
def test_a_movement_at_a_virtual_location_or_none_is_rejected(kind: str) -> None:
    with pytest.raises(InvalidLocation) as caught:
        route(kind, 1, location="customer", source=None, target=None)
    assert caught.value.field == "location"
    with pytest.raises(InvalidInput) as missing:
        route(kind, 1, location=None, source=None, target=None)
    assert missing.value.field == "location"


def test_an_unknown_kind_is_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        route("teleport", 1, location="WH1", source=None, target=None)
    assert caught.value.field == "kind"


def test_a_defaulted_occurred_at_is_left_out_of_the_identity() -> None:
    request = MovementRequest(kind="receipt", sku="MUG-BLUE", qty=5, location="WH1")
    assert "occurred_at" not in request.identity()
    assert request.identity() == {"kind": "receipt", "sku": "MUG-BLUE", "qty": ["decimal", "5"],
                                  "owner": "default", "location": "WH1"}


def test_a_given_occurred_at_is_part_of_the_identity() -> None:
    request = MovementRequest(kind="receipt", sku="MUG-BLUE", qty=5, location="WH1",
                              occurred_at=AT)
    assert request.identity()["occurred_at"] == AT.isoformat()
    later = replace(request, occurred_at=datetime(2026, 11, 3, tzinfo=UTC))
    assert fingerprint(request.identity()) != fingerprint(later.identity())


def test_the_fingerprint_is_stable_and_tells_different_requests_apart() -> None:
    first = MovementRequest(kind="shipment", sku="MUG-BLUE", qty=3, location="WH1")
    assert fingerprint(first.identity()) == fingerprint(replace(first).identity())
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    for change in ({"qty": 4}, {"sku": "MUG-RED"}, {"location": "WH2"}, {"reference": "SO-1"},
                   {"owner": "acme"}, {"kind": "scrap"}):
        other = replace(first, **change)  # type: ignore[arg-type]
        assert fingerprint(first.identity()) != fingerprint(other.identity()), change


def test_equal_decimals_written_differently_are_the_same_request() -> None:
    first = MovementRequest(kind="receipt", sku="ROPE", qty=Decimal("2.50"), location="WH1",
                            unit_cost=Decimal("1.10"))
    again = replace(first, qty=Decimal("2.5"), unit_cost=Decimal("1.1"))
    assert fingerprint(first.identity()) == fingerprint(again.identity())


def test_a_batch_fingerprint_depends_on_the_order_of_its_lines() -> None:
    one = MovementRequest(kind="receipt", sku="A", qty=1, location="WH1").identity()
    two = MovementRequest(kind="receipt", sku="B", qty=1, location="WH1").identity()
    assert fingerprint([one, two]) != fingerprint([two, one])


def test_optional_text_is_stripped_and_a_required_one_must_be_given() -> None:
    assert check_text("  PO-7 ", "reference") == "PO-7"
    assert check_text("", "reference") is None
    assert check_text(None, "lot") is None
    with pytest.raises(InvalidInput) as caught:
        check_text(" ", "reason", required=True)
    assert caught.value.field == "reason"
    with pytest.raises(InvalidInput):
        check_text("x" * 201, "reference")
    with pytest.raises(InvalidInput):
        check_text(7, "reference")


def test_a_unit_cost_is_an_exact_non_negative_amount_on_inbound_kinds_only() -> None:
    assert check_unit_cost(Decimal("2.50"), "receipt") == Decimal("2.50")
    assert check_unit_cost(3, "return") == Decimal(3)
    assert check_unit_cost(None, "shipment") is None
    for value, kind in ((Decimal("1"), "shipment"), (Decimal("1"), "transfer"), (2.5, "receipt"),
                        (Decimal("-1"), "receipt"), (Decimal("NaN"), "receipt"),
                        (True, "receipt"), ("2.50", "receipt"),
                        (Decimal("0.00000000001"), "receipt")):
        with pytest.raises(InvalidInput) as caught:
            check_unit_cost(value, kind)
        assert caught.value.field == "unit_cost", (value, kind)


def _movement(**change: object) -> Movement:
    base = Movement(id=1, kind="receipt", sku="MUG-BLUE", owner="default", qty=10,
                    source="supplier", target="WH1", lot=None, reference="PO-7", reason=None,
                    unit_cost=Decimal("2.50"), occurred_at=AT, recorded_at=AT, reverses=None,
                    seq=1)
    return replace(base, **change)  # type: ignore[arg-type]


def test_the_chain_hash_is_deterministic_and_changes_with_any_field_of_the_movement() -> None:
    link = chain_hash(GENESIS, _movement())
    assert link == chain_hash(GENESIS, _movement())
    for change in ({"qty": 11}, {"target": "WH2"}, {"source": "WH2"}, {"seq": 2},
                   {"kind": "return"}, {"sku": "MUG-RED"}, {"owner": "acme"},
                   {"reference": "PO-8"}, {"reason": "typo"}, {"lot": "L1"},
                   {"unit_cost": Decimal("2.51")}, {"occurred_at": AT.replace(minute=1)},
                   {"recorded_at": AT.replace(minute=1)}, {"reverses": 3},
                   {"shipment_id": 3}):
        assert chain_hash(GENESIS, _movement(**change)) != link, change


def test_the_chain_hash_links_to_the_previous_one() -> None:
    assert chain_hash(GENESIS, _movement()) != chain_hash("f" * 64, _movement())
