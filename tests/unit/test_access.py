"""Roles, owner scopes and rate limits: the domain's rules of access, without a database."""

from __future__ import annotations

import pytest

from onhand.domain.access import Permission, Principal, Role, check_password, parse_role
from onhand.domain.movements import LAST_COST
from onhand.domain.throttle import MINUTE_NS, RateLimiter
from onhand.errors import Forbidden, InvalidInput, UnknownOwner


def caller(role: Role, owner: str | None = None) -> Principal:
    return Principal(kind="token", id=7, name="sync", role=role, owner=owner, token_id=7)


def test_a_scoped_caller_naming_another_owner_finds_it_unknown_not_forbidden() -> None:
    with pytest.raises(UnknownOwner):
        caller(Role.VIEWER, owner="acme").owner_for("globex")


def test_a_scoped_caller_needs_no_owner_and_an_unscoped_one_defaults_to_default() -> None:
    assert caller(Role.CLIENT, owner="acme").owner_for(None) == "acme"
    assert caller(Role.MANAGER).owner_for(None) == "default"
    assert caller(Role.MANAGER).owner_for("acme") == "acme"


def test_a_scoped_admin_may_not_change_what_all_owners_share() -> None:
    scoped = caller(Role.ADMIN, owner="acme")
    assert not scoped.can(Permission.USERS) and not scoped.can(Permission.LOCATIONS_WRITE)
    assert caller(Role.ADMIN).can(Permission.USERS)


def test_only_an_admin_may_reopen_a_closed_period_a_scoped_one_too() -> None:
    assert [role for role in Role if caller(role).can(Permission.PERIODS_REOPEN)] == [Role.ADMIN]
    assert caller(Role.ADMIN, owner="acme").can(Permission.PERIODS_REOPEN)
    assert caller(Role.MANAGER).can(Permission.COSTS)  # who closes one


def test_an_operator_may_not_post_a_return_nor_set_a_cost() -> None:
    operator = caller(Role.OPERATOR)
    operator.check_posting("receipt", has_cost=False)
    with pytest.raises(Forbidden) as refused:
        operator.check_posting("return", has_cost=False)
    assert refused.value.field == "kind"
    with pytest.raises(Forbidden) as costly:
        operator.check_posting("receipt", has_cost=True)
    assert costly.value.field == "unit_cost"


def test_an_operators_receipt_takes_the_last_cost_and_a_managers_keeps_its_own() -> None:
    assert caller(Role.OPERATOR).unit_cost("receipt", None) == LAST_COST
    assert caller(Role.MANAGER).unit_cost("receipt", None) is None
    assert caller(Role.OPERATOR).unit_cost("shipment", None) is None


def test_an_unknown_role_and_a_short_password_are_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as role:
        parse_role("boss")
    assert role.value.field == "role"
    with pytest.raises(InvalidInput) as password:
        check_password("short")
    assert password.value.field == "password"


def test_the_rate_limiter_allows_a_minutes_worth_then_asks_to_wait_until_one_refills() -> None:
    limiter = RateLimiter(per_minute=2)
    assert [limiter.take("a", 0), limiter.take("a", 0)] == [0, 0]
    assert limiter.take("a", 0) == 30  # one request refills in 30 s
    assert limiter.wait("b", 0) == 0 and limiter.take("b", 0) == 0  # callers are apart
    assert limiter.take("a", MINUTE_NS // 2) == 0
