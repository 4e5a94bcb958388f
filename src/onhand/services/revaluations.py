"""Revaluing uncosted stock: units that came in without a cost are given one.

Until then they are valued at zero and reported as ``uncosted``. A revaluation, dated when
it is made (default now, never in a closed period), gives the item's uncosted units on hand
at that moment a unit cost: their value is added to the stock (``Valuation.revalue``) and
booked as a ``revaluation`` entry (Dr inventory, Cr revaluation). Units that had left
before left at zero and stay so. Recorded once per reference.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from onhand.db.catalog import ItemRef
from onhand.db.uow import UnitOfWork
from onhand.db.valuations import REVALUATION_KEYS
from onhand.domain.movements import check_reference, check_unit_cost
from onhand.domain.quantities import from_units
from onhand.domain.times import check_occurred_at, utcnow
from onhand.domain.valuation import Revaluation, Revalue
from onhand.errors import Conflict, InvalidInput
from onhand.services.executor import handles
from onhand.services.periods import lock_open
from onhand.services.valuation import owner_currency
from onhand.services.valuer import catch_up


@handles(Revalue)
def revalue_item(uow: UnitOfWork, command: Revalue) -> Revaluation:
    """Revalue an item's uncosted units (``revaluations.add``)."""
    return revalue(uow, reference=command.reference, sku=command.sku,
                   unit_cost=command.unit_cost, occurred_at=command.occurred_at,
                   owner=command.owner)


def revalue(uow: UnitOfWork, *, reference: str, sku: str, unit_cost: Decimal,
            occurred_at: datetime | None = None, owner: str = "default") -> Revaluation:
    """Give ``sku``'s uncosted units on hand at ``occurred_at`` (default now) ``unit_cost``."""
    reference = check_reference(reference)
    cost = check_unit_cost(unit_cost, "receipt")
    if cost is None:
        raise InvalidInput("unit_cost is required", field="unit_cost")
    now = utcnow()
    when = now if occurred_at is None else check_occurred_at(occurred_at, now)
    with uow:
        owner_id = uow.refs.owner_id(owner)
        item = uow.refs.item(owner_id, sku, owner)
        found = uow.valuations.revaluation(owner_id, reference)
        if found is not None:
            if int(found.item_id) != item.id or Decimal(found.unit_cost) != cost:
                raise Conflict(f"revaluation {reference!r} was recorded already with other "
                               "figures; use another reference", field="reference")
            return _result(uow, reference, owner, item, int(found.id), found.occurred_at, cost)
        lock_open(uow, owner, {item.id}, when)
        revaluation_id = uow.valuations.add_revaluation(
            {"owner_id": owner_id, "item_id": item.id, "reference": reference,
             "unit_cost": cost, "occurred_at": when, "recorded_at": now})
        uow.valuations.mark_replay(item.id, (when, REVALUATION_KEYS + revaluation_id))
        catch_up(uow, item_id=item.id)
        result = _result(uow, reference, owner, item, revaluation_id, when, cost)
        uow.commit()
        return result


def _result(uow: UnitOfWork, reference: str, owner: str, item: ItemRef, revaluation_id: int,
            when: datetime, cost: Decimal) -> Revaluation:
    """Report a revaluation from its stored entries (as valued now)."""
    entries = uow.valuations.entries_of(item.id, REVALUATION_KEYS + revaluation_id)
    money = owner_currency(uow, owner)
    return Revaluation(reference, owner, item.sku, cost, when,
                       from_units(-sum(int(e.uncosted) for e in entries), item.decimals),
                       money.amount(sum(int(e.amount) for e in entries)))
