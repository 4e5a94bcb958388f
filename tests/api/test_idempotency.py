"""Idempotency-Key on every state-changing POST: a retry is answered with the first response.

A retry writes nothing; the same key with another request is refused (422); a request that
failed stores nothing, so its retry is evaluated afresh; keys belong to their caller; and
however many copies of one request arrive at once, in one worker or in several, exactly
one is applied — every other copy gets the first response or 409 ``request-in-flight``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.engine import make_url

from onhand.services import access
from onhand.services import movements as movement_service
from tests.api.conftest import bearer, make_app, written

THREADS = 12
SHIP_TWO = {"kind": "shipment", "sku": "MUG-1", "qty": 2, "location": "WH1/A-01"}


def keyed(token: str, key: str, **headers: str) -> dict[str, str]:
    """Return the headers of an authenticated call carrying ``Idempotency-Key: key``."""
    return bearer(token, **{"Idempotency-Key": key}, **headers)


def mugs_shipped(app: FastAPI) -> list[int]:
    """Return the ids of the shipments of MUG-1 in the ledger."""
    return [m.id for m in app.state.api.inventory.history(sku="MUG-1", limit=1000)
            if m.kind == "shipment"]


def on_hand(app: FastAPI, sku: str = "MUG-1") -> int:
    return int(app.state.api.inventory.stock(sku=sku).on_hand)


def token_id(token: str) -> int:
    """Return the id in a token's text (``onh_<id>_<secret>``)."""
    return int(token.split("_")[1])


@pytest.fixture
def second_worker(database_url: str, client: TestClient) -> Iterator[FastAPI]:
    """Another app on the same database: a second ``--workers`` process, with its own memory.

    (It asks for ``client`` so that the first app is shut down, and its connections closed,
    after the test.)"""
    other = make_app(database_url)
    yield other
    other.state.api.close()


def at_once(count: int, send: Callable[[int], Response]) -> list[Response]:
    """Return the responses of ``send(0)``…``send(count - 1)``, started together in threads."""
    start = threading.Barrier(count)

    def one(number: int) -> Response:
        start.wait()
        return send(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def assert_first_or_in_flight(responses: list[Response], key: str) -> None:
    """Each response is the one applied request's (201, same body) or 409 request-in-flight."""
    applied = [r for r in responses if r.status_code == 201]
    assert applied, [(r.status_code, r.text) for r in responses]
    first = applied[0].content
    for response in responses:
        if response.status_code == 201:
            assert response.content == first
        else:
            assert response.status_code == 409, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"].endswith("request-in-flight")
            assert response.json()["key"] == key


class Paused:
    """Holds every posting of movements inside its transaction until released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        real = movement_service.post

        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.released.wait(timeout=10)  # a bound, so a wrong implementation fails, not hangs
            return real(*args, **kwargs)

        monkeypatch.setattr(movement_service, "post", held)


# --- a retry is answered with the first response ---------------------------------------------


def test_a_retry_with_the_same_key_gets_the_first_status_and_body_and_writes_nothing(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    first = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "scan-1"))
    assert first.status_code == 201, first.text
    before = written(app)

    retry = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "scan-1"))

    assert retry.status_code == 201
    assert retry.content == first.content
    assert written(app) == before
    assert mugs_shipped(app) == [first.json()["id"]]
    assert on_hand(app) == 8


def test_a_retry_is_answered_with_the_first_response_even_after_the_stock_changed(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "ship-all")
    everything = {**SHIP_TWO, "qty": 10}
    first = client.post("/v1/movements", json=everything, headers=headers)
    assert first.status_code == 201, first.text

    retry = client.post("/v1/movements", json=everything, headers=headers)

    assert (retry.status_code, retry.content) == (201, first.content)
    assert on_hand(app) == 0


def test_a_retry_whose_json_is_formatted_differently_is_the_same_request(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "scan-2", **{"Content-Type": "application/json"})
    first = client.post("/v1/movements", headers=headers,
                        content=b'{"kind":"shipment","sku":"MUG-1","qty":2,"location":"WH1/A-01"}')
    assert first.status_code == 201, first.text

    retry = client.post("/v1/movements", headers=headers,
                        content=b'{ "location": "WH1/A-01", "qty": 2,\n  "sku": "MUG-1", '
                                b'"kind": "shipment" }')

    assert (retry.status_code, retry.content) == (201, first.content)
    assert len(mugs_shipped(app)) == 1


def test_without_a_key_two_identical_requests_are_both_applied(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    for _ in range(2):
        response = client.post("/v1/movements", json=SHIP_TWO, headers=bearer(tokens["admin"]))
        assert response.status_code == 201, response.text

    assert len(mugs_shipped(app)) == 2
    assert on_hand(app) == 6


# --- a key stands for one request --------------------------------------------------------------


def test_the_same_key_with_a_different_body_is_refused_with_422_naming_the_key(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "scan-3")
    assert client.post("/v1/movements", json=SHIP_TWO, headers=headers).status_code == 201
    before = written(app)

    reused = client.post("/v1/movements", json={**SHIP_TWO, "qty": 3}, headers=headers)

    assert reused.status_code == 422
    assert reused.headers["content-type"].startswith("application/problem+json")
    problem = reused.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("idempotency-conflict")
    assert problem["key"] == "scan-3"
    assert "scan-3" in problem["detail"]
    assert written(app) == before


def test_the_same_key_on_another_endpoint_is_refused_with_422(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "setup-1")
    assert client.post("/v1/owners", json={"code": "globex"}, headers=headers).status_code == 201
    before = written(app)

    reused = client.post("/v1/items", json={"sku": "GLOBEX-1", "name": "Globex gadget"},
                         headers=headers)

    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency-conflict")
    assert reused.json()["key"] == "setup-1"
    assert written(app) == before


def test_the_same_key_for_another_owner_is_refused_with_422(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "item-1")
    item = {"sku": "TSHIRT-RED-M", "name": "Red T-shirt, M"}
    assert client.post("/v1/items", json=item, headers=headers).status_code == 201

    reused = client.post("/v1/items?owner=acme", json=item, headers=headers)

    assert reused.status_code == 422
    assert reused.json()["type"].endswith("idempotency-conflict")
    assert reused.json()["key"] == "item-1"
    assert [i.sku for i in app.state.api.inventory.items(owner="acme")] == ["ACME-1"]


@pytest.mark.parametrize("key", [" ", "\t", "x" * 201])
def test_a_blank_or_overlong_key_is_refused_with_422_naming_the_header(
        client: TestClient, app: FastAPI, tokens: dict[str, str], key: str) -> None:
    before = written(app)

    response = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], key))

    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"
    assert written(app) == before


# --- a failure is not remembered ---------------------------------------------------------------


def test_a_request_that_failed_stores_nothing_so_its_retry_after_stock_arrives_succeeds(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "order-1001")
    twelve = {**SHIP_TWO, "qty": 12}
    refused = client.post("/v1/movements", json=twelve, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("insufficient-stock")
    assert mugs_shipped(app) == []

    app.state.api.inventory.receive(sku="MUG-1", qty=5, location="WH1/A-01")
    retry = client.post("/v1/movements", json=twelve, headers=headers)

    assert retry.status_code == 201, retry.text
    assert retry.json()["qty"] == "12"
    assert on_hand(app) == 3


def test_a_request_refused_as_invalid_stores_nothing_so_the_key_can_carry_a_fixed_request(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "scan-4")
    refused = client.post("/v1/movements", json={**SHIP_TWO, "sku": "MUG-9"}, headers=headers)
    assert refused.status_code == 404

    fixed = client.post("/v1/movements", json=SHIP_TWO, headers=headers)

    assert fixed.status_code == 201, fixed.text
    assert len(mugs_shipped(app)) == 1


# --- keys belong to their caller ----------------------------------------------------------------


def test_two_callers_may_use_the_same_key_independently(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    mine = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "k-1"))
    theirs = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["operator"], "k-1"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert on_hand(app) == 6


def test_another_caller_using_my_key_for_another_request_is_not_a_conflict(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    mine = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "k-2"))
    theirs = client.post("/v1/movements", json={**SHIP_TWO, "qty": 1},
                         headers=keyed(tokens["manager"], "k-2"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert on_hand(app) == 7


def test_a_key_is_replayed_only_to_the_caller_that_used_it(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    mine = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "k-3"))
    client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["manager"], "k-3"))

    my_retry = client.post("/v1/movements", json=SHIP_TWO, headers=keyed(tokens["admin"], "k-3"))

    assert my_retry.content == mine.content
    assert on_hand(app) == 6


# --- every state-changing POST honours the key ---------------------------------------------------


def _first_receipt(app: FastAPI) -> int:
    return int(app.state.api.inventory.history(sku="MUG-1", limit=1)[0].id)


def _make_user(app: FastAPI, tokens: dict[str, str]) -> str:
    access.add_user(app.state.api.inventory.unit_of_work(), username="bob",
                    password="correct horse battery", role="operator")
    return "/v1/users/bob/disable"


WRITES: dict[str, Callable[[FastAPI, dict[str, str]], tuple[str, dict[str, Any] | None]]] = {
    "owners": lambda app, tokens: ("/v1/owners", {"code": "globex", "name": "Globex"}),
    "items": lambda app, tokens: ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt",
                                                "barcodes": ["4006381333931"]}),
    "items of an owner": lambda app, tokens: ("/v1/items?owner=acme",
                                              {"sku": "ACME-2", "name": "Acme rocket"}),
    "locations": lambda app, tokens: ("/v1/locations", {"path": "WH1/A-02"}),
    "users": lambda app, tokens: ("/v1/users", {"username": "alice", "role": "operator",
                                                "password": "correct horse battery"}),
    "user disable": lambda app, tokens: (_make_user(app, tokens), None),
    "token revoke": lambda app, tokens: (
        f"/v1/tokens/{token_id(tokens['viewer'])}/revoke", None),
    "movements": lambda app, tokens: ("/v1/movements", SHIP_TWO),
    "batch": lambda app, tokens: ("/v1/movements/batch", {"lines": [
        {"kind": "receipt", "sku": "MUG-1", "qty": 4, "location": "WH1/A-01"},
        {"kind": "transfer", "sku": "MUG-1", "qty": 3, "source": "WH1/A-01", "target": "WH1"},
    ]}),
    "reverse": lambda app, tokens: (f"/v1/movements/{_first_receipt(app)}/reverse",
                                    {"reason": "received twice"}),
}


@pytest.mark.parametrize("what", list(WRITES))
def test_every_state_changing_post_replays_its_first_response_for_the_same_key(
        client: TestClient, app: FastAPI, tokens: dict[str, str], what: str) -> None:
    path, body = WRITES[what](app, tokens)
    headers = keyed(tokens["admin"], f"retry-{what}")
    first = client.post(path, json=body, headers=headers)
    assert first.status_code in (200, 201), first.text
    before = written(app)

    retry = client.post(path, json=body, headers=headers)

    assert retry.status_code == first.status_code
    assert retry.content == first.content
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert written(app) == before


def test_a_replayed_token_creation_does_not_repeat_the_secret_nor_make_another_token(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "new-scanner")
    body = {"name": "scanner 7", "role": "operator"}
    first = client.post("/v1/tokens", json=body, headers=headers)
    assert first.status_code == 201, first.text
    secret = first.json()["token"]
    assert client.get("/v1/items", headers=bearer(secret)).status_code == 200
    before = written(app)

    retry = client.post("/v1/tokens", json=body, headers=headers)

    assert retry.status_code == 201
    replayed = retry.json()
    assert secret not in retry.text
    assert secret.split("_", 2)[2] not in retry.text  # the secret may itself hold "_"
    assert client.get("/v1/items", headers=bearer(replayed["token"])).status_code == 401
    assert {k: v for k, v in replayed.items() if k != "token"} == \
           {k: v for k, v in first.json().items() if k != "token"}
    assert written(app) == before


def test_a_replayed_user_creation_keeps_the_first_password(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "hire-alice")
    first = client.post("/v1/users", headers=headers, json={
        "username": "alice", "role": "operator", "password": "correct horse battery"})
    assert first.status_code == 201, first.text

    client.post("/v1/users", headers=headers, json={
        "username": "alice", "role": "operator", "password": "another password"})

    login = client.post("/v1/auth/login",
                        json={"username": "alice", "password": "correct horse battery"})
    assert login.status_code == 200, login.text


# --- concurrency: one key, many copies at once -------------------------------------------------


def test_concurrent_copies_of_one_keyed_request_write_exactly_one_movement(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "burst-1")

    def send(_: int) -> Response:
        caller = TestClient(app, raise_server_exceptions=False)
        return caller.post("/v1/movements", json=SHIP_TWO, headers=headers)

    responses = at_once(THREADS, send)

    assert_first_or_in_flight(responses, "burst-1")
    assert len(mugs_shipped(app)) == 1
    assert on_hand(app) == 8
    shipped = client.post("/v1/movements", json=SHIP_TWO, headers=headers)
    assert shipped.json()["id"] == mugs_shipped(app)[0]


def test_concurrent_copies_of_one_keyed_batch_write_it_exactly_once(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "burst-batch")
    batch = {"lines": [SHIP_TWO, {**SHIP_TWO, "qty": 1}]}

    def send(_: int) -> Response:
        caller = TestClient(app, raise_server_exceptions=False)
        return caller.post("/v1/movements/batch", json=batch, headers=headers)

    responses = at_once(THREADS, send)

    assert_first_or_in_flight(responses, "burst-batch")
    assert len(mugs_shipped(app)) == 2
    assert on_hand(app) == 7


def test_concurrent_copies_sent_to_two_workers_write_exactly_one_movement(
        app: FastAPI, second_worker: FastAPI, tokens: dict[str, str]) -> None:
    headers = keyed(tokens["admin"], "burst-2")
    workers = (app, second_worker)

    def send(number: int) -> Response:
        caller = TestClient(workers[number % 2], raise_server_exceptions=False)
        return caller.post("/v1/movements", json=SHIP_TWO, headers=headers)

    responses = at_once(THREADS, send)

    assert_first_or_in_flight(responses, "burst-2")
    assert len(mugs_shipped(app)) == 1
    assert on_hand(app) == 8


def test_a_copy_arriving_while_the_first_is_still_running_gets_409_request_in_flight(
        app: FastAPI, client: TestClient, tokens: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    headers = keyed(tokens["admin"], "slow-1")
    paused = Paused(monkeypatch)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(TestClient(app, raise_server_exceptions=False).post,
                            "/v1/movements", json=SHIP_TWO, headers=headers)
        assert paused.entered.wait(timeout=10)

        copy = client.post("/v1/movements", json=SHIP_TWO, headers=headers)
        paused.released.set()
        applied = first.result()

    assert copy.status_code == 409, copy.text
    assert copy.headers["content-type"].startswith("application/problem+json")
    assert copy.json()["type"].endswith("request-in-flight")
    assert copy.json()["key"] == "slow-1"
    assert applied.status_code == 201
    assert len(mugs_shipped(app)) == 1
    retry = client.post("/v1/movements", json=SHIP_TWO, headers=headers)
    assert (retry.status_code, retry.content) == (201, applied.content)


def test_a_copy_arriving_at_another_worker_while_the_first_runs_is_never_applied_twice(
        app: FastAPI, second_worker: FastAPI, tokens: dict[str, str], database_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the key's advisory lock answers 409 at once; SQLite's write lock makes
    the copy wait for the first and answers it with the first response."""
    on_postgresql = make_url(database_url).get_backend_name() == "postgresql"
    headers = keyed(tokens["admin"], "slow-2")
    paused = Paused(monkeypatch)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(TestClient(app, raise_server_exceptions=False).post,
                            "/v1/movements", json=SHIP_TWO, headers=headers)
        assert paused.entered.wait(timeout=10)
        copy = pool.submit(TestClient(second_worker, raise_server_exceptions=False).post,
                           "/v1/movements", json=SHIP_TWO, headers=headers)
        if on_postgresql:
            copy.result()  # it must not wait for the first: the lock is tried, not awaited
        else:
            threading.Event().wait(0.5)  # let the copy queue on SQLite's write lock
        paused.released.set()
        responses = [first.result(), copy.result()]

    assert_first_or_in_flight(responses, "slow-2")
    if on_postgresql:
        assert responses[1].status_code == 409
    assert len(mugs_shipped(app)) == 1


def test_concurrent_requests_with_distinct_keys_are_all_applied(
        app: FastAPI, client: TestClient, tokens: dict[str, str]) -> None:
    one = {**SHIP_TWO, "kind": "receipt", "qty": 1}

    def send(number: int) -> Response:
        caller = TestClient(app, raise_server_exceptions=False)
        return caller.post("/v1/movements", json=one,
                           headers=keyed(tokens["operator"], f"receipt-{number}"))

    responses = at_once(THREADS, send)

    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == THREADS
    assert on_hand(app) == 10 + THREADS


def test_concurrent_requests_with_distinct_keys_at_two_workers_are_all_applied(
        app: FastAPI, second_worker: FastAPI, tokens: dict[str, str]) -> None:
    one = {**SHIP_TWO, "qty": 1}
    workers = (app, second_worker)

    def send(number: int) -> Response:
        caller = TestClient(workers[number % 2], raise_server_exceptions=False)
        return caller.post("/v1/movements", json=one,
                           headers=keyed(tokens["operator"], f"pick-{number}"))

    responses = at_once(8, send)

    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert on_hand(app) == 2
