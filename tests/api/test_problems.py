"""Every failure leaves as application/problem+json (RFC 9457), names its fields, writes nothing.

One branch of the error tree at a time: not found (404), invalid input (422), conflicts
(409), too large (413), access (401/403), too many (429) and storage (503); then the
framework's own (unknown route, wrong method, malformed JSON), and the unexpected (500),
which never shows a stack trace either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import text

from onhand.config import Settings
from onhand.services import access
from onhand.services import movements as movement_service
from tests.api.conftest import bearer, make_app, written

PROBLEM = "application/problem+json"
SHIP = {"kind": "shipment", "sku": "MUG-1", "qty": 2, "location": "WH1/A-01"}
RECEIVE = {"kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01"}
PASSWORD = "correct horse battery"


def assert_problem(response: Response, status: int, **fields: Any) -> dict[str, Any]:
    """Assert ``response`` is a problem+json of ``status`` carrying ``fields``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body: dict[str, Any] = response.json()
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    for name, value in fields.items():
        assert name in body, f"{name} missing from {body}"
        assert str(body[name]) == str(value), (name, body)
    assert_no_stack_trace(response)
    return body


def assert_no_stack_trace(response: Response) -> None:
    for sign in ("Traceback", 'File "', "site-packages", ".py\", line", "Exception:"):
        assert sign not in response.text, response.text


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


@pytest.fixture
def small(database_url: str, client: TestClient) -> Iterator[TestClient]:
    """A client of an app with small limits: 5 batch lines, 2,000-byte bodies."""
    limited = make_app(database_url, api_batch_lines=5, max_body_bytes=2000)
    with TestClient(limited, raise_server_exceptions=False) as small_client:
        yield small_client


# --- not found (404) -----------------------------------------------------------------------------


def test_posting_an_unknown_sku_answers_404_naming_the_sku(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements", json={**SHIP, "sku": "MUG-404"}, headers=admin)

    assert_problem(response, 404, sku="MUG-404", field="sku")
    assert response.json()["type"].endswith("unknown-item")
    assert written(app) == before


@pytest.mark.parametrize("path", ["/v1/items/MUG-404", "/v1/stock/MUG-404",
                                  "/v1/movements?sku=MUG-404"])
def test_reading_an_unknown_sku_answers_404_naming_the_sku(
        client: TestClient, admin: dict[str, str], path: str) -> None:
    assert_problem(client.get(path, headers=admin), 404, sku="MUG-404")


def test_another_owners_item_answers_404_to_a_scoped_caller(
        client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/v1/items/MUG-1", headers=bearer(tokens["acme_viewer"]))

    assert_problem(response, 404, sku="MUG-1")


def test_an_unknown_location_answers_404_naming_it(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements", json={**RECEIVE, "location": "WH9/Z-99"},
                           headers=admin)

    assert_problem(response, 404, location="WH9/Z-99")
    assert written(app) == before


def test_reversing_an_unknown_movement_answers_404(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements/999999/reverse", json={"reason": "typo"}, headers=admin)

    assert_problem(response, 404, movement_id=999999)
    assert written(app) == before


def test_an_unknown_owner_answers_404_naming_it(
        client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/v1/stock/MUG-1?owner=initech", headers=admin)

    assert_problem(response, 404, owner="initech")


# --- invalid quantities (422 naming qty) ---------------------------------------------------------

BAD_QUANTITIES = {
    "negative": -2,
    "negative text": "-2",
    "zero": 0,
    "zero text": "0",
    "a fraction of a whole-unit item": "0.5",
    "a JSON float": 1.5,
    "a word": "two",
    "an empty string": "",
    "an exponent": "1e3",
    "a JSON boolean": True,
    "null": None,
    "a list": [2],
    "an object": {"value": 2},
}


@pytest.mark.parametrize("qty", list(BAD_QUANTITIES.values()), ids=list(BAD_QUANTITIES))
def test_a_bad_quantity_answers_422_naming_qty_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], qty: Any) -> None:
    before = written(app)

    response = client.post("/v1/movements", json={**SHIP, "qty": qty}, headers=admin)

    assert_problem(response, 422, field="qty")
    assert written(app) == before


def test_a_json_number_that_a_float_would_round_to_a_whole_one_answers_422_naming_qty(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    """2.0000000000000001 is not 2; read as a binary float it would become 2 and be posted."""
    before = written(app)

    response = client.post("/v1/movements", headers={**admin, "Content-Type": "application/json"},
                           content=b'{"kind": "shipment", "sku": "MUG-1", "location": "WH1/A-01",'
                                   b' "qty": 2.0000000000000001}')

    assert_problem(response, 422, field="qty")
    assert written(app) == before


def test_a_quantity_with_more_decimals_than_the_item_has_answers_422_naming_qty(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    app.state.api.inventory.add_item(sku="ROPE-M", name="Rope by the metre", unit="m",
                                     decimals=2)
    before = written(app)

    response = client.post("/v1/movements", headers=admin,
                           json={**RECEIVE, "sku": "ROPE-M", "qty": "1.005"})

    assert_problem(response, 422, field="qty")
    assert written(app) == before


def test_a_missing_quantity_answers_422_naming_qty(
        client: TestClient, admin: dict[str, str]) -> None:
    body = {name: value for name, value in SHIP.items() if name != "qty"}

    assert_problem(client.post("/v1/movements", json=body, headers=admin), 422, field="qty")


# --- conflicts (409) ------------------------------------------------------------------------------


def test_shipping_more_than_on_hand_answers_409_with_sku_location_requested_available(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements", json={**SHIP, "qty": 11}, headers=admin)

    body = assert_problem(response, 409, sku="MUG-1", location="WH1/A-01", requested=11,
                          available=10)
    assert body["type"].endswith("insufficient-stock")
    assert written(app) == before


def test_a_duplicate_sku_answers_409(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/items", json={"sku": "MUG-1", "name": "Another mug"},
                           headers=admin)

    assert_problem(response, 409, sku="MUG-1")
    assert written(app) == before


def test_reversing_a_movement_twice_answers_409(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    first = app.state.api.inventory.history(sku="MUG-1", limit=1)[0].id
    assert client.post(f"/v1/movements/{first}/reverse", json={"reason": "typo"},
                       headers=admin).status_code == 201
    before = written(app)

    again = client.post(f"/v1/movements/{first}/reverse", json={"reason": "typo"}, headers=admin)

    assert_problem(again, 409, movement_id=first)
    assert written(app) == before


# --- batches: an error names its 1-based line -----------------------------------------------------


def test_a_batch_line_with_a_bad_quantity_answers_422_naming_the_line_and_field(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements/batch", headers=admin,
                           json={"lines": [RECEIVE, RECEIVE, {**SHIP, "qty": -1}]})

    assert_problem(response, 422, line=3, field="qty")
    assert written(app) == before


@pytest.mark.parametrize("qty", ["two", 1.5], ids=["a word", "a JSON float"])
def test_a_batch_line_that_fails_validation_answers_422_naming_the_line_and_qty(
        client: TestClient, app: FastAPI, admin: dict[str, str], qty: Any) -> None:
    before = written(app)

    response = client.post("/v1/movements/batch", headers=admin,
                           json={"lines": [RECEIVE, {**SHIP, "qty": qty}]})

    assert_problem(response, 422, line=2, field="qty")
    assert written(app) == before


def test_a_batch_line_short_of_stock_answers_409_naming_the_line(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements/batch", headers=admin,
                           json={"lines": [{**SHIP, "qty": 4}, {**SHIP, "qty": 7}]})

    assert_problem(response, 409, line=2, sku="MUG-1", location="WH1/A-01", requested=7,
                   available=6)
    assert written(app) == before


def test_a_batch_line_with_an_unknown_sku_answers_404_naming_the_line(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements/batch", headers=admin,
                           json={"lines": [RECEIVE, {**RECEIVE, "sku": "MUG-404"}]})

    assert_problem(response, 404, line=2, sku="MUG-404")
    assert written(app) == before


def test_a_batch_line_with_a_server_owned_field_answers_422_naming_the_line_and_field(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements/batch", headers=admin,
                           json={"lines": [RECEIVE, {**RECEIVE, "recorded_at": "2026-01-01"}]})

    assert_problem(response, 422, line=2, field="recorded_at")
    assert written(app) == before


def test_an_empty_batch_answers_422_naming_lines(
        client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/v1/movements/batch", json={"lines": []}, headers=admin)

    assert_problem(response, 422, field="lines")


# --- unknown and server-owned fields are refused, not ignored -------------------------------------

REFUSED_FIELDS = [
    ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt"}, "id", 7),
    ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt"}, "owner", "acme"),
    ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt"}, "recorded_at",
     "2026-01-01T00:00:00Z"),
    ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt"}, "colour", "red"),
    ("/v1/movements", SHIP, "id", 99),
    ("/v1/movements", SHIP, "recorded_at", "2026-01-01T00:00:00Z"),
    ("/v1/movements", SHIP, "actor", "user:mallory"),
    ("/v1/movements", SHIP, "owner", "acme"),
    ("/v1/movements", SHIP, "reverses", 1),
    ("/v1/locations", {"path": "WH1/A-02"}, "kind", "virtual"),
    ("/v1/owners", {"code": "globex"}, "id", 3),
    ("/v1/users", {"username": "alice", "password": PASSWORD, "role": "operator"}, "disabled",
     True),
    ("/v1/tokens", {"name": "scanner", "role": "operator"}, "token", "onh_1_mine"),
    # a yes/no field takes JSON true or false only: never 0, 0.0, 1 or "yes"
    ("/v1/locations", {"path": "WH1/Q-01"}, "sellable", 0.0),
    ("/v1/locations", {"path": "WH1/Q-01"}, "sellable", "no"),
    ("/v1/items", {"sku": "TSHIRT-RED-M", "name": "Red T-shirt"}, "allow_negative", 1),
    ("/v1/movements", SHIP, "damage", "yes"),
]


@pytest.mark.parametrize(("path", "body", "field", "value"), REFUSED_FIELDS,
                         ids=[f"{path} {field}={value!r}" for path, _, field, value in REFUSED_FIELDS])
def test_an_unknown_server_owned_or_mistyped_field_answers_422_naming_it_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str], path: str,
        body: dict[str, Any], field: str, value: Any) -> None:
    before = written(app)

    response = client.post(path, json={**body, field: value}, headers=admin)

    assert_problem(response, 422, field=field)
    assert written(app) == before


# --- malformed bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b'{"kind": "shipment", ', b"not json", b"\xff\xfe",
                                     b'{"kind": "shipment"}}'],
                         ids=["truncated", "not json", "not utf-8", "trailing brace"])
def test_malformed_json_answers_422_naming_the_body(
        client: TestClient, app: FastAPI, admin: dict[str, str], content: bytes) -> None:
    before = written(app)

    response = client.post("/v1/movements", content=content,
                           headers={**admin, "Content-Type": "application/json"})

    assert_problem(response, 422, field="body")
    assert written(app) == before


@pytest.mark.parametrize("body", [[SHIP], "shipment", 3, None], ids=["list", "string",
                                                                     "number", "null"])
def test_a_body_that_is_not_an_object_answers_422(
        client: TestClient, app: FastAPI, admin: dict[str, str], body: Any) -> None:
    before = written(app)

    response = client.post("/v1/movements", content=json.dumps(body).encode(),
                           headers={**admin, "Content-Type": "application/json"})

    assert_problem(response, 422)
    assert written(app) == before


# --- too large (413) -------------------------------------------------------------------------------


def test_a_batch_over_the_configured_line_limit_answers_413_and_writes_nothing(
        small: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    response = small.post("/v1/movements/batch", json={"lines": [{**RECEIVE, "qty": "1"}] * 6},
                          headers=admin)

    assert_problem(response, 413, lines=6, limit=5)
    assert written(app) == before


def test_a_batch_at_the_configured_line_limit_is_posted(
        small: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    response = small.post("/v1/movements/batch", json={"lines": [{**RECEIVE, "qty": "1"}] * 5},
                          headers=admin)

    assert response.status_code == 201, response.text
    assert len(response.json()["movements"]) == 5


def test_a_batch_of_10001_lines_answers_413_with_the_default_limit(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    assert Settings().api_batch_lines == 10_000
    before = written(app)
    line = {"kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1"}

    response = client.post("/v1/movements/batch", json={"lines": [line] * 10_001},
                           headers=admin)

    assert_problem(response, 413, lines=10_001, limit=10_000)
    assert written(app) == before


def test_a_body_declared_larger_than_the_limit_answers_413_and_writes_nothing(
        small: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)
    body = json.dumps({"lines": [RECEIVE] * 60}).encode()
    assert len(body) > 2000

    response = small.post("/v1/movements/batch", content=body,
                          headers={**admin, "Content-Type": "application/json"})

    assert_problem(response, 413)
    assert written(app) == before


def test_a_streamed_body_larger_than_the_limit_answers_413_and_writes_nothing(
        small: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    before = written(app)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"lines": ['
        for _ in range(60):
            yield json.dumps(RECEIVE).encode() + b", "
        yield json.dumps(RECEIVE).encode() + b"]}"

    response = small.post("/v1/movements/batch", content=chunks(),
                          headers={**admin, "Content-Type": "application/json"})

    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert written(app) == before


def test_a_streamed_body_within_the_limit_is_accepted(
        small: TestClient, admin: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"lines": ['
        yield json.dumps(RECEIVE).encode()
        yield b"]}"

    response = small.post("/v1/movements/batch", content=chunks(),
                          headers={**admin, "Content-Type": "application/json"})

    assert response.status_code == 201, response.text


# --- the framework's own errors --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/v2/items", "/"])
def test_an_unknown_route_answers_404_as_a_problem(
        client: TestClient, admin: dict[str, str], path: str) -> None:
    assert_problem(client.get(path, headers=admin), 404)


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/v1/items"), ("PUT", "/v1/movements"),
                                              ("PATCH", "/v1/stock"), ("GET", "/v1/auth/login")])
def test_a_wrong_method_answers_405_as_a_problem(
        client: TestClient, app: FastAPI, admin: dict[str, str], method: str, path: str) -> None:
    before = written(app)

    response = client.request(method, path, headers=admin)

    assert_problem(response, 405)
    assert "allow" in response.headers
    assert written(app) == before


@pytest.mark.parametrize("path", ["/v1/items?limit=0", "/v1/items?limit=1001",
                                  "/v1/movements?limit=ten", "/v1/movements?since=yesterday",
                                  "/v1/stock/MUG-1?as_of=2026-13-45"])
def test_a_bad_query_parameter_answers_422_naming_it(
        client: TestClient, admin: dict[str, str], path: str) -> None:
    name = path.split("?")[1].split("=")[0]

    assert_problem(client.get(path, headers=admin), 422, field=name)


# --- access (401, 403) -----------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer nonsense", "Basic YTpi",
                                           "Bearer onh_999_unknownsecret"])
def test_a_missing_or_invalid_token_answers_401_with_a_bearer_challenge(
        client: TestClient, app: FastAPI, authorization: str | None) -> None:
    before = written(app)
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.post("/v1/movements", json=SHIP, headers=headers)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert written(app) == before


def test_a_token_with_a_wrong_secret_answers_401(
        client: TestClient, tokens: dict[str, str]) -> None:
    forged = tokens["admin"][:-4] + "AAAA"

    assert_problem(client.get("/v1/items", headers=bearer(forged)), 401)


def test_a_role_without_the_permission_answers_403_and_writes_nothing(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements", json=SHIP, headers=bearer(tokens["viewer"]))

    assert_problem(response, 403)
    assert written(app) == before


def test_an_operator_setting_a_cost_answers_403_naming_unit_cost(
        client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    before = written(app)

    response = client.post("/v1/movements", json={**RECEIVE, "unit_cost": "2.50"},
                           headers=bearer(tokens["operator"]))

    assert_problem(response, 403, field="unit_cost")
    assert written(app) == before


# --- too many (429) --------------------------------------------------------------------------------


def test_the_request_after_the_rate_limit_answers_429_with_retry_after(
        database_url: str, client: TestClient, tokens: dict[str, str]) -> None:
    limited = make_app(database_url, rate_limit_per_minute=3)
    with TestClient(limited, raise_server_exceptions=False) as limited_client:
        allowed = [limited_client.get("/v1/items", headers=bearer(tokens["viewer"]))
                   for _ in range(3)]
        fourth = limited_client.get("/v1/items", headers=bearer(tokens["viewer"]))
        other_caller = limited_client.get("/v1/items", headers=bearer(tokens["manager"]))

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert_problem(fourth, 429)
    assert int(fourth.headers["retry-after"]) >= 1
    assert other_caller.status_code == 200


def test_a_rate_limited_write_writes_nothing(
        database_url: str, client: TestClient, app: FastAPI, tokens: dict[str, str]) -> None:
    limited = make_app(database_url, rate_limit_per_minute=1)
    with TestClient(limited, raise_server_exceptions=False) as limited_client:
        limited_client.get("/v1/items", headers=bearer(tokens["operator"]))
        before = written(app)
        refused = limited_client.post("/v1/movements", json=SHIP,
                                      headers=bearer(tokens["operator"]))

    assert_problem(refused, 429)
    assert written(app) == before


@pytest.fixture
def alice(app: FastAPI) -> str:
    """A user who logs in as ``alice``."""
    access.add_user(app.state.api.inventory.unit_of_work(), username="alice", password=PASSWORD,
                    role="operator")
    return "alice"


def test_repeated_wrong_passwords_for_one_user_answer_429_with_retry_after(
        client: TestClient, alice: str) -> None:
    attempts = Settings().login_attempts_per_minute
    guesses = [client.post("/v1/auth/login", json={"username": alice, "password": f"guess {n}"})
               for n in range(attempts)]

    throttled = client.post("/v1/auth/login", json={"username": alice, "password": "guess"})
    even_right = client.post("/v1/auth/login", json={"username": alice, "password": PASSWORD})

    assert {r.status_code for r in guesses} == {401}
    assert_problem(throttled, 429)
    assert int(throttled.headers["retry-after"]) >= 1
    assert_problem(even_right, 429)
    assert PASSWORD not in even_right.text


def test_the_number_of_login_attempts_is_configurable(
        database_url: str, client: TestClient, alice: str) -> None:
    strict = make_app(database_url, login_attempts_per_minute=2)
    with TestClient(strict, raise_server_exceptions=False) as strict_client:
        guesses = [strict_client.post("/v1/auth/login",
                                      json={"username": alice, "password": f"guess {n}"})
                   for n in range(3)]

    assert [r.status_code for r in guesses] == [401, 401, 429]


def test_successful_logins_are_not_counted_as_failed_attempts(
        client: TestClient, alice: str) -> None:
    logins = [client.post("/v1/auth/login", json={"username": alice, "password": PASSWORD})
              for _ in range(Settings().login_attempts_per_minute + 2)]

    assert {r.status_code for r in logins} == {200}


def test_throttling_one_username_leaves_another_free_to_log_in(
        client: TestClient, app: FastAPI, alice: str) -> None:
    access.add_user(app.state.api.inventory.unit_of_work(), username="bob", password=PASSWORD,
                    role="viewer")
    for n in range(Settings().login_attempts_per_minute + 1):
        client.post("/v1/auth/login", json={"username": alice, "password": f"guess {n}"})

    response = client.post("/v1/auth/login", json={"username": "bob", "password": PASSWORD})

    assert response.status_code == 200, response.text


def test_a_wrong_password_and_an_unknown_user_get_the_same_401(
        client: TestClient, alice: str) -> None:
    wrong_password = client.post("/v1/auth/login",
                                 json={"username": alice, "password": "not the password"})
    unknown_user = client.post("/v1/auth/login",
                               json={"username": "mallory", "password": "not the password"})

    assert_problem(wrong_password, 401)
    assert unknown_user.status_code == wrong_password.status_code
    assert unknown_user.content == wrong_password.content
    assert "alice" not in wrong_password.text and "mallory" not in unknown_user.text


def test_a_disabled_users_right_password_gets_the_same_401_as_a_wrong_one(
        client: TestClient, app: FastAPI, alice: str) -> None:
    wrong = client.post("/v1/auth/login", json={"username": alice, "password": "nope nope nope"})
    access.set_disabled(app.state.api.inventory.unit_of_work(), username=alice)

    disabled = client.post("/v1/auth/login", json={"username": alice, "password": PASSWORD})

    assert_problem(disabled, 401)
    assert disabled.content == wrong.content


def test_a_failed_login_writes_nothing(client: TestClient, app: FastAPI, alice: str) -> None:
    before = written(app)

    client.post("/v1/auth/login", json={"username": alice, "password": "not the password"})
    client.post("/v1/auth/login", json={"username": "mallory", "password": "not the password"})

    assert written(app) == before


# --- storage (503) and the unexpected (500) --------------------------------------------------------


def test_a_database_that_is_not_migrated_is_not_ready_and_says_so_as_a_problem(
        client: TestClient, app: FastAPI) -> None:
    with app.state.api.inventory.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))

    response = client.get("/v1/ready")

    assert_problem(response, 503)


def test_an_unexpected_failure_answers_500_as_a_problem_without_a_stack_trace(
        client: TestClient, app: FastAPI, admin: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals: /srv/onhand/db.py line 42")

    monkeypatch.setattr(movement_service, "post", broken)
    before = written(app)

    response = client.post("/v1/movements", json=SHIP, headers=admin)

    assert_problem(response, 500)
    assert "secret internals" not in response.text
    assert "RuntimeError" not in response.text
    assert written(app) == before


# --- nothing writes on any error, and no error shows a stack trace ---------------------------------

FAILING_WRITES = [
    ("/v1/movements", {**SHIP, "qty": 11}, "admin"),
    ("/v1/movements", {**SHIP, "sku": "MUG-404"}, "admin"),
    ("/v1/movements", {**SHIP, "location": "customer"}, "admin"),
    ("/v1/movements", {**SHIP, "kind": "teleport"}, "admin"),
    ("/v1/movements", {"kind": "transfer", "sku": "MUG-1", "qty": 1, "source": "WH1/A-01",
                       "target": "WH1/A-01"}, "admin"),
    ("/v1/movements", {**SHIP, "occurred_at": "2026-01-01T00:00:00"}, "admin"),
    ("/v1/movements", {**SHIP, "kind": "adjustment", "qty": -1}, "admin"),
    ("/v1/movements", SHIP, "viewer"),
    ("/v1/movements", SHIP, "client"),
    ("/v1/movements?owner=acme", {**SHIP, "sku": "ACME-1", "qty": 6}, "acme_operator"),
    ("/v1/movements?owner=default", SHIP, "acme_operator"),
    ("/v1/movements/batch", {"lines": [SHIP, {**SHIP, "qty": 9}]}, "admin"),
    ("/v1/movements/batch", {"lines": [SHIP, {**SHIP, "sku": "MUG-404"}]}, "admin"),
    ("/v1/items", {"sku": "MUG-1", "name": "Again"}, "admin"),
    ("/v1/items", {"sku": "", "name": "No SKU"}, "admin"),
    ("/v1/items", {"sku": "BOX-1", "name": "Box", "decimals": 9}, "admin"),
    ("/v1/items", {"sku": "BOX-1", "name": "Box"}, "operator"),
    ("/v1/locations", {"path": "WH1"}, "admin"),
    ("/v1/locations", {"path": "WH7/A-01"}, "admin"),
    ("/v1/locations", {"path": "WH1/A-02"}, "acme_admin"),
    ("/v1/owners", {"code": "acme"}, "admin"),
    ("/v1/owners", {"code": "globex"}, "manager"),
    ("/v1/users", {"username": "alice", "password": "short", "role": "operator"}, "admin"),
    ("/v1/users", {"username": "Alice Smith", "password": PASSWORD, "role": "operator"},
     "admin"),
    ("/v1/users", {"username": "alice", "password": PASSWORD, "role": "wizard"}, "admin"),
    ("/v1/users", {"username": "alice", "password": PASSWORD, "role": "client"}, "admin"),
    ("/v1/users", {"username": "alice", "password": PASSWORD, "role": "admin"}, "manager"),
    ("/v1/tokens", {"name": "old", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"},
     "admin"),
    ("/v1/tokens", {"name": "x", "role": "admin"}, "acme_admin"),
    ("/v1/tokens/999999/revoke", None, "admin"),
    ("/v1/users/nobody/disable", None, "admin"),
    ("/v1/movements/999999/reverse", {"reason": "typo"}, "admin"),
    ("/v1/movements/1/reverse", {"reason": ""}, "admin"),
    ("/v1/movements/1/reverse", {"reason": "typo"}, "operator"),
]


@pytest.mark.parametrize(("path", "body", "role"), FAILING_WRITES,
                         ids=[f"{n}: {role} {path}" for n, (path, _, role)
                              in enumerate(FAILING_WRITES)])
def test_a_failed_write_answers_a_problem_and_writes_nothing(
        client: TestClient, app: FastAPI, tokens: dict[str, str], path: str,
        body: dict[str, Any] | None, role: str) -> None:
    before = written(app)

    response = client.post(path, json=body, headers=bearer(tokens[role], **{
        "Idempotency-Key": "failing-1"}))

    assert 400 <= response.status_code < 500, response.text
    assert_problem(response, response.status_code)
    assert written(app) == before
    retry = client.post(path, json=body, headers=bearer(tokens[role], **{
        "Idempotency-Key": "failing-1"}))
    assert retry.status_code == response.status_code
    assert written(app) == before


def test_disabling_the_last_admin_answers_409_and_writes_nothing(
        client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    access.add_user(app.state.api.inventory.unit_of_work(), username="root", password=PASSWORD,
                    role="admin")
    before = written(app)

    response = client.post("/v1/users/root/disable", headers=admin)

    assert_problem(response, 409, username="root")
    assert written(app) == before


def test_a_token_whose_id_has_non_ascii_digits_answers_401_not_500(client: TestClient) -> None:
    header = "Bearer onh_\u00b2_secret".encode("latin-1")  # "²" passes str.isdigit()
    answer = client.get("/v1/items", headers={"Authorization": header})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_deeply_nested_cursor_answers_422_naming_cursor(
        client: TestClient, tokens: dict[str, str]) -> None:
    import base64

    deep = base64.urlsafe_b64encode(b"[" * 700).decode().rstrip("=")

    answer = client.get("/v1/items", params={"cursor": deep}, headers=bearer(tokens["admin"]))

    assert answer.status_code == 422 and answer.json()["field"] == "cursor"


def test_failed_logins_from_one_address_are_throttled_whatever_the_username(
        database_url: str) -> None:
    throttled = make_app(database_url, login_attempts_per_minute=1)
    with TestClient(throttled, raise_server_exceptions=False) as client:
        answers = [client.post("/v1/auth/login",
                               json={"username": f"guess{n}", "password": "not it at all"})
                   for n in range(11)]

    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert answers[10].status_code == 429 and "Retry-After" in answers[10].headers
