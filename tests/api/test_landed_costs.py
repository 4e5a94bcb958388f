"""Landed costs through HTTP: how an amount is spread over receipts, what the stock is then
worth, what is refused (naming the field), who may add one, and the audit trail.

The app's fixture holds 10 MUG-1 (owner default, received without a cost) and 5 ACME-1
(owner acme). ``boxes`` adds, on 2025-03-10 at WH1/A-01: 4 BOX-1 (weighing 2.5 a unit) at
5.00 at 09:00 (20.00), and 6 BOX-2 (weighing 1) at 5.00 at 10:00 (30.00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import onhand
from onhand.domain.times import utcnow
from tests.api.conftest import bearer, problem, written

BIN = "WH1/A-01"
DAY = datetime(2025, 3, 10, tzinfo=UTC)


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


@pytest.fixture
def inv(app: FastAPI) -> onhand.Inventory:
    found: onhand.Inventory = app.state.api.inventory
    return found


@pytest.fixture
def boxes(inv: onhand.Inventory) -> list[int]:
    """The receipts of 4 BOX-1 and 6 BOX-2, at 5.00 each; their movement ids."""
    inv.add_item(sku="BOX-1", name="Heavy box", weight=Decimal("2.5"))
    inv.add_item(sku="BOX-2", name="Light box", weight=Decimal("1"))
    return [inv.receive(sku=sku, qty=qty, location=BIN, unit_cost=Decimal("5.00"),
                        occurred_at=DAY + timedelta(hours=hour)).id
            for sku, qty, hour in (("BOX-1", 4, 9), ("BOX-2", 6, 10))]


def land(client: TestClient, headers: dict[str, str], receipts: Any, **body: Any) -> Any:
    """Post the landed cost FREIGHT-1 of 10.00 over ``receipts`` (``body`` overrides)."""
    return client.post("/v1/landed-costs", headers=headers, json={
        "reference": "FREIGHT-1", "amount": "10.00", "receipts": receipts, **body})


def created(response: Any) -> Any:
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def shares(body: Any) -> list[tuple[str, str, str]]:
    """Return (SKU, units, share) of each line of a landed cost, by SKU."""
    return sorted((line["sku"], line["qty"], line["amount"]) for line in body["lines"])


def value_of(client: TestClient, headers: dict[str, str], sku: str) -> str:
    found = client.get("/v1/valuation", params={"sku": sku}, headers=headers)
    assert found.status_code == 200, found.text
    value: str = found.json()["items"][0]["value"]
    return value


# --- the spread --------------------------------------------------------------------------------


def test_by_weight_each_receipt_gets_its_units_times_the_items_weight_share(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    """BOX-1 weighs 4 × 2.5 = 10, BOX-2 6 × 1 = 6, of 16: BOX-1 gets 10.00 × 10/16 = 6.25,
    BOX-2 the rest, 3.75. Every unit is still on hand, so the stock carries all of it:
    BOX-1 20.00 + 6.25 = 26.25, BOX-2 30.00 + 3.75 = 33.75."""
    body = created(land(client, admin, boxes, basis="weight",
                        description="freight from Rotterdam"))

    assert {name: value for name, value in body.items() if name not in ("occurred_at", "lines")
            } == {"reference": "FREIGHT-1", "owner": "default", "amount": "10.00",
                  "currency": "USD", "basis": "weight", "description": "freight from Rotterdam"}
    assert body["lines"] == [
        {"movement_id": boxes[0], "sku": "BOX-1", "qty": "4", "amount": "6.25"},
        {"movement_id": boxes[1], "sku": "BOX-2", "qty": "6", "amount": "3.75"}]
    assert (value_of(client, admin, "BOX-1"), value_of(client, admin, "BOX-2")) == (
        "26.25", "33.75")


def test_by_value_the_default_each_receipt_gets_its_share_of_what_it_cost(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    """BOX-1 cost 20.00 and BOX-2 30.00, of 50.00: 10.00 × 20/50 = 4.00, and 6.00; a whole
    amount given as an integer is the same 10.00."""
    body = created(land(client, admin, boxes, amount=10))

    assert (body["basis"], body["amount"]) == ("value", "10.00")
    assert shares(body) == [("BOX-1", "4", "4.00"), ("BOX-2", "6", "6.00")]


def test_a_share_is_rounded_half_up_and_the_last_line_takes_what_is_left(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    """1.00 by weight: BOX-1 gets 100 cents × 10/16 = 62.5 → 63 (half up), 0.63; BOX-2 the
    37 cents left, so the lines add up to the amount."""
    body = created(land(client, admin, boxes, amount="1.00", basis="weight"))

    assert shares(body) == [("BOX-1", "4", "0.63"), ("BOX-2", "6", "0.37")]


def test_a_purchase_orders_receipts_share_the_amount(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    """PO-1 receives 2 BOX-1 at 6.00 (12.00) and 3 BOX-2 at 4.00 (12.00): by quantity,
    10.00 × 2/5 = 4.00 and 6.00, whatever they cost."""
    inv.add_supplier("ACME")
    inv.create_purchase_order("PO-1", [{"sku": "BOX-1", "qty": 2, "unit_cost": Decimal("6")},
                                       {"sku": "BOX-2", "qty": 3, "unit_cost": Decimal("4")}],
                              supplier="ACME", warehouse="WH1", confirm=True)
    inv.receive_purchase_order("PO-1")

    body = created(land(client, admin, None, purchase_order="PO-1", basis="qty"))

    assert shares(body) == [("BOX-1", "2", "4.00"), ("BOX-2", "3", "6.00")]
    assert not set(boxes) & {line["movement_id"] for line in body["lines"]}


def test_the_share_of_units_already_gone_is_cost_of_goods_sold(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    """2 of the 4 BOX-1 left before the landed cost, which gives BOX-1's receipt 4.00 (by
    value, as above). FIFO: the layer of 4 units worth 20.00 is now worth 24.00; the 2 gone
    took 24.00 × 2/4 = 12.00 instead of 10.00, so 2.00 is cost of goods sold the day the
    landed cost is dated (today), and the 2 on hand are worth 24.00 - 12.00 = 12.00."""
    inv.ship(sku="BOX-1", qty=2, location=BIN, occurred_at=DAY + timedelta(hours=11))

    created(land(client, admin, boxes))

    assert value_of(client, admin, "BOX-1") == "12.00"
    today = str(utcnow().date())
    cogs = client.get("/v1/cogs", params={"sku": "BOX-1", "since": today, "until": today},
                      headers=admin)
    assert cogs.status_code == 200, cogs.text
    assert cogs.json()["items"][0]["cogs"] == "2.00"


# --- once per reference ------------------------------------------------------------------------


def test_the_same_landed_cost_again_answers_what_was_recorded_and_other_figures_are_409(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    first = created(land(client, admin, boxes))

    assert created(land(client, admin, boxes)) == first
    problem(land(client, admin, boxes, amount="12.00"), 409, field="reference")
    problem(land(client, admin, boxes, basis="qty"), 409, field="reference")
    problem(land(client, admin, boxes[:1]), 409, field="reference")
    assert value_of(client, admin, "BOX-1") == "24.00"  # 20.00 + 4.00, once


def test_a_landed_cost_is_audited_with_its_amount_basis_and_receipts(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    created(land(client, admin, boxes, basis="qty"))

    found = client.get("/v1/audit", params={"action": "landed_costs.add"}, headers=admin)
    [entry] = found.json()["items"]

    assert (entry["owner"], entry["target"]) == ("default", "FREIGHT-1")
    assert {name: entry["detail"][name] for name in ("amount", "basis", "receipts")} == {
        "amount": "10.00", "basis": "qty", "receipts": boxes}


def test_a_landed_cost_retried_with_its_key_is_answered_again_and_audited_once(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    keyed = {**admin, "Idempotency-Key": "freight-1"}
    first, retry = land(client, keyed, boxes), land(client, keyed, boxes)

    assert created(retry) == created(first)
    assert retry.headers["Idempotency-Replayed"] == "true"
    found = client.get("/v1/audit", params={"action": "landed_costs.add"}, headers=admin)
    assert len(found.json()["items"]) == 1


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "10.001"}, "amount"),  # USD has cents, no less
    ({"amount": "1000000000000000"}, "amount"),  # too large to keep
    ({"amount": 10.5}, "amount"),  # a float
    ({"amount": None}, "amount"),
    ({"basis": "volume"}, "basis"),
    ({"purchase_order": "PO-1"}, "receipts"),  # both
    ({"receipts": []}, "receipts"),  # neither
    ({"receipts": None}, "receipts"),
    ({"receipts": ["one"]}, "receipts.0"),
    ({"reference": "FREIGHT/1"}, "reference"),
    ({"occurred_at": "2025-03-10T12:00:00"}, "occurred_at"),  # no offset
    ({"description": "x" * 201}, "description"),
    ({"currency": "EUR"}, "currency"),  # the owner's, not an input
])
def test_a_bad_landed_cost_is_refused_naming_the_field_and_records_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], boxes: list[int],
        body: dict[str, Any], field: str) -> None:
    before = written(app)
    problem(land(client, admin, **{"receipts": boxes, **body}), 422, field=field)
    assert written(app) == before
    assert value_of(client, admin, "BOX-1") == "20.00"
    created(land(client, admin, boxes))  # the reference was not taken


def test_a_movement_that_is_no_receipt_is_refused_naming_receipts(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    shipped = inv.ship(sku="BOX-1", qty=1, location=BIN)

    problem(land(client, admin, [boxes[0], shipped.id]), 422, field="receipts")


def test_an_unknown_movement_is_not_found(client: TestClient, admin: dict[str, str],
                                          boxes: list[int]) -> None:
    problem(land(client, admin, [boxes[0], 2**40]), 404, field="receipts")


def test_an_unknown_purchase_order_is_not_found(client: TestClient,
                                                admin: dict[str, str]) -> None:
    problem(land(client, admin, None, purchase_order="PO-404"), 404, field="purchase_order")


def test_a_landed_cost_dated_before_a_receipt_it_raises_is_refused_naming_occurred_at(
        client: TestClient, admin: dict[str, str], boxes: list[int]) -> None:
    """09:30 is after BOX-1's receipt (09:00) but before BOX-2's (10:00)."""
    at = (DAY + timedelta(hours=9, minutes=30)).isoformat()

    problem(land(client, admin, boxes, occurred_at=at), 422, field="occurred_at")
    assert created(land(client, admin, boxes[:1], occurred_at=at))["occurred_at"] == \
        at.replace("+00:00", "Z")


def test_a_landed_cost_dated_in_a_closed_period_is_a_409(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    inv.close_period(date(2025, 3, 31))

    body = problem(land(client, admin, boxes, occurred_at="2025-03-15T12:00:00Z"), 409,
                   field="occurred_at")

    assert body["type"].endswith("/period-closed")
    created(land(client, admin, boxes))  # dated now, after the closed days


def test_a_spread_the_receipts_cannot_bear_is_refused_naming_basis(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    """MUG-1 came in without a cost (no value to spread by) and has no weight."""
    [mugs] = [m.id for m in inv.history(sku="MUG-1")]

    problem(land(client, admin, [boxes[0], mugs]), 422, field="basis")
    problem(land(client, admin, [boxes[0], mugs], basis="weight"), 422, field="basis")


# --- who may ---------------------------------------------------------------------------------


def test_a_landed_cost_is_for_roles_that_see_costs_on_their_own_owners_receipts(
        client: TestClient, tokens: dict[str, str], inv: onhand.Inventory,
        boxes: list[int]) -> None:
    for role in ("operator", "viewer", "client", "acme_operator"):
        problem(land(client, bearer(tokens[role]), boxes), 403, permission="costs")
    acme = bearer(tokens["acme_manager"])
    problem(land(client, acme, boxes), 404, field="receipts")  # default's receipts
    problem(client.post("/v1/landed-costs", params={"owner": "acme"},
                        headers=bearer(tokens["admin"]),
                        json={"reference": "FREIGHT-1", "amount": "10.00", "receipts": boxes}),
            404, field="receipts")
    anvils = inv.receive(sku="ACME-1", qty=2, location=BIN, unit_cost=Decimal("7.50"),
                         owner="acme")
    body = created(land(client, acme, [anvils.id]))
    assert (body["owner"], shares(body)) == ("acme", [("ACME-1", "2", "10.00")])
