"""Valuation, cost of goods sold, value entries and the journal through HTTP: figures worked
by hand, who may see them, whose they are, and how the days and times of a query are read.

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
