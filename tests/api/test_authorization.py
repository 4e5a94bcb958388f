"""The authorization matrix: every endpoint × every role × own/other owner, stated by hand.

:data:`TABLE` is an independent statement of the access rules of the issue "HTTP API with
owners, users, roles, tokens and an audit trail"; it is not derived from the code's
``PERMISSIONS``, so a role the code lets do more (or less) than the issue says fails here.
Every case sends a request that would succeed for an allowed caller — real SKUs, a fresh
object per case (SKU, location, username, token) — so its status reflects authorization, not
validation. The app's routes are enumerated: a route without a row fails, and so does a row
without a route.

Each role calls with an unscoped token (its own owner is ``default``; the other, ``acme``, it
names with ``owner=acme``) and with a token scoped to acme (its own owner is ``acme``; the
other is ``default``, whose objects it names as they are, or whose data it asks for with
``owner=default``). A client is always scoped. This module's ``client`` and ``tokens``
fixtures stand in for those of ``tests/api/conftest.py``: one app for the whole module, a
token per column.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

import onhand
from onhand.domain.times import utcnow
from onhand.services import access
from tests.api.conftest import bearer, make_app
from tests.conftest import Databases

# --- the table -------------------------------------------------------------------------------
#
# One line per endpoint (POST /v1/movements: one per kind, and a receipt with a unit cost), one
# column per caller. "own/other": the status on the caller's own owner's data, then on the other
# owner's; a single status: the endpoint has no owner (health, owners, locations, users, tokens).
# Another owner's data answers 404, never 403, so nothing leaks its existence; a 403 in an
# "other" cell means the role may not do this to anyone's data, which reveals nothing.
#
# From the issue: admin does everything, users and tokens included; manager the catalog (items,
# locations), every movement, reversals, reports, costs; operator reads, posts receipts,
# shipments, transfers, adjustments (with a reason) and counts — not returns or scraps, which
# the issue does not list — never a cost, no reversals, no users; viewer reads, no costs; client
# reads its own owner's items, stock and movements only: no owners, locations, audit, users.
# Where the issue is silent, read here as: the audit trail is a report (admin, manager), not
# for operator or viewer; creating an owner (a new merchant) is the admin's; a caller scoped to
# one owner may not change what every owner shares (owners, locations) nor users and tokens.
#
# From the issue "Sales orders, reservations that never oversell…" and its brief: orders, holds
# and events are read by every role that reads stock (client: its own owner's); creating,
# changing and cancelling orders and holds is for admin, manager and client (a merchant's sales
# channel sells); shipping and taking returns is for operator, manager and admin (the warehouse
# floor); safety stock and the sellable flag of a location are for manager and admin, the flag
# (a location, shared by every owner) only unscoped.
#
# Purchasing and transfers (the same issue): suppliers and purchase orders are read by the
# roles that read everything (not a client: they carry costs); suppliers and creating,
# confirming and cancelling purchase orders, and returns to the supplier, are for manager and
# admin; receiving them is for operator too (at the order's cost, which the operator does not
# see). Transfers are dispatched and received by operator, manager and admin, and read by
# whoever reads the ledger (client included: its own owner's).
#
# Valuation reports (issue 6): what stock is worth and what sales cost are costs, so only the
# roles that see costs (admin, manager) read them; another owner's answers 404 as elsewhere.
# So are each movement's stored value (value entries) and the journal exported for the books;
# each owner's total (an unscoped caller: every owner's, or one with owner=); landed costs and
# revaluations, which set costs; closing a period is the books' too (admin, manager).
# Reopening one undoes the books' close: an administrator's alone (a scoped one, its own
# owner's). The day the books are closed through is no cost: whoever reads the ledger reads
# it (a posting dated before it is refused).

TABLE = """
                                         --- unscoped: own = default ---   ------ scoped to acme: own = acme -----
endpoint                                 admin   manager operator viewer   admin   manager operator viewer client
GET  /v1/health                          200     200     200     200       200     200     200     200     200
GET  /v1/ready                           200     200     200     200       200     200     200     200     200
POST /v1/auth/login                      200     200     200     200       200     200     200     200     200
GET  /v1/owners                          200     200     200     200       200     200     200     200     403
POST /v1/owners                          201     403     403     403       403     403     403     403     403
GET  /v1/items                           200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
GET  /v1/items/{sku}                     200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/items                           201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/locations                       200     200     200     200       200     200     200     200     403
POST /v1/locations                       201     201     403     403       403     403     403     403     403
POST /v1/movements receipt               201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements receipt+cost          201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
POST /v1/movements shipment              201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements return                201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
POST /v1/movements adjustment            201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements scrap                 201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
POST /v1/movements transfer              201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements count                 201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements/batch                 201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
POST /v1/movements/batch receipt+cost    201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/movements                       200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
GET  /v1/movements/{movement_id}         200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/movements/{movement_id}/reverse 201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/stock                           200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
GET  /v1/stock/{sku}                     200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/stock/{sku}/safety-stock        200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
GET  /v1/valuation                       200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
GET  /v1/valuation/owners                200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
GET  /v1/cogs                             200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
GET  /v1/value-entries                   200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
POST /v1/journal-exports                 201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
POST /v1/landed-costs                    201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
POST /v1/revaluations                    201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/periods                         200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/periods/close                   200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
POST /v1/periods/reopen                  200/200 403/403 403/403 403/403   200/404 403/403 403/403 403/403 403/403
POST /v1/locations/{path:path}/sellable  200     200     403     403       403     403     403     403     403
GET  /v1/orders                          200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/orders                          201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 201/404
GET  /v1/orders/{reference}              200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/orders/{reference}/update       200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 200/404
POST /v1/orders/{reference}/ship         200/200 200/200 200/200 403/403   200/404 200/404 200/404 403/403 403/403
POST /v1/orders/{reference}/cancel       200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 200/404
POST /v1/orders/{reference}/returns      200/200 200/200 200/200 403/403   200/404 200/404 200/404 403/403 403/403
GET  /v1/orders/{reference}/pick-list    200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/holds                           201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 201/404
GET  /v1/holds/{reference}               200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/holds/{reference}/confirm       200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 200/404
POST /v1/holds/{reference}/release       200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 200/404
GET  /v1/events                          200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
GET  /v1/suppliers                       200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 403/403
POST /v1/suppliers                       201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/purchase-orders                 200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 403/403
POST /v1/purchase-orders                 201/201 201/201 403/403 403/403   201/404 201/404 403/403 403/403 403/403
GET  /v1/purchase-orders/{reference}     200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 403/403
POST /v1/purchase-orders/{reference}/confirm 200/200 200/200 403/403 403/403 200/404 200/404 403/403 403/403 403/403
POST /v1/purchase-orders/{reference}/receive 200/200 200/200 200/200 403/403 200/404 200/404 200/404 403/403 403/403
POST /v1/purchase-orders/{reference}/cancel  200/200 200/200 403/403 403/403 200/404 200/404 403/403 403/403 403/403
POST /v1/purchase-orders/{reference}/return  200/200 200/200 403/403 403/403 200/404 200/404 403/403 403/403 403/403
POST /v1/transfers                       201/201 201/201 201/201 403/403   201/404 201/404 201/404 403/403 403/403
GET  /v1/transfers/{reference}           200/200 200/200 200/200 200/200   200/404 200/404 200/404 200/404 200/404
POST /v1/transfers/{reference}/receive   200/200 200/200 200/200 403/403   200/404 200/404 200/404 403/403 403/403
GET  /v1/audit                           200/200 200/200 403/403 403/403   200/404 200/404 403/403 403/403 403/403
GET  /v1/users                           200     403     403     403       403     403     403     403     403
POST /v1/users                           201     403     403     403       403     403     403     403     403
POST /v1/users/{username}/disable        200     403     403     403       403     403     403     403     403
POST /v1/users/{username}/enable         200     403     403     403       403     403     403     403     403
GET  /v1/tokens                          200     403     403     403       403     403     403     403     403
POST /v1/tokens                          201     403     403     403       403     403     403     403     403
POST /v1/tokens/{token_id}/revoke        200     403     403     403       403     403     403     403     403
"""  # noqa: E501

PUBLIC = {("GET", "/v1/health"), ("GET", "/v1/ready"), ("POST", "/v1/auth/login")}
PAGES = ("/openapi.json", "/docs")  # not API routes; no token either
COST_ROLES = {"admin", "manager"}  # the roles that see unit costs


@dataclass(frozen=True)
class Caller:
    """A column of the table: a token of ``role`` from the ``tokens`` fixture, maybe scoped."""

    token: str
    role: str
    scoped: bool

    @property
    def home(self) -> str:
        """Its own owner: the one it is scoped to, or ``default``."""
        return "acme" if self.scoped else "default"

    @property
    def other(self) -> str:
        return "default" if self.scoped else "acme"


CALLERS = (Caller("admin", "admin", False), Caller("manager", "manager", False),
           Caller("operator", "operator", False), Caller("viewer", "viewer", False),
           Caller("acme_admin", "admin", True), Caller("acme_manager", "manager", True),
           Caller("acme_operator", "operator", True), Caller("acme_viewer", "viewer", True),
           Caller("client", "client", True))


class Row(NamedTuple):
    method: str
    path: str
    variant: str = ""

    def __str__(self) -> str:
        return " ".join(part for part in self if part)


def parse(table: str) -> dict[Row, tuple[str, ...]]:
    """Return the table's rows and their cells; a malformed line stops the collection."""
    rows: dict[Row, tuple[str, ...]] = {}
    for line in table.splitlines():
        words = line.split()
        if not words or words[0] not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            continue  # a heading
        row, cells = Row(words[0], words[1], " ".join(words[2:-len(CALLERS)])), words[-len(CALLERS):]
        pairs = {bool(re.fullmatch(r"\d{3}/\d{3}", cell)) for cell in cells}
        if len(pairs) != 1 or not all(re.fullmatch(r"\d{3}(/\d{3})?", cell) for cell in cells) \
                or row in rows:
            raise ValueError(f"malformed row in the authorization table: {line!r}")
        rows[row] = tuple(cells)
    return rows


MATRIX = parse(TABLE)


# --- the requests ----------------------------------------------------------------------------

BIN = "WH1/A-01"
COST = Decimal("2.50")
PASSWORD = "correct horse battery staple"
SERIAL = itertools.count(1)
CLOSED = date(2020, 1, 31)  # the books close through it: before any case's movements


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None

    def send(self, client: TestClient, headers: dict[str, str]) -> httpx.Response:
        return client.request(self.method, self.path, params=self.params, json=self.json,
                              headers=headers)


@dataclass
class Context:
    """What a case's request is built from: the caller, and the owner whose data it touches."""

    client: TestClient
    tokens: dict[str, str]
    caller: Caller
    target: str
    tag: str = field(default_factory=lambda: str(next(SERIAL)))  # names the case's objects

    @property
    def inv(self) -> onhand.Inventory:
        return inventory(self.client)

    def owner_query(self) -> dict[str, str]:
        """``owner=`` when the data is not the caller's own (lists and new objects)."""
        return {} if self.target == self.caller.home else {"owner": self.target}

    def naming_query(self) -> dict[str, str]:
        """For a request naming an object (SKU, movement): a scoped caller just names the other
        owner's object, without ``owner=``; an unscoped one needs ``owner=`` to reach acme's."""
        return {} if self.caller.scoped else self.owner_query()

    def receipt(self) -> onhand.Movement:
        """A fresh item of the target owner with 10 units received at a cost; its receipt."""
        sku = f"MUG-{self.tag}"
        self.inv.add_item(sku=sku, name="Blue mug", owner=self.target)
        return self.inv.receive(sku=sku, qty=10, location=BIN, unit_cost=COST, owner=self.target)

    def order(self, *, shipped: bool = False) -> onhand.Order:
        """A fresh order of the target owner reserving 2 of a fresh item (then shipped)."""
        lines = [{"sku": self.receipt().sku, "qty": 2, "unit_price": Decimal("9.50")}]
        made = self.inv.create_order(f"SO-{self.tag}", lines, owner=self.target)
        return self.inv.ship_order(made.reference, owner=self.target) if shipped else made

    def hold(self) -> onhand.Order:
        """A fresh hold of the target owner on 1 unit of a fresh item, for ten minutes."""
        return self.inv.place_hold(f"CART-{self.tag}", [{"sku": self.receipt().sku, "qty": 1}],
                                   ttl=timedelta(minutes=10), owner=self.target)

    def user(self, *, role: str = "viewer", disabled: bool = False) -> str:
        username = f"user{self.tag}"
        access.add_user(self.inv.unit_of_work(), username=username, password=PASSWORD, role=role)
        if disabled:
            access.set_disabled(self.inv.unit_of_work(), username=username)
        return username


Build = Callable[[Context], Request]


def app_of(client: TestClient) -> FastAPI:
    assert isinstance(client.app, FastAPI)
    return client.app


def inventory(client: TestClient) -> onhand.Inventory:
    found: onhand.Inventory = app_of(client).state.api.inventory
    return found


def post_movement(kind: str, **fields: Any) -> Build:
    def build(ctx: Context) -> Request:
        line = {"kind": kind, "sku": ctx.receipt().sku, "qty": 2, "location": BIN, **fields}
        return Request("POST", "/v1/movements", ctx.naming_query(), line)

    return build


def post_return(ctx: Context) -> Request:
    sku = ctx.receipt().sku
    shipped = ctx.inv.ship(sku=sku, qty=2, location=BIN, owner=ctx.target)
    line = {"kind": "return", "sku": sku, "qty": 1, "location": BIN, "shipment_id": shipped.id}
    return Request("POST", "/v1/movements", ctx.naming_query(), line)


def post_batch(ctx: Context, *, cost: bool) -> Request:
    sku = ctx.receipt().sku
    receipt = {"kind": "receipt", "sku": sku, "qty": 3, "location": BIN}
    lines = [receipt | {"unit_cost": "2.75"}] if cost else \
        [receipt, {"kind": "transfer", "sku": sku, "qty": 1, "source": BIN, "target": "WH1"}]
    return Request("POST", "/v1/movements/batch", ctx.naming_query(), {"lines": lines})


def read_audit(ctx: Context) -> Request:
    """An entry for the target owner exists (an item added through the API) before reading."""
    added = ctx.client.post("/v1/items", params={"owner": ctx.target},
                            json={"sku": f"AUDITED-{ctx.tag}", "name": "Audited mug"},
                            headers=bearer(ctx.tokens["admin"]))
    assert added.status_code == 201, added.text
    # without owner=, an unscoped caller reads every owner's entries: name the one meant
    return Request("GET", "/v1/audit", ctx.owner_query() if ctx.caller.scoped else
                   {"owner": ctx.target})


def on_order(action: str, body: Callable[[str], Any] | None = None, *, shipped: bool = False,
             method: str = "POST") -> Build:
    """A request on a fresh order (``body`` made from its SKU), naming it as the caller does."""

    def build(ctx: Context) -> Request:
        order = ctx.order(shipped=shipped)
        path = f"/v1/orders/{order.reference}" + (f"/{action}" if action else "")
        return Request(method, path, ctx.naming_query(),
                       None if body is None else body(order.lines[0].sku))

    return build


def on_hold(action: str, method: str = "POST") -> Build:
    """A request on a fresh hold, naming it as the caller does."""
    return lambda ctx: Request(method, f"/v1/holds/{ctx.hold().reference}" +
                               (f"/{action}" if action else ""), ctx.naming_query())


def new_order(path: str, **fields: Any) -> Build:
    """A request creating an order or hold of the target owner, on a fresh item."""
    return lambda ctx: Request("POST", path, ctx.owner_query(), {
        "reference": f"NEW-{ctx.tag}", "lines": [{"sku": ctx.receipt().sku, "qty": 2}],
        **fields})


def read_events(ctx: Context) -> Request:
    """Events of the target owner (a receipt writes one first)."""
    ctx.receipt()
    # without owner=, an unscoped caller reads every owner's events: name the one meant
    return Request("GET", "/v1/events", ctx.owner_query() if ctx.caller.scoped else
                   {"owner": ctx.target})


def set_sellable(ctx: Context) -> Request:
    path = ctx.inv.add_location(f"WH1/Q-{ctx.tag}")
    return Request("POST", f"/v1/locations/{path}/sellable", json={"sellable": False})


def purchase_order(ctx: Context, *, confirm: bool = True,
                   received: bool = False) -> onhand.PurchaseOrder:
    """A fresh purchase order of the target owner: 5 of a fresh item at a cost from a fresh
    supplier into WH1 (confirmed, then received)."""
    supplier = f"SUP-{ctx.tag}"
    ctx.inv.add_supplier(supplier, owner=ctx.target)
    made = ctx.inv.create_purchase_order(
        f"PO-{ctx.tag}", [{"sku": ctx.receipt().sku, "qty": 5, "unit_cost": COST}],
        supplier=supplier, warehouse="WH1", owner=ctx.target, confirm=confirm)
    return ctx.inv.receive_purchase_order(made.reference, owner=ctx.target) if received \
        else made


def on_purchase_order(action: str, body: Callable[[str], Any] | None = None, *,
                      confirm: bool = True, received: bool = False,
                      method: str = "POST") -> Build:
    """A request on a fresh purchase order (``body`` made from its SKU), named as the caller
    does."""

    def build(ctx: Context) -> Request:
        made = purchase_order(ctx, confirm=confirm, received=received)
        path = f"/v1/purchase-orders/{made.reference}" + (f"/{action}" if action else "")
        return Request(method, path, ctx.naming_query(),
                       None if body is None else body(made.lines[0].sku))

    return build


def new_purchase_order(ctx: Context) -> Request:
    """A request creating a confirmed purchase order of the target owner, with a cost."""
    supplier = f"SUP-{ctx.tag}"
    ctx.inv.add_supplier(supplier, owner=ctx.target)
    return Request("POST", "/v1/purchase-orders", ctx.owner_query(), {
        "reference": f"NEW-{ctx.tag}", "supplier": supplier, "warehouse": "WH1",
        "confirm": True, "lines": [{"sku": ctx.receipt().sku, "qty": 5, "unit_cost": "2.75"}]})


def list_purchase_orders(ctx: Context) -> Request:
    """The target owner's purchase orders (one made first, so a cost can show)."""
    purchase_order(ctx)
    return Request("GET", "/v1/purchase-orders", ctx.owner_query())


def second_warehouse(inv: onhand.Inventory) -> str:
    """WH2, the target of transfers (made on first use)."""
    if "WH2" not in {place.path for place in inv.locations()}:
        inv.add_location("WH2")
    return "WH2"


def new_transfer(ctx: Context) -> Request:
    """A request dispatching 2 of a fresh item of the target owner from WH1 to WH2."""
    return Request("POST", "/v1/transfers", ctx.owner_query(), {
        "reference": f"TR-{ctx.tag}", "source": "WH1", "target": second_warehouse(ctx.inv),
        "lines": [{"sku": ctx.receipt().sku, "qty": 2}]})


def on_transfer(action: str, method: str = "POST") -> Build:
    """A request on a fresh transfer in transit, named as the caller does."""

    def build(ctx: Context) -> Request:
        sent = ctx.inv.dispatch_transfer(
            f"TR-{ctx.tag}", [{"sku": ctx.receipt().sku, "qty": 2}], source="WH1",
            target=second_warehouse(ctx.inv), owner=ctx.target)
        return Request(method, f"/v1/transfers/{sent.reference}" +
                       (f"/{action}" if action else ""), ctx.naming_query())

    return build


def export_journal(ctx: Context) -> Request:
    """A journal export of the target owner for a day no other case exports."""
    day = str(CLOSED + timedelta(days=int(ctx.tag)))
    return Request("POST", "/v1/journal-exports", ctx.owner_query(), {"since": day, "until": day})


def owner_values(ctx: Context) -> Request:
    """The target owner's total (something received first)."""
    ctx.receipt()
    # without owner=, an unscoped caller reads every owner's total: name the one meant
    return Request("GET", "/v1/valuation/owners", ctx.owner_query() if ctx.caller.scoped else
                   {"owner": ctx.target})


def add_landed_cost(ctx: Context) -> Request:
    """A landed cost on a fresh receipt of the target owner, named as the caller does (a
    scoped caller names the other owner's receipt as it is)."""
    return Request("POST", "/v1/landed-costs", ctx.naming_query(), {
        "reference": f"FREIGHT-{ctx.tag}", "amount": "5.00", "receipts": [ctx.receipt().id]})


def revalue(ctx: Context) -> Request:
    """A revaluation of a fresh item of the target owner, 2 of its units uncosted."""
    sku = ctx.receipt().sku
    ctx.inv.receive(sku=sku, qty=2, location=BIN, owner=ctx.target)
    return Request("POST", "/v1/revaluations", ctx.naming_query(),
                   {"sku": sku, "unit_cost": "2.50", "reference": f"REVAL-{ctx.tag}"})


def reopen_period(ctx: Context) -> Request:
    """Reopening every day of the target owner's books (closed through ``CLOSED`` first)."""
    ctx.inv.close_period(CLOSED, owner=ctx.target)
    return Request("POST", "/v1/periods/reopen", ctx.owner_query(), {"through": None})


def revoke_token(ctx: Context) -> Request:
    made, _ = access.create_token(ctx.inv.unit_of_work(), name=f"erp {ctx.tag}", role="viewer")
    return Request("POST", f"/v1/tokens/{made.id}/revoke")


REQUESTS: dict[Row, Build] = {
    Row("GET", "/v1/health"): lambda ctx: Request("GET", "/v1/health"),
    Row("GET", "/v1/ready"): lambda ctx: Request("GET", "/v1/ready"),
    Row("POST", "/v1/auth/login"): lambda ctx: Request(
        "POST", "/v1/auth/login", json={"username": ctx.user(), "password": PASSWORD}),
    Row("GET", "/v1/owners"): lambda ctx: Request("GET", "/v1/owners"),
    Row("POST", "/v1/owners"): lambda ctx: Request(
        "POST", "/v1/owners", json={"code": f"shop{ctx.tag}", "name": "A new client"}),
    Row("GET", "/v1/items"): lambda ctx: Request("GET", "/v1/items", ctx.owner_query()),
    Row("GET", "/v1/items/{sku}"): lambda ctx: Request(
        "GET", f"/v1/items/{ctx.receipt().sku}", ctx.naming_query()),
    Row("POST", "/v1/items"): lambda ctx: Request(
        "POST", "/v1/items", ctx.owner_query(), {"sku": f"NEW-{ctx.tag}", "name": "New mug"}),
    Row("GET", "/v1/locations"): lambda ctx: Request("GET", "/v1/locations"),
    Row("POST", "/v1/locations"): lambda ctx: Request(
        "POST", "/v1/locations", json={"path": f"WH1/B-{ctx.tag}"}),
    Row("POST", "/v1/movements", "receipt"): post_movement("receipt"),
    Row("POST", "/v1/movements", "receipt+cost"): post_movement("receipt", unit_cost="2.75"),
    Row("POST", "/v1/movements", "shipment"): post_movement("shipment"),
    Row("POST", "/v1/movements", "return"): post_return,
    Row("POST", "/v1/movements", "adjustment"): post_movement("adjustment", qty=-1,
                                                              reason="dropped"),
    Row("POST", "/v1/movements", "scrap"): post_movement("scrap", reason="broken"),
    Row("POST", "/v1/movements", "transfer"): lambda ctx: Request(
        "POST", "/v1/movements", ctx.naming_query(),
        {"kind": "transfer", "sku": ctx.receipt().sku, "qty": 2, "source": BIN, "target": "WH1"}),
    Row("POST", "/v1/movements", "count"): post_movement("count", qty=1, reason="cycle count"),
    Row("POST", "/v1/movements/batch"): lambda ctx: post_batch(ctx, cost=False),
    Row("POST", "/v1/movements/batch", "receipt+cost"): lambda ctx: post_batch(ctx, cost=True),
    Row("GET", "/v1/movements"): lambda ctx: Request(
        "GET", "/v1/movements", {**ctx.owner_query(), "sku": ctx.receipt().sku}),
    Row("GET", "/v1/movements/{movement_id}"): lambda ctx: Request(
        "GET", f"/v1/movements/{ctx.receipt().id}", ctx.naming_query()),
    Row("POST", "/v1/movements/{movement_id}/reverse"): lambda ctx: Request(
        "POST", f"/v1/movements/{ctx.receipt().id}/reverse", ctx.naming_query(),
        {"reason": "posted twice"}),
    Row("GET", "/v1/stock"): lambda ctx: Request("GET", "/v1/stock", ctx.owner_query()),
    Row("GET", "/v1/stock/{sku}"): lambda ctx: Request(
        "GET", f"/v1/stock/{ctx.receipt().sku}", ctx.naming_query()),
    Row("POST", "/v1/stock/{sku}/safety-stock"): lambda ctx: Request(
        "POST", f"/v1/stock/{ctx.receipt().sku}/safety-stock", ctx.naming_query(),
        {"warehouse": "WH1", "qty": 1}),
    Row("GET", "/v1/valuation"): lambda ctx: Request(
        "GET", "/v1/valuation", {**ctx.owner_query(), "sku": ctx.receipt().sku}),
    Row("GET", "/v1/cogs"): lambda ctx: Request(
        "GET", "/v1/cogs", {**ctx.owner_query(), "sku": ctx.receipt().sku,
                            "since": "2026-01-01", "until": "2026-12-31"}),
    Row("GET", "/v1/value-entries"): lambda ctx: Request(
        "GET", "/v1/value-entries", {**ctx.owner_query(), "sku": ctx.receipt().sku}),
    Row("GET", "/v1/valuation/owners"): owner_values,
    Row("POST", "/v1/journal-exports"): export_journal,
    Row("POST", "/v1/landed-costs"): add_landed_cost,
    Row("POST", "/v1/revaluations"): revalue,
    Row("GET", "/v1/periods"): lambda ctx: Request("GET", "/v1/periods", ctx.owner_query()),
    Row("POST", "/v1/periods/close"): lambda ctx: Request(
        "POST", "/v1/periods/close", ctx.owner_query(), {"until": str(CLOSED)}),
    Row("POST", "/v1/periods/reopen"): reopen_period,
    Row("POST", "/v1/locations/{path:path}/sellable"): set_sellable,
    Row("GET", "/v1/orders"): lambda ctx: Request("GET", "/v1/orders", ctx.owner_query()),
    Row("POST", "/v1/orders"): new_order("/v1/orders", policy="reject"),
    Row("GET", "/v1/orders/{reference}"): on_order("", method="GET"),
    Row("POST", "/v1/orders/{reference}/update"): on_order(
        "update", lambda sku: {"lines": [{"sku": sku, "qty": 3}]}),
    Row("POST", "/v1/orders/{reference}/ship"): on_order("ship"),
    Row("POST", "/v1/orders/{reference}/cancel"): on_order(
        "cancel", lambda sku: {"reason": "the customer changed their mind"}),
    Row("POST", "/v1/orders/{reference}/returns"): on_order(
        "returns", lambda sku: {"lines": [{"sku": sku, "qty": 1}], "location": BIN,
                                "reason": "dented"}, shipped=True),
    Row("GET", "/v1/orders/{reference}/pick-list"): on_order("pick-list", method="GET"),
    Row("POST", "/v1/holds"): new_order("/v1/holds", ttl_seconds=600),
    Row("GET", "/v1/holds/{reference}"): on_hold("", method="GET"),
    Row("POST", "/v1/holds/{reference}/confirm"): on_hold("confirm"),
    Row("POST", "/v1/holds/{reference}/release"): on_hold("release"),
    Row("GET", "/v1/events"): read_events,
    Row("GET", "/v1/suppliers"): lambda ctx: Request("GET", "/v1/suppliers", ctx.owner_query()),
    Row("POST", "/v1/suppliers"): lambda ctx: Request(
        "POST", "/v1/suppliers", ctx.owner_query(), {"code": f"NEW-{ctx.tag}"}),
    Row("GET", "/v1/purchase-orders"): list_purchase_orders,
    Row("POST", "/v1/purchase-orders"): new_purchase_order,
    Row("GET", "/v1/purchase-orders/{reference}"): on_purchase_order("", method="GET"),
    Row("POST", "/v1/purchase-orders/{reference}/confirm"): on_purchase_order(
        "confirm", confirm=False),
    Row("POST", "/v1/purchase-orders/{reference}/receive"): on_purchase_order("receive"),
    Row("POST", "/v1/purchase-orders/{reference}/cancel"): on_purchase_order("cancel"),
    Row("POST", "/v1/purchase-orders/{reference}/return"): on_purchase_order(
        "return", lambda sku: {"lines": [{"sku": sku, "qty": 1}], "reason": "chipped"},
        received=True),
    Row("POST", "/v1/transfers"): new_transfer,
    Row("GET", "/v1/transfers/{reference}"): on_transfer("", method="GET"),
    Row("POST", "/v1/transfers/{reference}/receive"): on_transfer("receive"),
    Row("GET", "/v1/audit"): read_audit,
    Row("GET", "/v1/users"): lambda ctx: Request("GET", "/v1/users"),
    Row("POST", "/v1/users"): lambda ctx: Request(
        "POST", "/v1/users", json={"username": f"user{ctx.tag}", "password": PASSWORD,
                                   "role": "viewer"}),
    Row("POST", "/v1/users/{username}/disable"): lambda ctx: Request(
        "POST", f"/v1/users/{ctx.user()}/disable"),
    Row("POST", "/v1/users/{username}/enable"): lambda ctx: Request(
        "POST", f"/v1/users/{ctx.user(disabled=True)}/enable"),
    Row("GET", "/v1/tokens"): lambda ctx: Request("GET", "/v1/tokens"),
    Row("POST", "/v1/tokens"): lambda ctx: Request(
        "POST", "/v1/tokens", json={"name": f"erp {ctx.tag}", "role": "viewer"}),
    Row("POST", "/v1/tokens/{token_id}/revoke"): revoke_token,
}

# rows whose successful response carries a movement posted with a unit cost (or a revaluation's)
SHOWS_COST = {Row("POST", "/v1/movements", "receipt+cost"),
              Row("POST", "/v1/movements/batch", "receipt+cost"), Row("GET", "/v1/movements"),
              Row("GET", "/v1/movements/{movement_id}"),
              Row("POST", "/v1/movements/{movement_id}/reverse"),
              Row("POST", "/v1/revaluations")}
# ...and every purchase order (its lines' unit costs)
SHOWS_COST |= {row for row in MATRIX if row.path.startswith("/v1/purchase-orders")}


def describe(request: Request, response: httpx.Response) -> str:
    return (f"{request.method} {request.path} params={request.params} json={request.json} -> "
            f"{response.status_code} {response.text[:400]}")


def values(body: Any, key: str) -> Iterator[Any]:
    """Every value of ``key`` anywhere in a JSON body."""
    if isinstance(body, dict):
        for name, value in body.items():
            if name == key:
                yield value
            yield from values(value, key)
    elif isinstance(body, list):
        for value in body:
            yield from values(value, key)


# --- one app for the module ----------------------------------------------------------------


@pytest.fixture(scope="module")
def client(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for every case of this module: owners default and acme, locations WH1 and
    WH1/A-01. Cases share its database (each creates the objects it touches): a database per
    case would cost ~0.6 s each on PostgreSQL, for 600 cases."""
    url = databases.fresh(tmp_path_factory.mktemp("authorization"))
    app = make_app(url)
    inv = app.state.api.inventory
    inv.add_owner("acme", "Acme Corp")
    inv.add_location("WH1")
    inv.add_location(BIN)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    databases.drop(url)


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> dict[str, str]:
    """A token per column of the table, by its name there (``acme_*`` and client: acme's)."""
    uow = inventory(client).unit_of_work
    return {caller.token: access.create_token(uow(), name=caller.token, role=caller.role,
                                              owner=caller.home if caller.scoped else None)[1]
            for caller in CALLERS}


# --- the matrix ------------------------------------------------------------------------------


def cases() -> list[Any]:
    """A case per cell of the table, two for an own/other cell."""
    found = []
    for row, cells in MATRIX.items():
        for caller, cell in zip(CALLERS, cells, strict=True):
            if "/" not in cell:
                found.append(pytest.param(row, caller, caller.home, int(cell),
                                          id=f"{row}-{caller.token}"))
                continue
            for whose, target, status in zip(("own", "other"), (caller.home, caller.other),
                                             cell.split("/"), strict=True):
                found.append(pytest.param(row, caller, target, int(status),
                                          id=f"{row}-{caller.token}-{whose}"))
    return found


@pytest.mark.parametrize(("row", "caller", "target", "expected"), cases())
def test_each_caller_gets_the_status_the_table_states(
        client: TestClient, tokens: dict[str, str], row: Row, caller: Caller, target: str,
        expected: int) -> None:
    request = REQUESTS[row](Context(client, tokens, caller, target))
    response = request.send(client, bearer(tokens[caller.token]))
    assert response.status_code == expected, describe(request, response)
    if not response.is_success:
        assert response.headers["content-type"] == "application/problem+json"
        return
    body = response.json()
    costs = list(values(body, "unit_cost"))
    if caller.role not in COST_ROLES:
        assert all(cost is None for cost in costs), f"{caller.role} sees a cost: {body}"
    elif row in SHOWS_COST:
        assert any(cost is not None for cost in costs), f"{caller.role} sees no cost: {body}"
    if "/" in MATRIX[row][0]:  # an owner's data: nothing of another owner's in the answer
        assert set(values(body, "owner")) <= {target}, describe(request, response)


def test_every_route_has_a_row_and_every_row_a_route(client: TestClient) -> None:
    routes = {(method, context.path) for context in iter_route_contexts(app_of(client).routes)
              if isinstance(context.original_route, APIRoute)
              for method in context.methods or () if method != "HEAD"}
    rows = {(row.method, row.path) for row in MATRIX}
    assert routes - rows == set(), "routes without a row in the authorization table"
    assert rows - routes == set(), "rows of the authorization table without a route"
    assert set(REQUESTS) == set(MATRIX), "every row needs a request, every request a row"


def test_a_scoped_caller_sees_only_its_own_owner(client: TestClient,
                                                  tokens: dict[str, str]) -> None:
    assert [owner["code"] for owner in client.get(
        "/v1/owners", headers=bearer(tokens["acme_viewer"])).json()["items"]] == ["acme"]
    assert {"default", "acme"} <= {owner["code"] for owner in client.get(
        "/v1/owners", headers=bearer(tokens["viewer"])).json()["items"]}


# --- operators -------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["operator", "acme_operator"])
@pytest.mark.parametrize("batch", [False, True], ids=["one", "batch"])
def test_an_operator_may_not_set_a_unit_cost(client: TestClient, tokens: dict[str, str],
                                              token: str, batch: bool) -> None:
    caller = next(caller for caller in CALLERS if caller.token == token)
    sku = Context(client, tokens, caller, caller.home).receipt().sku
    line = {"kind": "receipt", "sku": sku, "qty": 1, "location": BIN, "unit_cost": "3.00"}
    path, body = ("/v1/movements/batch", {"lines": [line]}) if batch else ("/v1/movements", line)
    response = client.post(path, json=body, headers=bearer(tokens[token]))
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "unit_cost"
    assert response.json().get("line") == (1 if batch else None)
    stock = client.get(f"/v1/stock/{sku}", headers=bearer(tokens[token])).json()
    assert stock["on_hand"] == "10"  # nothing written


@pytest.mark.parametrize("token", ["operator", "acme_operator"])
def test_an_operator_must_give_a_reason_to_adjust(client: TestClient, tokens: dict[str, str],
                                                  token: str) -> None:
    caller = next(caller for caller in CALLERS if caller.token == token)
    sku = Context(client, tokens, caller, caller.home).receipt().sku
    line = {"kind": "adjustment", "sku": sku, "qty": -1, "location": BIN}
    response = client.post("/v1/movements", json=line, headers=bearer(tokens[token]))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "reason"


# --- authentication --------------------------------------------------------------------------


def first_rows(*, public: bool) -> list[Any]:
    """One row per route (its first variant), public routes or protected ones."""
    seen: dict[tuple[str, str], Row] = {}
    for row in MATRIX:
        seen.setdefault((row.method, row.path), row)
    return [pytest.param(row, id=str(row)) for route, row in seen.items()
            if (route in PUBLIC) == public]


def admin_request(client: TestClient, tokens: dict[str, str], row: Row) -> Request:
    """The row's request as the unscoped admin would send it on its own owner's data."""
    return REQUESTS[row](Context(client, tokens, CALLERS[0], CALLERS[0].home))


@pytest.mark.parametrize("row", first_rows(public=False))
def test_a_protected_route_without_a_token_answers_401(client: TestClient,
                                                       tokens: dict[str, str], row: Row) -> None:
    request = admin_request(client, tokens, row)
    response = request.send(client, {})
    assert response.status_code == 401, describe(request, response)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture(scope="module")
def bad_tokens(client: TestClient, tokens: dict[str, str]) -> dict[str, str]:
    """Tokens that must not authenticate, each of an admin, so no 403 can hide a 401."""
    uow = inventory(client).unit_of_work
    revoked, revoked_secret = access.create_token(uow(), name="revoked", role="admin")
    access.revoke_token(uow(), token_id=revoked.id)
    access.add_user(uow(), username="gone", password=PASSWORD, role="admin")
    access.add_user(uow(), username="stays", password=PASSWORD, role="admin")  # not the last
    _, session = access.login(uow(), username="gone", password=PASSWORD, ttl=timedelta(hours=1))
    access.set_disabled(uow(), username="gone")
    expiring, expiring_secret = access.create_token(
        uow(), name="expiring", role="admin", expires_at=utcnow() + timedelta(milliseconds=50))
    assert expiring.expires_at is not None
    time.sleep(max(0.0, (expiring.expires_at - utcnow()).total_seconds()) + 0.01)
    prefix, admin_id, _ = tokens["admin"].split("_", 2)
    return {"malformed": "not-a-token", "unknown": f"onh_987654_{'x' * 43}",
            "wrong-secret": f"{prefix}_{admin_id}_{'A' * 43}", "revoked": revoked_secret,
            "expired": expiring_secret, "disabled-user-session": session}


BAD = ("malformed", "unknown", "wrong-secret", "revoked", "expired", "disabled-user-session")


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("row", first_rows(public=False))
def test_a_bad_token_answers_401(client: TestClient, tokens: dict[str, str],
                                 bad_tokens: dict[str, str], row: Row, kind: str) -> None:
    request = admin_request(client, tokens, row)
    response = request.send(client, bearer(bad_tokens[kind]))
    assert response.status_code == 401, describe(request, response)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("row", first_rows(public=True))
def test_a_public_route_needs_no_token(client: TestClient, tokens: dict[str, str],
                                       row: Row) -> None:
    request = admin_request(client, tokens, row)
    response = request.send(client, {})
    assert response.status_code == 200, describe(request, response)


@pytest.mark.parametrize("path", PAGES)
def test_the_api_description_and_docs_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
