"""Landed costs: freight, duty or fees added after receipts raise the value of their units.

The amount is spread over the receipts (the lines of a purchase order's receipts, or the
movements named) by quantity, value or weight (``onhand.domain.valuation.landed``); each
line is valued when its landed cost is dated, by the valuer, which values the items again
from there on: the units still on hand carry the amount and the share of those already
gone is cost of goods sold (``Valuation.landed_cost``). A landed cost is recorded once per
reference: the same one again answers with what was recorded; a different one under the
same reference is a ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.db.uow import UnitOfWork
from onhand.db.valuations import LANDED_KEYS
from onhand.domain.movements import check_reference, check_text
from onhand.domain.quantities import from_units
from onhand.domain.times import check_occurred_at, utcnow
from onhand.domain.valuation import currency as valuation_currency
from onhand.domain.valuation.currencies import MAX_AMOUNT
from onhand.domain.valuation.landed import (
    BASES,
    AddLandedCost,
    LandedCost,
    LandedCostLine,
    spread,
)
from onhand.errors import (
    Conflict,
    InvalidInput,
    InvalidTime,
    UnknownMovement,
    UnknownOrder,
)
from onhand.services.executor import handles
from onhand.services.periods import lock_open
from onhand.services.valuation import owner_currency


@handles(AddLandedCost)
def land(uow: UnitOfWork, command: AddLandedCost) -> LandedCost:
    """Add a landed cost (``landed_costs.add``)."""
    return add_landed_cost(uow, reference=command.reference, amount=command.amount,
                           basis=command.basis, receipts=command.receipts,
                           purchase_order=command.purchase_order,
                           occurred_at=command.occurred_at, description=command.description,
                           owner=command.owner)


def add_landed_cost(uow: UnitOfWork, *, reference: str, amount: Decimal, basis: str = "value",
                    receipts: Sequence[int] = (), purchase_order: str | None = None,
                    occurred_at: datetime | None = None, description: str = "",
                    owner: str = "default") -> LandedCost:
    """Spread ``amount`` over the ``receipts`` (movement ids) or the receipts of the
    ``purchase_order``, by ``basis`` (``qty``, ``value`` or ``weight``), dated
    ``occurred_at`` (default now; not before a receipt it raises)."""
    reference = check_reference(reference)
    text = check_text(description, "description") or ""
    if basis not in BASES:
        raise InvalidInput(f"basis must be one of {', '.join(BASES)}", field="basis",
                           value=basis)
    if (purchase_order is None) == (not receipts):
        raise InvalidInput("name the receipts or the purchase order (one of the two)",
                           field="receipts")
    with uow:
        owner_id = uow.refs.owner_id(owner)
        money = owner_currency(uow, owner)
        code = money.code
        minor = money.to_minor(_check_amount(amount), field="amount")
        now = utcnow()
        when = now if occurred_at is None else check_occurred_at(occurred_at, now)
        found = uow.valuations.landed_cost(owner_id, reference)
        rows = _receipts(uow, owner_id, list(receipts), purchase_order, owner)
        if found is not None:
            return _same(found, owner, code, minor, basis, rows)
        lines = spread(minor, [_weight(row, basis) for row in rows], basis=basis)
        _check_open(uow, owner, rows, when)
        ids = uow.valuations.add_landed_cost(
            {"owner_id": owner_id, "reference": reference, "description": text,
             "basis": basis, "amount": money.amount(minor), "occurred_at": when,
             "recorded_at": now},
            [{"item_id": int(row.item_id), "movement_id": int(row.id),
              "amount": money.amount(share)} for row, share in zip(rows, lines, strict=True)])
        first: dict[int, int] = {}  # each item from its first line
        for row, line_id in zip(rows, ids, strict=True):
            first.setdefault(int(row.item_id), line_id)
        for item_id in sorted(first):  # in id order, as the valuer locks them
            uow.valuations.mark_replay(item_id, (when, LANDED_KEYS + first[item_id]))
        uow.commit()
        return LandedCost(reference, owner, money.amount(minor), code, basis, when, text,
                          tuple(LandedCostLine(int(row.id), row.sku,
                                               from_units(int(row.qty), int(row.decimals)),
                                               money.amount(share))
                                for row, share in zip(rows, lines, strict=True)))


def _check_amount(amount: object) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, (int, Decimal)):
        raise InvalidInput(f"amount must be a Decimal or int, not {type(amount).__name__}",
                           field="amount", value=repr(amount))
    value = Decimal(amount)
    if not value.is_finite() or value <= 0:
        raise InvalidInput("amount must be a finite amount above zero", field="amount",
                           value=str(amount))
    if value >= MAX_AMOUNT:
        raise InvalidInput(f"amount must be below {MAX_AMOUNT:,}", field="amount",
                           value=str(amount))
    return value


def _receipts(uow: UnitOfWork, owner_id: int, ids: list[int], purchase_order: str | None,
              owner: str) -> list[Any]:
    """Return the receipts a landed cost spreads over, each checked: the owner's, from a
    supplier, not reversed."""
    if purchase_order is not None:
        document = uow.purchasing.find(owner_id, check_reference(purchase_order))
        if document is None:
            raise UnknownOrder(purchase_order, what="purchase order", field="purchase_order")
        ids = list(uow.purchasing.movement_ids(document.id))
    for movement_id in ids:
        if isinstance(movement_id, bool) or not isinstance(movement_id, int):
            raise InvalidInput("receipts must be movement ids (integers)", field="receipts",
                               value=repr(movement_id))
    found = uow.valuations.receipts(ids)
    rows = []
    for movement_id in dict.fromkeys(ids):  # once each, in the order given
        row = found.get(movement_id)
        if row is None or int(row.owner_id) != owner_id:
            raise UnknownMovement(movement_id, field="receipts")
        if row.kind == "receipt" and row.reverses is None and row.reversed_by is None:
            rows.append(row)
        elif purchase_order is None:
            raise InvalidInput(f"movement {movement_id} is not a receipt from a supplier that "
                               "stands (a landed cost raises receipts)", field="receipts",
                               value=str(movement_id))
    if not rows:
        raise InvalidInput(f"purchase order {purchase_order!r} has no receipts to spread the "
                           f"amount over", field="purchase_order", value=purchase_order)
    return rows


def _weight(row: Any, basis: str) -> Decimal:
    """Return what a receipt weighs in the spread: its units, value or weight."""
    qty = Decimal(from_units(int(row.qty), int(row.decimals)))
    if basis == "qty":
        return qty
    if basis == "value":
        if row.unit_cost is None:
            raise InvalidInput(f"receipt {row.id} of {row.sku} has no unit cost to spread by "
                               "value", field="basis", value=basis)
        return qty * Decimal(row.unit_cost)
    if row.weight is None:
        raise InvalidInput(f"item {row.sku} has no weight to spread by", field="basis",
                           value=basis)
    return qty * Decimal(row.weight)


def _check_open(uow: UnitOfWork, owner: str, rows: list[Any], when: datetime) -> None:
    """Refuse a date before a receipt it raises, or in a closed period (checked under the
    items' locks, as postings are)."""
    for row in rows:
        if when < row.occurred_at:
            raise InvalidTime(f"is before receipt {row.id} ({row.occurred_at.isoformat()}), "
                              "which it raises", field="occurred_at", value=when.isoformat())
    lock_open(uow, owner, {int(row.item_id) for row in rows}, when)


def _same(found: tuple[Any, list[Any]], owner: str, code: str, minor: int, basis: str,
          rows: list[Any]) -> LandedCost:
    """Answer a landed cost recorded before under the same reference, if it is the same."""
    cost, lines = found
    money = valuation_currency(code)
    if (money.to_minor(Decimal(cost.amount)) != minor or cost.basis != basis
            or [int(line.movement_id) for line in lines] != [int(row.id) for row in rows]):
        raise Conflict(f"landed cost {cost.reference!r} was recorded already with other "
                       "figures; use another reference", field="reference")
    return LandedCost(cost.reference, owner, Decimal(cost.amount), code, cost.basis,
                      cost.occurred_at, cost.description,
                      tuple(LandedCostLine(int(line.movement_id), line.sku,
                                           from_units(int(line.qty), int(line.decimals)),
                                           Decimal(line.amount)) for line in lines))
