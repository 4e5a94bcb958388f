"""The HTTP API's happy paths: catalog, movements, stock, pagination, sessions and the audit trail.

Each test drives the API as a client would and checks what it answers and what the ledger
(read through the library) then holds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from onhand.db.tables import tokens as token_table
from onhand.domain.times import utcnow
from onhand.services import access
from tests.api.conftest import bearer, make_app, problem, written

PASSWORD = "correct horse battery"
MUG_BARCODE = "4006381333931"


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


def ok(response: Response, status: int = 200) -> Any:
    """Return the JSON body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def token_id(token: str) -> int:
    """Return the id in a token's text (``onh_<id>_<secret>``)."""
    return int(token.split("_")[1])


def stock_of(client: TestClient, headers: dict[str, str], sku: str = "MUG-1",
             **params: str) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get(f"/v1/stock/{sku}", params=params, headers=headers))
    return body


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    body = ok(client.post("/v1/auth/login", json={"username": username, "password": password}))
    assert body["token_type"] == "bearer"
    token: str = body["token"]
    return token


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- health ------------------------------------------------------------------------------------


def test_health_and_ready_answer_200_without_authentication(client: TestClient) -> None:
    assert ok(client.get("/v1/health")) == {"status": "ok"}
    assert ok(client.get("/v1/ready")) == {"status": "ready"}


def test_the_openapi_document_lists_the_v1_resources(client: TestClient) -> None:
    paths = ok(client.get("/openapi.json"))["paths"]

    for path in ("/v1/owners", "/v1/items", "/v1/locations", "/v1/movements",
                 "/v1/movements/batch", "/v1/movements/{movement_id}/reverse", "/v1/stock",
                 "/v1/stock/{sku}", "/v1/audit", "/v1/users", "/v1/tokens", "/v1/auth/login",
                 "/v1/health", "/v1/ready"):
        assert path in paths


# --- owners, items, locations ------------------------------------------------------------------


def test_an_admin_creates_an_owner_and_lists_it(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/owners", headers=admin, json={
        "code": "globex", "name": "Globex", "currency": "eur", "time_zone": "Europe/Paris"}),
        201)

    assert created == {"code": "globex", "name": "Globex", "currency": "EUR",
                       "time_zone": "Europe/Paris"}
    listed = ok(client.get("/v1/owners", headers=admin))["items"]
    assert created in listed
    assert {"code": "default", "name": "Default", "currency": "USD", "time_zone": "UTC"} in listed


@pytest.mark.parametrize(("field", "value"), [
    ("currency", "EUX"), ("currency", "XAU"), ("time_zone", "Mars/Olympus"),
    ("time_zone", "../etc/passwd"),
])
def test_an_owner_with_an_unknown_currency_or_time_zone_is_refused_naming_it(
        client: TestClient, app: FastAPI, admin: dict[str, str], field: str, value: str) -> None:
    before = written(app)
    problem(client.post("/v1/owners", json={"code": "globex", field: value}, headers=admin),
            422, field=field)
    assert written(app) == before


def test_a_scoped_caller_sees_only_its_own_owner(
        client: TestClient, tokens: dict[str, str]) -> None:
    owners = ok(client.get("/v1/owners", headers=bearer(tokens["acme_viewer"])))["items"]

    assert [owner["code"] for owner in owners] == ["acme"]


def test_an_item_is_created_and_found_by_sku_and_by_barcode(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    body = {"sku": "TSHIRT-RED-M", "name": "Red T-shirt, M", "barcodes": [MUG_BARCODE]}

    created = ok(client.post("/v1/items", json=body, headers=admin), 201)

    assert created["sku"] == "TSHIRT-RED-M"
    assert created["owner"] == "default"
    assert created["barcodes"] == [MUG_BARCODE]
    assert ok(client.get("/v1/items/TSHIRT-RED-M", headers=admin)) == created
    assert ok(client.get(f"/v1/items/{MUG_BARCODE}", headers=admin)) == created
    assert app.state.api.inventory.item("TSHIRT-RED-M").name == "Red T-shirt, M"


def test_an_unscoped_caller_creates_and_reads_another_owners_item_with_owner_param(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/items?owner=acme", json={"sku": "ACME-2", "name": "Rocket"},
                             headers=admin), 201)

    assert created["owner"] == "acme"
    assert ok(client.get("/v1/items/ACME-2?owner=acme", headers=admin))["name"] == "Rocket"
    assert client.get("/v1/items/ACME-2", headers=admin).status_code == 404
    assert [i.sku for i in app.state.api.inventory.items(owner="acme")] == ["ACME-1", "ACME-2"]


def test_a_scoped_caller_creates_items_in_its_own_owner_without_naming_it(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["acme_manager"])

    created = ok(client.post("/v1/items", json={"sku": "ACME-3", "name": "Magnet"},
                             headers=headers), 201)

    assert created["owner"] == "acme"
    assert ok(client.get("/v1/items/ACME-3", headers=headers))["owner"] == "acme"
    assert [i["sku"] for i in ok(client.get("/v1/items", headers=headers))["items"]] == \
        ["ACME-1", "ACME-3"]


def test_an_item_with_decimals_takes_fractional_quantities(
        client: TestClient, admin: dict[str, str]) -> None:
    ok(client.post("/v1/items", json={"sku": "ROPE-M", "name": "Rope", "unit": "m",
                                      "decimals": 2}, headers=admin), 201)

    moved = ok(client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "ROPE-M", "qty": "12.50", "location": "WH1/A-01"}), 201)

    assert moved["qty"] in ("12.5", "12.50")
    assert stock_of(client, admin, "ROPE-M")["on_hand"] in ("12.5", "12.50")


def test_an_item_has_no_weight_and_takes_receipts_without_a_cost_unless_told(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/items", json={"sku": "CUP-1", "name": "Cup"}, headers=admin),
                 201)

    assert (created["weight"], created["cost_required"]) == (None, False)
    ok(client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "CUP-1", "qty": 2, "location": "WH1/A-01"}), 201)


def test_a_valued_item_keeps_its_weight_and_refuses_a_receipt_without_a_unit_cost(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    body = {"sku": "SCALE-1", "name": "Kitchen scale", "weight": "1.25", "cost_required": True}
    created = ok(client.post("/v1/items", json=body, headers=admin), 201)
    receipt = {"kind": "receipt", "sku": "SCALE-1", "qty": 2, "location": "WH1/A-01"}

    before = written(app)
    problem(client.post("/v1/movements", json=receipt, headers=admin), 422, field="unit_cost")
    assert written(app) == before
    ok(client.post("/v1/movements", json={**receipt, "unit_cost": "8.00"}, headers=admin), 201)

    assert (created["weight"], created["cost_required"]) == ("1.25", True)
    assert ok(client.get("/v1/items/SCALE-1", headers=admin)) == created
    item = app.state.api.inventory.item("SCALE-1")
    assert (str(item.weight), item.cost_required) == ("1.25", True)


@pytest.mark.parametrize(("field", "value"), [
    ("weight", "-1"), ("weight", 1.5), ("weight", "heavy"), ("cost_required", "yes"),
    ("cost_required", 1)])
def test_a_bad_weight_or_cost_required_is_refused_naming_it(
        client: TestClient, app: FastAPI, admin: dict[str, str], field: str,
        value: object) -> None:
    before = written(app)
    problem(client.post("/v1/items", json={"sku": "CUP-1", "name": "Cup", field: value},
                        headers=admin), 422, field=field)
    assert written(app) == before


def test_a_location_is_created_under_its_parent_and_listed(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/locations", json={"path": "WH1/A-02", "name": "Aisle A, 2"},
                             headers=admin), 201)

    assert created == {"path": "WH1/A-02", "kind": "internal", "name": "Aisle A, 2",
                       "sellable": True}
    listed = ok(client.get("/v1/locations?limit=1000", headers=admin))["items"]
    assert created in listed
    assert {"supplier", "customer", "loss"} <= {row["path"] for row in listed}
    assert "WH1/A-02" in [place.path for place in app.state.api.inventory.locations()]


# --- movements of every kind --------------------------------------------------------------------

KINDS: dict[str, tuple[dict[str, Any], str, str, dict[str, str]]] = {
    # kind: (body fields, source, target, stock by location afterwards)
    "receipt": ({"qty": 5, "location": "WH1/A-01", "unit_cost": "2.50"}, "supplier",
                "WH1/A-01", {"WH1/A-01": "15"}),
    "shipment": ({"qty": 4, "location": "WH1/A-01"}, "WH1/A-01", "customer",
                 {"WH1/A-01": "6"}),
    "return": ({"qty": 1, "location": "WH1"}, "customer", "WH1",
               {"WH1": "1", "WH1/A-01": "10"}),
    "adjustment": ({"qty": -3, "location": "WH1/A-01", "reason": "damaged in storage"},
                   "WH1/A-01", "loss", {"WH1/A-01": "7"}),
    "scrap": ({"qty": 2, "location": "WH1/A-01", "reason": "broken"}, "WH1/A-01", "loss",
              {"WH1/A-01": "8"}),
    "transfer": ({"qty": 6, "source": "WH1/A-01", "target": "WH1"}, "WH1/A-01", "WH1",
                 {"WH1": "6", "WH1/A-01": "4"}),
    "count": ({"qty": 2, "location": "WH1/A-01", "reason": "cycle count"}, "loss", "WH1/A-01",
              {"WH1/A-01": "12"}),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_movement_kind_is_posted_and_moves_the_stock(
        client: TestClient, app: FastAPI, admin: dict[str, str], kind: str) -> None:
    fields, source, target, after = KINDS[kind]

    moved = ok(client.post("/v1/movements", json={"kind": kind, "sku": "MUG-1", **fields},
                           headers=admin), 201)

    assert (moved["kind"], moved["source"], moved["target"]) == (kind, source, target)
    assert moved["qty"] == str(abs(int(fields["qty"])))
    assert moved["owner"] == "default"
    assert stock_of(client, admin)["by_location"] == after
    assert app.state.api.inventory.history(sku="MUG-1", limit=10)[-1].id == moved["id"]
    assert ok(client.get(f"/v1/movements/{moved['id']}", headers=admin)) == moved


def test_a_movement_keeps_its_reference_lot_free_fields_and_business_time(
        client: TestClient, admin: dict[str, str]) -> None:
    yesterday = utcnow() - timedelta(days=1)

    moved = ok(client.post("/v1/movements", headers=admin, json={
        "kind": "receipt", "sku": "MUG-1", "qty": 3, "location": "WH1/A-01",
        "reference": "PO-1001", "occurred_at": iso(yesterday)}), 201)

    assert moved["reference"] == "PO-1001"
    assert datetime.fromisoformat(moved["occurred_at"]) == yesterday
    assert datetime.fromisoformat(moved["recorded_at"]) > yesterday


def test_only_a_role_that_sees_costs_gets_the_unit_cost_back(
        client: TestClient, tokens: dict[str, str]) -> None:
    moved = ok(client.post("/v1/movements", headers=bearer(tokens["manager"]), json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01",
        "unit_cost": "3.25"}), 201)

    assert moved["unit_cost"] == "3.25"
    as_operator = ok(client.get(f"/v1/movements/{moved['id']}",
                                headers=bearer(tokens["operator"])))
    assert as_operator["unit_cost"] is None


def test_a_batch_posts_every_line_in_order(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    lines = [{"kind": "receipt", "sku": "MUG-1", "qty": 5, "location": "WH1/A-01"},
             {"kind": "transfer", "sku": "MUG-1", "qty": 8, "source": "WH1/A-01",
              "target": "WH1"},
             {"kind": "shipment", "sku": "MUG-1", "qty": 3, "location": "WH1"}]

    posted = ok(client.post("/v1/movements/batch", json={"lines": lines}, headers=admin), 201)

    assert [m["kind"] for m in posted["movements"]] == ["receipt", "transfer", "shipment"]
    ids = [m["id"] for m in posted["movements"]]
    assert ids == sorted(ids)
    assert stock_of(client, admin)["by_location"] == {"WH1": "5", "WH1/A-01": "7"}
    ledger = app.state.api.inventory.history(sku="MUG-1", limit=10)
    assert [m.id for m in ledger][-3:] == ids


# --- listing movements ---------------------------------------------------------------------------


@pytest.fixture
def dated(app: FastAPI) -> dict[str, datetime]:
    """Receipts of MUG-1 90, 60 and 30 days ago (at WH1, WH1/A-01, WH1) and a SOCK-1 one."""
    inv = app.state.api.inventory
    inv.add_item(sku="SOCK-1", name="Wool sock")
    now = utcnow()
    times = {"90": now - timedelta(days=90), "60": now - timedelta(days=60),
             "30": now - timedelta(days=30)}
    inv.receive(sku="MUG-1", qty=1, location="WH1", occurred_at=times["90"], reference="d90")
    inv.receive(sku="MUG-1", qty=2, location="WH1/A-01", occurred_at=times["60"],
                reference="d60")
    inv.receive(sku="MUG-1", qty=3, location="WH1", occurred_at=times["30"], reference="d30")
    inv.receive(sku="SOCK-1", qty=4, location="WH1", occurred_at=times["60"], reference="s60")
    return times


def references(page: dict[str, Any]) -> list[str | None]:
    return [m["reference"] for m in page["items"]]


def test_movements_are_listed_oldest_first_and_filtered_by_sku(
        client: TestClient, admin: dict[str, str], dated: dict[str, datetime]) -> None:
    everything = ok(client.get("/v1/movements", headers=admin))
    mugs = ok(client.get("/v1/movements?sku=MUG-1", headers=admin))

    assert references(everything) == ["d90", "d60", "s60", "d30", None]
    assert references(mugs) == ["d90", "d60", "d30", None]
    assert {m["sku"] for m in mugs["items"]} == {"MUG-1"}


def test_movements_are_filtered_by_location(
        client: TestClient, admin: dict[str, str], dated: dict[str, datetime]) -> None:
    in_bin = ok(client.get("/v1/movements", params={"sku": "MUG-1", "location": "WH1/A-01"},
                           headers=admin))

    assert references(in_bin) == ["d60", None]


def test_movements_are_filtered_by_business_time(
        client: TestClient, admin: dict[str, str], dated: dict[str, datetime]) -> None:
    params = {"sku": "MUG-1", "since": iso(dated["90"] + timedelta(days=1)),
              "until": iso(dated["30"] - timedelta(days=1))}

    between = ok(client.get("/v1/movements", params=params, headers=admin))
    since = ok(client.get("/v1/movements", params={"sku": "MUG-1", "since": iso(dated["60"])},
                          headers=admin))

    assert references(between) == ["d60"]
    assert references(since) == ["d60", "d30", None]


def test_a_scoped_caller_lists_only_its_owners_movements(
        client: TestClient, tokens: dict[str, str]) -> None:
    listed = ok(client.get("/v1/movements", headers=bearer(tokens["client"])))

    assert {(m["sku"], m["owner"]) for m in listed["items"]} == {("ACME-1", "acme")}


# --- reversals ----------------------------------------------------------------------------------


def test_a_reversal_undoes_a_movement_and_points_at_it(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    shipped = ok(client.post("/v1/movements", headers=admin, json={
        "kind": "shipment", "sku": "MUG-1", "qty": 4, "location": "WH1/A-01"}), 201)

    reversal = ok(client.post(f"/v1/movements/{shipped['id']}/reverse",
                              json={"reason": "shipped the wrong order"}, headers=admin), 201)

    assert reversal["reverses"] == shipped["id"]
    assert (reversal["source"], reversal["target"]) == ("customer", "WH1/A-01")
    assert reversal["qty"] == "4"
    assert reversal["reason"] == "shipped the wrong order"
    assert stock_of(client, admin)["on_hand"] == "10"
    assert app.state.api.inventory.stock(sku="MUG-1").on_hand == 10


def test_reversing_a_movement_twice_answers_409_and_moves_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    first = app.state.api.inventory.history(sku="MUG-1", limit=1)[0].id
    ok(client.post(f"/v1/movements/{first}/reverse", json={"reason": "typo"}, headers=admin),
       201)

    again = client.post(f"/v1/movements/{first}/reverse", json={"reason": "typo"},
                        headers=admin)

    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert app.state.api.inventory.stock(sku="MUG-1").on_hand == 0
    assert len(app.state.api.inventory.history(sku="MUG-1", limit=10)) == 2


# --- stock ---------------------------------------------------------------------------------------


def test_stock_of_an_item_is_given_in_total_and_by_location(
        client: TestClient, admin: dict[str, str]) -> None:
    ok(client.post("/v1/movements", headers=admin, json={
        "kind": "transfer", "sku": "MUG-1", "qty": 4, "source": "WH1/A-01", "target": "WH1"}),
       201)

    level = stock_of(client, admin)
    in_bin = stock_of(client, admin, location="WH1/A-01")

    assert (level["sku"], level["owner"]) == ("MUG-1", "default")
    assert (level["on_hand"], level["reserved"], level["available"]) == ("10", "0", "10")
    assert level["by_location"] == {"WH1": "4", "WH1/A-01": "6"}
    assert in_bin["on_hand"] == "6"


def test_the_stock_list_gives_every_item_that_has_some(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    inv = app.state.api.inventory
    inv.add_item(sku="CUP-1", name="Cup")
    inv.add_item(sku="NONE-1", name="Nothing in stock")
    inv.receive(sku="CUP-1", qty=7, location="WH1")

    levels = ok(client.get("/v1/stock", headers=admin))["items"]

    assert [(s["sku"], s["on_hand"]) for s in levels] == [("CUP-1", "7"), ("MUG-1", "10")]


def test_stock_as_of_a_past_time_is_the_ledger_up_to_then(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    inv = app.state.api.inventory
    inv.add_item(sku="CUP-1", name="Cup")
    now = utcnow()
    inv.receive(sku="CUP-1", qty=7, location="WH1", occurred_at=now - timedelta(days=10))
    inv.ship(sku="CUP-1", qty=2, location="WH1", occurred_at=now - timedelta(days=5))

    before = stock_of(client, admin, "CUP-1", as_of=iso(now - timedelta(days=20)))
    between = stock_of(client, admin, "CUP-1", as_of=iso(now - timedelta(days=7)))
    after = stock_of(client, admin, "CUP-1", as_of=iso(now - timedelta(days=1)))
    listed = ok(client.get("/v1/stock", params={"as_of": iso(now - timedelta(days=7))},
                           headers=admin))["items"]

    assert (before["on_hand"], between["on_hand"], after["on_hand"]) == ("0", "7", "5")
    assert datetime.fromisoformat(between["as_of"]) == now - timedelta(days=7)
    assert [(s["sku"], s["on_hand"]) for s in listed] == [("CUP-1", "7")]


def test_an_unscoped_caller_reads_another_owners_stock_with_owner_param(
        client: TestClient, admin: dict[str, str]) -> None:
    assert stock_of(client, admin, "ACME-1", owner="acme")["on_hand"] == "5"
    assert client.get("/v1/stock/ACME-1", headers=admin).status_code == 404
    assert [s["sku"] for s in ok(client.get("/v1/stock?owner=acme", headers=admin))["items"]] \
        == ["ACME-1"]


@pytest.mark.parametrize("role", ["acme_viewer", "client"])
def test_a_scoped_caller_reads_its_stock_without_naming_the_owner(
        client: TestClient, tokens: dict[str, str], role: str) -> None:
    headers = bearer(tokens[role])

    level = stock_of(client, headers, "ACME-1")

    assert (level["owner"], level["on_hand"]) == ("acme", "5")
    assert stock_of(client, headers, "ACME-1", owner="acme") == level
    assert [s["sku"] for s in ok(client.get("/v1/stock", headers=headers))["items"]] == \
        ["ACME-1"]
    assert client.get("/v1/stock/ACME-1?owner=default", headers=headers).status_code == 404


# --- cursor pagination ---------------------------------------------------------------------------


def walk(client: TestClient, path: str, headers: dict[str, str], key: Callable[[Any], Any],
         *, limit: int, between: Callable[[], None] | None = None) -> list[Any]:
    """Return the keys of every row, page by page; ``between`` runs after the first page."""
    seen: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = ok(client.get(path, params=params, headers=headers))
        assert len(page["items"]) <= limit
        seen += [key(row) for row in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        if cursor is None:
            return seen
        assert pages < 1000, "pagination does not end"
        if between is not None and pages == 1:
            between()


class Listing:
    """A paginated list: its path, the key of a row, how to add rows before and after."""

    def __init__(self, path: str, key: Callable[[Any], Any],
                 seed: Callable[[FastAPI, TestClient, dict[str, str]], None],
                 insert: Callable[[FastAPI, TestClient, dict[str, str]], None]) -> None:
        self.path, self.key, self.seed, self.insert = path, key, seed, insert


def _items(app: FastAPI, *skus: str) -> None:
    for sku in skus:
        app.state.api.inventory.add_item(sku=sku, name=f"Item {sku}")


def _receipts(app: FastAPI, count: int, also_days_ago: int | None = None) -> None:
    """Receive ``count`` mugs now (and one dated ``also_days_ago``: before any cursor)."""
    inv = app.state.api.inventory
    for _ in range(count):
        inv.receive(sku="MUG-1", qty=1, location="WH1")
    if also_days_ago is not None:
        inv.receive(sku="MUG-1", qty=1, location="WH1",
                    occurred_at=utcnow() - timedelta(days=also_days_ago))


def _api_owners(client: TestClient, headers: dict[str, str], *codes: str) -> None:
    for code in codes:
        ok(client.post("/v1/owners", json={"code": code}, headers=headers), 201)


def _users(app: FastAPI, *names: str) -> None:
    for name in names:
        access.add_user(app.state.api.inventory.unit_of_work(), username=name,
                        password=PASSWORD, role="viewer")


def _tokens(app: FastAPI, count: int) -> None:
    for number in range(count):
        access.create_token(app.state.api.inventory.unit_of_work(), name=f"extra {number}",
                            role="viewer")


def _locations(app: FastAPI, *paths: str) -> None:
    for path in paths:
        app.state.api.inventory.add_location(path)


LISTINGS = {
    "items": Listing(
        "/v1/items", lambda row: row["sku"],
        lambda app, client, headers: _items(app, *(f"SKU-{n:02}" for n in range(9))),
        lambda app, client, headers: _items(app, "AAA-FIRST", "ZZZ-LAST")),
    "movements": Listing(
        "/v1/movements", lambda row: row["id"],
        lambda app, client, headers: _receipts(app, 9),
        lambda app, client, headers: _receipts(app, 1, also_days_ago=30)),
    "audit": Listing(
        "/v1/audit", lambda row: row["id"],
        lambda app, client, headers: _api_owners(client, headers,
                                                 *(f"owner-{n}" for n in range(9))),
        lambda app, client, headers: _api_owners(client, headers, "late-owner")),
    "users": Listing(
        "/v1/users", lambda row: row["username"],
        lambda app, client, headers: _users(app, *(f"user-{n}" for n in range(9))),
        lambda app, client, headers: _users(app, "aaron", "zoe")),
    "tokens": Listing(
        "/v1/tokens", lambda row: row["id"],
        lambda app, client, headers: _tokens(app, 2),
        lambda app, client, headers: _tokens(app, 2)),
    "locations": Listing(
        "/v1/locations", lambda row: row["path"],
        lambda app, client, headers: _locations(app, *(f"WH1/B-{n:02}" for n in range(7))),
        lambda app, client, headers: _locations(app, "AAA", "ZZZ")),
}


@pytest.mark.parametrize("name", list(LISTINGS))
def test_walking_every_page_with_a_small_limit_gives_the_full_list(
        client: TestClient, app: FastAPI, admin: dict[str, str], name: str) -> None:
    listing = LISTINGS[name]
    listing.seed(app, client, admin)
    full = [listing.key(row) for row in
            ok(client.get(listing.path, params={"limit": 500}, headers=admin))["items"]]
    assert len(full) >= 9

    for limit in (1, 2, 4):
        assert walk(client, listing.path, admin, listing.key, limit=limit) == full


@pytest.mark.parametrize("name", list(LISTINGS))
def test_pages_stay_stable_when_rows_are_inserted_between_them(
        client: TestClient, app: FastAPI, admin: dict[str, str], name: str) -> None:
    listing = LISTINGS[name]
    listing.seed(app, client, admin)
    existing = [listing.key(row) for row in
                ok(client.get(listing.path, params={"limit": 500}, headers=admin))["items"]]

    seen = walk(client, listing.path, admin, listing.key, limit=3,
                between=lambda: listing.insert(app, client, admin))

    assert len(seen) == len(set(seen)), "a row appeared twice"
    assert [key for key in seen if key in existing] == existing, "a row was skipped"


@pytest.mark.parametrize("path", ["/v1/items", "/v1/movements", "/v1/audit", "/v1/users",
                                  "/v1/tokens", "/v1/locations", "/v1/stock"])
def test_every_list_accepts_the_largest_limit_of_1000(
        client: TestClient, app: FastAPI, admin: dict[str, str], path: str) -> None:
    ok(client.post("/v1/owners", json={"code": "globex"}, headers=admin), 201)  # an audit entry
    _users(app, "alice")

    page = ok(client.get(path, params={"limit": 1000}, headers=admin))

    assert page["items"]
    assert page["next_cursor"] is None


def test_a_page_ends_with_no_cursor_when_nothing_follows(
        client: TestClient, admin: dict[str, str]) -> None:
    page = ok(client.get("/v1/items", params={"limit": 2}, headers=admin))

    assert [item["sku"] for item in page["items"]] == ["MUG-1"]
    assert page["next_cursor"] is None


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


GARBAGE_CURSORS = {
    "not base64": "garbage!!",
    "not json": base64.urlsafe_b64encode(b"\x00\x01 nope").decode(),
    "a json list": _b64([1, 2]),
    "a json string": _b64("MUG-1"),
    "an object without a position": _b64({}),
    "a position of the wrong type": _b64({"id": "x", "sku": 7, "path": 7, "username": 7,
                                          "at": "2026-01-01T00:00:00Z"}),
}


@pytest.mark.parametrize("cursor", list(GARBAGE_CURSORS.values()), ids=list(GARBAGE_CURSORS))
@pytest.mark.parametrize("path", ["/v1/items", "/v1/movements", "/v1/audit", "/v1/users",
                                  "/v1/tokens", "/v1/locations", "/v1/stock"])
def test_a_garbage_cursor_answers_422_naming_cursor(
        client: TestClient, admin: dict[str, str], path: str, cursor: str) -> None:
    response = client.get(path, params={"cursor": cursor}, headers=admin)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "cursor"


# --- sessions and tokens -------------------------------------------------------------------------


@pytest.fixture
def alice(app: FastAPI) -> str:
    """An operator who logs in as ``alice``."""
    access.add_user(app.state.api.inventory.unit_of_work(), username="alice", password=PASSWORD,
                    role="operator")
    return "alice"


def test_a_login_returns_a_session_token_that_works_as_a_bearer(
        client: TestClient, alice: str) -> None:
    answer = ok(client.post("/v1/auth/login", json={"username": alice, "password": PASSWORD}))

    assert (answer["username"], answer["role"]) == ("alice", "operator")
    assert datetime.fromisoformat(answer["expires_at"]) > utcnow()
    headers = bearer(answer["token"])
    assert ok(client.get("/v1/items", headers=headers))["items"][0]["sku"] == "MUG-1"
    ok(client.post("/v1/movements", headers=headers, json={
        "kind": "shipment", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"}), 201)


def test_a_session_acts_with_its_users_role(
        client: TestClient, alice: str) -> None:
    headers = bearer(login(client, alice))

    assert client.get("/v1/users", headers=headers).status_code == 403


def test_disabling_a_user_ends_their_session(
        client: TestClient, alice: str, admin: dict[str, str]) -> None:
    session = bearer(login(client, alice))
    assert client.get("/v1/items", headers=session).status_code == 200

    disabled = ok(client.post(f"/v1/users/{alice}/disable", headers=admin))

    assert disabled["disabled"] is True
    assert client.get("/v1/items", headers=session).status_code == 401
    assert client.post("/v1/auth/login",
                       json={"username": alice, "password": PASSWORD}).status_code == 401


def test_an_enabled_user_logs_in_again_but_the_old_session_stays_ended(
        client: TestClient, alice: str, admin: dict[str, str]) -> None:
    old = bearer(login(client, alice))
    ok(client.post(f"/v1/users/{alice}/disable", headers=admin))

    ok(client.post(f"/v1/users/{alice}/enable", headers=admin))

    assert client.get("/v1/items", headers=old).status_code == 401
    assert client.get("/v1/items", headers=bearer(login(client, alice))).status_code == 200


def test_a_user_created_through_the_api_logs_in(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/users", headers=admin, json={
        "username": "carol", "password": PASSWORD, "role": "viewer", "owner": "acme"}), 201)

    assert (created["username"], created["role"], created["owner"]) == ("carol", "viewer", "acme")
    assert "password" not in created and PASSWORD not in json.dumps(created)
    headers = bearer(login(client, "carol"))
    assert [s["sku"] for s in ok(client.get("/v1/stock", headers=headers))["items"]] == \
        ["ACME-1"]


def test_a_created_token_works_at_once_and_its_secret_is_shown_only_then(
        client: TestClient, admin: dict[str, str]) -> None:
    created = ok(client.post("/v1/tokens", json={"name": "shopify sync", "role": "operator"},
                             headers=admin), 201)

    assert ok(client.get("/v1/items", headers=bearer(created["token"])))["items"]
    listed = ok(client.get("/v1/tokens?limit=1000", headers=admin))
    assert created["token"] not in json.dumps(listed)
    mine = [t for t in listed["items"] if t["id"] == created["id"]]
    assert mine and mine[0]["name"] == "shopify sync" and mine[0]["revoked_at"] is None


def test_revoking_a_token_makes_it_answer_401(
        client: TestClient, tokens: dict[str, str], admin: dict[str, str]) -> None:
    operator = bearer(tokens["operator"])
    assert client.get("/v1/items", headers=operator).status_code == 200

    revoked = ok(client.post(f"/v1/tokens/{token_id(tokens['operator'])}/revoke",
                             headers=admin))

    assert revoked["revoked_at"] is not None
    assert client.get("/v1/items", headers=operator).status_code == 401
    assert client.get("/v1/items", headers=admin).status_code == 200


def test_an_expired_token_answers_401(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    soon = utcnow() + timedelta(hours=1)
    created = ok(client.post("/v1/tokens", json={"name": "temp", "role": "viewer",
                                                 "expires_at": iso(soon)}, headers=admin), 201)
    headers = bearer(created["token"])
    assert datetime.fromisoformat(created["expires_at"]) == soon
    assert client.get("/v1/items", headers=headers).status_code == 200

    with app.state.api.inventory.engine.begin() as conn:  # an hour passes, as far as it knows
        conn.execute(update(token_table).where(token_table.c.id == created["id"])
                     .values(expires_at=utcnow() - timedelta(seconds=1)))

    response = client.get("/v1/items", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


# --- the audit trail ------------------------------------------------------------------------------


def audit_entries(client: TestClient, headers: dict[str, str], **params: str) -> list[Any]:
    entries: list[Any] = ok(client.get("/v1/audit", params={"limit": 500, **params},
                                       headers=headers))["items"]
    return entries


def last_id(client: TestClient, headers: dict[str, str]) -> int:
    """Return the id of the newest audit entry (0 for none): what a test's writes follow."""
    entries = audit_entries(client, headers)
    return int(entries[-1]["id"]) if entries else 0


def after(entries: list[Any], baseline: int) -> list[Any]:
    return [entry for entry in entries if entry["id"] > baseline]


def test_a_movement_is_audited_with_actor_owner_address_request_id_and_movement_id(
        client: TestClient, tokens: dict[str, str], admin: dict[str, str]) -> None:
    baseline = last_id(client, admin)
    response = client.post("/v1/movements", headers=bearer(tokens["operator"], **{
        "X-Request-ID": "scan-7f3a-01", "Idempotency-Key": "scan-01"}), json={
        "kind": "shipment", "sku": "MUG-1", "qty": 2, "location": "WH1/A-01"})
    moved = ok(response, 201)

    assert response.headers["x-request-id"] == "scan-7f3a-01"
    [entry] = after(audit_entries(client, admin), baseline)
    assert entry["actor"] == f"token:{token_id(tokens['operator'])}"
    assert entry["owner"] == "default"
    assert entry["address"] == "testclient"
    assert entry["request_id"] == "scan-7f3a-01"
    assert entry["action"] == "movements.post"
    assert entry["target"] == "MUG-1"
    assert entry["movement_ids"] == [moved["id"]]
    assert abs(datetime.fromisoformat(entry["at"]) - utcnow()) < timedelta(minutes=5)


def test_a_request_without_a_request_id_gets_one_echoed_and_audited(
        client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/v1/owners", json={"code": "globex"}, headers=admin)

    given = response.headers["x-request-id"]
    assert given
    assert audit_entries(client, admin)[-1]["request_id"] == given


def test_a_write_by_a_session_is_audited_as_its_user(
        client: TestClient, alice: str, admin: dict[str, str]) -> None:
    ok(client.post("/v1/movements", headers=bearer(login(client, alice)), json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"}), 201)

    assert audit_entries(client, admin)[-1]["actor"] == "user:alice"


def test_every_write_is_audited_once_with_its_action_and_target(
        client: TestClient, app: FastAPI, admin: dict[str, str], tokens: dict[str, str]) -> None:
    first = app.state.api.inventory.history(sku="MUG-1", limit=1)[0].id
    baseline = last_id(client, admin)
    writes = [
        ("/v1/owners", {"code": "globex"}, "owners.add", "globex"),
        ("/v1/items", {"sku": "CUP-1", "name": "Cup"}, "items.add", "CUP-1"),
        ("/v1/locations", {"path": "WH2"}, "locations.add", "WH2"),
        ("/v1/movements", {"kind": "receipt", "sku": "CUP-1", "qty": 3, "location": "WH2"},
         "movements.post", "CUP-1"),
        ("/v1/movements/batch", {"lines": [
            {"kind": "shipment", "sku": "CUP-1", "qty": 1, "location": "WH2"},
            {"kind": "shipment", "sku": "CUP-1", "qty": 1, "location": "WH2"}]},
         "movements.batch", None),
        (f"/v1/movements/{first}/reverse", {"reason": "typo"}, "movements.reverse", str(first)),
        ("/v1/users", {"username": "dave", "password": PASSWORD, "role": "viewer"}, "users.add",
         "dave"),
        ("/v1/users/dave/disable", None, "users.disable", "dave"),
        ("/v1/users/dave/enable", None, "users.enable", "dave"),
        ("/v1/tokens", {"name": "sync", "role": "viewer"}, "tokens.create", None),  # its id
        (f"/v1/tokens/{token_id(tokens['viewer'])}/revoke", None, "tokens.revoke",
         str(token_id(tokens["viewer"]))),
    ]
    answers = []
    for path, body, _, _ in writes:
        response = client.post(path, json=body, headers=admin)
        assert response.status_code in (200, 201), (path, response.text)
        answers.append(response.json())

    entries = after(audit_entries(client, admin), baseline)

    assert [e["action"] for e in entries] == [action for _, _, action, _ in writes]
    for entry, (_, _, _, target) in zip(entries, writes, strict=True):
        assert entry["actor"] == f"token:{token_id(tokens['admin'])}"
        if target is not None:
            assert entry["target"] == target
    assert entries[3]["movement_ids"] == [answers[3]["id"]]
    assert entries[4]["movement_ids"] == [m["id"] for m in answers[4]["movements"]]
    assert entries[5]["movement_ids"] == [answers[5]["id"]]
    assert entries[9]["target"] == str(answers[9]["id"])  # as tokens.revoke names it
    assert entries[9]["detail"]["name"] == "sync" and entries[9]["detail"]["role"] == "viewer"
    assert entries[6]["detail"]["role"] == "viewer"  # what was granted
    assert all(PASSWORD not in json.dumps(entry) for entry in entries)
    assert all(answers[9]["token"] not in json.dumps(entry) for entry in entries)


def test_reads_failures_and_replays_are_not_audited(
        client: TestClient, admin: dict[str, str]) -> None:
    baseline = last_id(client, admin)
    keyed = {**admin, "Idempotency-Key": "once"}
    body = {"kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"}
    client.post("/v1/movements", json=body, headers=keyed)
    client.post("/v1/movements", json=body, headers=keyed)
    client.post("/v1/movements", json={**body, "sku": "MUG-404"}, headers=admin)
    client.get("/v1/stock/MUG-1", headers=admin)

    assert [e["action"] for e in after(audit_entries(client, admin), baseline)] == \
        ["movements.post"]


@pytest.fixture
def trail(client: TestClient, alice: str, tokens: dict[str, str]) -> list[dict[str, Any]]:
    """Four audited writes: the admin token adds an owner and an acme item, alice receives,
    the acme manager adds an item."""
    admin = bearer(tokens["admin"])
    baseline = last_id(client, admin)
    ok(client.post("/v1/owners", json={"code": "globex"}, headers=admin), 201)
    ok(client.post("/v1/items?owner=acme", json={"sku": "ACME-2", "name": "Rocket"},
                   headers=admin), 201)
    ok(client.post("/v1/movements", headers=bearer(login(client, alice)), json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"}), 201)
    ok(client.post("/v1/items", json={"sku": "ACME-3", "name": "Magnet"},
                   headers=bearer(tokens["acme_manager"])), 201)
    return after(audit_entries(client, admin), baseline)


def within(entries: list[Any], trail: list[dict[str, Any]]) -> list[Any]:
    """Return the entries that belong to ``trail`` (the writes of the test)."""
    return after(entries, trail[0]["id"] - 1)


def test_the_audit_trail_is_filtered_by_actor(
        client: TestClient, admin: dict[str, str], tokens: dict[str, str],
        trail: list[dict[str, Any]]) -> None:
    by_token = within(audit_entries(client, admin, actor=f"token:{token_id(tokens['admin'])}"),
                      trail)
    by_alice = within(audit_entries(client, admin, actor="user:alice"), trail)

    assert [e["action"] for e in by_token] == ["owners.add", "items.add"]
    assert [e["action"] for e in by_alice] == ["auth.login", "movements.post"]


def test_the_audit_trail_is_filtered_by_action(
        client: TestClient, admin: dict[str, str], trail: list[dict[str, Any]]) -> None:
    added = within(audit_entries(client, admin, action="items.add"), trail)

    assert [e["target"] for e in added] == ["ACME-2", "ACME-3"]


def test_the_audit_trail_is_filtered_by_owner(
        client: TestClient, admin: dict[str, str], trail: list[dict[str, Any]]) -> None:
    acme = within(audit_entries(client, admin, owner="acme"), trail)
    default = within(audit_entries(client, admin, owner="default"), trail)

    assert [e["target"] for e in acme] == ["ACME-2", "ACME-3"]
    assert [e["action"] for e in default] == ["movements.post"]


def test_the_audit_trail_is_filtered_by_time(
        client: TestClient, admin: dict[str, str], trail: list[dict[str, Any]]) -> None:
    second, third = trail[1]["at"], trail[2]["at"]

    since = within(audit_entries(client, admin, since=second), trail)
    until = within(audit_entries(client, admin, until=third), trail)
    window = within(audit_entries(client, admin, since=second, until=third), trail)

    assert [e["id"] for e in since] == [e["id"] for e in trail[1:]]
    assert [e["id"] for e in until] == [e["id"] for e in trail[:2]]
    assert [e["id"] for e in window] == [trail[1]["id"]]


def test_a_scoped_manager_reads_only_its_owners_audit_entries(
        client: TestClient, tokens: dict[str, str], trail: list[dict[str, Any]]) -> None:
    mine = within(audit_entries(client, bearer(tokens["acme_manager"])), trail)

    assert {e["owner"] for e in mine} == {"acme"}
    assert [e["target"] for e in mine] == ["ACME-2", "ACME-3"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'token:999'",
    "UPDATE audit_log SET action = 'nothing' WHERE id = (SELECT MIN(id) FROM audit_log)",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)",
])
def test_the_database_refuses_to_change_or_delete_audit_entries(
        client: TestClient, app: FastAPI, admin: dict[str, str], statement: str) -> None:
    ok(client.post("/v1/owners", json={"code": "globex"}, headers=admin), 201)
    before = audit_entries(client, admin)
    assert before

    with pytest.raises(DBAPIError, match="append-only"):
        with app.state.api.inventory.engine.begin() as conn:
            conn.execute(text(statement))

    assert audit_entries(client, admin) == before


# --- CORS ----------------------------------------------------------------------------------------

PREFLIGHT = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}


def test_cors_is_off_by_default(client: TestClient, admin: dict[str, str]) -> None:
    preflight = client.options("/v1/movements", headers=PREFLIGHT)
    simple = client.get("/v1/items", headers={**admin, "Origin": "https://shop.example"})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


@pytest.fixture
def cors_client(database_url: str, client: TestClient) -> Iterator[TestClient]:
    """A client of the app with CORS on for https://shop.example."""
    with TestClient(make_app(database_url, cors_origins="https://shop.example"),
                    raise_server_exceptions=False) as cors:
        yield cors


def test_cors_allows_a_configured_origin(
        cors_client: TestClient, admin: dict[str, str]) -> None:
    preflight = cors_client.options("/v1/movements", headers=PREFLIGHT)
    simple = cors_client.get("/v1/items", headers={**admin, "Origin": "https://shop.example"})

    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        header.strip() for header in allowed.split(",")}
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert simple.headers["access-control-allow-origin"] == "https://shop.example"


def test_cors_refuses_an_origin_that_was_not_configured(
        cors_client: TestClient, admin: dict[str, str]) -> None:
    preflight = cors_client.options("/v1/movements",
                                    headers={**PREFLIGHT, "Origin": "https://evil.example"})
    simple = cors_client.get("/v1/items", headers={**admin, "Origin": "https://evil.example"})

    assert preflight.headers.get("access-control-allow-origin") != "https://evil.example"
    assert "access-control-allow-origin" not in simple.headers


def test_an_unscoped_caller_reads_and_reverses_another_owners_movement_by_id_alone(
        app: FastAPI, client: TestClient, admin: dict[str, str]) -> None:
    anvil = app.state.api.inventory.history(sku="ACME-1", owner="acme", limit=1)[0]

    seen = ok(client.get(f"/v1/movements/{anvil.id}", headers=admin))
    undone = ok(client.post(f"/v1/movements/{anvil.id}/reverse", json={"reason": "typo"},
                            headers=admin), 201)

    assert seen["owner"] == "acme" and undone["owner"] == "acme"
    assert undone["reverses"] == anvil.id
    assert app.state.api.inventory.stock(sku="ACME-1", owner="acme").on_hand == 0


def test_a_scoped_caller_cannot_reverse_another_owners_movement(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    mug = app.state.api.inventory.history(sku="MUG-1", limit=1)[0]

    answer = client.post(f"/v1/movements/{mug.id}/reverse", json={"reason": "typo"},
                         headers=bearer(tokens["acme_manager"]))

    assert answer.status_code == 404
