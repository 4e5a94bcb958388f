"""Placing orders and holds, and changing their quantities: reserve at once or refuse.

A flash sale is mostly refusals: an order that stock cannot cover is refused from a plain
read, before its items' locks. One that may pass locks its items, reads what each warehouse
has available under the lock, and reserves in the same transaction (see ``orders``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.uow import UnitOfWork
from onhand.domain.movements import check_reference, fingerprint
from onhand.domain.orders import (
    HELD,
    OPEN,
    CreateOrder,
    Order,
    PlaceHold,
    UpdateOrder,
    check_lines,
    check_policy,
    check_price,
    check_priority,
)
from onhand.domain.positions import Position, allocate
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import (
    DuplicateOrder,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    InvalidTime,
    OnhandError,
)
from onhand.services.executor import handles
from onhand.services.orders import cancel_units, finish, load, locked, require
from onhand.services.reservations import Outbox, settle

MAX_HOLD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Wanted:
    """A checked order line: the item, its scaled quantity and price."""

    number: int
    item: ItemRef
    units: int
    unit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class Terms:
    """How an order is served: its policy (None: each item's), warehouse and priority."""

    policy: str | None = None
    warehouse: str | None = None
    any_warehouse: bool | None = None
    priority: int = 0
    cancel_after: datetime | None = None


@handles(CreateOrder)
def create(uow: UnitOfWork, command: CreateOrder) -> Order:
    """Create an order (the library's ``create_order``, ``POST /v1/orders``, ``order create``)."""
    terms = Terms(policy=command.policy, warehouse=command.warehouse,
                  any_warehouse=command.any_warehouse, priority=command.priority,
                  cancel_after=command.cancel_after)
    return create_order(uow, reference=command.reference, lines=command.lines,
                        owner=command.owner, terms=terms)


@handles(PlaceHold)
def hold_cart(uow: UnitOfWork, command: PlaceHold) -> Order:
    """Place a hold."""
    return place_hold(uow, reference=command.reference, lines=command.lines, ttl=command.ttl,
                      owner=command.owner, warehouse=command.warehouse)


@handles(UpdateOrder)
def update(uow: UnitOfWork, command: UpdateOrder) -> Order:
    """Change an order's quantities."""
    return update_order(uow, reference=command.reference, lines=command.lines,
                        owner=command.owner)


def create_order(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]],
                 owner: str = "default", terms: Terms = Terms()) -> Order:
    """Create an order and reserve its lines at once, all or nothing.

    Short of stock, policy ``reject`` raises ``InsufficientStock`` naming the line and
    writes nothing; ``backorder`` reserves what exists and backorders the rest. A retry
    with the same reference and lines returns the order already created.
    """
    return _place(uow, reference=reference, lines=lines, owner=owner, terms=terms, hold=None)


def place_hold(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]],
               ttl: timedelta, owner: str = "default", warehouse: str | None = None) -> Order:
    """Reserve a cart's lines for ``ttl``; the units stop counting as reserved when it ends."""
    if not isinstance(ttl, timedelta) or not timedelta(seconds=1) <= ttl <= MAX_HOLD:
        raise InvalidInput("ttl must be a duration from 1 second to 30 days", field="ttl")
    terms = Terms(policy="reject", warehouse=warehouse)
    return _place(uow, reference=reference, lines=lines, owner=owner, terms=terms, hold=ttl)


def _place(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]], owner: str,
           terms: Terms, hold: timedelta | None) -> Order:
    reference = check_reference(reference)
    checked = check_lines(lines)
    policy = None if terms.policy is None else check_policy(terms.policy)
    priority = check_priority(terms.priority)
    if terms.any_warehouse is not None and not isinstance(terms.any_warehouse, bool):
        raise InvalidInput("any_warehouse must be true or false", field="any_warehouse")
    # on the command's own unit (the executor opened it): a second connection per order
    # would let many concurrent orders hold every pooled connection while each waits for one
    warehouses = _refuse_early(uow, reference, checked, owner, terms, policy, hold)
    with uow:
        now = utcnow()
        owner_id = uow.refs.owner_id(owner)
        wanted = [_wanted(uow, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        preferred = None if terms.warehouse is None else _warehouse(uow, terms.warehouse)
        cancel_after = _deadline(terms.cancel_after, now)
        digest = fingerprint({"hold": hold is not None, "policy": policy,
                              "warehouse": terms.warehouse, "priority": priority,
                              "lines": [(w.item.id, w.units, w.unit_price) for w in wanted]})
        found = uow.orders.order(owner_id, reference)
        if found is not None:
            return _same_or_duplicate(uow, found, digest, reference)
        policies = uow.positions.lock_items((w.item.id for w in wanted), policies=True)
        if policy is None:
            policy = _policy_of(policies)
        now = utcnow()  # read under the locks: the positions below are as of this moment
        expires_at = None if hold is None else now + hold
        rows, known = _reserve(uow, now, wanted, preferred, policy, terms.any_warehouse,
                               hold is not None, warehouses)
        order = {"owner_id": owner_id, "reference": reference, "status": HELD if hold else OPEN,
                 "policy": policy, "warehouse_id": None if preferred is None else preferred.id,
                 "any_warehouse": preferred is None if terms.any_warehouse is None
                 else terms.any_warehouse,
                 "priority": priority, "expires_at": expires_at, "cancel_after": cancel_after,
                 "created_at": now, "updated_at": now, "fingerprint": digest}
        order_id = uow.orders.insert_order(order)
        for row in rows:
            row.update(order_id=order_id, owner_id=owner_id, hold_until=expires_at,
                       priority=priority, created_at=now, shipped=0, cancelled=0, returned=0)
        uow.orders.insert_lines(rows)
        for row in rows:
            position = known[(row["item_id"], row["warehouse_id"])]
            if hold is None:
                uow.positions.add_dues(row["item_id"], row["warehouse_id"], owner_id,
                                    reserved=row["reserved"], backordered=row["backordered"])
                position.reserved += row["reserved"]
                position.backordered += row["backordered"]
            else:
                position.held += row["reserved"]
        settle(uow, now, known, known=known)
        if any(row["backordered"] for row in rows):  # settling may have filled or moved them
            made = load(uow, uow.orders.order_by_id(order_id))
        else:  # the order as written (no need to read it back)
            made = load(uow, SimpleNamespace(id=order_id, **order),
                        lines=[SimpleNamespace(**row) for row in rows], movement_ids=[])
        uow.commit()
        return made


def _refuse_early(reader: UnitOfWork, reference: str, checked: list[Mapping[str, Any]],
                  owner: str, terms: Terms, policy: str | None, hold: timedelta | None
                  ) -> list[tuple[int, str]] | None:
    """Refuse, before locking its items, an order that stock cannot cover even now.

    A flash sale is mostly refusals: this answers them from a plain read, without queueing
    on the item's lock. Refusing never oversells; an order that passes is checked again
    under the lock. Return the warehouses it read (None: it read none), so the locked
    part need not read them again.
    """
    with reader:
        owner_id = reader.refs.owner_id(owner)
        if reader.orders.order(owner_id, reference) is not None:
            return None  # a retry: answered under the lock with the order it made
        wanted = [_wanted(reader, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        if policy is None:
            policy = _item_policy(reader, wanted)
        if policy != "reject" and hold is None:
            return None
        preferred = None if terms.warehouse is None else _warehouse(reader, terms.warehouse)
        warehouses = reader.positions.warehouses()
        _reserve(reader, utcnow(), wanted, preferred, policy, terms.any_warehouse,
                 hold is not None, warehouses)
        return warehouses


def _reserve(uow: UnitOfWork, now: datetime, wanted: list[Wanted],
             preferred: LocationRef | None, policy: str, any_warehouse: bool | None,
             hold: bool, warehouses: list[tuple[int, str]] | None = None
             ) -> tuple[list[dict[str, Any]], dict[tuple[int, int], Position]]:
    """Allocate each line to a warehouse from what is available there; raise when short.

    Return the lines' rows, and the position of each item × warehouse they reserve in, as
    read (the caller adds what it reserves). ``warehouses``: as read already, else read here.
    """
    if warehouses is None:
        warehouses = uow.positions.warehouses()
    if not warehouses:
        raise InvalidLocation("no warehouse exists to reserve in; add a location first",
                              location="", field="warehouse")
    free: dict[int, dict[int, int]] = {}
    known: dict[tuple[int, int], Position] = {}
    taken: dict[tuple[int, int], Position] = {}
    rows = []
    for want in wanted:
        if want.item.id not in free:
            positions = uow.positions.positions(want.item.id, now)
            for warehouse_id, _ in warehouses:
                known[(want.item.id, warehouse_id)] = positions.get(warehouse_id, Position())
            free[want.item.id] = {w: known[(want.item.id, w)].available for w, _ in warehouses}
        available = free[want.item.id]
        choice = allocate(
            want.units, available, preferred=None if preferred is None else preferred.id,
            any_warehouse=preferred is None if any_warehouse is None else any_warehouse,
            backorder=policy == "backorder" and not hold)
        if choice is None:
            where = preferred.path if preferred is not None else "any warehouse"
            most = max(0, available.get(preferred.id, 0) if preferred is not None
                       else max(available.values()))
            raise InsufficientStock(
                sku=want.item.sku, location=where,
                requested=from_units(want.units, want.item.decimals),
                available=from_units(most, want.item.decimals)).at_line(want.number)
        available[choice.warehouse_id] -= choice.reserved
        pair = (want.item.id, choice.warehouse_id)
        taken[pair] = known[pair]
        rows.append({"line": want.number, "item_id": want.item.id,
                     "warehouse_id": choice.warehouse_id, "qty": want.units,
                     "unit_price": want.unit_price, "reserved": choice.reserved,
                     "backordered": choice.backordered})
    return rows, taken


def update_order(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]],
                 owner: str = "default") -> Order:
    """Set the ordered quantity of SKUs before they ship: raise, lower, add or remove (0).

    More is reserved by the order's policy; less gives back backorders first, then
    reservations. A quantity below what already shipped is refused.
    """
    checked = check_lines(lines)
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference, extra=[line["sku"] for line in checked])
        require(row, OPEN, "change")
        current = uow.orders.lines(row.id)
        added: list[Wanted] = []
        for number, line in enumerate(checked, start=1):
            item, target = _target(uow, row.owner_id, owner, line, number)
            mine = [r for r in current if int(r.item_id) == item.id]
            have = sum(int(r.qty) - int(r.cancelled) for r in mine)
            shipped = sum(int(r.shipped) for r in mine)
            if target < shipped:
                raise InvalidQuantity(f"is below what already shipped "
                                      f"({from_units(shipped, item.decimals)})",
                                      value=line["qty"]).at_line(number)
            if target < have:
                cancel_units(uow, row.owner_id, mine, have - target, number, shrink=True)
            elif target > have:
                added.append(Wanted(number, item, target - have, check_price(
                    line.get("unit_price"), number)))
        _add_units(uow, now, row, current, added)
        return finish(uow, now, row, _pairs(uow, row.id, current), Outbox())


def _target(uow: UnitOfWork, owner_id: int, owner: str, line: Mapping[str, Any],
            number: int) -> tuple[ItemRef, int]:
    """Return a changed line's item and its new quantity in units (0 removes it)."""
    try:
        item = uow.refs.item(owner_id, str(line["sku"]), owner)
        qty = line["qty"]
        if isinstance(qty, (int, Decimal)) and not isinstance(qty, bool) and qty == 0:
            return item, 0
        return item, to_units(parse_qty(qty, item.decimals), item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None


def _add_units(uow: UnitOfWork, now: datetime, row: Any, current: list[Any],
               added: list[Wanted]) -> None:
    """Reserve more of existing lines (in their warehouse) or new lines, by the policy."""
    if not added:
        return
    preferred = None
    if row.warehouse_id is not None:
        preferred = uow.refs.location_by_id(row.warehouse_id)
    fresh, _ = _reserve(uow, now, added, preferred, row.policy, bool(row.any_warehouse), False)
    number = max(int(r.line) for r in current)
    for want, alloc in zip(added, fresh, strict=True):
        existing = next((r for r in current if int(r.item_id) == want.item.id
                         and int(r.warehouse_id) == alloc["warehouse_id"]), None)
        if existing is not None:
            uow.orders.change_line(int(existing.id), qty=want.units, reserved=alloc["reserved"],
                                   backordered=alloc["backordered"])
        else:
            number += 1
            alloc.update(line=number, order_id=row.id, owner_id=row.owner_id, hold_until=None,
                         priority=row.priority, created_at=now, shipped=0, cancelled=0,
                         returned=0)
            uow.orders.insert_lines([alloc])
        uow.positions.add_dues(want.item.id, alloc["warehouse_id"], row.owner_id,
                            reserved=alloc["reserved"], backordered=alloc["backordered"])


def _wanted(uow: UnitOfWork, owner_id: int, owner: str, number: int,
            line: Mapping[str, Any]) -> Wanted:
    """Resolve and check one requested line, naming it in any error."""
    try:
        if not isinstance(line["sku"], str):
            raise InvalidInput("sku must be text", field="sku")
        item = uow.refs.item(owner_id, line["sku"], owner)
        qty = parse_qty(line["qty"], item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None
    return Wanted(number, item, to_units(qty, item.decimals),
                  check_price(line.get("unit_price"), number))


def _warehouse(uow: UnitOfWork, path: str) -> LocationRef:
    ref = uow.refs.location(path, field="warehouse")
    if ref.virtual or ref.warehouse_id != ref.id:
        raise InvalidLocation("is not a warehouse (a top-level internal location)",
                              location=path, field="warehouse")
    return ref


def _deadline(value: object, now: datetime) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidTime("must be an aware datetime", field="cancel_after", value=value)
    return value


def _item_policy(uow: UnitOfWork, wanted: list[Wanted]) -> str:
    """The policy of an order that names none: backorder only if every item allows it."""
    return _policy_of(uow.positions.item_policies({w.item.id for w in wanted}))


def _policy_of(policies: Sequence[str]) -> str:
    return "backorder" if all(p == "backorder" for p in policies) else "reject"


def _same_or_duplicate(uow: UnitOfWork, row: Any, digest: str, reference: str) -> Order:
    """Answer a retried creation with the order it created; refuse a different one."""
    if row.fingerprint != digest:
        raise DuplicateOrder(reference)
    uow.replayed = True
    return load(uow, row)


def _pairs(uow: UnitOfWork, order_id: int, before: list[Any]) -> set[tuple[int, int]]:
    rows = list(before) + uow.orders.lines(order_id)
    return {(int(r.item_id), int(r.warehouse_id)) for r in rows}

