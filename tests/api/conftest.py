"""Fixtures for the HTTP API's tests: the app on the test's database, callers of every role.

Two owners hold stock: ``default`` and ``acme``. Each role has an unscoped token, and
``client`` (which must be scoped) a token for ``acme``; ``acme_*`` tokens are scoped to acme.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onhand.api.app import create_app
from onhand.config import Settings
from onhand.services import access, audit, catalog

ROLES = ("admin", "manager", "operator", "viewer")


def make_app(database_url: str, **settings: Any) -> FastAPI:
    """Return the API over ``database_url`` with ``settings`` (no rate limit and no sweeper
    unless given: a test expires holds when it means to)."""
    settings.setdefault("rate_limit_per_minute", 10**9)
    settings.setdefault("sweep_seconds", 0)
    return create_app(Settings.load(database_url=database_url, **settings))


def bearer(token: str, **headers: str) -> dict[str, str]:
    """Return the headers of a call authenticated with ``token``."""
    return {"Authorization": f"Bearer {token}", **headers}


@pytest.fixture
def app(database_url: str) -> FastAPI:
    """The API over the test's database: two owners, locations WH1 and WH1/A-01, an item each."""
    api = make_app(database_url)
    inv = api.state.api.inventory
    inv.add_owner("acme", "Acme Corp")
    inv.add_location("WH1")
    inv.add_location("WH1/A-01")
    inv.add_item(sku="MUG-1", name="Blue mug")
    inv.add_item(sku="ACME-1", name="Acme anvil", owner="acme")
    inv.receive(sku="MUG-1", qty=10, location="WH1/A-01")
    inv.receive(sku="ACME-1", qty=5, location="WH1/A-01", owner="acme")
    return api


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client of the app (raising nothing: every response is checked by status)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tokens(app: FastAPI) -> dict[str, str]:
    """A token per role: ``admin``… unscoped, ``acme_<role>`` scoped to acme, ``client`` (acme)."""
    uow = app.state.api.inventory.unit_of_work
    made = {role: access.create_token(uow(), name=role, role=role)[1] for role in ROLES}
    for role in (*ROLES, "client"):
        made[f"acme_{role}"] = access.create_token(uow(), name=f"acme {role}", role=role,
                                                   owner="acme")[1]
    made["client"] = made["acme_client"]
    return made


def written(app: FastAPI) -> dict[str, Any]:
    """Return everything a write could change: ledger, audit trail, catalog, access, orders
    and the outbox."""
    inv = app.state.api.inventory
    uow = inv.unit_of_work
    return {
        "movements": [m.id for owner in ("default", "acme")
                      for m in inv.history(owner=owner, limit=1000)],
        "audit": [entry.id for entry in audit.entries(uow(write=False), limit=1000)],
        "items": [(item.owner, item.sku) for item in inv.items()],
        "locations": inv.locations(),
        "owners": catalog.list_owners(uow(write=False)),
        "users": [(user.username, user.disabled) for user in access.users(uow(write=False))],
        "tokens": [(token.id, token.revoked_at) for token in access.tokens(uow(write=False))],
        "stock": [(s.sku, s.on_hand, s.reserved) for owner in ("default", "acme")
                  for s in inv.levels(owner=owner)],
        "orders": [order.to_dict() for owner in ("default", "acme")
                   for order in inv.orders(owner=owner, limit=1000)],
        "events": [event.id for event in inv.events(limit=1000)],
    }


PROBLEM = "application/problem+json"


def problem(response: Any, status: int, **fields: Any) -> dict[str, Any]:
    """Assert a problem+json of ``status`` carrying ``fields``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for name, value in fields.items():
        assert str(body.get(name)) == str(value), (name, body)
    return body
