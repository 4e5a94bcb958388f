"""The HTTP API of purchasing and transfers: suppliers, purchase orders, two-step transfers.

Each test drives the API as a client would; failures are problem+json naming their fields
(and line), and write nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

import onhand
from onhand.services import audit
from tests.api.conftest import bearer, problem, written

PO = {"reference": "PO-7", "supplier": "ACME", "warehouse": "WH1", "confirm": True,
      "lines": [{"sku": "MUG-1", "qty": 10, "unit_cost": "2.10"}]}


@pytest.fixture
def inv(app: FastAPI) -> onhand.Inventory:
    """The app's inventory, with a second warehouse WH2 and a supplier ACME (of default)."""
    inventory: onhand.Inventory = app.state.api.inventory
    inventory.add_location("WH2")
    inventory.add_supplier("ACME", "Acme Ltd")
    return inventory


@pytest.fixture
def manager(tokens: dict[str, str], inv: onhand.Inventory) -> dict[str, str]:
    """The headers of an unscoped manager's calls (who may see costs)."""
    return bearer(tokens["manager"])


@pytest.fixture
def operator(tokens: dict[str, str], inv: onhand.Inventory) -> dict[str, str]:
    """The headers of an unscoped operator's calls (who may not see costs)."""
    return bearer(tokens["operator"])


def ok(response: Response, status: int = 200) -> Any:
    """Return the JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()




def create(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    """Create purchase order PO-7 (10 mugs at 2.10, confirmed) with ``changes``."""
    body: dict[str, Any] = ok(client.post("/v1/purchase-orders", json={**PO, **changes},
                                          headers=headers), 201)
    return body


def stock(client: TestClient, headers: dict[str, str], sku: str = "MUG-1") -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get(f"/v1/stock/{sku}", headers=headers))
    return body


# --- suppliers -------------------------------------------------------------------------------


def test_suppliers_are_created_and_listed_a_page_at_a_time(client: TestClient,
                                                           manager: dict[str, str]) -> None:
    added = ok(client.post("/v1/suppliers", json={"code": "BOLT", "name": " Bolt & Co "},
                           headers=manager), 201)
    assert added == {"owner": "default", "code": "BOLT", "name": "Bolt & Co"}
    first = ok(client.get("/v1/suppliers", params={"limit": 1}, headers=manager))
    assert [s["code"] for s in first["items"]] == ["ACME"]
    rest = ok(client.get("/v1/suppliers", params={"limit": 1, "cursor": first["next_cursor"]},
                         headers=manager))
    assert [s["code"] for s in rest["items"]] == ["BOLT"] and rest["next_cursor"] is None


def test_a_supplier_code_taken_answers_409_naming_code(client: TestClient,
                                                       manager: dict[str, str]) -> None:
    problem(client.post("/v1/suppliers", json={"code": "ACME"}, headers=manager), 409,
            field="code")


def test_a_scoped_caller_sees_only_its_owners_suppliers(client: TestClient, inv: onhand.Inventory,
                                                        tokens: dict[str, str]) -> None:
    inv.add_supplier("ANVILS", owner="acme")
    listed = ok(client.get("/v1/suppliers", headers=bearer(tokens["acme_viewer"])))
    assert [(s["owner"], s["code"]) for s in listed["items"]] == [("acme", "ANVILS")]


# --- purchase orders -------------------------------------------------------------------------


def test_a_confirmed_order_is_incoming_in_its_warehouse(client: TestClient,
                                                        manager: dict[str, str]) -> None:
    draft = create(client, manager, confirm=False, expected_on="2031-03-01", tolerance="5")
    assert (draft["status"], draft["expected_on"], draft["tolerance"]) == (
        "draft", "2031-03-01", "5")
    assert draft["lines"][0] == {"line": 1, "sku": "MUG-1", "qty": "10", "unit_cost": "2.10",
                                 "received": "0", "cancelled": "0", "returned": "0",
                                 "incoming": "0"}
    assert stock(client, manager)["incoming"] == "0"
    confirmed = ok(client.post("/v1/purchase-orders/PO-7/confirm", headers=manager))
    assert (confirmed["status"], confirmed["lines"][0]["incoming"]) == ("confirmed", "10")
    level = stock(client, manager)
    assert (level["incoming"], level["by_warehouse"]["WH1"]["incoming"]) == ("10", "10")


def test_an_operator_receives_at_the_orders_cost_without_seeing_it(
        client: TestClient, manager: dict[str, str], operator: dict[str, str]) -> None:
    create(client, manager)
    received = ok(client.post("/v1/purchase-orders/PO-7/receive", headers=operator,
                              json={"lines": [{"sku": "MUG-1", "qty": 4,
                                               "location": "WH1/A-01"}]}))
    assert received["lines"][0]["unit_cost"] is None
    assert (received["lines"][0]["received"], received["lines"][0]["incoming"]) == ("4", "6")
    seen = ok(client.get("/v1/purchase-orders/PO-7", headers=operator))
    assert seen["lines"][0]["unit_cost"] is None
    receipt = ok(client.get(f"/v1/movements/{received['movement_ids'][0]}", headers=manager))
    assert (receipt["kind"], receipt["qty"], receipt["unit_cost"], receipt["reference"]) == (
        "receipt", "4", "2.10", "PO-7")
    level = stock(client, manager)
    assert (level["on_hand"], level["incoming"]) == ("14", "6")


def test_receiving_everything_closes_the_order(client: TestClient,
                                               manager: dict[str, str]) -> None:
    create(client, manager)
    closed = ok(client.post("/v1/purchase-orders/PO-7/receive", headers=manager))
    assert (closed["status"], closed["lines"][0]["received"]) == ("closed", "10")
    problem(client.post("/v1/purchase-orders/PO-7/receive", headers=manager), 409,
            type="/problems/order-closed", field="reference")


def test_receiving_beyond_the_tolerance_answers_422_naming_the_line_and_writes_nothing(
        client: TestClient, app: FastAPI, manager: dict[str, str]) -> None:
    create(client, manager, tolerance=10)
    before = written(app)
    body = problem(client.post("/v1/purchase-orders/PO-7/receive", headers=manager,
                               json={"lines": [{"sku": "MUG-1", "qty": 12}]}), 422,
                   field="qty", line=1, type="/problems/invalid-quantity")
    assert "11" in body["detail"]
    assert written(app) == before
    ok(client.post("/v1/purchase-orders/PO-7/receive", headers=manager,
                   json={"lines": [{"sku": "MUG-1", "qty": 11}]}))


def test_receiving_against_a_draft_answers_409(client: TestClient,
                                               manager: dict[str, str]) -> None:
    create(client, manager, confirm=False)
    problem(client.post("/v1/purchase-orders/PO-7/receive", headers=manager), 409,
            type="/problems/order-closed")


def test_an_unknown_or_another_owners_order_answers_404(
        client: TestClient, manager: dict[str, str], tokens: dict[str, str]) -> None:
    create(client, manager)
    problem(client.get("/v1/purchase-orders/PO-404", headers=manager), 404,
            type="/problems/unknown-order", reference="PO-404")
    scoped = bearer(tokens["acme_manager"])
    problem(client.get("/v1/purchase-orders/PO-7", headers=scoped), 404)
    problem(client.post("/v1/purchase-orders/PO-7/receive", headers=scoped), 404)
    assert stock(client, manager)["on_hand"] == "10"


def test_an_unknown_supplier_answers_404_naming_supplier(client: TestClient,
                                                         manager: dict[str, str]) -> None:
    problem(client.post("/v1/purchase-orders", json={**PO, "supplier": "NOBODY"},
                        headers=manager), 404, field="supplier",
            type="/problems/unknown-supplier")


def test_a_lot_tracked_item_needs_a_lot_and_takes_its_expiry(
        client: TestClient, inv: onhand.Inventory, manager: dict[str, str]) -> None:
    inv.add_item(sku="MILK-1L", name="Milk", tracking="lot")
    create(client, manager, lines=[{"sku": "MILK-1L", "qty": 6}])
    path = "/v1/purchase-orders/PO-7/receive"
    problem(client.post(path, json={"lines": [{"sku": "MILK-1L", "qty": 2}]}, headers=manager),
            422, field="lot", line=1)
    ok(client.post(path, json={"lines": [{"sku": "MILK-1L", "qty": 2, "lot": "B-7",
                                          "expires_on": "2031-01-31"}]}, headers=manager))
    problem(client.post(path, json={"lines": [{"sku": "MILK-1L", "qty": 2, "lot": "B-7",
                                               "expires_on": "2031-02-28"}]}, headers=manager),
            422, field="expires_on", line=1)
    assert stock(client, manager, "MILK-1L")["on_hand"] == "2"


def test_a_bad_line_answers_422_naming_the_line_and_field(client: TestClient,
                                                          manager: dict[str, str]) -> None:
    lines = [{"sku": "MUG-1", "qty": 1}, {"sku": "MUG-1", "qty": 1.5}]
    problem(client.post("/v1/purchase-orders", json={**PO, "lines": lines}, headers=manager),
            422, field="qty", line=2)
    lines = [{"sku": "MUG-1", "qty": 1, "received": 1}]
    problem(client.post("/v1/purchase-orders", json={**PO, "lines": lines}, headers=manager),
            422, field="received", line=1)
    problem(client.post("/v1/purchase-orders", json={**PO, "tolerance": "2000"},
                        headers=manager), 422, field="tolerance")
    assert ok(client.get("/v1/purchase-orders", headers=manager))["items"] == []


def test_the_same_order_again_answers_it_and_another_under_its_reference_409(
        client: TestClient, manager: dict[str, str]) -> None:
    first = create(client, manager)
    assert create(client, manager) == first
    problem(client.post("/v1/purchase-orders", json={**PO, "lines": [
        {"sku": "MUG-1", "qty": 11, "unit_cost": "2.10"}]}, headers=manager), 409,
        type="/problems/duplicate-order")
    assert stock(client, manager)["incoming"] == "10"


def test_purchase_orders_are_listed_by_status_a_page_at_a_time(
        client: TestClient, manager: dict[str, str], operator: dict[str, str]) -> None:
    for reference in ("PO-1", "PO-2", "PO-3"):
        create(client, manager, reference=reference, confirm=reference != "PO-2")
    first = ok(client.get("/v1/purchase-orders", params={"limit": 2}, headers=operator))
    assert [po["reference"] for po in first["items"]] == ["PO-1", "PO-2"]
    assert all(po["lines"][0]["unit_cost"] is None for po in first["items"])
    rest = ok(client.get("/v1/purchase-orders", params={"limit": 2,
                                                        "cursor": first["next_cursor"]},
                         headers=operator))
    assert [po["reference"] for po in rest["items"]] == ["PO-3"] and rest["next_cursor"] is None
    drafts = ok(client.get("/v1/purchase-orders", params={"status": "draft"}, headers=manager))
    assert [po["reference"] for po in drafts["items"]] == ["PO-2"]
    problem(client.get("/v1/purchase-orders", params={"status": "lost"}, headers=manager), 422,
            field="status")
    problem(client.get("/v1/purchase-orders", params={"cursor": "nonsense"}, headers=manager),
            422, field="cursor")


def test_cancelling_lowers_incoming(client: TestClient, manager: dict[str, str]) -> None:
    create(client, manager)
    partly = ok(client.post("/v1/purchase-orders/PO-7/cancel", headers=manager,
                            json={"lines": [{"sku": "MUG-1", "qty": 4}]}))
    assert (partly["status"], partly["lines"][0]["incoming"]) == ("confirmed", "6")
    assert stock(client, manager)["incoming"] == "6"
    cancelled = ok(client.post("/v1/purchase-orders/PO-7/cancel", headers=manager))
    assert cancelled["status"] == "cancelled"
    assert stock(client, manager)["incoming"] == "0"


def test_a_return_to_the_supplier_leaves_at_the_received_cost(
        client: TestClient, app: FastAPI, manager: dict[str, str]) -> None:
    create(client, manager)
    ok(client.post("/v1/purchase-orders/PO-7/receive", json={"location": "WH1/A-01"},
                   headers=manager))
    path = "/v1/purchase-orders/PO-7/return"
    sent = ok(client.post(path, headers=manager, json={
        "lines": [{"sku": "MUG-1", "qty": 3, "location": "WH1/A-01"}], "reason": "chipped"}))
    assert sent["lines"][0]["returned"] == "3"
    back = ok(client.get(f"/v1/movements/{sent['movement_ids'][-1]}", headers=manager))
    assert (back["kind"], back["target"], back["unit_cost"], back["reason"]) == (
        "supplier_return", "supplier", "2.10", "chipped")
    before = written(app)
    problem(client.post(path, headers=manager, json={
        "lines": [{"sku": "MUG-1", "qty": 8, "location": "WH1/A-01"}], "reason": "chipped"}),
        422, field="qty", line=1)
    problem(client.post(path, headers=manager, json={"lines": [{"sku": "MUG-1", "qty": 1}]}),
            422, field="reason")
    assert written(app) == before


def test_a_manager_sets_costs_and_an_operator_may_not_order(
        client: TestClient, manager: dict[str, str], operator: dict[str, str]) -> None:
    problem(client.post("/v1/purchase-orders", json=PO, headers=operator), 403)
    assert create(client, manager)["lines"][0]["unit_cost"] == "2.10"
    problem(client.post("/v1/purchase-orders/PO-7/cancel", headers=operator), 403)


def test_a_retried_receipt_with_its_key_is_applied_once_and_audited(
        client: TestClient, app: FastAPI, manager: dict[str, str]) -> None:
    create(client, manager)
    headers = {**manager, "Idempotency-Key": "dock-1"}
    body = {"lines": [{"sku": "MUG-1", "qty": 4}]}
    first = client.post("/v1/purchase-orders/PO-7/receive", json=body, headers=headers)
    again = client.post("/v1/purchase-orders/PO-7/receive", json=body, headers=headers)
    assert again.headers["idempotency-replayed"] == "true"
    assert ok(again) == ok(first)
    assert stock(client, manager)["on_hand"] == "14"
    problem(client.post("/v1/purchase-orders/PO-7/receive", headers=headers,
                        json={"lines": [{"sku": "MUG-1", "qty": 5}]}), 422,
            field="Idempotency-Key")
    entries = audit.entries(app.state.api.inventory.unit_of_work(write=False),
                            action="purchase_orders.receive")
    assert [(e.target, e.detail["status"], e.detail["key"], e.movement_ids)
            for e in entries] == [("PO-7", "confirmed", "dock-1", tuple(ok(first)["movement_ids"]))]


def test_a_receipt_fills_backorders(client: TestClient, inv: onhand.Inventory,
                                    manager: dict[str, str]) -> None:
    inv.create_order("SO-1", [{"sku": "MUG-1", "qty": 13}], policy="backorder",
                     warehouse="WH1")
    create(client, manager)
    ok(client.post("/v1/purchase-orders/PO-7/receive", headers=manager,
                   json={"lines": [{"sku": "MUG-1", "qty": 2}]}))
    line = inv.order("SO-1").lines[0]
    assert (line.reserved, line.backordered) == (12, 1)


# --- transfers ------------------------------------------------------------------------------

TRANSFER = {"reference": "TR-1", "source": "WH1", "target": "WH2",
            "lines": [{"sku": "MUG-1", "qty": 4}]}


def test_a_transfer_is_dispatched_in_transit_and_received_short_with_a_reason(
        client: TestClient, app: FastAPI, operator: dict[str, str]) -> None:
    sent = ok(client.post("/v1/transfers", json=TRANSFER, headers=operator), 201)
    assert (sent["status"], sent["lines"]) == ("in_transit", [
        {"line": 1, "sku": "MUG-1", "lot": None, "qty": "4", "received": "0", "lost": "0"}])
    level = stock(client, operator)
    assert (level["on_hand"], level["in_transit"]) == ("6", "4")
    assert level["by_warehouse"]["WH2"]["in_transit"] == "4"
    assert ok(client.get("/v1/transfers/TR-1", headers=operator)) == sent
    path = "/v1/transfers/TR-1/receive"
    short = {"lines": [{"sku": "MUG-1", "qty": 3}]}
    before = written(app)
    problem(client.post(path, json=short, headers=operator), 422, field="reason")
    assert written(app) == before
    got = ok(client.post(path, json={**short, "reason": "one crushed"}, headers=operator))
    assert (got["status"], got["lines"][0]["received"], got["lines"][0]["lost"]) == (
        "received", "3", "1")
    level = stock(client, operator)
    assert (level["on_hand"], level["in_transit"], level["by_warehouse"]["WH2"]["on_hand"]) == (
        "9", "0", "3")
    problem(client.post(path, headers=operator), 409, type="/problems/order-closed")
    assert app.state.api.inventory.verify().ok


def test_a_dispatch_may_not_take_reserved_stock(client: TestClient, inv: onhand.Inventory,
                                                operator: dict[str, str]) -> None:
    inv.create_order("SO-1", [{"sku": "MUG-1", "qty": 8}], warehouse="WH1")
    problem(client.post("/v1/transfers", json=TRANSFER, headers=operator), 409,
            type="/problems/insufficient-stock", sku="MUG-1", available=2)
    problem(client.get("/v1/transfers/TR-1", headers=operator), 404)


def test_a_viewer_may_read_but_not_move(client: TestClient, tokens: dict[str, str],
                                        operator: dict[str, str]) -> None:
    ok(client.post("/v1/transfers", json=TRANSFER, headers=operator), 201)
    viewer = bearer(tokens["viewer"])
    assert ok(client.get("/v1/transfers/TR-1", headers=viewer))["reference"] == "TR-1"
    problem(client.post("/v1/transfers/TR-1/receive", headers=viewer), 403)


def test_the_openapi_document_lists_purchasing_and_transfers(client: TestClient) -> None:
    paths = ok(client.get("/openapi.json"))["paths"]
    for path in ("/v1/suppliers", "/v1/purchase-orders", "/v1/purchase-orders/{reference}",
                 "/v1/purchase-orders/{reference}/receive", "/v1/transfers",
                 "/v1/transfers/{reference}/receive"):
        assert path in paths, path


def test_costs_travel_as_exact_decimal_strings(client: TestClient,
                                               manager: dict[str, str]) -> None:
    made = create(client, manager, lines=[{"sku": "MUG-1", "qty": 3, "unit_cost": "0.105"}])
    assert Decimal(made["lines"][0]["unit_cost"]) == Decimal("0.105")
    problem(client.post("/v1/purchase-orders", headers=manager, json={
        **PO, "reference": "PO-8", "lines": [{"sku": "MUG-1", "qty": 3, "unit_cost": 2.1}]}),
        422, field="unit_cost", line=1)
