"""Schemathesis against the app's own ``/openapi.json``, authenticated as an admin.

Every response must be documented — status code, content type, headers, body schema — and
none may be a 5xx. Requests valid by the schema are drawn for every operation, but a
schema-valid request is not yet a useful one: a random owner or SKU is a 404, a random cursor
a 422. So the fields that name something — owner, SKU, location, movement and token ids,
usernames, order references, warehouses, times, cursors — are mostly replaced by what this
database holds (including what earlier requests created: orders, holds, shipped orders),
quantities are kept small, and the rest stays as generated. The
share of these requests that reach a handler and succeed (2xx) is printed and held above
``FLOOR``: a run that only ever sees 401 and 422 proves nothing. Requests made invalid on
purpose (Schemathesis's negative mode) must be refused with a documented 4xx.

Bounded for CI: ``EXAMPLES`` requests per operation and mode, 15-30 s per test on SQLite or
PostgreSQL (on the 2-core CI machine), so it runs on both.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from onhand.services import access

EXAMPLES = 25
# Of the schema-valid requests, at least half must succeed; measured: 73-78% on SQLite and
# PostgreSQL. The rest fail by design, and their answers are checked all the same: 15% of the
# names and ids are left as generated (404, 409 for duplicates, 422 where the schema is looser
# than the rules), a movement reversed twice (409), a client token or user without an owner,
# an expiry in the past (422), wrong passwords (401).
FLOOR = 0.5
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance]
PASSWORD = "correct horse battery staple"
# several users, so that logging in stays under the per-username throttle (10 a minute)
USERS = ("ann", "bob", "cy", "dee", "eve")
SKUS = {"default": "MUG-1", "acme": "ACME-1"}
STOCKED = "WH1/A-01"  # where the fixture received stock: outbound movements start here
OUTBOUND = ("shipment", "scrap", "transfer")
NEEDS_REASON = ("adjustment", "scrap", "count")
TAKES_COST = ("receipt", "return", "adjustment", "count")
# what the domain accepts where the schema says only "a string" (it does not state these yet)
CODE = r"[a-z0-9][a-z0-9._-]{0,15}"
SKU = r"[A-Z0-9][A-Z0-9-]{0,15}"
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
CLOSED = date(2020, 1, 31)  # each owner's books start closed through it, so a reopen can succeed
SUPPLIER = "ACME"  # each owner's supplier, made by the world fixture
# the pools of World that successful writes of purchase orders and transfers fill
DOCUMENTS = {"/v1/purchase-orders": "purchase_orders",
             "/v1/purchase-orders/{reference}/receive": "received",
             "/v1/transfers": "transfers"}
# orders, holds and purchase orders (half of them confirmed) each owner starts with, so that
# every action on them (confirm, release, cancel, receive…) has some left open to succeed on
SEEDED = 40  # of each: more than the examples of any action that closes them (EXAMPLES)
# the statuses after which nothing but a return can succeed on a document
FINAL = ("cancelled", "completed", "released", "expired", "closed", "received")


def kind(path: str) -> str:
    """The collection a path is in: ``/v1/holds/{reference}/confirm`` → ``/v1/holds``."""
    return "/".join(path.split("/")[:3])


@dataclass
class World:
    """What the database holds: the values requests are drawn from, kept up to date."""

    token: str
    token_id: int
    token_ids: list[int]
    movement_ids: dict[str, list[int]]
    usernames: list[str] = field(default_factory=lambda: list(USERS))
    locations: list[str] = field(default_factory=lambda: ["WH1", STOCKED])
    # order references by owner: orders, holds, and orders something was shipped from
    orders: dict[str, list[str]] = field(default_factory=dict)
    holds: dict[str, list[str]] = field(default_factory=dict)
    shipped: dict[str, list[str]] = field(default_factory=dict)
    # purchase orders (and those something was received on) and transfers, by owner
    purchase_orders: dict[str, list[str]] = field(default_factory=dict)
    received: dict[str, list[str]] = field(default_factory=dict)
    transfers: dict[str, list[str]] = field(default_factory=dict)
    # receipts with a unit cost, by owner, for landed costs to spread over (by value too)
    receipts: dict[str, list[int]] = field(default_factory=dict)
    # (kind, reference) of documents closed to further actions: cancelled, released, received…
    closed: set[tuple[str, str]] = field(default_factory=set)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    keys: Iterator[int] = field(default_factory=itertools.count)

    def learn(self, case: Case, status: int, body: Any) -> None:
        """Count the answer; remember the objects a successful write created."""
        self.statuses[(f"{case.method} {case.path}", status)] += 1
        if case.method != "POST" or not isinstance(body, dict):
            return
        if status == 409 and body.get("order_status") in FINAL:
            self.closed.add((kind(case.path), body["reference"]))  # acting again can only fail
            return
        if status not in (200, 201):
            return
        if case.path.startswith("/v1/holds/") or (
                case.path.startswith("/v1/orders/") and body.get("status") == "cancelled"):
            self.closed.add((kind(case.path), body["reference"]))  # released, confirmed…
            if case.path.endswith("/confirm"):
                self.orders.setdefault(body["owner"], []).append(body["reference"])
        if case.path.startswith("/v1/movements"):
            for moved in body.get("movements", [body]):
                self.movement_ids.setdefault(moved["owner"], []).append(moved["id"])
        elif case.path == "/v1/tokens":
            self.token_ids.append(body["id"])
        elif case.path == "/v1/users":
            self.usernames.append(body["username"])
        elif case.path == "/v1/locations":
            self.locations.append(body["path"])
        elif case.path in ("/v1/orders", "/v1/holds", "/v1/orders/{reference}/ship"):
            pool = {"/v1/orders": self.orders, "/v1/holds": self.holds}.get(case.path,
                                                                            self.shipped)
            pool.setdefault(body["owner"], []).append(body["reference"])
        elif case.path in DOCUMENTS:
            documents: dict[str, list[str]] = getattr(self, DOCUMENTS[case.path])
            documents.setdefault(body["owner"], []).append(body["reference"])

    def succeeded(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if 200 <= status < 300)

    def others(self) -> Iterator[str]:
        for (label, status), count in sorted(self.statuses.items()):
            if not 200 <= status < 300:
                yield f"{label} → {status} ×{count}"


@pytest.fixture
def world(app: FastAPI) -> World:
    """An admin token for Schemathesis, a spare token, users, and the fixture's movements."""
    inv = app.state.api.inventory
    uow = inv.unit_of_work
    mine, token = access.create_token(uow(), name="schemathesis", role="admin")
    spare = access.create_token(uow(), name="spare", role="viewer")[0]
    for username in USERS:
        access.add_user(uow(), username=username, password=PASSWORD, role="operator")
    for owner, sku in SKUS.items():  # enough for the orders and holds drawn to reserve
        inv.receive(sku=sku, qty=500, location=STOCKED, owner=owner)
    receipts = {owner: [inv.receive(sku=sku, qty=5, location=STOCKED, owner=owner,
                                    unit_cost=Decimal("2.00")).id for _ in range(3)]
                for owner, sku in SKUS.items()}
    inv.add_location("WH2")  # where transfers go
    for owner in SKUS:  # whom purchase orders name
        inv.add_supplier(SUPPLIER, owner=owner)
        inv.close_period(CLOSED, owner=owner)
    orders: dict[str, list[str]] = {owner: [] for owner in SKUS}
    holds: dict[str, list[str]] = {owner: [] for owner in SKUS}
    purchase_orders: dict[str, list[str]] = {owner: [] for owner in SKUS}
    for owner, sku in SKUS.items():
        lines = [{"sku": sku, "qty": 2}]
        for n in range(SEEDED):
            orders[owner].append(inv.create_order(f"SO-SEED-{n}", lines, owner=owner).reference)
            holds[owner].append(inv.place_hold(f"CART-SEED-{n}", lines, ttl=timedelta(hours=1),
                                               owner=owner).reference)
            purchase_orders[owner].append(inv.create_purchase_order(  # half drafts, to confirm
                f"PO-SEED-{n}", lines, supplier=SUPPLIER, warehouse="WH1", owner=owner,
                confirm=n % 2 == 0).reference)
    return World(token=token, token_id=mine.id, token_ids=[spare.id],
                 movement_ids={owner: [m.id for m in inv.history(owner=owner)]
                               for owner in SKUS},
                 orders=orders, holds=holds, purchase_orders=purchase_orders,
                 receipts=receipts)


@pytest.fixture
def api(app: FastAPI, world: World) -> schemathesis.BaseSchema:
    """The schema the app serves, bound to the app (in process), sending the admin token.

    Schemathesis knows the token belongs to the ``HTTPBearer`` scheme, so in negative mode it
    also sends requests without it, or with a mangled one, and expects them refused. Unknown
    query parameters and headers are ignored by the API, as by most HTTP APIs (unknown body
    fields are refused: the request schemas say ``additionalProperties: false``), so
    Schemathesis is told not to send them as invalid data.
    """
    config = schemathesis.Config.from_dict({
        "auth": {"openapi": {"HTTPBearer": {"bearer": world.token}}},
        "generation": {"allow-extra-parameters": False}})
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


# --- realistic values ------------------------------------------------------------------------
# Every helper draws the same number of values whatever the world holds, so that Hypothesis
# sees the same shape of data when it replays an example after the world has grown.


def _mostly(draw: st.DrawFn, value: Any, generated: Any, *, percent_generated: int = 15) -> Any:
    """``value`` most of the time; what Schemathesis ``generated`` now and then."""
    return generated if draw(st.integers(1, 100)) > 100 - percent_generated else value


def _pick(draw: st.DrawFn, pool: list[Any]) -> Any:
    index = draw(st.integers(0, 2**16))
    return pool[index % len(pool)] if pool else None


def _time(draw: st.DrawFn) -> str:
    moment = EPOCH + timedelta(seconds=draw(st.integers(0, 15 * 365 * 86_400)))
    return moment.isoformat() if draw(st.booleans()) else moment.date().isoformat()


def _day(draw: st.DrawFn) -> str:
    """A day that has ended (a period closes only through one), from 2020 to 2025."""
    return (EPOCH.date() + timedelta(days=draw(st.integers(0, 6 * 365 - 1)))).isoformat()


def _query(draw: st.DrawFn, query: dict[str, Any], world: World) -> str:
    """Fill the query's names; return the owner the request is about."""
    owner = draw(st.sampled_from([None, "default", "acme"]))
    if "owner" in query:
        del query["owner"]
        if owner is not None:
            query["owner"] = owner
    owner = owner or "default"
    for name in ("since", "until", "as_of"):
        if name in query:
            query[name] = _mostly(draw, _time(draw), query[name])
    if isinstance(query.get("since"), str) and isinstance(query.get("until"), str):
        # a period runs forward (COGS refuses one that does not); _time's UTC times sort as text
        query["since"], query["until"] = sorted((query["since"], query["until"]))
    if "sku" in query:
        query["sku"] = _mostly(draw, SKUS[owner], query["sku"])
    if "location" in query:
        query["location"] = _mostly(draw, _pick(draw, world.locations), query["location"])
    if "cursor" in query and _mostly(draw, True, False, percent_generated=10):
        del query["cursor"]  # a real cursor comes from a previous page
    return owner


def _path(draw: st.DrawFn, case: Case, owner: str, world: World) -> None:
    params = case.path_parameters or {}
    # an action that needs its document open (a return needs it shipped or received)
    acting = case.method == "POST" and not case.path.endswith(("/returns", "/return"))
    references = (world.holds if case.path.startswith("/v1/holds") else
                  world.shipped if case.path.endswith("/returns") else world.orders)
    if case.path.startswith(("/v1/purchase-orders", "/v1/transfers")):
        references = (world.transfers if case.path.startswith("/v1/transfers") else
                      world.received if case.path.endswith("/return") else
                      world.purchase_orders)
    pools = {"sku": [SKUS[owner]], "movement_id": world.movement_ids.get(owner, []),
             "token_id": world.token_ids, "username": world.usernames,
             "reference": [reference for reference in references.get(owner, [])
                           if not acting or (kind(case.path), reference) not in world.closed],
             # never WH1 or the stocked bin: stock there must stay sellable for orders
             "path": [place for place in world.locations if place not in ("WH1", STOCKED)]}
    for name, pool in pools.items():
        if name in params:
            params[name] = _mostly(draw, _pick(draw, pool), params[name]) or params[name]
    if isinstance(params.get("reference"), str):
        # a reference drawn from the pool is as a body gave it, maybe with "?" or "#": quoted
        # as Schemathesis quotes what it generates, so it stays one path segment
        params["reference"] = quote(unquote(params["reference"]), safe="")
    spare_ourselves(case, world)


def spare_ourselves(case: Case, world: World) -> Case:
    """Keep Schemathesis from revoking its own token, which would end the run in 401s."""
    if (case.path_parameters or {}).get("token_id") == world.token_id:
        case.path_parameters["token_id"] = world.token_ids[0]
    return case


def _movement(draw: st.DrawFn, line: dict[str, Any], owner: str, world: World) -> None:
    kind = line.get("kind")
    line["sku"] = _mostly(draw, SKUS[owner], line.get("sku"), percent_generated=5)
    qty = draw(st.integers(1, 3 if kind in OUTBOUND else 20))
    line["qty"] = draw(st.sampled_from([qty, str(qty), f"{qty}.0"]))
    if kind == "adjustment" and draw(st.booleans()):
        line["qty"] = -qty
    for name in ("location", "source", "target", "lot", "shipment_id", "occurred_at"):
        line.pop(name, None)
    place = _pick(draw, world.locations)
    if kind == "transfer":
        line["source"], line["target"] = STOCKED, place if place != STOCKED else "WH1"
    else:
        line["location"] = STOCKED if kind in OUTBOUND or kind == "adjustment" else place
    if kind in NEEDS_REASON and not (line.get("reason") or "").strip():
        line["reason"] = "found in a cycle count"
    if kind not in TAKES_COST or draw(st.booleans()):
        line.pop("unit_cost", None)


def _body(draw: st.DrawFn, case: Case, owner: str, world: World) -> None:
    body, path = case.body, case.path
    if not isinstance(body, dict):
        return
    if path == "/v1/movements":
        _movement(draw, body, owner, world)
    elif path == "/v1/movements/batch":
        body["lines"] = [line for line in body.get("lines", [])[:5] if isinstance(line, dict)]
        for line in body["lines"]:
            _movement(draw, line, owner, world)
    elif path == "/v1/owners":
        body["code"] = _mostly(draw, draw(st.from_regex(CODE, fullmatch=True)), body["code"])
    elif path == "/v1/items":
        body["sku"] = _mostly(draw, draw(st.from_regex(SKU, fullmatch=True)), body["sku"])
        body["name"] = _mostly(draw, "Red mug", body["name"], percent_generated=50) or "Red mug"
        body["barcodes"] = _mostly(draw, [], body.get("barcodes", []))
        if body.get("weight") is not None:
            body["weight"] = _mostly(draw, "0.5", body["weight"])
    elif path == "/v1/locations":
        parent = _pick(draw, ["WH1", STOCKED, "WH2"])
        segment = draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,7}", fullmatch=True))
        body["path"] = _mostly(draw, f"{parent}/{segment}" if parent != "WH2" else segment,
                               body["path"])
    elif path == "/v1/auth/login":
        body["username"] = _mostly(draw, _pick(draw, list(USERS)), body["username"])
        body["password"] = _mostly(draw, PASSWORD, body["password"])
    elif path in ("/v1/users", "/v1/tokens"):
        _access(draw, body)
    elif path.startswith(("/v1/orders", "/v1/holds")):
        _order(draw, body, path, owner, world)
    elif path == "/v1/stock/{sku}/safety-stock":
        body["warehouse"] = _mostly(draw, "WH1", body["warehouse"])
        body["qty"] = draw(st.integers(0, 2))
    elif path == "/v1/suppliers":
        body["code"] = _mostly(draw, draw(st.from_regex(SKU, fullmatch=True)), body["code"])
    elif path.startswith(("/v1/purchase-orders", "/v1/transfers")):
        _document(draw, body, path, owner, world)
    elif path in ("/v1/journal-exports", "/v1/periods/close", "/v1/periods/reopen"):
        _books(draw, body)
    elif path in ("/v1/landed-costs", "/v1/revaluations"):
        _costs(draw, body, owner, world)


def _costs(draw: st.DrawFn, body: dict[str, Any], owner: str, world: World) -> None:
    """A landed cost's or revaluation's fresh reference and small amount, dated now; a landed
    cost over some of the owner's costed receipts (not a purchase order: one of the two), by
    units or value (the owners' items have no weight); a revaluation of the owner's SKU."""
    body["reference"] = _mostly(draw, f"COST-{next(world.keys)}", body["reference"])
    amount = draw(st.sampled_from(["12.50", 3, "0.01"]))
    for name in ("amount", "unit_cost"):
        if name in body:
            body[name] = _mostly(draw, amount, body[name])
    if "sku" in body:
        body["sku"] = _mostly(draw, SKUS[owner], body["sku"])
    if "basis" in body:
        body["basis"] = _mostly(draw, draw(st.sampled_from(["qty", "value"])), body["basis"])
    picked = [_pick(draw, world.receipts.get(owner, [])) for _ in range(draw(st.integers(1, 3)))]
    if "amount" in body:  # a landed cost
        body["receipts"] = _mostly(draw, picked, body.get("receipts"))
        body["purchase_order"] = _mostly(draw, None, body.get("purchase_order"))
    body["occurred_at"] = _mostly(draw, None, body.get("occurred_at"))
    for name in ("receipts", "purchase_order", "occurred_at"):
        if body.get(name) is None:
            body.pop(name, None)


def _books(draw: st.DrawFn, body: dict[str, Any]) -> None:
    """A journal's period, or the day a period closes or reopens through (a null ``through``
    reopens every day, and stays so): days, a period running forward."""
    for name in ("since", "until", "through"):
        if isinstance(body.get(name), str):
            body[name] = _mostly(draw, _day(draw), body[name])
    if isinstance(body.get("since"), str) and isinstance(body.get("until"), str):
        body["since"], body["until"] = sorted((body["since"], body["until"]))


def _document(draw: st.DrawFn, body: dict[str, Any], path: str, owner: str,
              world: World) -> None:
    """A purchase order's or transfer's fresh reference, the owner's supplier, WH1 (to WH2);
    lines on the owner's SKU in small quantities, received and sent back at the stocked bin."""
    if "reference" in body:
        body["reference"] = _mostly(draw, f"DOC-{next(world.keys)}", body["reference"])
    if "supplier" in body:
        body["supplier"] = _mostly(draw, SUPPLIER, body["supplier"])
    if "warehouse" in body:
        body["warehouse"] = _mostly(draw, "WH1", body["warehouse"])
    if "source" in body:
        body["source"], body["target"] = _mostly(draw, ("WH1", "WH2"),
                                                 (body["source"], body.get("target")))
    if body.get("tolerance") is not None:
        body["tolerance"] = _mostly(draw, draw(st.sampled_from([0, "10"])), body["tolerance"])
    if isinstance(body.get("lines"), list):
        body["lines"] = [line for line in body["lines"][:3] if isinstance(line, dict)]
        for line in body["lines"]:
            line["sku"] = _mostly(draw, SKUS[owner], line.get("sku"), percent_generated=5)
            line["qty"] = draw(st.integers(1, 2))
            for name in ("lot", "expires_on"):  # the owners' items are not tracked by lot
                line.pop(name, None)
            if "location" in line:
                line["location"] = _mostly(draw, STOCKED, line["location"])
            if line.get("unit_cost") is not None:
                line["unit_cost"] = _mostly(draw, "2.10", line["unit_cost"])
    if path.endswith(("/receive", "/cancel")) and "lines" in body and draw(st.booleans()):
        del body["lines"]  # everything still to come (or sent)
    if "location" in body:
        inside = "WH2" if path.startswith("/v1/transfers") else STOCKED
        body["location"] = _mostly(draw, inside, body["location"])
    if path.startswith("/v1/transfers/") or "reason" in body:  # a short receipt needs one
        body["reason"] = _mostly(draw, "lost on the way", body.get("reason"))


def _order(draw: st.DrawFn, body: dict[str, Any], path: str, owner: str, world: World) -> None:
    """An order's or hold's fresh reference, its lines on the owner's SKU, small quantities."""
    if "reference" in body:
        body["reference"] = _mostly(draw, f"SO-{next(world.keys)}", body["reference"])
    if isinstance(body.get("lines"), list):
        body["lines"] = [line for line in body["lines"][:3] if isinstance(line, dict)]
        for line in body["lines"]:
            line["sku"] = _mostly(draw, SKUS[owner], line.get("sku"), percent_generated=5)
            line["qty"] = draw(st.integers(1, 2))
            if line.get("unit_price") is not None:
                line["unit_price"] = _mostly(draw, "9.50", line["unit_price"])
    if path.endswith(("/ship", "/cancel")) and "lines" in body and draw(st.booleans()):
        del body["lines"]  # the whole order
    if body.get("warehouse") is not None:
        body["warehouse"] = _mostly(draw, "WH1", body["warehouse"])
    if "ttl_seconds" in body:
        body["ttl_seconds"] = draw(st.integers(60, 3600))
    if "location" in body:
        body["location"] = _mostly(draw, STOCKED, body["location"])


def _access(draw: st.DrawFn, body: dict[str, Any]) -> None:
    """A new user's or token's name, owner scope, password and expiry."""
    if "username" in body:
        body["username"] = _mostly(draw, draw(st.from_regex(CODE, fullmatch=True)),
                                   body["username"])
    if "password" in body:
        body["password"] = _mostly(draw, PASSWORD, body["password"])
    body["owner"] = _mostly(draw, draw(st.sampled_from([None, "acme"])), body.get("owner"))
    if body["owner"] is None:
        del body["owner"]
    if "expires_at" in body:
        later = datetime.now(UTC) + timedelta(days=draw(st.integers(1, 400)))
        body["expires_at"] = _mostly(draw, later.isoformat(), body["expires_at"])


def realistic(case: Case, world: World) -> st.SearchStrategy[Case]:
    """Return ``case`` with the fields that name something mostly drawn from ``world``."""

    @st.composite
    def filled(draw: st.DrawFn) -> Case:
        owner = _query(draw, case.query if case.query is not None else {}, world)
        _path(draw, case, owner, world)
        _body(draw, case, owner, world)
        if case.headers is not None and "Idempotency-Key" in case.headers:
            # a fresh key each time: Hypothesis draws the same few values again and again, and a
            # key reused for another request is refused (422), as it should be
            case.headers["Idempotency-Key"] = _mostly(
                draw, f"schemathesis-{next(world.keys)}", case.headers["Idempotency-Key"],
                percent_generated=5)
        return case

    return filled()


# --- running ---------------------------------------------------------------------------------


def explore(schema: schemathesis.BaseSchema, world: World, mode: GenerationMode,
            checks: list[Callable[..., Any]],
            shape: Callable[[Case], st.SearchStrategy[Case]]) -> list[str]:
    """Send ``EXAMPLES`` requests of ``mode`` to every operation; return the failures."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode).flatmap(shape))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  phases=[Phase.generate],  # no shrinking: each request changes the database
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                         HealthCheck.data_too_large])
        def send(case: Case) -> None:
            response = case.call()
            try:
                body = response.json()
            except ValueError:
                body = None
            world.learn(case, response.status_code, body)
            case.validate_response(response, checks=checks)

        try:
            send()
        except Unsatisfiable:  # nothing to make invalid: no parameters, no body
            assert mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters())
        except (Exception, BaseExceptionGroup) as error:  # report every operation's failures
            failures.append(f"{operation.label}:\n{error}")
    return failures


def test_valid_requests_get_documented_answers_and_mostly_succeed(
        api: schemathesis.BaseSchema, world: World, capsys: pytest.CaptureFixture[str]) -> None:
    failures = explore(api, world, GenerationMode.POSITIVE, CONFORMANCE,
                       lambda case: realistic(case, world))
    total, succeeded = world.statuses.total(), world.succeeded()
    with capsys.disabled():  # the share is this test's finding: shown in every run
        print(f"\nSchemathesis: {succeeded} of {total} schema-valid requests reached a handler "  # noqa: T201
              f"and succeeded (2xx): {succeeded / total:.0%}")
    print("The others:", *world.others(), sep="\n  ")  # noqa: T201 (shown if it fails)
    assert not failures, "\n\n".join(failures)
    assert succeeded / total >= FLOOR
    never = {op.ok().label for op in api.get_all_operations()} - {
        label for (label, status) in world.statuses if 200 <= status < 300}
    assert not never, f"operations that never succeeded: {sorted(never)}"


def test_invalid_requests_are_refused_with_documented_client_errors(
        api: schemathesis.BaseSchema, world: World, capsys: pytest.CaptureFixture[str]) -> None:
    failures = explore(api, world, GenerationMode.NEGATIVE,
                       [*CONFORMANCE, negative_data_rejection],
                       lambda case: st.just(spare_ourselves(case, world)))
    statuses = Counter(status for (_, status) in world.statuses.elements())
    with capsys.disabled():
        print(f"\nSchemathesis: {statuses.total()} schema-invalid requests, answered "  # noqa: T201
              f"{dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
