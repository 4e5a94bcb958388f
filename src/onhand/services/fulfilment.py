"""Shipping orders from their reservations, and taking returns against what shipped.

A shipment picks locations and lots first-expired-first-out, then first-in-first-out, and
posts its shipment movements in the same transaction that consumes the reservation, so
the units it takes were never available to anyone else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from onhand.db.uow import UnitOfWork
from onhand.domain.locations import CUSTOMER
from onhand.domain.movements import check_text
from onhand.domain.orders import OPEN, Order, ReturnOrder, ShipOrder, check_lines, no_line_for
from onhand.domain.positions import pick
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import (
    InsufficientStock,
    InvalidInput,
    InvalidQuantity,
    OnhandError,
    OrderClosed,
)
from onhand.services import orders as order_service
from onhand.services.executor import handles
from onhand.services.ledger import Line, claimed, write

Returned = tuple[Any, int, str, int]  # order line row, shipment id, lot, units


@dataclass(frozen=True, slots=True)
class Pick:
    """One step of a pick list: take ``qty`` of ``sku`` (lot) from ``location``."""

    line: int
    sku: str
    location: str
    lot: str | None
    qty: Any

    def to_dict(self) -> dict[str, Any]:
        """Return the pick as JSON-ready values."""
        return {"line": self.line, "sku": self.sku, "location": self.location,
                "lot": self.lot, "qty": str(self.qty)}


@handles(ShipOrder)
def ship(uow: UnitOfWork, command: ShipOrder) -> Order:
    """Ship an order (the library's ``ship_order``, ``POST /v1/orders/{ref}/ship``)."""
    return ship_order(uow, reference=command.reference, owner=command.owner,
                      lines=command.lines, key=command.key)


@handles(ReturnOrder)
def take_back(uow: UnitOfWork, command: ReturnOrder) -> Order:
    """Take back shipped units of an order."""
    return return_order(uow, reference=command.reference, lines=command.lines,
                        location=command.location, reason=command.reason,
                        owner=command.owner, key=command.key)


def pick_list(uow: UnitOfWork, *, reference: str, owner: str = "default") -> list[Pick]:
    """Return where to take every reserved unit of an order from, without shipping."""
    with uow:
        row = order_service.find(uow, owner, reference)
        lines = uow.orders.lines(row.id)
        plan = _plan(uow, lines, {int(r.id): int(r.reserved) for r in lines})
        return [_as_pick(uow, line, place.path, place.lot, units)
                for line, place, units in plan]


def ship_order(uow: UnitOfWork, *, reference: str, owner: str = "default",
               lines: Sequence[Mapping[str, Any]] | None = None,
               key: str | None = None) -> Order:
    """Ship an order's reserved units (all, or ``lines`` quantities), posting shipments.

    Shipping more than a line has reserved is refused. With ``key``, a retry ships nothing
    more and returns the order.
    """
    wanted = None if lines is None else check_lines(lines)
    key = check_text(key, "key")
    with uow:
        now = utcnow()
        row = order_service.locked(uow, owner, reference)
        if key and claimed(uow, row.owner_id, key, {"ship": reference, "lines": lines}, now):
            return order_service.load(uow, uow.orders.order_by_id(row.id))
        order_service.check_not_expired(row, now)
        if row.status != OPEN:
            raise OrderClosed(reference, row.status, "ship")
        current = uow.orders.lines(row.id)
        amounts = _amounts(uow, current, wanted, row.owner_id, owner)
        plan = _plan(uow, current, amounts)
        posted = []
        for line, place, units in plan:
            item = uow.refs.item_by_id(int(line.item_id))
            posted.append((line, Line(
                item=item, owner=owner, kind="shipment", units=units,
                source=uow.refs.location_by_id(place.location_id),
                target=uow.refs.location(CUSTOMER), lot=place.lot,
                reference=reference, reason=None, unit_cost=None, occurred_at=now)))
        for line_id, units in amounts.items():
            if units:
                line = next(r for r in current if int(r.id) == line_id)
                uow.orders.change_line(line_id, reserved=-units, shipped=units)
                uow.positions.add_dues(int(line.item_id), int(line.warehouse_id), row.owner_id,
                                    reserved=-units)
        written = write(uow, [m for _, m in posted], now)
        uow.orders.link_movements([(m.id, int(line.id))
                                   for (line, _), m in zip(posted, written, strict=True)])
        order_service.close(uow, row.id, now)
        if key:
            uow.ledger.record_key(row.owner_id, key, [m.id for m in written])
        order = order_service.load(uow, uow.orders.order_by_id(row.id))
        uow.commit()
        return order


def return_order(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]],
                 location: str, reason: str, owner: str = "default",
                 key: str | None = None) -> Order:
    """Take back shipped units of an order (an RMA) into ``location``, with a reason.

    A line takes back no more than it shipped and has not had returned. Restock to a
    sellable location, or to a non-sellable one (damaged, inspection) to keep the units
    out of what is available.
    """
    checked = check_lines(lines)
    why = check_text(reason, "reason", required=True)
    key = check_text(key, "key")
    with uow:
        now = utcnow()
        row = order_service.locked(uow, owner, reference)
        identity = {"return": reference, "lines": lines, "location": location, "reason": why}
        if key and claimed(uow, row.owner_id, key, identity, now):
            return order_service.load(uow, uow.orders.order_by_id(row.id))
        target = uow.refs.location(location)
        if target.virtual:
            raise InvalidInput("location must be an internal location: returns are restocked",
                               field="location", value=location)
        current = uow.orders.lines(row.id)
        posted: list[Returned] = []
        for number, line in enumerate(checked, start=1):
            posted += _returns(uow, current, row.owner_id, owner, line, number, posted)
        movement_lines = [Line(
            item=uow.refs.item_by_id(int(line.item_id)), owner=owner,
            kind="return", units=units, source=uow.refs.location(CUSTOMER),
            target=target, lot=lot, reference=reference, reason=why, unit_cost=None,
            occurred_at=now, shipment_id=shipment_id) for line, shipment_id, lot, units in posted]
        written = write(uow, movement_lines, now)
        uow.orders.link_movements([(m.id, int(p[0].id))
                                   for p, m in zip(posted, written, strict=True)])
        uow.orders.set_order(row.id, updated_at=now)
        if key:
            uow.ledger.record_key(row.owner_id, key, [m.id for m in written])
        order = order_service.load(uow, uow.orders.order_by_id(row.id))
        uow.commit()
        return order


def _returns(uow: UnitOfWork, current: list[Any], owner_id: int, owner: str,
             line: Mapping[str, Any], number: int, earlier: list[Returned]) -> list[Returned]:
    """Split one returned quantity over the line's shipments with units not yet returned
    (by the ledger, or by the ``earlier`` lines of the same request)."""
    try:
        item = uow.refs.item(owner_id, str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if int(r.item_id) == item.id]
    open_units = sum(int(r.shipped) - int(r.returned) for r in mine) - sum(
        n for order_line, _, _, n in earlier if int(order_line.item_id) == item.id)
    if units > open_units:
        raise InvalidQuantity(f"exceeds what the order shipped and has not had returned "
                              f"({from_units(open_units, item.decimals)})",
                              value=line["qty"]).at_line(number)
    taken: dict[int, int] = defaultdict(int)
    for _, shipment_id, _, n in earlier:
        taken[shipment_id] += n
    parts = []
    for order_line in mine:
        for shipment in uow.orders.shipments(int(order_line.id)):
            left = int(shipment.qty) - uow.queries.returned_units(int(shipment.id))
            take = min(units, left - taken[int(shipment.id)])
            if take > 0:
                parts.append((order_line, int(shipment.id), shipment.lot, take))
                uow.orders.change_line(int(order_line.id), returned=take)
                units -= take
    return parts


def _amounts(uow: UnitOfWork, current: list[Any], wanted: list[Mapping[str, Any]] | None,
             owner_id: int, owner: str) -> dict[int, int]:
    """Return the units to ship per line id: everything reserved, or what ``wanted`` says."""
    if wanted is None:
        amounts = {int(r.id): int(r.reserved) for r in current}
        if not any(amounts.values()):
            raise InvalidInput("nothing is reserved to ship", field="lines")
        return amounts
    amounts = defaultdict(int)
    for number, line in enumerate(wanted, start=1):
        try:
            item = uow.refs.item(owner_id, str(line["sku"]), owner)
            units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        except OnhandError as error:
            raise error.at_line(number) from None
        mine = [r for r in current if int(r.item_id) == item.id]
        if not mine:
            raise no_line_for(item.sku, number)
        reserved = sum(int(r.reserved) - amounts[int(r.id)] for r in mine)
        if units > reserved:
            raise InvalidQuantity(f"exceeds what the order has reserved "
                                  f"({from_units(reserved, item.decimals)})",
                                  value=line["qty"]).at_line(number)
        for r in mine:
            take = min(units, int(r.reserved) - amounts[int(r.id)])
            amounts[int(r.id)] += take
            units -= take
    return dict(amounts)


def _plan(uow: UnitOfWork, lines: list[Any], amounts: dict[int, int]) -> list[tuple[Any, Any, int]]:
    """Choose locations and lots for each line's units from its warehouse's sellable stock."""
    taken: dict[tuple[int, int, str], int] = defaultdict(int)
    plan = []
    for line in lines:
        units = amounts.get(int(line.id), 0)
        if units <= 0:
            continue
        item_id, warehouse_id = int(line.item_id), int(line.warehouse_id)
        stock = [replace(place, qty=place.qty - taken[(item_id, place.location_id, place.lot)])
                 for place in uow.positions.pickable(item_id, warehouse_id)]
        picks = pick(units, stock)
        if sum(n for _, n in picks) < units:
            item = uow.refs.item_by_id(item_id)
            raise InsufficientStock(
                sku=item.sku, location=uow.refs.location_by_id(warehouse_id).path,
                requested=from_units(units, item.decimals),
                available=from_units(sum(n for _, n in picks), item.decimals))
        for place, n in picks:
            taken[(item_id, place.location_id, place.lot)] += n
            plan.append((line, place, n))
    return plan


def _as_pick(uow: UnitOfWork, line: Any, path: str, lot: str, units: int) -> Pick:
    item = uow.refs.item_by_id(int(line.item_id))
    return Pick(line=int(line.line), sku=item.sku, location=path, lot=lot or None,
                qty=from_units(units, item.decimals))
