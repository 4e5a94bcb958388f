"""Valuation (by item, location or warehouse, and each owner's total), cost of goods sold,
value entries, revaluations and the journal through HTTP: figures worked by hand, who may see
them, whose they are, and how the days and times of a query are read.

The app's fixture holds 10 MUG-1 (owner default, received without a cost) and 5 ACME-1
(owner acme). ``tea`` adds TEA-1 on 2025-03-10 (UTC, the default owner's zone): 10 received
at 2.00 at 09:00, 5 at 3.00 at 10:00, 12 shipped at 11:00. By FIFO the shipment takes the ten
at 2.00 and two at 3.00 (20.00 + 6.00 = 26.00), leaving 3 at 3.00 (9.00).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
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
        TEA | {"cost_method": "fifo", "on_hand": "3", "value": "9.00", "uncosted": "0",
               "location": None}]


def test_a_days_cogs_is_what_its_shipments_cost_first_in_first_out(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    assert items(client, "/v1/cogs", admin, sku=tea, since="2025-03-10", until="2025-03-10") == [
        TEA | {"sold": "12", "returned": "0", "cogs": "26.00", "revenue": "0.00",
               "margin": "-26.00", "unpriced": "12", "period": None}]
    before = items(client, "/v1/cogs", admin, sku=tea, since="2025-03-01", until="2025-03-09")
    assert (before[0]["sold"], before[0]["cogs"]) == ("0", "0.00")


def test_cogs_by_month_gives_a_row_per_month_with_sales(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    """The 12 shipped on 2025-03-10 (26.00) make March's only row; a bad ``by`` is 422."""
    [march] = items(client, "/v1/cogs", admin, sku=tea, since="2025-01-01",
                    until="2025-12-31", by="month")
    assert (march["period"], march["sold"], march["cogs"]) == ("2025-03-01", "12", "26.00")
    bad = client.get("/v1/cogs", params={"since": "2025-01-01", "until": "2025-12-31",
                                         "by": "year"}, headers=admin)
    assert bad.status_code == 422 and "by" in bad.text


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
                            "margin": "19.50", "unpriced": "0", "period": None}]
    assert items(client, "/v1/valuation", admin, sku=tea)[0]["value"] == "0.00"


def test_every_item_of_the_owner_is_listed_by_sku_page_by_page(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    first = ok(client.get("/v1/valuation", params={"limit": 1}, headers=admin))
    rest = ok(client.get("/v1/valuation", params={"limit": 1, "cursor": first["next_cursor"]},
                         headers=admin))

    assert first["items"] == [{"owner": "default", "sku": "MUG-1", "currency": "USD",
                               "cost_method": "fifo", "on_hand": "10", "value": "0.00",
                               "uncosted": "10", "location": None}]  # received without a cost
    assert ([item["sku"] for item in rest["items"]], rest["next_cursor"]) == ([tea], None)
    sales = ok(client.get("/v1/cogs", params={"limit": 1, "since": "2025-03-10",
                                              "until": "2025-03-10"}, headers=admin))
    assert [item["sku"] for item in sales["items"]] == ["MUG-1"] and sales["next_cursor"]


# --- by location and warehouse, and each owner's total ------------------------------------------


@pytest.fixture
def spoons(inv: onhand.Inventory) -> str:
    """SPOON-1 (FIFO): one unit at 4.00 into WH1/A-01, one at 3.00 into WH1/B-01, one at 3.00
    into WH2, on ``DAY``: three units worth 10.00."""
    inv.add_location("WH1/B-01")
    inv.add_location("WH2")
    inv.add_item(sku="SPOON-1", name="Teaspoon")
    for hour, (place, cost) in enumerate([(BIN, "4.00"), ("WH1/B-01", "3.00"),
                                          ("WH2", "3.00")]):
        inv.receive(sku="SPOON-1", qty=1, location=place, unit_cost=Decimal(cost),
                    occurred_at=DAY + timedelta(hours=9 + hour))
    return "SPOON-1"


def places(client: TestClient, headers: dict[str, str], by: str,
           **params: str) -> list[tuple[str, str, str, str]]:
    """Return (SKU, place, on hand, value) of each row of a one-page valuation ``by``."""
    return [(row["sku"], row["location"], row["on_hand"], row["value"])
            for row in items(client, "/v1/valuation", headers, by=by, **params)]


def test_by_location_an_items_value_is_spread_over_its_places_by_units(
        client: TestClient, admin: dict[str, str], spoons: str) -> None:
    """The item's 10.00 is spread by units, not by what each unit cost where it lies: each
    place's share is the rounded running total less the one before, so they add up. Of 3
    units, 1 ⅓ of 10.00 = 3.333… → 3.33; 2 ⅓ = 6.666… → 6.67, less 3.33 = 3.34; the last,
    10.00 - 6.67 = 3.33 (by warehouse: WH1's 2 units 6.67, WH2's 3.33)."""
    assert places(client, admin, "location", sku=spoons) == [
        (spoons, "WH1/A-01", "1", "3.33"), (spoons, "WH1/B-01", "1", "3.34"),
        (spoons, "WH2", "1", "3.33")]
    assert places(client, admin, "warehouse", sku=spoons) == [
        (spoons, "WH1", "2", "6.67"), (spoons, "WH2", "1", "3.33")]
    assert items(client, "/v1/valuation", admin, sku=spoons, by="item")[0]["value"] == "10.00"


def test_by_location_uncosted_units_are_spread_too_and_the_past_is_valued_as_it_was(
        client: TestClient, admin: dict[str, str], spoons: str) -> None:
    """MUG-1's 10 units came in without a cost: 0.00, 10 uncosted, all in WH1/A-01. As of
    09:30 on DAY only the first spoon (4.00, in WH1/A-01) had come in."""
    [mugs] = items(client, "/v1/valuation", admin, sku="MUG-1", by="location")
    assert (mugs["location"], mugs["value"], mugs["uncosted"]) == ("WH1/A-01", "0.00", "10")
    assert places(client, admin, "location", sku=spoons, as_of="2025-03-10T09:30:00Z") == [
        (spoons, "WH1/A-01", "1", "4.00")]


def test_by_location_the_rows_come_page_by_page_in_sku_then_place_order(
        client: TestClient, admin: dict[str, str], spoons: str) -> None:
    def page(**params: str) -> Any:
        return client.get("/v1/valuation", params={"by": "location", "limit": 2, **params},
                          headers=admin)

    first = ok(page())
    rest = ok(page(cursor=first["next_cursor"]))

    assert [(row["sku"], row["location"]) for row in first["items"]] == [
        ("MUG-1", "WH1/A-01"), (spoons, "WH1/A-01")]
    assert [(row["sku"], row["location"]) for row in rest["items"]] == [
        (spoons, "WH1/B-01"), (spoons, "WH2")]
    assert rest["next_cursor"] is None
    by_item = ok(client.get("/v1/valuation", params={"limit": 1}, headers=admin))
    problem(page(cursor=by_item["next_cursor"]), 422, field="cursor")  # another list's


@pytest.mark.parametrize("by", ["owner", "bin", "LOCATION", ""])
def test_an_unknown_by_is_refused_naming_it(client: TestClient, admin: dict[str, str],
                                            by: str) -> None:
    problem(client.get("/v1/valuation", params={"by": by}, headers=admin), 422, field="by")


def owner_values(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    return items(client, "/v1/valuation/owners", headers, **params)


def test_each_owners_total_is_its_items_value_and_how_many_are_uncosted(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    """acme: ACME-1's 5 units, received without a cost: 0.00, 1 item, 1 uncosted. default:
    MUG-1 (10 uncosted, 0.00) and TEA-1 (3 left at 3.00 = 9.00): 9.00, 2 items, 1 uncosted."""
    assert owner_values(client, admin) == [
        {"owner": "acme", "currency": "USD", "items": 1, "value": "0.00", "uncosted_items": 1},
        {"owner": "default", "currency": "USD", "items": 2, "value": "9.00",
         "uncosted_items": 1}]


def test_an_owners_total_as_of_a_past_moment_counts_only_what_it_held_then(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    """At 10:30 on DAY, TEA-1's 10 at 2.00 and 5 at 3.00 were in (35.00), not yet shipped;
    MUG-1 came in later (the fixture's receipt is dated now). At the end of the day before,
    nothing."""
    assert owner_values(client, admin, owner="default", as_of="2025-03-10T10:30:00Z") == [
        {"owner": "default", "currency": "USD", "items": 1, "value": "35.00",
         "uncosted_items": 0}]
    assert owner_values(client, admin, owner="default", as_of="2025-03-09") == [
        {"owner": "default", "currency": "USD", "items": 0, "value": "0.00",
         "uncosted_items": 0}]


def test_a_caller_scoped_to_one_owner_sees_only_its_total(
        client: TestClient, tokens: dict[str, str], tea: str) -> None:
    acme = bearer(tokens["acme_manager"])

    assert [total["owner"] for total in owner_values(client, acme)] == ["acme"]
    problem(client.get("/v1/valuation/owners", params={"owner": "default"}, headers=acme), 404,
            field="owner")
    problem(client.get("/v1/valuation/owners", params={"owner": "nobody"},
                       headers=bearer(tokens["admin"])), 404, field="owner")
    for role in ("operator", "viewer", "client", "acme_viewer"):
        problem(client.get("/v1/valuation/owners", headers=bearer(tokens[role])), 403,
                permission="costs")


def test_owners_totals_come_page_by_page(client: TestClient, admin: dict[str, str]) -> None:
    first = ok(client.get("/v1/valuation/owners", params={"limit": 1}, headers=admin))
    rest = ok(client.get("/v1/valuation/owners", params={"limit": 1,
                                                        "cursor": first["next_cursor"]},
                         headers=admin))

    assert [total["owner"] for total in first["items"] + rest["items"]] == ["acme", "default"]
    assert rest["next_cursor"] is None


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


# --- value entries -----------------------------------------------------------------------------


def entries(client: TestClient, headers: dict[str, str], sku: str, **params: str) -> Any:
    """Return the value entries of ``sku`` (one page), without their times."""
    found = items(client, "/v1/value-entries", headers, sku=sku, **params)
    return [{name: value for name, value in entry.items() if name != "occurred_at"}
            for entry in found]


def test_each_movements_value_is_listed_in_business_time_order(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory, tea: str) -> None:
    first, second, shipped = sorted(m.id for m in inv.history(sku=tea))
    found = items(client, "/v1/value-entries", admin, sku=tea)

    assert [entry["occurred_at"] for entry in found] == [
        (DAY + timedelta(hours=hour)).isoformat().replace("+00:00", "Z") for hour in (9, 10, 11)]
    assert entries(client, admin, tea) == [
        {"movement_id": first, "category": "receipt", "qty": "10", "value": "20.00",
         "uncosted": "0", "cause_id": None},
        {"movement_id": second, "category": "receipt", "qty": "5", "value": "15.00",
         "uncosted": "0", "cause_id": None},
        {"movement_id": shipped, "category": "sale", "qty": "-12", "value": "-26.00",
         "uncosted": "0", "cause_id": None}]


def test_a_backdated_receipt_revalues_the_shipment_after_it_dated_at_the_shipment(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory, tea: str) -> None:
    shipped = max(m.id for m in inv.history(sku=tea))
    assert entries(client, admin, tea)[-1]["value"] == "-26.00"  # valued, so stored
    early = client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": tea, "qty": 10, "location": BIN, "unit_cost": "1.00",
        "occurred_at": (DAY + timedelta(hours=8)).isoformat()})
    assert early.status_code == 201, early.text

    found = entries(client, admin, tea)

    # FIFO now takes the ten at 1.00 and two at 2.00: 14.00, not 26.00
    assert found[0] == {"movement_id": early.json()["id"], "category": "receipt", "qty": "10",
                        "value": "10.00", "uncosted": "0", "cause_id": None}
    assert found[-1] == {"movement_id": shipped, "category": "sale", "qty": "0",
                         "value": "12.00", "uncosted": "0", "cause_id": early.json()["id"]}
    assert sum(Decimal(entry["value"]) for entry in found) == Decimal("31.00")
    assert items(client, "/v1/valuation", admin, sku=tea)[0]["value"] == "31.00"


def test_a_revaluation_of_uncosted_stock_is_an_entry_of_no_movement(
        client: TestClient, admin: dict[str, str], inv: onhand.Inventory) -> None:
    inv.revalue("MUG-1", unit_cost=Decimal("2.50"), reference="REVAL-7")  # 10 without a cost

    received, revalued = entries(client, admin, "MUG-1")

    assert (received["category"], received["value"], received["uncosted"]) == (
        "receipt", "0.00", "10")
    assert revalued == {"movement_id": None, "category": "revaluation", "qty": "0",
                        "value": "25.00", "uncosted": "-10", "cause_id": None}


def test_value_entries_are_those_dated_within_the_period(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    def categories(**period: str) -> list[str]:
        return [entry["category"] for entry in entries(client, admin, tea, **period)]

    assert categories(since="2025-03-10T09:30:00Z") == ["receipt", "sale"]
    assert categories(until="2025-03-10T10:00:00Z") == ["receipt"]  # a time is excluded
    assert categories(since="2025-03-10", until="2025-03-10") == ["receipt", "receipt", "sale"]
    assert categories(since="2025-03-11") == []


def test_value_entries_come_page_by_page(client: TestClient, admin: dict[str, str],
                                         tea: str) -> None:
    first = ok(client.get("/v1/value-entries", params={"sku": tea, "limit": 2}, headers=admin))
    rest = ok(client.get("/v1/value-entries", params={"sku": tea, "limit": 2,
                                                      "cursor": first["next_cursor"]},
                         headers=admin))

    assert [entry["category"] for entry in first["items"]] == ["receipt", "receipt"]
    assert ([entry["category"] for entry in rest["items"]], rest["next_cursor"]) == (["sale"],
                                                                                    None)
    problem(client.get("/v1/value-entries", params={"sku": tea, "cursor": "bm90LW1pbmU"},
                       headers=admin), 422, field="cursor")


@pytest.mark.parametrize(("params", "status", "field"), [
    ({}, 422, "sku"),
    ({"sku": "NOPE-1"}, 404, "sku"),
    ({"sku": "TEA-1", "owner": "nobody"}, 404, "owner"),
    ({"sku": "TEA-1", "since": "2025-03-32"}, 422, "since"),
    ({"sku": "TEA-1", "until": "2025-03-10T09:00"}, 422, "until"),  # no offset
])
def test_a_bad_value_entries_query_is_refused_naming_the_field(
        client: TestClient, admin: dict[str, str], tea: str, params: dict[str, str],
        status: int, field: str) -> None:
    problem(client.get("/v1/value-entries", params=params, headers=admin), status, field=field)


def test_value_entries_are_costs_and_another_owners_are_not_found(
        client: TestClient, tokens: dict[str, str], tea: str) -> None:
    assert items(client, "/v1/value-entries", bearer(tokens["manager"]), sku=tea)
    for role in ("operator", "viewer", "client", "acme_viewer"):
        problem(client.get("/v1/value-entries", params={"sku": tea},
                           headers=bearer(tokens[role])), 403)
    acme = bearer(tokens["acme_manager"])
    problem(client.get("/v1/value-entries", params={"sku": tea}, headers=acme), 404, field="sku")
    assert [entry["category"] for entry in items(client, "/v1/value-entries", acme,
                                                 sku="ACME-1")] == ["receipt"]


# --- the journal -------------------------------------------------------------------------------
# TEA-1's day: 35.00 received (inventory / grni), 26.00 sold (cogs / inventory)

CODES = {"inventory": "1400", "cogs": "5000", "grni": "2100"}
BOOKED = {"1400": Decimal("9.00"), "5000": Decimal("26.00"), "2100": Decimal("-35.00")}


def export(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    """Post a journal export of TEA-1's day (``body`` overrides); return the response."""
    return client.post("/v1/journal-exports", headers=headers,
                       json={"since": "2025-03-10", "until": "2025-03-10", **body})


def booked(fmt: str, text: str) -> dict[str, Decimal]:
    """Return each account's debit less credit in one exported file."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if fmt == "xero":
        return {row["AccountCode"]: Decimal(row["Amount"]) for row in rows}
    if fmt == "qbo":
        return {row["Account Name"]: Decimal(row["Debits"] or 0) - Decimal(row["Credits"] or 0)
                for row in rows}
    return {row["code"]: Decimal(row["debit"]) - Decimal(row["credit"]) for row in rows}


@pytest.mark.parametrize("fmt", ["csv", "qbo", "xero"])
def test_a_journal_export_answers_balanced_files_booked_to_the_accounts_asked_for(
        client: TestClient, admin: dict[str, str], tea: str, fmt: str) -> None:
    response = export(client, admin, format=fmt, accounts=CODES)

    assert response.status_code == 201, response.text
    body = response.json()
    assert {name: body[name] for name in ("owner", "since", "until", "format")} == {
        "owner": "default", "since": "2025-03-10", "until": "2025-03-10", "format": fmt}
    [file] = body["files"]
    assert file["name"] == f"journal-default-2025-03-10-2025-03-10-{fmt}.csv"
    assert booked(fmt, file["content"]) == BOOKED
    assert sum(BOOKED.values()) == 0


def test_accounts_left_out_keep_their_default_names_and_xero_takes_the_tax_rate(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    response = export(client, admin, format="xero", accounts={"inventory": "1400"},
                      tax_rate="No VAT")

    assert response.status_code == 201, response.text
    rows = list(csv.DictReader(io.StringIO(response.json()["files"][0]["content"])))
    assert {row["AccountCode"] for row in rows} == {"1400", "Cost of Goods Sold",
                                                    "Goods Received Not Invoiced"}
    assert {row["TaxRate"] for row in rows} == {"No VAT"}


def test_exporting_a_period_that_overlaps_one_exported_is_a_409_unless_again(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    assert export(client, admin, since="2025-03-01", until="2025-03-31").status_code == 201

    overlapping = export(client, admin, since="2025-03-31", until="2025-04-30")
    again = export(client, admin, since="2025-03-31", until="2025-04-30", again=True)

    problem(overlapping, 409, field="since")
    assert again.status_code == 201, again.text
    assert export(client, admin, since="2025-05-01", until="2025-05-31").status_code == 201


def test_a_journal_export_is_in_the_audit_trail(client: TestClient, admin: dict[str, str],
                                                tea: str) -> None:
    assert export(client, admin, format="qbo").status_code == 201

    [entry] = items(client, "/v1/audit", admin, action="journals.export")

    assert (entry["owner"], entry["target"]) == ("default", "2025-03-10..2025-03-10")
    assert (entry["detail"]["format"], entry["detail"]["again"]) == ("qbo", False)
    assert entry["detail"]["status"] == 201


def test_a_journal_export_retried_with_its_key_is_answered_again_and_recorded_once(
        client: TestClient, admin: dict[str, str], tea: str) -> None:
    keyed = {**admin, "Idempotency-Key": "books-2025-03"}
    first, retry = export(client, keyed), export(client, keyed)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert len(items(client, "/v1/audit", admin, action="journals.export")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"since": "2025-03-32"}, "since"),
    ({"until": "soon"}, "until"),
    ({"since": "2025-03-10T00:00:00Z"}, "since"),  # a moment, not a day
    ({"since": "2025-03-11"}, "since"),  # after until
    ({"format": "pdf"}, "format"),
    ({"accounts": {"bank": "1000"}}, "accounts.bank"),
    ({"accounts": {"inventory": "   "}}, "accounts"),
    ({"accounts": {"inventory": ""}}, "accounts.inventory"),
    ({"again": "yes"}, "again"),
    ({"rows": 3}, "rows"),
])
def test_a_bad_journal_export_is_refused_naming_the_field_and_records_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], tea: str,
        body: dict[str, Any], field: str) -> None:
    before = written(app)
    problem(export(client, admin, **body), 422, field=field)
    assert written(app) == before
    assert export(client, admin).status_code == 201  # the period was not recorded


def test_a_journal_export_is_for_roles_that_see_costs(client: TestClient,
                                                     tokens: dict[str, str], tea: str) -> None:
    for role in ("operator", "viewer", "client", "acme_operator"):
        problem(export(client, bearer(tokens[role])), 403, permission="costs")
    problem(client.post("/v1/journal-exports", params={"owner": "default"},
                        headers=bearer(tokens["acme_manager"]),
                        json={"since": "2025-03-10", "until": "2025-03-10"}), 404, field="owner")
    assert export(client, bearer(tokens["manager"])).status_code == 201


# --- revaluations ------------------------------------------------------------------------------


def revalue(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    """Post a revaluation of MUG-1 at 2.50 (``body`` overrides); return the response."""
    return client.post("/v1/revaluations", headers=headers,
                       json={"sku": "MUG-1", "unit_cost": "2.50", "reference": "REVAL-1", **body})


def test_a_revaluation_gives_the_uncosted_units_on_hand_a_cost(
        client: TestClient, admin: dict[str, str]) -> None:
    """MUG-1's 10 units came in without a cost (0.00): at 2.50 each they are worth 25.00."""
    response = revalue(client, admin)

    assert response.status_code == 201, response.text
    body = response.json()
    assert {name: value for name, value in body.items() if name != "occurred_at"} == {
        "reference": "REVAL-1", "owner": "default", "sku": "MUG-1", "unit_cost": "2.50",
        "qty": "10", "value": "25.00"}
    [mugs] = items(client, "/v1/valuation", admin, sku="MUG-1")
    assert (mugs["value"], mugs["uncosted"]) == ("25.00", "0")


def test_a_revaluation_is_audited_with_what_it_added(client: TestClient,
                                                     admin: dict[str, str]) -> None:
    assert revalue(client, admin).status_code == 201

    [entry] = items(client, "/v1/audit", admin, action="revaluations.add")

    assert (entry["owner"], entry["target"]) == ("default", "REVAL-1")
    assert {name: entry["detail"][name] for name in ("sku", "unit_cost", "qty", "value")} == {
        "sku": "MUG-1", "unit_cost": "2.50", "qty": "10", "value": "25.00"}


def test_the_same_revaluation_again_answers_what_was_recorded_and_other_figures_are_409(
        client: TestClient, admin: dict[str, str]) -> None:
    first = revalue(client, admin)
    again = revalue(client, admin)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    problem(revalue(client, admin, unit_cost="3.00"), 409, field="reference")
    assert items(client, "/v1/valuation", admin, sku="MUG-1")[0]["value"] == "25.00"


def test_a_revaluation_retried_with_its_key_is_answered_again_and_audited_once(
        client: TestClient, admin: dict[str, str]) -> None:
    keyed = {**admin, "Idempotency-Key": "reval-mugs"}
    first, retry = revalue(client, keyed), revalue(client, keyed)

    assert retry.json() == first.json()
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert len(items(client, "/v1/audit", admin, action="revaluations.add")) == 1


def test_a_revaluation_dated_in_a_closed_period_is_a_409(
        client: TestClient, inv: onhand.Inventory, admin: dict[str, str]) -> None:
    inv.close_period(utcnow().date() - timedelta(days=2))

    body = problem(revalue(client, admin,
                           occurred_at=(utcnow() - timedelta(days=3)).isoformat()),
                   409, field="occurred_at")

    assert body["type"].endswith("/period-closed")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"sku": "NOPE-1"}, 404, "sku"),
    ({"unit_cost": "-1.00"}, 422, "unit_cost"),
    ({"unit_cost": 2.5}, 422, "unit_cost"),  # a float
    ({"reference": "REVAL/1"}, 422, "reference"),
    ({"reference": ""}, 422, "reference"),
    ({"occurred_at": "2025-03-10T09:00:00"}, 422, "occurred_at"),  # no offset
    ({"qty": "10"}, 422, "qty"),  # server-owned
])
def test_a_bad_revaluation_is_refused_naming_the_field_and_records_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], body: dict[str, Any],
        status: int, field: str) -> None:
    before = written(app)
    problem(revalue(client, admin, **body), status, field=field)
    assert written(app) == before
    assert items(client, "/v1/valuation", admin, sku="MUG-1")[0]["uncosted"] == "10"


def test_a_revaluation_is_for_roles_that_see_costs_of_their_own_owners_items(
        client: TestClient, tokens: dict[str, str]) -> None:
    for role in ("operator", "viewer", "client", "acme_operator"):
        problem(revalue(client, bearer(tokens[role])), 403, permission="costs")
    acme = bearer(tokens["acme_manager"])
    problem(revalue(client, acme), 404, field="sku")  # default's MUG-1
    done = revalue(client, acme, sku="ACME-1", unit_cost="4.00")  # 5 uncosted at 4.00
    assert done.status_code == 201, done.text
    assert (done.json()["owner"], done.json()["value"]) == ("acme", "20.00")
