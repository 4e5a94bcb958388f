"""Orders, holds, events, safety stock and sellable locations through HTTP.

The app's fixture holds 10 MUG-1 at WH1/A-01 (owner default) and 5 ACME-1 (owner acme).
Each test drives the API as a sales channel or a warehouse would, and checks what it
answers and what the inventory (read through the library) then holds; a refused request
answers problem+json naming its field (and line) and writes nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from onhand.api.routes.orders import Status
from onhand.domain.orders import STATUSES
from onhand.services import audit
from tests.api.conftest import bearer, make_app, problem, written

MUGS = {"reference": "SHOP-1001", "lines": [{"sku": "MUG-1", "qty": 3, "unit_price": "9.50"}]}


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


def ok(response: Response, status: int = 200) -> Any:
    """Return the JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()




def stock(client: TestClient, headers: dict[str, str], sku: str = "MUG-1") -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get(f"/v1/stock/{sku}", headers=headers))
    return body


def line(order: dict[str, Any], number: int = 1) -> dict[str, Any]:
    found: dict[str, Any] = order["lines"][number - 1]
    return found


# --- creating and reading -----------------------------------------------------------------------


def test_an_order_reserves_its_lines_at_once_and_reads_back(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)

    assert (created["reference"], created["owner"], created["status"]) == (
        "SHOP-1001", "default", "open")
    assert line(created) | {"sku": "MUG-1", "qty": "3", "reserved": "3", "warehouse": "WH1",
                            "unit_price": "9.50"} == line(created)
    assert ok(client.get("/v1/orders/SHOP-1001", headers=admin)) == created
    level = stock(client, admin)
    assert (level["on_hand"], level["reserved"], level["available"]) == ("10", "3", "7")
    assert level["by_warehouse"]["WH1"]["reserved"] == "3"
    assert app.state.api.inventory.order("SHOP-1001").lines[0].reserved == 3


def test_a_retried_create_with_its_key_is_answered_with_the_first_response(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    keyed = {**admin, "Idempotency-Key": "shop-1001"}
    first = client.post("/v1/orders", json=MUGS, headers=keyed)
    before = written(app)

    again = client.post("/v1/orders", json=MUGS, headers=keyed)

    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotency-replayed"] == "true"
    assert written(app) == before
    other = client.post("/v1/orders", json={**MUGS, "priority": 5}, headers=keyed)
    problem(other, 422, field="Idempotency-Key")


def test_the_same_reference_with_other_lines_is_a_duplicate_order(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    before = written(app)

    response = client.post("/v1/orders", headers=admin, json={
        **MUGS, "lines": [{"sku": "MUG-1", "qty": 4}]})

    problem(response, 409, reference="SHOP-1001")
    assert response.json()["type"].endswith("duplicate-order")
    assert written(app) == before


def test_orders_are_listed_oldest_first_page_by_page_and_by_status(
        client: TestClient, admin: dict[str, str]) -> None:
    for number in range(1, 4):
        ok(client.post("/v1/orders", headers=admin, json={
            "reference": f"SO-{number}", "lines": [{"sku": "MUG-1", "qty": 1}]}), 201)
    ok(client.post("/v1/orders/SO-2/cancel", headers=admin))

    first = ok(client.get("/v1/orders?limit=2", headers=admin))
    rest = ok(client.get("/v1/orders", params={"limit": 2, "cursor": first["next_cursor"]},
                         headers=admin))

    assert [o["reference"] for o in first["items"]] == ["SO-1", "SO-2"]
    assert ([o["reference"] for o in rest["items"]], rest["next_cursor"]) == (["SO-3"], None)
    cancelled = ok(client.get("/v1/orders?status=cancelled", headers=admin))["items"]
    assert [o["reference"] for o in cancelled] == ["SO-2"]
    problem(client.get("/v1/orders?status=lost", headers=admin), 422, field="status")


def test_the_status_filter_offers_every_status_an_order_has() -> None:
    assert set(get_args(Status)) == set(STATUSES)


def test_an_order_short_of_stock_is_refused_naming_its_line_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/orders", headers=admin, json={
        "reference": "BIG-1", "lines": [{"sku": "MUG-1", "qty": 1}, {"sku": "MUG-1", "qty": 11}]})

    problem(response, 409, sku="MUG-1", line=2, requested=11)
    assert written(app) == before


def test_a_backorder_reserves_what_exists_and_fills_when_stock_arrives(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/orders", headers=admin, json={
        "reference": "BACK-1", "policy": "backorder", "warehouse": "WH1", "priority": 5,
        "lines": [{"sku": "MUG-1", "qty": 12}]}), 201)
    assert (line(created)["reserved"], line(created)["backordered"]) == ("10", "2")
    assert stock(client, admin)["backordered"] == "2"

    ok(client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "MUG-1", "qty": 5, "location": "WH1/A-01"}), 201)

    filled = ok(client.get("/v1/orders/BACK-1", headers=admin))
    assert (line(filled)["reserved"], line(filled)["backordered"]) == ("12", "0")
    assert stock(client, admin)["available"] == "3"


# --- changing, shipping, cancelling, returning --------------------------------------------------


def test_an_order_is_raised_shipped_in_part_then_in_full(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    raised = ok(client.post("/v1/orders/SHOP-1001/update", headers=admin,
                            json={"lines": [{"sku": "MUG-1", "qty": 5}]}))
    assert (line(raised)["qty"], line(raised)["reserved"]) == ("5", "5")

    part = ok(client.post("/v1/orders/SHOP-1001/ship", headers=admin,
                          json={"lines": [{"sku": "MUG-1", "qty": 2}]}))
    assert (part["status"], line(part)["shipped"], line(part)["reserved"]) == ("open", "2", "3")
    done = ok(client.post("/v1/orders/SHOP-1001/ship", headers=admin))

    assert (done["status"], line(done)["shipped"]) == ("completed", "5")
    shipments = [m for m in app.state.api.inventory.history(sku="MUG-1") if m.kind == "shipment"]
    assert [m.id for m in shipments] == done["movement_ids"]
    assert {m.reference for m in shipments} == {"SHOP-1001"}
    level = stock(client, admin)
    assert (level["on_hand"], level["reserved"]) == ("5", "0")
    # each shipping request's audit entry names the movements it posted, not the order's all
    entries = audit.entries(app.state.api.inventory.unit_of_work(write=False),
                            action="orders.ship")
    assert [e.movement_ids for e in entries] == [
        tuple(part["movement_ids"]), tuple(sorted(set(done["movement_ids"]) -
                                                  set(part["movement_ids"])))]


def test_the_pick_list_says_where_to_take_the_reserved_units_from(
        client: TestClient, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)

    picks = ok(client.get("/v1/orders/SHOP-1001/pick-list", headers=admin))

    assert picks == {"reference": "SHOP-1001", "picks": [
        {"line": 1, "sku": "MUG-1", "location": "WH1/A-01", "lot": None, "qty": "3"}]}


def test_a_retried_shipment_with_its_key_ships_once(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    keyed = {**admin, "Idempotency-Key": "ship-1001"}
    body = {"lines": [{"sku": "MUG-1", "qty": 1}]}
    first = ok(client.post("/v1/orders/SHOP-1001/ship", json=body, headers=keyed))
    before = written(app)

    again = client.post("/v1/orders/SHOP-1001/ship", json=body, headers=keyed)

    assert again.json() == first and again.headers["idempotency-replayed"] == "true"
    assert written(app) == before
    assert line(ok(client.get("/v1/orders/SHOP-1001", headers=admin)))["shipped"] == "1"


def test_shipping_more_than_reserved_is_refused_naming_the_line_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    before = written(app)

    response = client.post("/v1/orders/SHOP-1001/ship", headers=admin,
                           json={"lines": [{"sku": "MUG-1", "qty": 4}]})

    problem(response, 422, field="qty", line=1)
    assert "reserved" in response.json()["detail"]
    assert written(app) == before


def test_cancelling_lines_then_the_rest_frees_the_reservations(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)

    part = ok(client.post("/v1/orders/SHOP-1001/cancel", headers=admin, json={
        "lines": [{"sku": "MUG-1", "qty": 1}], "reason": "one less"}))
    assert (line(part)["reserved"], line(part)["cancelled"]) == ("2", "1")
    whole = ok(client.post("/v1/orders/SHOP-1001/cancel", headers=admin))

    assert whole["status"] == "cancelled"
    assert stock(client, admin)["reserved"] == "0"
    before = written(app)
    again = client.post("/v1/orders/SHOP-1001/cancel", headers=admin)
    problem(again, 409, reference="SHOP-1001")
    assert "cancelled" in again.json()["detail"]
    assert again.json()["type"].endswith("order-closed")
    assert written(app) == before


def test_a_return_restocks_to_a_non_sellable_location_kept_out_of_available(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/locations", headers=admin,
                             json={"path": "WH1/DAMAGED", "sellable": False}), 201)
    assert created["sellable"] is False
    listed = ok(client.get("/v1/locations?limit=1000", headers=admin))["items"]
    assert {row["path"]: row["sellable"] for row in listed if row["path"].startswith("WH1")} == {
        "WH1": True, "WH1/A-01": True, "WH1/DAMAGED": False}
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    ok(client.post("/v1/orders/SHOP-1001/ship", headers=admin))

    returned = ok(client.post("/v1/orders/SHOP-1001/returns", headers=admin, json={
        "lines": [{"sku": "MUG-1", "qty": 1}], "location": "WH1/DAMAGED", "reason": "dented"}))

    assert line(returned)["returned"] == "1"
    level = stock(client, admin)
    assert (level["on_hand"], level["non_sellable"], level["available"]) == ("8", "1", "7")


def test_returning_more_than_shipped_is_refused_naming_the_line_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    ok(client.post("/v1/orders/SHOP-1001/ship", headers=admin,
                   json={"lines": [{"sku": "MUG-1", "qty": 2}]}))
    before = written(app)

    response = client.post("/v1/orders/SHOP-1001/returns", headers=admin, json={
        "lines": [{"sku": "MUG-1", "qty": 3}], "location": "WH1/A-01", "reason": "unwanted"})

    problem(response, 422, field="qty", line=1)
    assert "shipped" in response.json()["detail"]
    assert written(app) == before


# --- not found: unknown, or another owner's ------------------------------------------------------

ON_AN_ORDER = [("GET", "", None), ("GET", "/pick-list", None), ("POST", "/ship", None),
               ("POST", "/cancel", None),
               ("POST", "/update", {"lines": [{"sku": "MUG-1", "qty": 1}]}),
               ("POST", "/returns", {"lines": [{"sku": "MUG-1", "qty": 1}],
                                     "location": "WH1/A-01", "reason": "dented"})]


@pytest.mark.parametrize(("method", "action", "body"), ON_AN_ORDER)
def test_an_unknown_order_answers_404_naming_its_reference(
        client: TestClient, app: FastAPI, admin: dict[str, str], method: str, action: str,
        body: Any) -> None:
    before = written(app)

    response = client.request(method, f"/v1/orders/NOPE-1{action}", json=body, headers=admin)

    problem(response, 404, reference="NOPE-1", field="reference")
    assert response.json()["type"].endswith("unknown-order")
    assert written(app) == before


@pytest.mark.parametrize(("method", "action", "body"), ON_AN_ORDER)
def test_another_owners_order_answers_404_to_a_scoped_caller(
        client: TestClient, app: FastAPI, admin: dict[str, str], tokens: dict[str, str],
        method: str, action: str, body: Any) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)  # default's
    before = written(app)

    response = client.request(method, f"/v1/orders/SHOP-1001{action}", json=body,
                              headers=bearer(tokens["acme_manager"]))

    problem(response, 404, reference="SHOP-1001")
    assert written(app) == before


def test_a_client_orders_for_its_own_owner_and_sees_only_its_orders(
        client: TestClient, admin: dict[str, str], tokens: dict[str, str]) -> None:
    channel = bearer(tokens["client"])
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)

    mine = ok(client.post("/v1/orders", headers=channel, json={
        "reference": "ACME-7", "lines": [{"sku": "ACME-1", "qty": 2, "unit_price": "120.00"}]}),
        201)

    assert (mine["owner"], line(mine)["unit_price"]) == ("acme", "120.00")
    assert [o["reference"] for o in ok(client.get("/v1/orders", headers=channel))["items"]] == [
        "ACME-7"]
    assert ok(client.get("/v1/orders/ACME-7?owner=acme", headers=admin)) == mine
    problem(client.get("/v1/orders?owner=default", headers=channel), 404, owner="default")


# --- holds ---------------------------------------------------------------------------------------


def test_a_hold_reserves_until_confirmed_as_an_order(
        client: TestClient, admin: dict[str, str]) -> None:
    held = ok(client.post("/v1/holds", headers=admin, json={
        "reference": "CART-1", "lines": [{"sku": "MUG-1", "qty": 2}], "ttl_seconds": 600}), 201)
    assert (held["status"], held["expires_at"] is not None) == ("held", True)
    assert stock(client, admin)["reserved"] == "2"

    confirmed = ok(client.post("/v1/holds/CART-1/confirm", headers=admin))

    assert (confirmed["status"], confirmed["expires_at"]) == ("open", None)
    assert ok(client.get("/v1/holds/CART-1", headers=admin)) == confirmed
    assert ok(client.get("/v1/orders/CART-1", headers=admin)) == confirmed
    assert stock(client, admin)["reserved"] == "2"


def test_a_released_hold_gives_its_units_back_and_cannot_be_confirmed(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/holds", headers=admin, json={
        "reference": "CART-2", "lines": [{"sku": "MUG-1", "qty": 10}], "ttl_seconds": 600}), 201)
    problem(client.post("/v1/orders", json=MUGS, headers=admin), 409, sku="MUG-1")

    released = ok(client.post("/v1/holds/CART-2/release", headers=admin))

    assert released["status"] == "released"
    assert stock(client, admin)["available"] == "10"
    before = written(app)
    refused = client.post("/v1/holds/CART-2/confirm", headers=admin)
    problem(refused, 409, reference="CART-2")
    assert "released" in refused.json()["detail"]
    assert written(app) == before


def test_an_expired_hold_stops_counting_and_cannot_be_confirmed(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/holds", headers=admin, json={
        "reference": "CART-3", "lines": [{"sku": "MUG-1", "qty": 4}], "ttl_seconds": 1}), 201)
    time.sleep(1.1)
    assert stock(client, admin)["reserved"] == "0"  # reads never count it, sweep or not
    before = written(app)

    response = client.post("/v1/holds/CART-3/confirm", headers=admin)

    problem(response, 409, reference="CART-3")
    assert response.json()["type"].endswith("hold-expired")
    assert written(app) == before


# --- bad input -----------------------------------------------------------------------------------

BAD_ORDERS = [
    pytest.param({"lines": [{"sku": "MUG-1", "qty": 1.5}]}, "qty", 1, id="float-qty"),
    pytest.param({"lines": [{"sku": "MUG-1", "qty": 1}, {"qty": 1}]}, "sku", 2, id="no-sku"),
    pytest.param({"lines": [{"sku": "MUG-1", "qty": 1, "price": "2"}]}, "price", 1,
                 id="unknown-field"),
    pytest.param({"lines": [{"sku": "MUG-1", "qty": 1, "unit_price": "-1"}]}, "unit_price", 1,
                 id="negative-price"),
    pytest.param({"lines": [{"sku": "MUG-1", "qty": "0"}]}, "qty", 1, id="zero-qty"),
    pytest.param({"lines": [{"sku": "MUG-404", "qty": 1}]}, "sku", 1, id="unknown-sku"),
    pytest.param({"lines": []}, "lines", None, id="no-lines"),
    pytest.param({"reference": "A/B"}, "reference", None, id="slash-in-reference"),
    pytest.param({"policy": "maybe"}, "policy", None, id="unknown-policy"),
    pytest.param({"warehouse": "WH1/A-01"}, "warehouse", None, id="a-bin-is-no-warehouse"),
    pytest.param({"cancel_after": "2030-01-01T00:00:00"}, "cancel_after", None, id="naive-time"),
]


@pytest.mark.parametrize(("change", "field", "number"), BAD_ORDERS)
def test_a_bad_order_is_refused_naming_the_field_and_line_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], change: dict[str, Any],
        field: str, number: int | None) -> None:
    before = written(app)

    response = client.post("/v1/orders", json={**MUGS, **change}, headers=admin)

    assert response.status_code in (404, 422), response.text
    body = problem(response, response.status_code, field=field)
    assert body.get("line") == number
    assert written(app) == before


def test_a_hold_needs_a_time_to_live_of_a_second_to_thirty_days(
        client: TestClient, admin: dict[str, str]) -> None:
    for ttl in (0, 30 * 86_400 + 1):
        response = client.post("/v1/holds", headers=admin, json={
            "reference": "CART-9", "lines": [{"sku": "MUG-1", "qty": 1}], "ttl_seconds": ttl})
        problem(response, 422, field="ttl_seconds")


# --- events ----------------------------------------------------------------------------------------


def test_events_come_in_order_and_the_last_id_is_the_cursor_for_the_next_poll(
        client: TestClient, admin: dict[str, str]) -> None:
    seen = ok(client.get("/v1/events", headers=admin))
    ids = [event["id"] for event in seen["events"]]
    assert ids == sorted(ids) and seen["next_cursor"] == ids[-1]

    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)
    fresh = ok(client.get("/v1/events", params={"cursor": seen["next_cursor"]}, headers=admin))

    assert [e["id"] for e in fresh["events"]] == list(range(ids[-1] + 1, fresh["next_cursor"] + 1))
    change = next(e for e in fresh["events"] if e["type"] == "stock.changed")
    assert (change["owner"], change["data"]["sku"], change["data"]["available"]) == (
        "default", "MUG-1", "7")
    idle = ok(client.get("/v1/events", params={"cursor": fresh["next_cursor"]}, headers=admin))
    assert idle == {"events": [], "next_cursor": fresh["next_cursor"]}


def test_a_scoped_caller_reads_only_its_owners_events(
        client: TestClient, admin: dict[str, str], tokens: dict[str, str]) -> None:
    ok(client.post("/v1/orders", json=MUGS, headers=admin), 201)

    theirs = ok(client.get("/v1/events", headers=bearer(tokens["client"])))["events"]
    everyone = ok(client.get("/v1/events", headers=admin))["events"]

    assert theirs and {event["owner"] for event in theirs} == {"acme"}
    assert {event["owner"] for event in everyone} == {"default", "acme"}
    problem(client.get("/v1/events?cursor=-1", headers=admin), 422, field="cursor")


# --- stock states, safety stock, sellable locations, damage ----------------------------------------


def test_safety_stock_keeps_units_out_of_what_orders_may_reserve(
        client: TestClient, admin: dict[str, str]) -> None:
    ok(client.post("/v1/stock/MUG-1/safety-stock", headers=admin,
                   json={"warehouse": "WH1", "qty": 8}))

    level = stock(client, admin)
    assert (level["safety_stock"], level["available"]) == ("8", "2")
    assert level["by_warehouse"]["WH1"]["safety_stock"] == "8"
    problem(client.post("/v1/orders", json=MUGS, headers=admin), 409, sku="MUG-1")
    problem(client.post("/v1/stock/MUG-1/safety-stock", headers=admin,
                        json={"warehouse": "WH1/A-01", "qty": 1}), 422, field="warehouse")


def test_a_location_flagged_not_sellable_takes_its_stock_out_of_available(
        client: TestClient, admin: dict[str, str]) -> None:
    flagged = ok(client.post("/v1/locations/WH1/A-01/sellable", headers=admin,
                             json={"sellable": False}))

    assert flagged == {"path": "WH1/A-01", "sellable": False}
    level = stock(client, admin)
    assert (level["on_hand"], level["non_sellable"], level["available"]) == ("10", "10", "0")
    ok(client.post("/v1/locations/WH1/A-01/sellable", headers=admin, json={"sellable": True}))
    assert stock(client, admin)["available"] == "10"
    problem(client.post("/v1/locations/WH9/sellable", headers=admin, json={"sellable": False}),
            404, location="WH9")


def test_a_scrap_may_take_reserved_stock_only_as_damage_which_backorders_the_order(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ok(client.post("/v1/orders", headers=admin, json={
        "reference": "ALL-10", "policy": "backorder", "lines": [{"sku": "MUG-1", "qty": 10}]}),
        201)
    scrap = {"kind": "scrap", "sku": "MUG-1", "qty": 2, "location": "WH1/A-01",
             "reason": "dropped a box"}
    problem(client.post("/v1/movements", json=scrap, headers=admin), 409, sku="MUG-1")

    ok(client.post("/v1/movements", json={**scrap, "damage": True}, headers=admin), 201)

    order = ok(client.get("/v1/orders/ALL-10", headers=admin))
    assert (line(order)["reserved"], line(order)["backordered"]) == ("8", "2")
    assert stock(client, admin)["backordered"] == "2"


def test_stock_lists_show_every_state(client: TestClient, admin: dict[str, str]) -> None:
    levels = ok(client.get("/v1/stock", headers=admin))["items"]

    assert set(levels[0]) >= {"on_hand", "reserved", "available", "backordered", "incoming",
                              "in_transit", "non_sellable", "safety_stock", "by_warehouse"}
    assert levels[0]["by_warehouse"]["WH1"]["available"] == "10"


# --- the sweeper -------------------------------------------------------------------------------------


def test_the_server_sweeper_expires_holds_and_writes_their_events(
        database_url: str, client: TestClient) -> None:
    # ``client``: the fixture's app holds the stock, and is shut down after the test
    swept = make_app(database_url, sweep_seconds=1)
    inv = swept.state.api.inventory
    with TestClient(swept):
        inv.place_hold("CART-5", [{"sku": "MUG-1", "qty": 1}], ttl=timedelta(seconds=1))
        deadline = time.monotonic() + 15

        def expired() -> bool:
            return any(e.type == "hold.expired" for e in inv.events(limit=1000))

        while not expired() and time.monotonic() < deadline:
            time.sleep(0.2)

        assert expired()
        assert inv.order("CART-5").status == "expired"
