"""The rules of the stock ledger (issue 3): a bad request raises its named error, writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

import onhand
from onhand.db.tables import balances
from tests.factories import mug, rope, stocked

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
SKU = "MUG-BLUE"


class Ledger:
    """Takes a snapshot of everything a posting could write, to prove a rejection wrote nothing."""

    def __init__(self, inv: onhand.Inventory) -> None:
        self.inv = inv
        self.before: tuple[object, ...] = ()

    def state(self) -> tuple[object, ...]:
        owners = sorted({item.owner for item in self.inv.items()} | {"default"})
        histories = tuple(tuple(self.inv.history(owner=owner, limit=100_000))
                          for owner in owners)
        with self.inv.engine.connect() as conn:
            rows = tuple(sorted(tuple(row) for row in conn.execute(select(balances))))
        return histories, rows

    def snapshot(self) -> None:
        self.before = self.state()

    def assert_unchanged(self) -> None:
        assert self.before, "take a snapshot first"
        assert self.state() == self.before, "a rejected request wrote something"

    def count(self, owner: str = "default") -> int:
        return len(self.inv.history(owner=owner, limit=100_000))


@pytest.fixture
def ledger(inv: onhand.Inventory) -> Ledger:
    return Ledger(inv)


# every write verb, posting ``qty`` of the mug (10 of which are at WH1/A-01)
WRITES: dict[str, Callable[[onhand.Inventory, Any], object]] = {
    "receive": lambda inv, qty: inv.receive(sku=SKU, qty=qty, location="WH1/A-01"),
    "ship": lambda inv, qty: inv.ship(sku=SKU, qty=qty, location="WH1/A-01"),
    "return": lambda inv, qty: inv.return_(sku=SKU, qty=qty, location="WH1/A-01"),
    "adjust": lambda inv, qty: inv.adjust(sku=SKU, qty=qty, location="WH1/A-01",
                                          reason="count"),
    "scrap": lambda inv, qty: inv.scrap(sku=SKU, qty=qty, location="WH1/A-01", reason="broken"),
    "transfer": lambda inv, qty: inv.transfer(sku=SKU, qty=qty, source="WH1/A-01", target="WH2"),
    "post_batch": lambda inv, qty: inv.post_batch([
        {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2"},
        {"kind": "shipment", "sku": SKU, "qty": qty, "location": "WH1/A-01"},
    ]),
}
NEGATIVE = [-1, Decimal("-2")]
NOT_POSITIVE_OR_NOT_EXACT = [0, Decimal("0"), 1.0, 2.5, float("nan"), Decimal("NaN"),
                             Decimal("Infinity"), True, False, "3", None, Decimal("3.5")]


# --- unknown names ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", list(WRITES))
def test_posting_an_unknown_sku_raises_unknown_item(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    stocked(inv, sku="MUG-RED")
    ledger.snapshot()
    with pytest.raises(onhand.UnknownItem) as caught:
        WRITES[verb](inv, 1)
    assert (caught.value.sku, caught.value.field) == (SKU, "sku")
    if verb == "post_batch":
        assert caught.value.line == 1
    ledger.assert_unchanged()


def test_reading_an_unknown_sku_raises_unknown_item(inv: onhand.Inventory) -> None:
    for read in (lambda: inv.stock(sku="NO-SUCH-SKU"), lambda: inv.history(sku="NO-SUCH-SKU"),
                 lambda: inv.item("NO-SUCH-SKU")):
        with pytest.raises(onhand.UnknownItem) as caught:
            read()
        assert caught.value.sku == "NO-SUCH-SKU"


@pytest.mark.parametrize(
    ("call", "field"),
    [(lambda inv: inv.receive(sku=SKU, qty=1, location="WH9"), "location"),
     (lambda inv: inv.ship(sku=SKU, qty=1, location="WH9"), "location"),
     (lambda inv: inv.return_(sku=SKU, qty=1, location="WH9"), "location"),
     (lambda inv: inv.adjust(sku=SKU, qty=1, location="WH9", reason="count"), "location"),
     (lambda inv: inv.scrap(sku=SKU, qty=1, location="WH9", reason="broken"), "location"),
     (lambda inv: inv.transfer(sku=SKU, qty=1, source="WH9", target="WH2"), "source"),
     (lambda inv: inv.transfer(sku=SKU, qty=1, source="WH1/A-01", target="WH9"), "target")],
    ids=["receive", "ship", "return", "adjust", "scrap", "transfer-from", "transfer-to"],
)
def test_posting_at_an_unknown_location_raises_unknown_location(
    inv: onhand.Inventory, ledger: Ledger,
    call: Callable[[onhand.Inventory], object], field: str,
) -> None:
    stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.UnknownLocation) as caught:
        call(inv)
    assert (caught.value.location, caught.value.field) == ("WH9", field)
    ledger.assert_unchanged()


def test_reading_an_unknown_location_raises_unknown_location(inv: onhand.Inventory) -> None:
    mug(inv)
    with pytest.raises(onhand.UnknownLocation) as caught:
        inv.stock(sku=SKU, location="WH9")
    assert caught.value.location == "WH9"


def test_a_location_whose_parent_does_not_exist_raises_unknown_location(
    inv: onhand.Inventory,
) -> None:
    with pytest.raises(onhand.UnknownLocation) as caught:
        inv.add_location("WH3/A-01")
    assert (caught.value.location, caught.value.field) == ("WH3", "parent")
    assert "WH3/A-01" not in [place.path for place in inv.locations()]


def test_a_second_location_with_the_same_path_raises_duplicate_location(
    inv: onhand.Inventory,
) -> None:
    with pytest.raises(onhand.DuplicateLocation) as caught:
        inv.add_location("WH1/A-01")
    assert caught.value.location == "WH1/A-01"


@pytest.mark.parametrize("virtual", ["supplier", "customer", "loss", "transit"])
def test_a_location_inside_a_virtual_one_cannot_be_created(
    inv: onhand.Inventory, virtual: str,
) -> None:
    with pytest.raises(onhand.InvalidLocation):
        inv.add_location(f"{virtual}/A-01")


def test_an_owner_has_a_currency_and_a_time_zone(inv: onhand.Inventory) -> None:
    assert inv.add_owner("globex", "Globex", currency="jpy", time_zone="Asia/Tokyo") == "globex"
    assert inv.owners() == [
        onhand.Owner("default", "Default", "USD", "UTC"),
        onhand.Owner("globex", "Globex", "JPY", "Asia/Tokyo")]


@pytest.mark.parametrize(("fields", "field"), [
    ({"currency": "EURO"}, "currency"), ({"currency": "XXX"}, "currency"),
    ({"currency": 978}, "currency"), ({"time_zone": "Paris"}, "time_zone"),
    ({"time_zone": " UTC"}, "time_zone"), ({"time_zone": ""}, "time_zone"),
    ({"time_zone": None}, "time_zone"),
])
def test_an_owner_with_an_unknown_currency_or_time_zone_is_refused(
        inv: onhand.Inventory, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.add_owner("globex", **fields)
    assert caught.value.field == field
    assert [owner.code for owner in inv.owners()] == ["default"]


def test_posting_for_an_unknown_owner_raises_unknown_owner(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.UnknownOwner) as caught:
        inv.receive(sku=SKU, qty=1, location="WH1/A-01", owner="nobody")
    assert (caught.value.owner, caught.value.field) == ("nobody", "owner")
    with pytest.raises(onhand.UnknownOwner):
        inv.post_batch([{"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2"}],
                       owner="nobody")
    with pytest.raises(onhand.UnknownOwner):
        inv.reverse(1, reason="typo", owner="nobody")
    ledger.assert_unchanged()


def test_an_item_or_a_read_for_an_unknown_owner_raises_unknown_owner(
    inv: onhand.Inventory,
) -> None:
    with pytest.raises(onhand.UnknownOwner) as caught:
        inv.add_item(sku=SKU, name="Blue mug", owner="nobody")
    assert caught.value.owner == "nobody"
    assert inv.items() == []
    with pytest.raises(onhand.UnknownOwner):
        inv.stock(sku=SKU, owner="nobody")
    with pytest.raises(onhand.UnknownOwner):
        inv.history(owner="nobody")


def test_reversing_an_unknown_movement_raises_unknown_movement(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.UnknownMovement) as caught:
        inv.reverse(receipt.id + 1000, reason="typo")
    assert (caught.value.movement_id, caught.value.field) == (receipt.id + 1000, "movement_id")
    ledger.assert_unchanged()


def test_another_owners_movement_is_unknown_to_this_owner(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv)
    inv.add_owner("acme")
    ledger.snapshot()
    with pytest.raises(onhand.UnknownMovement):
        inv.reverse(receipt.id, reason="typo", owner="acme")
    ledger.assert_unchanged()


# --- duplicates -----------------------------------------------------------------------------------


def test_a_second_item_with_the_same_sku_raises_duplicate_item(inv: onhand.Inventory) -> None:
    mug(inv)
    with pytest.raises(onhand.DuplicateItem) as caught:
        inv.add_item(sku=SKU, name="Another blue mug")
    assert (caught.value.sku, caught.value.field) == (SKU, "sku")
    assert [item.name for item in inv.items()] == ["Blue mug"]


def test_the_same_sku_for_another_owner_is_a_different_item(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    inv.add_owner("acme")
    inv.add_item(sku=SKU, name="Acme's blue mug", owner="acme")
    inv.receive(sku=SKU, qty=3, location="WH1/A-01", owner="acme")
    assert inv.stock(sku=SKU).on_hand == 10
    assert inv.stock(sku=SKU, owner="acme").on_hand == 3
    assert inv.item(SKU, owner="acme").name == "Acme's blue mug"
    assert inv.verify().ok


def test_a_barcode_already_used_by_another_item_raises_duplicate_item(
    inv: onhand.Inventory,
) -> None:
    mug(inv, barcodes=["4006381333931"])
    with pytest.raises(onhand.DuplicateItem) as caught:
        inv.add_item(sku="MUG-RED", name="Red mug", barcodes=["4006381333931"])
    assert (caught.value.field, caught.value.barcode, caught.value.sku) == (
        "barcodes", "4006381333931", "MUG-RED")
    assert [item.sku for item in inv.items()] == [SKU]
    assert inv.item("4006381333931").sku == SKU


def test_a_barcode_with_a_wrong_check_digit_is_rejected_when_adding_an_item(
    inv: onhand.Inventory,
) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        mug(inv, barcodes=["4006381333932"])
    assert caught.value.field == "barcodes"
    assert inv.items() == []


def test_another_owner_may_use_the_same_barcode(inv: onhand.Inventory) -> None:
    mug(inv, barcodes=["4006381333931"])
    inv.add_owner("acme")
    inv.add_item(sku="ACME-MUG", name="Mug", owner="acme", barcodes=["4006381333931"])
    assert inv.item("4006381333931", owner="acme").sku == "ACME-MUG"
    assert inv.item("4006381333931").sku == SKU


# --- quantities -----------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", list(WRITES))
def test_a_quantity_that_is_not_a_positive_exact_number_raises_invalid_quantity(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    stocked(inv)
    ledger.snapshot()
    wrong: dict[str, object] = {}
    for qty in NOT_POSITIVE_OR_NOT_EXACT + ([] if verb == "adjust" else NEGATIVE):
        try:
            WRITES[verb](inv, qty)
        except onhand.OnhandError as error:
            expected_line = 2 if verb == "post_batch" else None
            if not isinstance(error, onhand.InvalidQuantity) or error.field != "qty" \
                    or getattr(error, "line", None) != expected_line:
                wrong[repr(qty)] = (type(error).__name__, error.fields())
        else:
            wrong[repr(qty)] = "accepted"
    assert wrong == {}, "each of these should raise InvalidQuantity(field='qty')"
    ledger.assert_unchanged()


@pytest.mark.parametrize("verb", list(WRITES))
def test_a_decimal_with_a_zero_fraction_is_a_whole_quantity(
    inv: onhand.Inventory, verb: str,
) -> None:
    stocked(inv)
    written = WRITES[verb](inv, Decimal("3.0"))
    movement = written[-1] if isinstance(written, list) else written
    assert isinstance(movement, onhand.Movement)
    assert movement.qty == 3 and type(movement.qty) is int


def test_a_negative_adjustment_takes_stock_to_loss(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    adjustment = inv.adjust(sku=SKU, qty=-2, location="WH1/A-01", reason="damaged")
    assert (adjustment.source, adjustment.target, adjustment.qty) == ("WH1/A-01", "loss", 2)
    gain = inv.adjust(sku=SKU, qty=1, location="WH1/A-01", reason="found")
    assert (gain.source, gain.target, gain.qty) == ("loss", "WH1/A-01", 1)
    assert inv.stock(sku=SKU).on_hand == 9


def test_an_item_with_decimals_rejects_a_quantity_with_more_places(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    rope(inv)
    inv.receive(sku="ROPE-10MM", qty=Decimal("10.5"), location="WH1")
    ledger.snapshot()
    for call in (lambda: inv.ship(sku="ROPE-10MM", qty=Decimal("0.001"), location="WH1"),
                 lambda: inv.adjust(sku="ROPE-10MM", qty=Decimal("-0.125"), location="WH1",
                                    reason="cut")):
        with pytest.raises(onhand.InvalidQuantity) as caught:
            call()
        assert caught.value.field == "qty"
    ledger.assert_unchanged()


@pytest.mark.parametrize("kind", ["adjustment", "scrap"])
def test_an_adjustment_or_scrap_without_a_reason_is_rejected(
    inv: onhand.Inventory, ledger: Ledger, kind: str,
) -> None:
    stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.post_batch([{"kind": kind, "sku": SKU, "qty": 1, "location": "WH1/A-01"}])
    assert caught.value.field == "reason"
    ledger.assert_unchanged()


# --- insufficient stock ---------------------------------------------------------------------------


OUTBOUND: dict[str, Callable[[onhand.Inventory, int], object]] = {
    "ship": WRITES["ship"],
    "scrap": WRITES["scrap"],
    "transfer": WRITES["transfer"],
    "adjust": lambda inv, qty: inv.adjust(sku=SKU, qty=-qty, location="WH1/A-01",
                                          reason="count"),
}


@pytest.mark.parametrize("verb", list(OUTBOUND))
def test_taking_more_than_on_hand_raises_insufficient_stock(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    stocked(inv, qty=3)
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        OUTBOUND[verb](inv, 4)
    error = caught.value
    assert (error.sku, error.location, error.requested, error.available) == (
        SKU, "WH1/A-01", 4, 3)
    assert {"sku", "location", "requested", "available"} <= set(error.fields())
    ledger.assert_unchanged()


@pytest.mark.parametrize("verb", list(OUTBOUND))
def test_taking_exactly_what_is_on_hand_leaves_zero(inv: onhand.Inventory, verb: str) -> None:
    stocked(inv, qty=3)
    OUTBOUND[verb](inv, 3)
    assert inv.stock(sku=SKU, location="WH1/A-01").on_hand == 0
    assert inv.verify().ok


def test_insufficient_stock_of_an_item_with_decimals_names_exact_decimals(
    inv: onhand.Inventory,
) -> None:
    rope(inv)
    inv.receive(sku="ROPE-10MM", qty=Decimal("1.25"), location="WH2")
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku="ROPE-10MM", qty=Decimal("1.5"), location="WH2")
    assert (caught.value.requested, caught.value.available) == (Decimal("1.5"), Decimal("1.25"))


def test_stock_at_another_location_does_not_count(inv: onhand.Inventory, ledger: Ledger) -> None:
    stocked(inv, qty=5, location="WH2")
    inv.receive(sku=SKU, qty=1, location="WH1/A-01")
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku=SKU, qty=2, location="WH1/A-01")
    assert (caught.value.location, caught.value.available) == ("WH1/A-01", 1)
    ledger.assert_unchanged()


def test_an_item_that_allows_negative_stock_may_go_below_zero(inv: onhand.Inventory) -> None:
    mug(inv, sku="GIFT-WRAP", allow_negative=True)
    inv.ship(sku="GIFT-WRAP", qty=3, location="WH1/A-01")
    inv.scrap(sku="GIFT-WRAP", qty=1, location="WH1/A-01", reason="torn")
    inv.transfer(sku="GIFT-WRAP", qty=2, source="WH1/A-01", target="WH2")
    inv.adjust(sku="GIFT-WRAP", qty=-1, location="WH1/A-01", reason="count")
    assert inv.stock(sku="GIFT-WRAP", location="WH1/A-01").on_hand == -7
    assert inv.stock(sku="GIFT-WRAP").on_hand == -5
    assert inv.verify().ok


def test_transferring_out_of_transit_more_than_is_in_transit_raises_insufficient_stock(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    inv.transfer(sku=SKU, qty=2, source="WH1/A-01", target="transit")
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.transfer(sku=SKU, qty=5, source="transit", target="WH2")
    assert (caught.value.location, caught.value.requested, caught.value.available) == (
        "transit", 5, 2)
    ledger.assert_unchanged()


# --- backdated movements --------------------------------------------------------------------------


def test_a_backdated_shipment_that_would_dip_a_later_balance_raises_insufficient_stock(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", occurred_at=MONDAY)
    inv.ship(sku=SKU, qty=8, location="WH1/A-01", occurred_at=WEDNESDAY)
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku=SKU, qty=5, location="WH1/A-01", occurred_at=TUESDAY)
    error = caught.value
    assert (error.sku, error.location, error.requested, error.available) == (
        SKU, "WH1/A-01", 5, 2)
    ledger.assert_unchanged()


def test_a_backdated_shipment_that_leaves_enough_for_later_ones_is_accepted(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", occurred_at=MONDAY)
    inv.ship(sku=SKU, qty=8, location="WH1/A-01", occurred_at=WEDNESDAY)
    shipment = inv.ship(sku=SKU, qty=2, location="WH1/A-01", occurred_at=TUESDAY)
    assert shipment.occurred_at == TUESDAY
    assert inv.stock(sku=SKU, as_of=TUESDAY).on_hand == 8
    assert inv.stock(sku=SKU).on_hand == 0
    assert inv.verify().ok


def test_a_backdated_shipment_before_the_stock_arrived_raises_insufficient_stock(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", occurred_at=WEDNESDAY)
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku=SKU, qty=3, location="WH1/A-01", occurred_at=MONDAY)
    assert (caught.value.requested, caught.value.available) == (3, 0)
    ledger.assert_unchanged()


@pytest.mark.parametrize("verb", ["scrap", "transfer", "adjust"])
def test_every_backdated_outbound_kind_is_checked_against_later_balances(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location="WH1/A-01", occurred_at=MONDAY)
    inv.ship(sku=SKU, qty=8, location="WH1/A-01", occurred_at=WEDNESDAY)
    ledger.snapshot()
    calls = {
        "scrap": lambda: inv.scrap(sku=SKU, qty=3, location="WH1/A-01", reason="broken",
                                   occurred_at=TUESDAY),
        "transfer": lambda: inv.transfer(sku=SKU, qty=3, source="WH1/A-01", target="WH2",
                                         occurred_at=TUESDAY),
        "adjust": lambda: inv.adjust(sku=SKU, qty=-3, location="WH1/A-01", reason="count",
                                     occurred_at=TUESDAY),
    }
    with pytest.raises(onhand.InsufficientStock):
        calls[verb]()
    ledger.assert_unchanged()


def test_a_backdated_receipt_makes_a_later_backdated_shipment_possible(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=4, location="WH2", occurred_at=MONDAY)
    inv.ship(sku=SKU, qty=4, location="WH2", occurred_at=WEDNESDAY)
    inv.receive(sku=SKU, qty=2, location="WH2", occurred_at=TUESDAY)
    inv.ship(sku=SKU, qty=2, location="WH2", occurred_at=TUESDAY + timedelta(hours=1))
    assert inv.stock(sku=SKU, location="WH2").on_hand == 0
    assert inv.stock(sku=SKU, location="WH2", as_of=TUESDAY).on_hand == 6


# --- reversals ------------------------------------------------------------------------------------


def test_a_reversal_is_a_new_movement_that_undoes_the_original(inv: onhand.Inventory) -> None:
    mug(inv)
    receipt = inv.receive(sku=SKU, qty=10, location="WH1/A-01", occurred_at=MONDAY)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01", occurred_at=TUESDAY)
    reversal = inv.reverse(shipment.id, reason="wrong order")
    assert reversal.id not in (receipt.id, shipment.id)
    assert (reversal.reverses, reversal.kind, reversal.qty) == (shipment.id, "shipment", 3)
    assert (reversal.source, reversal.target) == ("customer", "WH1/A-01")
    assert reversal.reason == "wrong order"
    assert reversal.occurred_at > TUESDAY  # dated now, not at the original's time
    assert inv.stock(sku=SKU).on_hand == 10
    assert inv.history(sku=SKU)[1] == shipment  # the original is untouched
    assert inv.verify().ok


def test_reversing_a_movement_twice_raises_already_reversed(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv)
    reversal = inv.reverse(receipt.id, reason="typo")
    ledger.snapshot()
    with pytest.raises(onhand.AlreadyReversed) as caught:
        inv.reverse(receipt.id, reason="typo again")
    assert (caught.value.movement_id, caught.value.reversed_by) == (receipt.id, reversal.id)
    ledger.assert_unchanged()


def test_reversing_a_receipt_whose_stock_was_shipped_raises_insufficient_stock(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv, qty=10)
    inv.ship(sku=SKU, qty=8, location="WH1/A-01")
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.reverse(receipt.id, reason="typo")
    assert (caught.value.location, caught.value.requested, caught.value.available) == (
        "WH1/A-01", 10, 2)
    ledger.assert_unchanged()


def test_a_reversal_needs_a_reason(inv: onhand.Inventory, ledger: Ledger) -> None:
    receipt = stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.reverse(receipt.id, reason=" ")
    assert caught.value.field == "reason"
    ledger.assert_unchanged()


# --- idempotency ----------------------------------------------------------------------------------


def test_the_same_key_and_request_again_returns_the_first_result_and_writes_nothing(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    first = inv.receive(sku=SKU, qty=5, location="WH2", reference="PO-7", key="scan-1")
    ledger.snapshot()
    again = inv.receive(sku=SKU, qty=5, location="WH2", reference="PO-7", key="scan-1")
    assert again == first
    ledger.assert_unchanged()


def test_a_retry_that_leaves_occurred_at_to_its_default_is_the_same_request(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    first = inv.ship(sku=SKU, qty=2, location="WH1/A-01", key="webhook-9")
    ledger.snapshot()
    again = inv.ship(sku=SKU, qty=2, location="WH1/A-01", key="webhook-9")
    assert again == first
    assert again.occurred_at == first.occurred_at
    ledger.assert_unchanged()


def test_a_retry_with_the_same_explicit_occurred_at_is_the_same_request(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    first = inv.receive(sku=SKU, qty=5, location="WH2", occurred_at=MONDAY, key="k1")
    ledger.snapshot()
    assert inv.receive(sku=SKU, qty=5, location="WH2", occurred_at=MONDAY, key="k1") == first
    ledger.assert_unchanged()
    with pytest.raises(onhand.IdempotencyConflict):
        inv.receive(sku=SKU, qty=5, location="WH2", occurred_at=TUESDAY, key="k1")
    ledger.assert_unchanged()


@pytest.mark.parametrize(
    "different",
    [lambda inv: inv.receive(sku=SKU, qty=6, location="WH2", key="k1"),
     lambda inv: inv.receive(sku=SKU, qty=5, location="WH1", key="k1"),
     lambda inv: inv.receive(sku=SKU, qty=5, location="WH2", reference="PO-8", key="k1"),
     lambda inv: inv.ship(sku=SKU, qty=5, location="WH2", key="k1"),
     lambda inv: inv.post_batch([{"kind": "receipt", "sku": SKU, "qty": 5, "location": "WH2"},
                                 {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2"}],
                                key="k1")],
    ids=["qty", "location", "reference", "kind", "batch"],
)
def test_the_same_key_with_a_different_request_raises_idempotency_conflict(
    inv: onhand.Inventory, ledger: Ledger, different: Callable[[onhand.Inventory], object],
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=5, location="WH2", key="k1")
    ledger.snapshot()
    with pytest.raises(onhand.IdempotencyConflict) as caught:
        different(inv)
    assert (caught.value.key, caught.value.field) == ("k1", "key")
    ledger.assert_unchanged()


def test_a_retry_that_writes_the_same_quantity_as_a_decimal_is_the_same_request(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    first = inv.receive(sku=SKU, qty=5, location="WH2", key="scan-1")
    ledger.snapshot()
    assert inv.receive(sku=SKU, qty=Decimal("5"), location="WH2", key="scan-1") == first
    assert inv.receive(sku=SKU, qty=Decimal("5.0"), location="WH2", key="scan-1") == first
    ledger.assert_unchanged()


def test_keys_are_per_owner(inv: onhand.Inventory, ledger: Ledger) -> None:
    mug(inv)
    inv.add_owner("acme")
    mug(inv, owner="acme")
    mine = inv.receive(sku=SKU, qty=5, location="WH2", key="k1")
    theirs = inv.receive(sku=SKU, qty=7, location="WH2", key="k1", owner="acme")
    assert theirs.id != mine.id and theirs.owner == "acme"
    assert inv.stock(sku=SKU).on_hand == 5
    assert inv.stock(sku=SKU, owner="acme").on_hand == 7
    assert inv.receive(sku=SKU, qty=7, location="WH2", key="k1", owner="acme") == theirs


def test_a_request_that_failed_does_not_use_up_its_key(inv: onhand.Inventory) -> None:
    stocked(inv, qty=1)
    with pytest.raises(onhand.InsufficientStock):
        inv.ship(sku=SKU, qty=3, location="WH1/A-01", key="order-1")
    inv.receive(sku=SKU, qty=2, location="WH1/A-01")
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01", key="order-1")
    assert inv.ship(sku=SKU, qty=3, location="WH1/A-01", key="order-1") == shipment
    assert inv.stock(sku=SKU).on_hand == 0


def test_a_retried_batch_returns_the_first_movements(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    lines = [{"kind": "receipt", "sku": SKU, "qty": 5, "location": "WH2"},
             {"kind": "transfer", "sku": SKU, "qty": 2, "source": "WH2", "target": "WH1"}]
    first = inv.post_batch(lines, key="import-1")
    ledger.snapshot()
    assert inv.post_batch(lines, key="import-1") == first
    ledger.assert_unchanged()


def test_a_retried_reversal_returns_the_first_reversal(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv)
    first = inv.reverse(receipt.id, reason="typo", key="undo-1")
    ledger.snapshot()
    assert inv.reverse(receipt.id, reason="typo", key="undo-1") == first
    ledger.assert_unchanged()


# --- locations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("virtual", ["supplier", "customer", "loss"])
def test_a_transfer_into_a_virtual_location_other_than_transit_raises_invalid_location(
    inv: onhand.Inventory, ledger: Ledger, virtual: str,
) -> None:
    stocked(inv)
    ledger.snapshot()
    with pytest.raises(onhand.InvalidLocation) as caught:
        inv.transfer(sku=SKU, qty=1, source="WH1/A-01", target=virtual)
    assert (caught.value.location, caught.value.field) == (virtual, "target")
    ledger.assert_unchanged()


def test_a_transfer_via_transit_leaves_on_hand_and_arrives_later(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    inv.transfer(sku=SKU, qty=4, source="WH1/A-01", target="transit")
    assert inv.stock(sku=SKU).on_hand == 6
    assert inv.stock(sku=SKU, location="transit").on_hand == 4
    inv.transfer(sku=SKU, qty=4, source="transit", target="WH2")
    assert inv.stock(sku=SKU, location="WH2").on_hand == 4
    assert inv.stock(sku=SKU).on_hand == 10
    assert inv.verify().ok


@pytest.mark.parametrize("verb", ["receive", "ship", "return", "adjust", "scrap"])
def test_a_movement_at_a_virtual_location_raises_invalid_location(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    stocked(inv)
    ledger.snapshot()
    calls = {
        "receive": lambda: inv.receive(sku=SKU, qty=1, location="customer"),
        "ship": lambda: inv.ship(sku=SKU, qty=1, location="supplier"),
        "return": lambda: inv.return_(sku=SKU, qty=1, location="loss"),
        "adjust": lambda: inv.adjust(sku=SKU, qty=1, location="transit", reason="count"),
        "scrap": lambda: inv.scrap(sku=SKU, qty=1, location="customer", reason="broken"),
    }
    with pytest.raises(onhand.InvalidLocation) as caught:
        calls[verb]()
    assert caught.value.field == "location"
    ledger.assert_unchanged()


def test_stock_may_be_posted_at_a_parent_location_and_reading_it_includes_its_children(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.add_location("WH10")  # a sibling whose name starts like WH1's: not a child
    inv.receive(sku=SKU, qty=5, location="WH1")
    inv.receive(sku=SKU, qty=3, location="WH1/A-01")
    inv.receive(sku=SKU, qty=2, location="WH1/A-02")
    inv.receive(sku=SKU, qty=7, location="WH10")
    parent = inv.stock(sku=SKU, location="WH1")
    assert parent.on_hand == 10
    assert parent.by_location == {"WH1": 5, "WH1/A-01": 3, "WH1/A-02": 2}
    assert inv.stock(sku=SKU, location="WH1/A-01").on_hand == 3
    assert inv.stock(sku=SKU, location="WH10").on_hand == 7
    assert inv.stock(sku=SKU).on_hand == 17


def test_shipping_from_a_parent_takes_only_the_stock_held_at_the_parent_itself(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10, location="WH1/A-01")
    inv.receive(sku=SKU, qty=2, location="WH1")
    ledger.snapshot()
    with pytest.raises(onhand.InsufficientStock) as caught:
        inv.ship(sku=SKU, qty=3, location="WH1")
    assert (caught.value.location, caught.value.available) == ("WH1", 2)
    ledger.assert_unchanged()
    inv.ship(sku=SKU, qty=2, location="WH1")
    assert inv.stock(sku=SKU, location="WH1").by_location == {"WH1/A-01": 10}


# --- times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["receive", "ship", "transfer", "post_batch"])
def test_a_naive_datetime_raises_invalid_time(
    inv: onhand.Inventory, ledger: Ledger, verb: str,
) -> None:
    stocked(inv)
    naive = datetime(2026, 11, 2, 9, 0)  # noqa: DTZ001 - naive on purpose
    ledger.snapshot()
    calls = {
        "receive": lambda: inv.receive(sku=SKU, qty=1, location="WH2", occurred_at=naive),
        "ship": lambda: inv.ship(sku=SKU, qty=1, location="WH1/A-01", occurred_at=naive),
        "transfer": lambda: inv.transfer(sku=SKU, qty=1, source="WH1/A-01", target="WH2",
                                         occurred_at=naive),
        "post_batch": lambda: inv.post_batch([
            {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2"},
            {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2", "occurred_at": naive},
        ]),
    }
    with pytest.raises(onhand.InvalidTime) as caught:
        calls[verb]()
    assert caught.value.field == "occurred_at"
    if verb == "post_batch":
        assert caught.value.line == 2
    ledger.assert_unchanged()


def test_occurred_at_more_than_five_minutes_in_the_future_raises_invalid_time(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    ledger.snapshot()
    with pytest.raises(onhand.InvalidTime) as caught:
        inv.receive(sku=SKU, qty=1, location="WH2",
                    occurred_at=datetime.now(UTC) + timedelta(minutes=6))
    assert caught.value.field == "occurred_at"
    ledger.assert_unchanged()


def test_occurred_at_a_little_in_the_future_is_tolerated_for_clock_skew(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    soon = datetime.now(UTC) + timedelta(minutes=3)
    assert inv.receive(sku=SKU, qty=1, location="WH2", occurred_at=soon).occurred_at == soon


def test_reading_as_of_a_naive_datetime_raises_invalid_time(inv: onhand.Inventory) -> None:
    stocked(inv)
    with pytest.raises(onhand.InvalidTime) as caught:
        inv.stock(sku=SKU, as_of=datetime(2026, 11, 2, 9, 0))  # noqa: DTZ001
    assert caught.value.field == "as_of"


# --- batches --------------------------------------------------------------------------------------


def _five_lines(bad: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [
        {"kind": "receipt", "sku": SKU, "qty": 10, "location": "WH1/A-01"},
        {"kind": "transfer", "sku": SKU, "qty": 4, "source": "WH1/A-01", "target": "WH2"},
        {"kind": "shipment", "sku": SKU, "qty": 1, "location": "WH2"},
        {"kind": "scrap", "sku": SKU, "qty": 1, "location": "WH1/A-01", "reason": "broken"},
        {"kind": "receipt", "sku": SKU, "qty": 3, "location": "WH1/A-02"},
    ]
    lines[2] = {**lines[2], **bad}
    return lines


def test_a_good_batch_posts_every_line_in_one_go(inv: onhand.Inventory) -> None:
    mug(inv)
    written = inv.post_batch(_five_lines({}))
    assert [m.kind for m in written] == ["receipt", "transfer", "shipment", "scrap", "receipt"]
    assert len({m.id for m in written}) == 5
    assert inv.stock(sku=SKU).on_hand == 11
    assert inv.verify().ok


@pytest.mark.parametrize(
    ("bad", "error"),
    [({"qty": 0}, onhand.InvalidQuantity), ({"qty": 5}, onhand.InsufficientStock),
     ({"sku": "NO-SUCH-SKU"}, onhand.UnknownItem), ({"location": "WH9"}, onhand.UnknownLocation),
     ({"location": "customer"}, onhand.InvalidLocation),
     ({"kind": "teleport"}, onhand.InvalidInput), ({"colour": "blue"}, onhand.InvalidInput),
     ({"occurred_at": datetime(2026, 11, 2)}, onhand.InvalidTime)],  # noqa: DTZ001
    ids=["zero", "too-many", "unknown-sku", "unknown-location", "virtual", "kind", "extra-field",
         "naive-time"],
)
def test_a_bad_line_3_of_5_rejects_the_whole_batch_and_names_line_3(
    inv: onhand.Inventory, ledger: Ledger, bad: dict[str, Any], error: type[onhand.OnhandError],
) -> None:
    mug(inv)
    ledger.snapshot()
    with pytest.raises(error) as caught:
        inv.post_batch(_five_lines(bad))
    assert caught.value.line == 3
    assert caught.value.fields()["line"] == 3
    assert str(caught.value).startswith("line 3: ")
    ledger.assert_unchanged()


@pytest.mark.parametrize(
    ("line", "error"),
    [({"qty": 0}, onhand.InvalidQuantity),
     ({"kind": "shipment", "qty": 5}, onhand.InsufficientStock),
     ({"colour": "blue"}, onhand.InvalidInput)],
    ids=["zero", "too-many", "extra-field"],
)
def test_a_bad_line_in_a_one_line_batch_still_names_line_1(
    inv: onhand.Inventory, ledger: Ledger, line: dict[str, Any], error: type[onhand.OnhandError],
) -> None:
    mug(inv)
    ledger.snapshot()
    with pytest.raises(error) as caught:
        inv.post_batch([{"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2", **line}])
    assert caught.value.fields().get("line") == 1
    ledger.assert_unchanged()


def test_a_batch_line_cannot_post_for_another_owner_than_the_batch(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    mug(inv)
    inv.add_owner("acme")
    mug(inv, owner="acme")
    ledger.snapshot()
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.post_batch([{"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH2",
                         "owner": "acme"}], key="k1")
    assert (caught.value.field, caught.value.fields().get("line")) == ("owner", 1)
    ledger.assert_unchanged()


def test_an_empty_batch_is_rejected(inv: onhand.Inventory) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.post_batch([])
    assert caught.value.field == "lines"


def test_a_batch_over_the_limit_raises_batch_too_large(database_url: str) -> None:
    with onhand.open(database_url, max_batch_lines=10) as inv:
        inv.add_location("WH1")
        mug(inv)
        line = {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH1"}
        assert len(inv.post_batch([line] * 10)) == 10
        with pytest.raises(onhand.BatchTooLarge) as caught:
            inv.post_batch([line] * 11)
        assert (caught.value.lines, caught.value.limit, caught.value.field) == (11, 10, "lines")
        assert inv.stock(sku=SKU).on_hand == 10


def test_the_default_batch_limit_is_100_000_lines(inv: onhand.Inventory) -> None:
    assert inv.settings.max_batch_lines == 100_000
    mug(inv)
    line = {"kind": "receipt", "sku": SKU, "qty": 1, "location": "WH1"}
    with pytest.raises(onhand.BatchTooLarge) as caught:
        inv.post_batch([line] * 100_001)
    assert (caught.value.lines, caught.value.limit) == (100_001, 100_000)
    assert inv.history(sku=SKU) == []


# --- returns --------------------------------------------------------------------------------------


def test_returns_against_a_shipment_are_accepted_up_to_what_it_shipped(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01", reference="SO-1")
    first = inv.return_(sku=SKU, qty=2, location="WH1/A-01", shipment_id=shipment.id)
    assert (first.shipment_id, first.source, first.target) == (shipment.id, "customer",
                                                               "WH1/A-01")
    inv.return_(sku=SKU, qty=1, location="WH2", shipment_id=shipment.id)
    ledger.snapshot()
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.return_(sku=SKU, qty=1, location="WH1/A-01", shipment_id=shipment.id)
    assert caught.value.field == "qty"
    ledger.assert_unchanged()


def test_returning_more_than_a_shipment_shipped_raises_invalid_quantity(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01")
    ledger.snapshot()
    with pytest.raises(onhand.InvalidQuantity) as caught:
        inv.return_(sku=SKU, qty=4, location="WH1/A-01", shipment_id=shipment.id)
    assert caught.value.field == "qty"
    ledger.assert_unchanged()


def test_a_reversed_return_no_longer_counts_against_its_shipment(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01")
    wrong = inv.return_(sku=SKU, qty=3, location="WH1/A-01", shipment_id=shipment.id)
    inv.reverse(wrong.id, reason="scanned twice")
    inv.return_(sku=SKU, qty=3, location="WH1/A-01", shipment_id=shipment.id)
    assert inv.stock(sku=SKU).on_hand == 10


def test_returning_against_a_movement_that_is_not_a_shipment_of_the_item_raises_unknown_movement(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    receipt = stocked(inv, qty=10)
    stocked(inv, sku="MUG-RED", qty=5)
    red_shipment = inv.ship(sku="MUG-RED", qty=2, location="WH1/A-01")
    ledger.snapshot()
    for wrong in (receipt.id, red_shipment.id, red_shipment.id + 1000):
        with pytest.raises(onhand.UnknownMovement) as caught:
            inv.return_(sku=SKU, qty=1, location="WH1/A-01", shipment_id=wrong)
        assert caught.value.movement_id == wrong
    ledger.assert_unchanged()


def test_returning_against_a_reversed_shipment_is_rejected(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01")
    inv.reverse(shipment.id, reason="never left the dock")
    ledger.snapshot()
    with pytest.raises(onhand.InvalidInput) as caught:
        inv.return_(sku=SKU, qty=3, location="WH1/A-01", shipment_id=shipment.id)
    assert caught.value.field == "shipment_id"
    ledger.assert_unchanged()


def test_returning_against_the_reversal_of_a_shipment_raises_unknown_movement(
    inv: onhand.Inventory, ledger: Ledger,
) -> None:
    stocked(inv, qty=10)
    shipment = inv.ship(sku=SKU, qty=3, location="WH1/A-01")
    reversal = inv.reverse(shipment.id, reason="never left the dock")
    ledger.snapshot()
    with pytest.raises(onhand.UnknownMovement):
        inv.return_(sku=SKU, qty=3, location="WH1/A-01", shipment_id=reversal.id)
    ledger.assert_unchanged()
