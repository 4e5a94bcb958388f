"""The error tree: every error is an OnhandError and carries its fields as attributes."""

from __future__ import annotations

import inspect
import sqlite3
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError

import onhand
from onhand import errors
from onhand.db.uow import translated
from onhand.errors import (
    AlreadyReversed,
    BatchTooLarge,
    Conflict,
    DuplicateItem,
    DuplicateLocation,
    DuplicateOrder,
    DuplicateOwner,
    DuplicateUser,
    HoldExpired,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    InvalidTime,
    NotFound,
    OnhandError,
    OrderClosed,
    PayloadTooLarge,
    PeriodClosed,
    RequestInFlight,
    Throttled,
    UnknownItem,
    UnknownLocation,
    UnknownMovement,
    UnknownOrder,
    UnknownOwner,
    UnknownSupplier,
    UnknownToken,
    UnknownTransfer,
    UnknownUser,
)

# each leaf with the arguments it is raised with and the fields it must then carry
LEAVES: dict[type[OnhandError], tuple[tuple[Any, ...], dict[str, Any], dict[str, Any]]] = {
    UnknownOwner: (("acme",), {}, {"owner": "acme", "field": "owner"}),
    UnknownItem: (("MUG-BLUE", "acme"), {}, {"sku": "MUG-BLUE", "owner": "acme", "field": "sku"}),
    UnknownLocation: (("WH9",), {}, {"location": "WH9", "field": "location"}),
    UnknownMovement: ((42,), {}, {"movement_id": 42, "field": "movement_id"}),
    InvalidQuantity: (("must not be zero",), {"value": 0}, {"field": "qty", "value": 0}),
    InvalidTime: (("is naive",), {"value": "2026-11-02T09:00"},
                  {"field": "occurred_at", "value": "2026-11-02T09:00"}),
    InvalidLocation: (("is virtual",), {"location": "customer", "field": "target"},
                      {"location": "customer", "field": "target"}),
    BatchTooLarge: ((11, 10), {}, {"lines": 11, "limit": 10, "field": "lines"}),
    IdempotencyConflict: (("k1",), {}, {"key": "k1", "field": "key"}),
    InsufficientStock: ((), {"sku": "MUG-BLUE", "location": "WH1/A-01", "requested": 4,
                             "available": Decimal("3")},
                        {"sku": "MUG-BLUE", "location": "WH1/A-01", "requested": 4,
                         "available": Decimal("3")}),
    DuplicateItem: (("MUG-BLUE",), {}, {"sku": "MUG-BLUE", "field": "sku"}),
    DuplicateLocation: (("WH1",), {}, {"location": "WH1", "field": "path"}),
    DuplicateOwner: (("acme",), {}, {"owner": "acme", "field": "owner"}),
    AlreadyReversed: ((7, 9), {}, {"movement_id": 7, "reversed_by": 9}),
    RequestInFlight: (("k1",), {}, {"key": "k1", "field": "key"}),
    UnknownUser: (("alice",), {}, {"username": "alice", "field": "username"}),
    UnknownToken: ((7,), {}, {"token_id": 7, "field": "token_id"}),
    PayloadTooLarge: ((2048, 1024), {}, {"value": 2048, "limit": 1024, "field": "body"}),
    DuplicateUser: (("alice",), {}, {"username": "alice", "field": "username"}),
    Throttled: (("too many requests",), {"retry_after": 3}, {"retry_after": 3}),
    UnknownOrder: (("SO-1",), {}, {"reference": "SO-1", "field": "reference"}),
    UnknownTransfer: (("TR-1",), {}, {"reference": "TR-1", "field": "reference"}),
    UnknownSupplier: (("ACME-SUP",), {}, {"supplier": "ACME-SUP", "field": "supplier"}),
    DuplicateOrder: (("SO-1",), {}, {"reference": "SO-1", "field": "reference"}),
    OrderClosed: (("SO-1", "cancelled", "ship"), {},
                  {"reference": "SO-1", "order_status": "cancelled", "field": "reference"}),
    PeriodClosed: (("acme", "2026-03-15T12:00:00+00:00", "2026-04-01T00:00:00+00:00"), {},
                   {"owner": "acme", "closed_before": "2026-04-01T00:00:00+00:00",
                    "field": "occurred_at"}),
    HoldExpired: (("CART-1", "2026-12-03T10:00:00+00:00"), {},
                  {"reference": "CART-1", "expires_at": "2026-12-03T10:00:00+00:00",
                   "field": "reference"}),
}
BRANCHES = {"NotFound", "InvalidInput", "Conflict", "AccessDenied", "NotAuthenticated",
            "Forbidden", "StorageError"}


def _error_classes() -> list[type[OnhandError]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, OnhandError) and cls.__module__ == errors.__name__]


def test_every_error_class_is_covered_by_this_test() -> None:
    names = {cls.__name__ for cls in _error_classes()} - {"OnhandError"}
    assert names == {cls.__name__ for cls in LEAVES} | BRANCHES


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_derives_from_onhand_error_and_is_exported(
    cls: type[OnhandError],
) -> None:
    assert issubclass(cls, OnhandError)
    assert issubclass(cls, Exception)
    assert getattr(onhand, cls.__name__) is cls
    assert cls.__name__ in onhand.__all__


@pytest.mark.parametrize("cls", list(LEAVES), ids=lambda cls: cls.__name__)
def test_every_error_carries_its_fields_as_attributes_and_in_fields(
    cls: type[OnhandError],
) -> None:
    args, kwargs, expected = LEAVES[cls]
    error = cls(*args, **kwargs)
    for name, value in expected.items():
        assert getattr(error, name) == value, name
    assert error.fields() == expected
    assert str(error) == error.message and error.message


@pytest.mark.parametrize(
    ("branch", "leaves"),
    [(NotFound, (UnknownOwner, UnknownItem, UnknownLocation, UnknownMovement)),
     (InvalidInput, (InvalidQuantity, InvalidTime, InvalidLocation, BatchTooLarge,
                     IdempotencyConflict)),
     (Conflict, (InsufficientStock, DuplicateItem, DuplicateLocation, DuplicateOwner,
                 AlreadyReversed, RequestInFlight))],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_the_tree_has_the_branches_the_design_draws(branch: type[OnhandError],
                                                     leaves: tuple[type, ...]) -> None:
    assert all(issubclass(leaf, branch) for leaf in leaves)


def test_unset_fields_are_attributes_but_not_listed_in_fields() -> None:
    error = InsufficientStock(sku="MUG-BLUE", location="WH1", requested=4, available=3)
    assert error.lot is None
    assert "lot" not in error.fields()


def test_insufficient_stock_names_sku_location_requested_and_available_in_its_message() -> None:
    error = InsufficientStock(sku="MUG-BLUE", location="WH1/A-01", requested=4, available=3)
    assert str(error) == ("insufficient stock of 'MUG-BLUE' at 'WH1/A-01': "
                          "requested 4, available 3")


def test_a_branch_can_be_raised_with_a_message_and_any_fields() -> None:
    error = InvalidInput("reason is required", field="reason")
    assert (error.field, error.fields(), str(error)) == (
        "reason", {"field": "reason"}, "reason is required")


def test_at_line_adds_the_1_based_line_to_the_fields_and_the_message() -> None:
    error = InvalidQuantity("must not be zero", value=0)
    same = error.at_line(3)
    assert same is error
    assert error.line == 3
    assert error.fields()["line"] == 3
    assert str(error) == "line 3: qty must not be zero"
    assert error.args == ("line 3: qty must not be zero",)


def test_error_values_that_are_not_plain_are_shown_as_their_repr() -> None:
    assert InvalidQuantity("must be an int or Decimal, not float", value=2.5).value == "2.5"
    assert InvalidQuantity("must be an int or Decimal", value=[1]).value == "[1]"


@pytest.mark.parametrize(("driver_error", "expected"), [
    (sqlite3.IntegrityError("CHECK constraint failed: qty > 0"), onhand.InvalidInput),
    (sqlite3.IntegrityError("NOT NULL constraint failed: items.sku"), onhand.InvalidInput),
    (sqlite3.IntegrityError("UNIQUE constraint failed: items.owner_id, items.sku"),
     onhand.Conflict),
    (psycopg.errors.CheckViolation("new row violates check constraint"), onhand.InvalidInput),
    (psycopg.errors.NotNullViolation("null value in column"), onhand.InvalidInput),
    (psycopg.errors.UniqueViolation("duplicate key value"), onhand.Conflict),
    (psycopg.errors.ForeignKeyViolation("violates foreign key constraint"), onhand.Conflict),
])
def test_a_refused_constraint_is_a_conflict_only_when_a_concurrent_writer_can_cause_it(
        driver_error: Exception, expected: type[onhand.OnhandError]) -> None:
    error = translated(IntegrityError("INSERT …", {}, driver_error))
    assert type(error) is expected
    assert str(driver_error).splitlines()[0] in str(error)
    assert ("retry" in str(error)) is (expected is onhand.Conflict)


def test_a_missing_transfer_is_a_kind_of_unknown_order_as_it_was_before() -> None:
    error = UnknownTransfer("TR-1")
    assert isinstance(error, UnknownOrder)
    assert str(error) == "unknown transfer 'TR-1'"
