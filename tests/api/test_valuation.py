"""Valuation and cost of goods sold through HTTP: figures worked by hand, who may see them,
whose they are, and how the days and times of a query are read.

The app's fixture holds 10 MUG-1 (owner default, received without a cost) and 5 ACME-1
(owner acme). ``tea`` adds TEA-1 on 2025-03-10 (UTC, the default owner's zone): 10 received
at 2.00 at 09:00, 5 at 3.00 at 10:00, 12 shipped at 11:00. By FIFO the shipment takes the ten
at 2.00 and two at 3.00 (20.00 + 6.00 = 26.00), leaving 3 at 3.00 (9.00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import onhand
from onhand.domain.times import utcnow
from tests.api.conftest import bearer, problem

BIN = "WH1/A-01"
DAY = datetime(2025, 3, 10, tzinfo=UTC)
TEA = {"owner": "default", "sku": "TEA-1", "currency": "USD"}


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


@pytest.fixture
def inv(app: FastAPI) -> onhand.Inventory:
    found: onhand.Inventory = app.state.api.inventory
    return found


def stock_and_ship(inv: onhand.Inventory, sku: str, *, cost_method: str = "fifo") -> None:
    """Receive 10 at 2.00 and 5 at 3.00 on ``DAY``, then ship 12."""
    inv.add_item(sku=sku, name="Green tea", cost_method=cost_method)
    inv.receive(sku=sku, qty=10, location=BIN, unit_cost=Decimal("2.00"),
                occurred_at=DAY + timedelta(hours=9))
    inv.receive(sku=sku, qty=5, location=BIN, unit_cost=Decimal("3.00"),
                occurred_at=DAY + timedelta(hours=10))
    inv.ship(sku=sku, qty=12, location=BIN, occurred_at=DAY + timedelta(hours=11))


@pytest.fixture
def tea(inv: onhand.Inventory) -> str:
    stock_and_ship(inv, "TEA-1")
    return "TEA-1"


def ok(response: Any) -> Any:
    """Return the JSON body of a response that must be a 200."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def items(client: TestClient, path: str, headers: dict[str, str], **params: str) -> Any:
    """Return the items of a one-page answer."""
    body = ok(client.get(path, params=params, headers=headers))
    assert body["next_cursor"] is None
    return body["items"]


# --- the figures -------------------------------------------------------------------------------


def test_what_is_left_is_valued_at_the_cost_of_the_last_units_received(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    assert items(client, "/v1/valuation", admin, sku=tea) == [
        TEA | {"cost_method": "fifo", "on_hand": "3", "value": "9.00", "uncosted": "0"}]


def test_a_days_cogs_is_what_its_shipments_cost_first_in_first_out(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    assert items(client, "/v1/cogs", admin, sku=tea, since="2025-03-10", until="2025-03-10") == [
        TEA | {"sold": "12", "returned": "0", "cogs": "26.00", "revenue": "0.00",
               "margin": "-26.00", "unpriced": "12"}]
    before = items(client, "/v1/cogs", admin, sku=tea, since="2025-03-01", until="2025-03-09")
    assert (before[0]["sold"], before[0]["cogs"]) == ("0", "0.00")


def test_at_moving_average_each_unit_costs_the_average_of_what_came_in(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory) -> None:
    stock_and_ship(inv, "TEA-2", cost_method="average")  # 35.00 for 15: 2.333… each

    value = items(client, "/v1/valuation", admin, sku="TEA-2")[0]
    cost = items(client, "/v1/cogs", admin, sku="TEA-2", since="2025-03-10",
                 until="2025-03-10")[0]

    assert (value["cost_method"], value["on_hand"], value["value"]) == ("average", "3", "7.00")
    assert (cost["sold"], cost["cogs"]) == ("12", "28.00")


def test_revenue_and_margin_come_from_the_prices_of_the_orders_shipped(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    order = {"reference": "SHOP-7", "lines": [{"sku": tea, "qty": 3, "unit_price": "9.50"}]}
    assert client.post("/v1/orders", json=order, headers=admin).status_code == 201
    assert client.post("/v1/orders/SHOP-7/ship", headers=admin).status_code == 200
    now = utcnow()

    found = items(client, "/v1/cogs", admin, sku=tea, since=(now - timedelta(hours=1)).isoformat(),
                  until=(now + timedelta(hours=1)).isoformat())

    assert found == [TEA | {"sold": "3", "returned": "0", "cogs": "9.00", "revenue": "28.50",
                            "margin": "19.50", "unpriced": "0"}]
    assert items(client, "/v1/valuation", admin, sku=tea)[0]["value"] == "0.00"


def test_every_item_of_the_owner_is_listed_by_sku_page_by_page(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    first = ok(client.get("/v1/valuation", params={"limit": 1}, headers=admin))
    rest = ok(client.get("/v1/valuation", params={"limit": 1, "cursor": first["next_cursor"]},
                         headers=admin))

    assert first["items"] == [{"owner": "default", "sku": "MUG-1", "currency": "USD",
                               "cost_method": "fifo", "on_hand": "10", "value": "0.00",
                               "uncosted": "10"}]  # received without a cost
    assert ([item["sku"] for item in rest["items"]], rest["next_cursor"]) == ([tea], None)
    sales = ok(client.get("/v1/cogs", params={"limit": 1, "since": "2025-03-10",
                                              "until": "2025-03-10"}, headers=admin))
    assert [item["sku"] for item in sales["items"]] == ["MUG-1"] and sales["next_cursor"]


# --- days and times ----------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "on_hand", "value"), [
    ("2025-03-09", "0", "0.00"),  # a date: the end of that day
    ("2025-03-10", "3", "9.00"),
    ("2025-03-10T09:30:00Z", "10", "20.00"),  # a time: that moment
    ("2025-03-10T11:30:00+01:00", "15", "35.00"),  # 10:30 UTC: before the shipment
])
def test_stock_is_valued_as_of_the_end_of_a_day_or_a_moment(
        client: TestClient, admin: dict[str, str], tea: str, as_of: str, on_hand: str,
        value: str) -> None:
    found = items(client, "/v1/valuation", admin, sku=tea, as_of=as_of)[0]
    assert (found["on_hand"], found["value"]) == (on_hand, value)


def test_a_date_is_a_day_in_the_owners_time_zone(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory) -> None:
    inv.add_owner("kyoto", "Kyoto tea house", time_zone="Asia/Tokyo")
    inv.add_item(sku="SENCHA-1", name="Sencha", owner="kyoto")
    late = DAY + timedelta(hours=20)  # 2025-03-11 05:00 in Tokyo
    inv.receive(sku="SENCHA-1", qty=4, location=BIN, unit_cost=Decimal("1.50"),
                occurred_at=late, owner="kyoto")
    inv.ship(sku="SENCHA-1", qty=1, location=BIN, occurred_at=late, owner="kyoto")

    def value(as_of: str) -> tuple[str, str]:
        found = items(client, "/v1/valuation", admin, owner="kyoto", as_of=as_of)[0]
        return found["on_hand"], found["value"]

    def sold(day: str) -> str:
        found = items(client, "/v1/cogs", admin, owner="kyoto", since=day, until=day)[0]
        return str(found["sold"])

    assert value("2025-03-10") == ("0", "0.00")
    assert value("2025-03-11") == ("3", "4.50")
    assert value("2025-03-10T23:59:59Z") == ("3", "4.50")  # a time is the moment it names
    assert (sold("2025-03-10"), sold("2025-03-11")) == ("0", "1")


@pytest.mark.parametrize("as_of", ["yesterday", "2025-13-01", "2025-03-10T09:00", "03/10/2025",
                                   "9999-12-31", "0001-01-01T00:00+01:00"])
def test_an_as_of_that_is_no_date_or_time_with_offset_is_refused_naming_it(
        client: TestClient, admin: dict[str, str], as_of: str) -> None:
    problem(client.get("/v1/valuation", params={"as_of": as_of}, headers=admin), 422,
            field="as_of")


def test_a_period_must_start_before_it_ends(client: TestClient, admin: dict[str, str]) -> None:
    for since, until in (("2025-03-11", "2025-03-10"),
                         ("2025-03-10T12:00Z", "2025-03-10T12:00Z")):
        problem(client.get("/v1/cogs", params={"since": since, "until": until}, headers=admin),
                422, field="since")
    problem(client.get("/v1/cogs", params={"since": "2025-03-10", "until": "soon"},
                       headers=admin), 422, field="until")
    problem(client.get("/v1/cogs", params={"until": "2025-03-10"}, headers=admin), 422,
            field="since")


def test_an_unknown_sku_or_owner_is_not_found(client: TestClient,
                                              admin: dict[str, str]) -> None:
    days = {"since": "2025-03-10", "until": "2025-03-10"}
    for path, params in (("/v1/valuation", {}), ("/v1/cogs", days)):
        problem(client.get(path, params={**params, "sku": "NOPE-1"}, headers=admin), 404,
                field="sku", sku="NOPE-1")
        problem(client.get(path, params={**params, "owner": "nobody"}, headers=admin), 404,
                field="owner")


# --- who sees what -----------------------------------------------------------------------------


PATHS = [("/v1/valuation", {}), ("/v1/cogs", {"since": "2025-03-10", "until": "2025-03-10"})]


@pytest.mark.parametrize(("path", "params"), PATHS, ids=["valuation", "cogs"])
def test_a_manager_sees_costs_and_roles_that_may_not_are_forbidden(
        client: TestClient, tokens: dict[str, str], tea: str, path: str,
        params: dict[str, str]) -> None:
    assert ok(client.get(path, params=params, headers=bearer(tokens["manager"])))["items"]
    for role in ("operator", "viewer", "client", "acme_viewer", "acme_operator"):
        problem(client.get(path, params=params, headers=bearer(tokens[role])), 403)


@pytest.mark.parametrize(("path", "params"), PATHS, ids=["valuation", "cogs"])
def test_a_caller_scoped_to_another_owner_never_sees_the_defaults(
        client: TestClient, tokens: dict[str, str], tea: str, path: str,
        params: dict[str, str]) -> None:
    acme = bearer(tokens["acme_manager"])

    assert [(item["owner"], item["sku"]) for item in items(client, path, acme, **params)] == [
        ("acme", "ACME-1")]
    problem(client.get(path, params={**params, "owner": "default"}, headers=acme), 404,
            field="owner")
    problem(client.get(path, params={**params, "sku": tea}, headers=acme), 404, field="sku")


def test_an_unscoped_caller_naming_no_owner_gets_the_default_owners_items(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    assert {item["owner"] for item in items(client, "/v1/valuation", admin)} == {"default"}
    assert [item["sku"] for item in items(client, "/v1/valuation", admin, owner="acme")] == [
        "ACME-1"]


def test_a_movement_dated_in_a_closed_period_is_a_409_naming_occurred_at(
        client: TestClient, inv: onhand.Inventory, admin: dict[str, str]) -> None:
    inv.close_period(utcnow().date() - timedelta(days=2))
    response = client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01",
        "occurred_at": (utcnow() - timedelta(days=3)).isoformat()})
    body = problem(response, 409, field="occurred_at", owner="default")
    assert body["type"].endswith("/period-closed")
    dated_now = client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"})
    assert dated_now.status_code == 201, dated_now.text
