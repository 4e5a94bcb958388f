"""Closing and reopening accounting periods through HTTP: what a close refuses, who may close
and reopen, and the audit trail of both.

The app's fixture holds 10 MUG-1 (owner default, time zone UTC) and 5 ACME-1 (owner acme).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onhand.domain.times import utcnow
from tests.api.conftest import bearer, problem, written

TODAY = utcnow().date()
CLOSED = TODAY - timedelta(days=2)


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped admin's calls."""
    return bearer(tokens["admin"])


@pytest.fixture
def manager(tokens: dict[str, str]) -> dict[str, str]:
    """The headers of an unscoped manager's calls."""
    return bearer(tokens["manager"])


def close(client: TestClient, headers: dict[str, str], until: object = CLOSED,
          **params: str) -> Any:
    return client.post("/v1/periods/close", params=params, headers=headers,
                       json={"until": str(until)})


def reopen(client: TestClient, headers: dict[str, str], through: date | None = None,
           **params: str) -> Any:
    return client.post("/v1/periods/reopen", params=params, headers=headers,
                       json={"through": None if through is None else str(through)})


def receive_dated(client: TestClient, headers: dict[str, str], day: date) -> Any:
    """Post a receipt of one MUG-1 dated at noon UTC of ``day``."""
    return client.post("/v1/movements", headers=headers, json={
        "kind": "receipt", "sku": "MUG-1", "qty": 1, "location": "WH1/A-01",
        "occurred_at": f"{day}T12:00:00Z"})


def closed_through(client: TestClient, headers: dict[str, str], **params: str) -> Any:
    response = client.get("/v1/periods", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["closed_through"]


def test_a_closed_period_refuses_movements_dated_in_it_until_an_admin_reopens_it(
        client: TestClient, admin: dict[str, str], manager: dict[str, str]) -> None:
    assert closed_through(client, manager) is None

    closed = close(client, manager)
    refused = receive_dated(client, manager, CLOSED)
    reopened = reopen(client, admin)

    assert (closed.status_code, closed.json()) == (
        200, {"owner": "default", "closed_through": str(CLOSED)})
    body = problem(refused, 409, field="occurred_at", owner="default")
    assert body["type"].endswith("/period-closed")
    assert reopened.json() == {"owner": "default", "closed_through": None}
    assert receive_dated(client, manager, CLOSED).status_code == 201


def test_a_movement_dated_after_the_closed_day_is_posted(
        client: TestClient, manager: dict[str, str]) -> None:
    assert close(client, manager).status_code == 200
    assert receive_dated(client, manager, CLOSED + timedelta(days=1)).status_code == 201


def test_reopening_through_an_earlier_day_keeps_the_days_before_it_closed(
        client: TestClient, admin: dict[str, str]) -> None:
    earlier = CLOSED - timedelta(days=5)
    assert close(client, admin).status_code == 200

    reopened = reopen(client, admin, earlier)

    assert reopened.json() == {"owner": "default", "closed_through": str(earlier)}
    assert closed_through(client, admin) == str(earlier)
    problem(receive_dated(client, admin, earlier), 409, field="occurred_at")
    assert receive_dated(client, admin, earlier + timedelta(days=1)).status_code == 201


def test_closing_the_day_already_closed_again_changes_nothing(
        client: TestClient, admin: dict[str, str]) -> None:
    assert close(client, admin).status_code == 200
    again = close(client, admin)
    assert (again.status_code, again.json()["closed_through"]) == (200, str(CLOSED))


def test_each_owner_closes_its_own_books(client: TestClient, admin: dict[str, str],
                                         tokens: dict[str, str]) -> None:
    acme = bearer(tokens["acme_manager"])
    assert close(client, acme).json() == {"owner": "acme", "closed_through": str(CLOSED)}

    assert closed_through(client, admin) is None
    assert closed_through(client, admin, owner="acme") == str(CLOSED)
    assert closed_through(client, acme) == str(CLOSED)


def test_close_and_reopen_are_in_the_audit_trail_with_the_bound_replaced(
        client: TestClient, admin: dict[str, str]) -> None:
    earlier = CLOSED - timedelta(days=5)
    assert close(client, admin).status_code == 200
    assert reopen(client, admin, earlier).status_code == 200

    audit = client.get("/v1/audit", params={"owner": "default"}, headers=admin).json()["items"]
    closing, reopening = [entry for entry in audit if entry["action"].startswith("periods.")]

    assert (closing["action"], closing["target"], closing["detail"]["until"]) == (
        "periods.close", str(CLOSED), str(CLOSED))
    assert (reopening["action"], reopening["target"]) == ("periods.reopen", str(earlier))
    assert (reopening["detail"]["through"], reopening["detail"]["was"]) == (
        str(earlier), str(CLOSED))
    assert {closing["owner"], reopening["owner"]} == {"default"}


def test_a_close_retried_with_its_key_is_answered_again_and_audited_once(
        client: TestClient, admin: dict[str, str]) -> None:
    keyed = {**admin, "Idempotency-Key": "close-books"}
    first, retry = close(client, keyed), close(client, keyed)

    assert retry.json() == first.json() and retry.headers["Idempotency-Replayed"] == "true"
    audit = client.get("/v1/audit", params={"action": "periods.close"}, headers=admin)
    assert len(audit.json()["items"]) == 1


@pytest.mark.parametrize(("until", "field"), [
    (TODAY, "until"),  # not ended yet
    (TODAY + timedelta(days=3), "until"),
    ("yesterday", "until"),
    (f"{CLOSED}T23:59:59Z", "until"),  # a moment, not a day
    (CLOSED - timedelta(days=1), "until"),  # before the day closed: reopen first
])
def test_a_close_that_is_not_a_day_ended_after_the_one_closed_is_refused_naming_until(
        client: TestClient, app: FastAPI, admin: dict[str, str], until: object,
        field: str) -> None:
    assert close(client, admin).status_code == 200
    before = written(app)
    problem(close(client, admin, until), 422, field=field)
    assert written(app) == before and closed_through(client, admin) == str(CLOSED)


def test_a_reopen_must_name_an_earlier_day_or_null_and_something_closed(
        client: TestClient, admin: dict[str, str]) -> None:
    problem(reopen(client, admin), 422, field="through")  # nothing closed
    assert close(client, admin).status_code == 200

    problem(reopen(client, admin, CLOSED), 422, field="through")
    problem(client.post("/v1/periods/reopen", json={}, headers=admin), 422, field="through")
    problem(client.post("/v1/periods/reopen", json={"through": "2025-02-30"}, headers=admin),
            422, field="through")
    assert closed_through(client, admin) == str(CLOSED)


def test_an_unknown_owner_is_not_found(client: TestClient, admin: dict[str, str]) -> None:
    problem(client.get("/v1/periods", params={"owner": "nobody"}, headers=admin), 404,
            field="owner")
    problem(close(client, admin, owner="nobody"), 404, field="owner")
    problem(reopen(client, admin, owner="nobody"), 404, field="owner")


def test_closing_is_for_roles_that_see_costs_and_reopening_for_an_admin(
        client: TestClient, tokens: dict[str, str], manager: dict[str, str]) -> None:
    for role in ("operator", "viewer", "client", "acme_operator"):
        problem(close(client, bearer(tokens[role])), 403, permission="costs")
    assert close(client, manager).status_code == 200
    for role in ("manager", "operator", "viewer", "acme_manager"):
        problem(reopen(client, bearer(tokens[role])), 403, permission="periods:reopen")
    assert closed_through(client, bearer(tokens["viewer"])) == str(CLOSED)  # anyone may read


def test_an_admin_scoped_to_an_owner_reopens_its_books_and_no_other(
        client: TestClient, admin: dict[str, str], tokens: dict[str, str]) -> None:
    acme = bearer(tokens["acme_admin"])
    for owner in ("default", "acme"):
        assert close(client, admin, owner=owner).status_code == 200

    problem(reopen(client, acme, owner="default"), 404, field="owner")
    assert reopen(client, acme).json() == {"owner": "acme", "closed_through": None}
    assert closed_through(client, admin) == str(CLOSED)
