"""Keeping promises true: after any change of stock or reservations, inside its transaction.

:func:`settle` runs last in every transaction that touches an item in a warehouse (a
posting, an order, a hold, a sweep). For each touched item × warehouse, with the item
locked, it

1. refuses the transaction when an outbound movement took stock that open orders had
   reserved (``strict``): ``InsufficientStock``, nothing written;
2. otherwise, when stock no longer covers what is reserved (damage, a count), takes the
   newest reservations back: reallocated to another warehouse where the order allows it,
   else backordered (a hold just loses those units);
3. fills waiting backorders from what is available, highest priority first, then oldest;
4. writes one ``stock.changed`` event with the resulting levels, and the events of every
   order it changed, numbered gap-free in commit order (the outbox).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onhand.db.events import dump
from onhand.db.positions import Pair
from onhand.db.uow import UnitOfWork
from onhand.domain.orders import Claim, fill, shortfall
from onhand.domain.positions import Position
from onhand.domain.quantities import from_units
from onhand.domain.times import utcnow
from onhand.errors import OnhandError

Refusal = Callable[[Position], OnhandError]


@dataclass
class Outbox:
    """The events a transaction writes, collected until :func:`settle` numbers them."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, owner_id: int, kind: str, now: datetime, **data: Any) -> None:
        """Queue one event."""
        self.rows.append({"owner_id": owner_id, "type": kind, "at": now, "data": data})


def settle(uow: UnitOfWork, now: datetime, touched: Iterable[Pair], *,
           strict: Mapping[Pair, Refusal] | None = None, outbox: Outbox | None = None,
           known: Mapping[Pair, Position] | None = None) -> None:
    """Check, rebalance and announce every touched item × warehouse (see the module).

    ``known``: the positions of touched pairs as of ``now``, read in this transaction
    under the item locks with its own changes added; the others are read here.
    """
    pending = sorted(set(touched))
    if known is None:
        now = max(now, utcnow())  # read after the item locks: a hold may have lapsed meanwhile
        known = uow.positions.positions_for(pending, now)
    known = dict(known)
    strict = strict or {}
    outbox = outbox or Outbox()
    done: set[Pair] = set()
    while pending:
        pair = pending.pop(0)
        if pair in done:
            continue
        done.add(pair)
        moved = _settle_one(uow, now, pair, strict.get(pair), outbox, known.pop(pair, None))
        for other in moved:  # changed since it was read (or announced): settle it again
            known.pop(other, None)
            done.discard(other)
        pending.extend(moved)
    uow.events.append_events([
        {"owner_id": row["owner_id"], "type": row["type"], "at": row["at"],
         "data": dump(row["data"])} for row in outbox.rows])


def _settle_one(uow: UnitOfWork, now: datetime, pair: Pair, refusal: Refusal | None,
                outbox: Outbox, position: Position | None) -> list[Pair]:
    """Settle one item × warehouse (``position``: read already, or None); return other
    warehouses it reallocated to."""
    item_id, warehouse_id = pair
    if position is None:
        position = uow.positions.position(item_id, warehouse_id, now)
    moved: list[Pair] = []
    if position.overcommitted:
        if refusal is not None:
            raise refusal(position)
        moved = _take_back(uow, now, pair, position.overcommitted, outbox)
        position = uow.positions.position(item_id, warehouse_id, now)
    if (position.backordered or position.backordered_elsewhere) and position.available > 0:
        moved += _fill(uow, now, pair, position.available, outbox,
                       elsewhere=position.backordered_elsewhere > 0)
        position = uow.positions.position(item_id, warehouse_id, now)
    _announce(uow, now, pair, position, outbox)
    return moved


def _take_back(uow: UnitOfWork, now: datetime, pair: Pair, missing: int,
               outbox: Outbox) -> list[Pair]:
    """Take ``missing`` reserved units back from the newest reservations."""
    item_id, warehouse_id = pair
    moved = []
    elsewhere = None
    for claim, units in shortfall(missing, uow.positions.reservations(item_id, warehouse_id, now)):
        if claim.hold:
            uow.orders.change_line(claim.line_id, reserved=-units, cancelled=units)
            _note(uow, now, claim, "hold.shortened", pair, units, outbox)
            continue
        if claim.any_warehouse:
            if elsewhere is None:
                elsewhere = {w: p.available for w, p in uow.positions.positions(item_id, now).items()
                             if w != warehouse_id}
            target = next((w for w, free in sorted(elsewhere.items()) if free >= units), None)
            if target is not None:
                _reallocate(uow, now, claim, pair, target, units, outbox)
                elsewhere[target] -= units
                moved.append((item_id, target))
                continue
        uow.orders.change_line(claim.line_id, reserved=-units, backordered=units)
        uow.positions.add_dues(item_id, warehouse_id, _owner(uow, item_id), reserved=-units,
                       backordered=units)
        _note(uow, now, claim, "order.backordered", pair, units, outbox)
    return moved


def _reallocate(uow: UnitOfWork, now: datetime, claim: Claim, pair: Pair, target: int,
                units: int, outbox: Outbox) -> None:
    """Move ``units`` of a line's reservation to another warehouse."""
    _move(uow, claim, pair, target, units, backordered=False)
    _note(uow, now, claim, "order.reallocated", pair, units, outbox,
          to=_path(uow, target))


def _move(uow: UnitOfWork, claim: Claim, pair: Pair, target: int, units: int, *,
          backordered: bool) -> None:
    """Move ``units`` of a line, reserved or (``backordered``) backordered where it is, to
    another warehouse, reserved there: onto the order's line of the item there, or a new one."""
    item_id, warehouse_id = pair
    owner_id = _owner(uow, item_id)
    lines = uow.orders.lines(claim.order_id)
    line = next(r for r in lines if int(r.id) == claim.line_id)
    if backordered:
        uow.orders.change_line(claim.line_id, qty=-units, backordered=-units)
        uow.positions.add_dues(item_id, warehouse_id, owner_id, backordered=-units)
    else:
        uow.orders.change_line(claim.line_id, qty=-units, reserved=-units)
        uow.positions.add_dues(item_id, warehouse_id, owner_id, reserved=-units)
    there = next((r for r in lines if int(r.item_id) == item_id
                  and int(r.warehouse_id) == target), None)
    if there is not None:
        uow.orders.change_line(int(there.id), qty=units, reserved=units)
    else:
        uow.orders.insert_lines([{
            "order_id": claim.order_id, "owner_id": owner_id,
            "line": max(int(r.line) for r in lines) + 1, "item_id": item_id,
            "warehouse_id": target, "qty": units, "unit_price": line.unit_price,
            "reserved": units, "backordered": 0, "shipped": 0, "cancelled": 0, "returned": 0,
            "hold_until": None, "priority": claim.priority, "created_at": claim.created_at}])
    uow.positions.add_dues(item_id, target, owner_id, reserved=units)


def _fill(uow: UnitOfWork, now: datetime, pair: Pair, available: int, outbox: Outbox, *,
          elsewhere: bool = False) -> list[Pair]:
    """Turn backorders into reservations, as far as ``available`` goes: this warehouse's,
    and (``elsewhere``) those of orders that allow any warehouse, moved here. Return the
    warehouses backorders were moved from."""
    item_id, warehouse_id = pair
    moved = []
    for claim, units in fill(available, uow.orders.backorders(item_id, warehouse_id,
                                                         elsewhere=elsewhere)):
        if claim.warehouse_id == warehouse_id:
            uow.orders.change_line(claim.line_id, reserved=units, backordered=-units)
            uow.positions.add_dues(item_id, warehouse_id, _owner(uow, item_id), reserved=units,
                           backordered=-units)
            _note(uow, now, claim, "order.allocated", pair, units, outbox)
        else:
            source = (item_id, claim.warehouse_id)
            _move(uow, claim, source, warehouse_id, units, backordered=True)
            _note(uow, now, claim, "order.allocated", pair, units, outbox,
                  **{"from": _path(uow, claim.warehouse_id)})
            moved.append(source)
    return moved


def _announce(uow: UnitOfWork, now: datetime, pair: Pair, position: Position,
              outbox: Outbox) -> None:
    """Queue the ``stock.changed`` event of one item × warehouse."""
    item = uow.refs.item_by_id(pair[0])

    def qty(units: int) -> str:
        return str(from_units(units, item.decimals))

    outbox.add(item.owner_id, "stock.changed", now, sku=item.sku,
               warehouse=_path(uow, pair[1]), on_hand=qty(position.on_hand),
               sellable=qty(position.sellable), reserved=qty(position.reserved + position.held),
               backordered=qty(position.backordered), safety_stock=qty(position.safety_stock),
               available=qty(max(0, position.available)))


def _note(uow: UnitOfWork, now: datetime, claim: Claim, kind: str, pair: Pair, units: int,
          outbox: Outbox, **extra: Any) -> None:
    """Queue the event of one order line changed by the rebalancing."""
    row = uow.orders.order_by_id(claim.order_id)
    item = uow.refs.item_by_id(pair[0])
    outbox.add(item.owner_id, kind, now, reference=row.reference, sku=item.sku,
               warehouse=_path(uow, pair[1]), qty=str(from_units(units, item.decimals)),
               **extra)


def _owner(uow: UnitOfWork, item_id: int) -> int:
    return uow.refs.item_by_id(item_id).owner_id


def _path(uow: UnitOfWork, location_id: int) -> str:
    return uow.refs.location_by_id(location_id).path
