"""Costs through the API: who sees them, who sets them, and an operator's receipt."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import bearer

RECEIPT = {"kind": "receipt", "sku": "MUG-1", "qty": 4, "location": "WH1/A-01"}


def test_an_operators_receipt_takes_the_items_last_receipt_cost(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/v1/movements", json={**RECEIPT, "unit_cost": "2.40"},
                headers=bearer(tokens["manager"])).raise_for_status()
    client.post("/v1/movements", json={**RECEIPT, "unit_cost": "2.75"},
                headers=bearer(tokens["manager"])).raise_for_status()

    answer = client.post("/v1/movements", json=RECEIPT, headers=bearer(tokens["operator"]))

    assert answer.status_code == 201, answer.text
    assert answer.json()["unit_cost"] is None  # an operator never sees a cost
    stored = app.state.api.inventory.history(sku="MUG-1", limit=1000)[-1]
    assert stored.id == answer.json()["id"] and stored.unit_cost == Decimal("2.75")
    seen = client.get(f"/v1/movements/{stored.id}", headers=bearer(tokens["manager"]))
    assert seen.json()["unit_cost"] == "2.75"


def test_an_operators_receipt_of_an_item_never_costed_has_no_cost(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.post("/v1/movements", json=RECEIPT, headers=bearer(tokens["operator"]))

    assert answer.status_code == 201, answer.text
    assert app.state.api.inventory.history(sku="MUG-1", limit=1000)[-1].unit_cost is None


def test_a_managers_receipt_without_a_cost_stays_without_one(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/v1/movements", json={**RECEIPT, "unit_cost": "2.40"},
                headers=bearer(tokens["manager"])).raise_for_status()

    answer = client.post("/v1/movements", json=RECEIPT, headers=bearer(tokens["manager"]))

    assert answer.status_code == 201 and answer.json()["unit_cost"] is None
