"""Who may do what: roles, their permissions, and the caller an adapter acts for.

A role is a set of permissions; a caller (:class:`Principal`, a user or an API token) has
one role and may be scoped to one owner, in which case it sees and touches only that owner's
data — another owner's objects answer "not found", so nothing leaks their existence.

==========  ===================================================================================
role        may
==========  ===================================================================================
admin       everything, users and tokens included; reopening closed accounting periods
manager     the catalog, every movement, reversals, reports, costs (valuation, value entries,
            journal exports, closing accounting periods), the audit trail; orders
            and holds, shipping and returns; safety stock and sellable flags; suppliers and
            purchase orders (create, confirm, cancel, return to the supplier)
operator    read; receive, ship, transfer, adjust (with a reason), count; ship orders and
            take their returns; receive purchase orders; dispatch and receive transfers;
            no cost
viewer      read only, no costs
client      a 3PL's client (or a merchant's sales channel): its own owner's items, stock,
            movements and events; creates, changes and cancels its orders and holds; no costs
==========  ===================================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.movements import LAST_COST
from onhand.errors import Forbidden, InvalidInput, UnknownOwner


class Role(StrEnum):
    """The roles, from most to least powerful."""

    ADMIN = "admin"
    MANAGER = "manager"
    OPERATOR = "operator"
    VIEWER = "viewer"
    CLIENT = "client"


class Permission(StrEnum):
    """One thing a caller may do; routes name the permission they need."""

    OWNERS_READ = "owners:read"
    OWNERS_WRITE = "owners:write"
    CATALOG_READ = "catalog:read"  # items
    CATALOG_WRITE = "catalog:write"
    LOCATIONS_READ = "locations:read"
    LOCATIONS_WRITE = "locations:write"
    STOCK_READ = "stock:read"
    MOVEMENTS_READ = "movements:read"
    MOVEMENTS_POST = "movements:post"  # the kinds a role may post: POSTABLE_KINDS
    MOVEMENTS_REVERSE = "movements:reverse"
    COSTS = "costs"  # see and set unit costs; value reports, journal exports, closing periods
    AUDIT_READ = "audit:read"
    USERS = "users"  # users and tokens
    ORDERS_READ = "orders:read"  # orders, holds, pick lists
    ORDERS_WRITE = "orders:write"  # create, change, cancel orders; place, confirm, release holds
    ORDERS_FULFIL = "orders:fulfil"  # ship orders, take returns against them
    EVENTS_READ = "events:read"  # the outbox: every change of available
    SAFETY_STOCK = "safety-stock:write"
    PURCHASING_READ = "purchasing:read"  # suppliers and purchase orders
    PURCHASING_WRITE = "purchasing:write"  # suppliers; create, confirm, cancel purchase orders;
    # return to the supplier
    PURCHASING_RECEIVE = "purchasing:receive"  # receive against purchase orders
    TRANSFERS_WRITE = "transfers:write"  # dispatch and receive transfers between warehouses
    PERIODS_REOPEN = "periods:reopen"  # move a closed period's bound back: the admin's alone


P = Permission
_READ = {P.OWNERS_READ, P.CATALOG_READ, P.LOCATIONS_READ, P.STOCK_READ, P.MOVEMENTS_READ,
         P.ORDERS_READ, P.EVENTS_READ, P.PURCHASING_READ}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(_READ | {P.CATALOG_WRITE, P.LOCATIONS_WRITE, P.MOVEMENTS_POST,
                                     P.MOVEMENTS_REVERSE, P.COSTS, P.AUDIT_READ,
                                     P.ORDERS_WRITE, P.ORDERS_FULFIL, P.SAFETY_STOCK,
                                     P.PURCHASING_WRITE, P.PURCHASING_RECEIVE,
                                     P.TRANSFERS_WRITE}),
    # the warehouse floor: ships what orders reserved and takes back what they shipped (an
    # order's return is bounded by its shipments, unlike a free "return" movement)
    # ...and receives purchase orders and transfers (a purchase order's receipt carries the
    # order's cost, which the operator neither sees nor sets)
    Role.OPERATOR: frozenset(_READ | {P.MOVEMENTS_POST, P.ORDERS_FULFIL, P.PURCHASING_RECEIVE,
                                      P.TRANSFERS_WRITE}),
    Role.VIEWER: frozenset(_READ),
    # a merchant's sales channel: it sells (orders, holds) and keeps its availability in
    # sync (events); unit prices are not costs, so it sees them
    Role.CLIENT: frozenset({P.CATALOG_READ, P.STOCK_READ, P.MOVEMENTS_READ, P.ORDERS_READ,
                            P.ORDERS_WRITE, P.EVENTS_READ}),
}

# shared by every owner: a caller scoped to one owner may not change them
UNSCOPED_ONLY = frozenset({P.OWNERS_WRITE, P.LOCATIONS_WRITE, P.USERS})

ALL_KINDS = frozenset({"receipt", "shipment", "return", "adjustment", "scrap", "transfer", "count"})
POSTABLE_KINDS: dict[Role, frozenset[str]] = {
    Role.ADMIN: ALL_KINDS,
    Role.MANAGER: ALL_KINDS,
    # as the issue lists them: returns and scrap (damage) go through a manager, or as an
    # adjustment with its reason
    Role.OPERATOR: frozenset({"receipt", "shipment", "transfer", "adjustment", "count"}),
    Role.VIEWER: frozenset(),
    Role.CLIENT: frozenset(),
}


def parse_role(value: str, field: str = "role") -> Role:
    """Return the role named ``value``, or raise ``InvalidInput`` naming the roles there are."""
    try:
        return Role(value)
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise InvalidInput(f"unknown role {value!r}; one of {names}", field=field,
                           value=value) from None


def check_scope(role: Role, owner: str | None) -> None:
    """A client acts for one merchant: its user or token must be scoped to an owner."""
    if role is Role.CLIENT and owner is None:
        raise InvalidInput("a client must be scoped to an owner", field="owner")


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10


def check_username(value: object) -> str:
    """Return a valid username: 1 to 64 lowercase letters, digits, ``.``, ``_``, ``@``, ``-``."""
    if not isinstance(value, str) or not _USERNAME.match(value):
        raise InvalidInput("username must be 1 to 64 lowercase letters, digits, '.', '_', '@' "
                           "or '-'", field="username", value=value)
    return value


def check_password(value: object) -> str:
    """Return a password long enough to resist guessing (at least ``MIN_PASSWORD`` characters)."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters",
                           field="password")
    if len(value) > 1024:
        raise InvalidInput("password must have at most 1024 characters", field="password")
    return value


@dataclass(frozen=True, slots=True)
class User:
    """A person who logs in; never carries the password or its hash."""

    username: str
    role: Role
    owner: str | None
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token's public facts (a login session is a token of kind ``session``)."""

    id: int
    name: str
    kind: str
    role: Role | None
    owner: str | None
    user: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        """Tell whether the token still authenticates at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, kw_only=True, slots=True)
class AddUser(Command[User]):
    """Create a user who logs in with ``password`` and acts with ``role`` (within ``owner``).

    An adapter that hashes the password before the write opens (the API: argon2 takes ~50 ms
    that should not hold the write lock) gives ``password_hash`` instead. Neither is ever
    shown, nor kept in the audit trail.
    """

    action = "users.add"
    username: str
    role: str
    owner: str | None = None
    password: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)

    def target(self, result: Any) -> str | None:
        return self.username

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"role": result.role.value, "owner": self.owner}


@dataclass(frozen=True, kw_only=True, slots=True)
class AddFirstAdmin(Command[User | None]):
    """Create the first user, an admin, unless a user exists already (then: None, nothing
    written): ``onhand init``, safe against a concurrent one."""

    action = "users.add"
    username: str
    password: str = field(repr=False)
    password_hash: str | None = field(default=None, repr=False)  # hashed before the write

    def target(self, result: Any) -> str | None:
        return self.username

    def effect(self, result: Any) -> dict[str, Any] | None:
        return None if result is None else {"role": result.role.value, "owner": None}


@dataclass(frozen=True, kw_only=True, slots=True)
class SetPassword(Command[None]):
    """Give a user a new password and end their sessions (the audit trail says it changed,
    never what to). ``owner``: the owner the user is scoped to, as the audit trail files the
    change (None: not named); a user scoped to another owner is not found."""

    action = "users.password"
    username: str
    password: str = field(repr=False)
    password_hash: str | None = field(default=None, repr=False)  # hashed before the write
    owner: str | None = None

    def target(self, result: Any) -> str | None:
        return self.username

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"password": "changed", "sessions": "ended"}


@dataclass(frozen=True, kw_only=True, slots=True)
class DisableUser(Command[User]):
    """Disable a user: they can no longer log in, and their sessions end at once. The last
    enabled admin cannot be disabled. ``owner``: as :class:`SetPassword`'s."""

    action = "users.disable"
    username: str
    owner: str | None = None

    def target(self, result: Any) -> str | None:
        return self.username

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"disabled": True}


@dataclass(frozen=True, kw_only=True, slots=True)
class EnableUser(Command[User]):
    """Enable a disabled user again. ``owner``: as :class:`SetPassword`'s."""

    action = "users.enable"
    username: str
    owner: str | None = None

    def target(self, result: Any) -> str | None:
        return self.username

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"disabled": False}


@dataclass(frozen=True, kw_only=True, slots=True)
class CreateToken(Command[tuple[TokenInfo, str]]):
    """Create an API token; the result is its facts and its secret (shown once: never kept,
    nor in the audit trail)."""

    action = "tokens.create"
    name: str
    role: str
    owner: str | None = None
    expires_at: datetime | None = None

    def target(self, result: Any) -> str | None:
        return str(result[0].id)

    def effect(self, result: Any) -> dict[str, Any] | None:
        info = result[0]
        return {"name": info.name, "role": info.role.value, "owner": info.owner,
                "expires_at": None if info.expires_at is None else info.expires_at.isoformat()}


@dataclass(frozen=True, kw_only=True, slots=True)
class RevokeToken(Command[TokenInfo]):
    """Revoke an API token: it stops authenticating at once. ``owner``: the owner the token
    is scoped to, as the audit trail files it (None: not named); another owner's is not
    found."""

    action = "tokens.revoke"
    token_id: int
    owner: str | None = None

    def target(self, result: Any) -> str | None:
        return str(self.token_id)

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"name": result.name, "revoked_at": None if result.revoked_at is None
                else result.revoked_at.isoformat()}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One write, as the audit trail keeps it: who, when, from where, what, with which effect."""

    at: datetime
    actor: str
    action: str
    owner: str | None = None
    address: str | None = None
    request_id: str | None = None
    target: str | None = None
    movement_ids: tuple[int, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a request acts for: a user (``user:alice``) or an API token (``token:7``)."""

    kind: str  # "user" (a login session) or "token"
    id: int
    name: str
    role: Role
    owner: str | None = None  # the one owner it may see, or None for all
    token_id: int | None = None  # the token that authenticated it (a session is a token too)

    @property
    def actor(self) -> str:
        """The name the audit trail records: ``user:alice`` or ``token:7``."""
        return f"{self.kind}:{self.name if self.kind == 'user' else self.id}"

    def can(self, permission: Permission) -> bool:
        """Tell whether the role holds ``permission`` (within the caller's owner scope)."""
        if self.owner is not None and permission in UNSCOPED_ONLY:
            return False
        return permission in PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless the role holds ``permission``."""
        if not self.can(permission):
            raise Forbidden(f"the role {self.role.value!r} may not do this ({permission.value})",
                            permission=permission.value, role=self.role.value)

    def owner_for(self, requested: str | None) -> str:
        """Return the owner a request acts on: the caller's scope, or ``requested``.

        A caller scoped to one owner never needs ``owner=``; naming another owner answers
        ``UnknownOwner`` (404), as if it did not exist.
        """
        if self.owner is None:
            return requested or "default"
        if requested not in (None, self.owner):
            raise UnknownOwner(str(requested))
        return self.owner

    def unit_cost(self, kind: str, given: object) -> object:
        """Return the unit cost this caller's posting carries: its own, or — a receipt by a
        caller who may not see costs — the item's last receipt cost (``LAST_COST``)."""
        if kind == "receipt" and not self.can(Permission.COSTS):
            return LAST_COST
        return given

    def check_posting(self, kind: str, *, has_cost: bool) -> None:
        """Raise ``Forbidden`` when this caller may not post ``kind``, or set a unit cost."""
        if kind not in POSTABLE_KINDS[self.role]:
            raise Forbidden(f"the role {self.role.value!r} may not post a {kind}", field="kind",
                            role=self.role.value)
        if has_cost and not self.can(Permission.COSTS):
            raise Forbidden(f"the role {self.role.value!r} may not set a unit cost",
                            field="unit_cost", role=self.role.value)
