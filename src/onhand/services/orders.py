"""Sales orders and holds: reserve at once, change, cancel, confirm, release, expire.

Every use case locks the items it touches (in id order) before it reads what is
available, and writes its reservations in the same transaction, so two buyers can never
be promised the same unit, on SQLite or PostgreSQL. Shipping and returns are in
``fulfilment``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.repository import aware
from onhand.db.uow import UnitOfWork
from onhand.domain.movements import check_text, fingerprint
from onhand.domain.orders import (
    HELD,
    OPEN,
    STATUSES,
    Order,
    OrderLine,
    Position,
    allocate,
    check_lines,
    check_policy,
    check_price,
    check_priority,
)
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import (
    DuplicateOrder,
    HoldExpired,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    InvalidTime,
    OnhandError,
    OrderClosed,
    UnknownOrder,
)
from onhand.services.reservations import Outbox, settle

MAX_HOLD = timedelta(days=30)
MAX_LIST = 1000


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
    reference = _reference(reference)
    checked = check_lines(lines)
    policy = None if terms.policy is None else check_policy(terms.policy)
    priority = check_priority(terms.priority)
    if terms.any_warehouse is not None and not isinstance(terms.any_warehouse, bool):
        raise InvalidInput("any_warehouse must be true or false", field="any_warehouse")
    warehouses = _refuse_early(uow.reader(), reference, checked, owner, terms, policy, hold)
    with uow:
        now = utcnow()
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
        wanted = [_wanted(uow, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        preferred = None if terms.warehouse is None else _warehouse(uow, terms.warehouse)
        cancel_after = _deadline(terms.cancel_after, now)
        digest = fingerprint({"hold": hold is not None, "policy": policy,
                              "warehouse": terms.warehouse, "priority": priority,
                              "lines": [(w.item.id, w.units, w.unit_price) for w in wanted]})
        found = uow.orders.order(owner_id, reference)
        if found is not None:
            return _same_or_duplicate(uow, found, digest, reference)
        policies = uow.orders.lock_items((w.item.id for w in wanted), policies=True)
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
                uow.orders.add_dues(row["item_id"], row["warehouse_id"], owner_id,
                                    reserved=row["reserved"], backordered=row["backordered"])
                position.reserved += row["reserved"]
                position.backordered += row["backordered"]
            else:
                position.held += row["reserved"]
        settle(uow, now, known, known=known)
        # the order as written (no need to read it back)
        made = load(uow, SimpleNamespace(id=order_id, **order),
                    lines=[SimpleNamespace(**row) for row in rows], movement_ids=[])
        uow.commit()
        return made


def _refuse_early(reader: UnitOfWork, reference: str, checked: list[Mapping[str, Any]],
                  owner: str, terms: Terms, policy: str | None, hold: timedelta | None
                  ) -> list[tuple[int, str]] | None:
    """Refuse, before taking any lock, an order that stock cannot cover even now.

    A flash sale is mostly refusals: this answers them from a plain read, without queueing
    on the item's lock. Refusing never oversells; an order that passes is checked again
    under the lock. Return the warehouses it read (None: it read none), so the locked
    part need not read them again.
    """
    with reader:
        owner_id = reader.catalog.owner_id(reader.repo.conn, owner)
        if reader.orders.order(owner_id, reference) is not None:
            return None  # a retry: answered under the lock with the order it made
        wanted = [_wanted(reader, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        if policy is None:
            policy = _item_policy(reader, wanted)
        if policy != "reject" and hold is None:
            return None
        preferred = None if terms.warehouse is None else _warehouse(reader, terms.warehouse)
        warehouses = reader.orders.warehouses()
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
        warehouses = uow.orders.warehouses()
    if not warehouses:
        raise InvalidLocation("no warehouse exists to reserve in; add a location first",
                              location="", field="warehouse")
    free: dict[int, dict[int, int]] = {}
    known: dict[tuple[int, int], Position] = {}
    taken: dict[tuple[int, int], Position] = {}
    rows = []
    for want in wanted:
        if want.item.id not in free:
            positions = uow.orders.positions(want.item.id, now)
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


def confirm_hold(uow: UnitOfWork, *, reference: str, owner: str = "default") -> Order:
    """Turn a live hold into an order; its units stay reserved. An expired hold cannot."""
    with uow:
        row = locked(uow, owner, reference)
        now = utcnow()  # after the lock: the hold may have lapsed while we waited
        check_not_expired(row, now)
        if row.status != HELD:
            raise OrderClosed(reference, row.status, "confirm a hold")
        uow.orders.set_order(row.id, status=OPEN, expires_at=None, updated_at=now)
        uow.orders.set_hold_until(row.id, None)
        for line in uow.orders.lines(row.id):
            uow.orders.add_dues(line.item_id, line.warehouse_id, row.owner_id,
                                reserved=int(line.reserved))
        outbox = Outbox()
        outbox.add(row.owner_id, "hold.confirmed", now, reference=reference)
        return _finish(uow, now, row, set(), outbox)  # damage may have left nothing to ship


def release_hold(uow: UnitOfWork, *, reference: str, owner: str = "default") -> Order:
    """Give a hold's units back at once (a cart abandoned or checked out elsewhere)."""
    return _end(uow, owner, reference, HELD, "released", "hold.released")


def cancel_order(uow: UnitOfWork, *, reference: str, owner: str = "default",
                 lines: Sequence[Mapping[str, Any]] | None = None,
                 reason: str | None = None) -> Order:
    """Cancel what is left of an order, or ``lines`` quantities of it (backorders first)."""
    why = check_text(reason, "reason")
    if lines is None:
        return _end(uow, owner, reference, OPEN, None, "order.cancelled", reason=why)
    checked = check_lines(lines)
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        _require(row, OPEN, "cancel")
        current = uow.orders.lines(row.id)
        outbox = Outbox()
        for number, line in enumerate(checked, start=1):
            mine = _lines_of(uow, current, row.owner_id, owner, line, number)
            units = _units(uow, mine[0], line["qty"], number)
            _cancel_units(uow, row.owner_id, mine, units, number)
            outbox.add(row.owner_id, "order.cancelled", now, reference=reference,
                       sku=line["sku"], qty=str(line["qty"]), reason=why)
        return _finish(uow, now, row, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                       outbox)


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
        _require(row, OPEN, "change")
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
                _cancel_units(uow, row.owner_id, mine, have - target, number, shrink=True)
            elif target > have:
                added.append(Wanted(number, item, target - have, check_price(
                    line.get("unit_price"), number)))
        _add_units(uow, now, row, current, added)
        return _finish(uow, now, row, _pairs(uow, row.id, current), Outbox())


def _target(uow: UnitOfWork, owner_id: int, owner: str, line: Mapping[str, Any],
            number: int) -> tuple[ItemRef, int]:
    """Return a changed line's item and its new quantity in units (0 removes it)."""
    try:
        item = uow.catalog.item(uow.repo.conn, owner_id, str(line["sku"]), owner)
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
        preferred = uow.catalog.location_by_id(uow.repo.conn, row.warehouse_id)
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
        uow.orders.add_dues(want.item.id, alloc["warehouse_id"], row.owner_id,
                            reserved=alloc["reserved"], backordered=alloc["backordered"])


def _cancel_units(uow: UnitOfWork, owner_id: int, mine: list[Any], units: int, number: int,
                  *, shrink: bool = False) -> None:
    """Take ``units`` off lines: backorders first, then reservations, newest line first.

    ``shrink`` lowers the ordered quantity instead of counting the units as cancelled.
    """
    left = sum(int(r.reserved) + int(r.backordered) for r in mine)
    if units > left:
        item = uow.catalog.item_by_id(uow.repo.conn, int(mine[0].item_id))
        raise InvalidQuantity(f"exceeds what is still open on the line "
                              f"({from_units(left, item.decimals)})",
                              value=from_units(units, item.decimals)).at_line(number)
    for part in ("backordered", "reserved"):
        for line in sorted(mine, key=lambda r: int(r.line), reverse=True):
            take = min(units, int(getattr(line, part)))
            if take <= 0:
                continue
            units -= take
            change = {part: -take, "qty" if shrink else "cancelled": -take if shrink else take}
            uow.orders.change_line(int(line.id), **change)
            if line.hold_until is None:
                uow.orders.add_dues(int(line.item_id), int(line.warehouse_id), owner_id,
                                    **{part: -take})


def _end(uow: UnitOfWork, owner: str, reference: str, status: str, new_status: str | None,
         event: str, **data: Any) -> Order:
    """Cancel everything still open on an order or hold, with one event."""
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        _require(row, status, "cancel" if status == OPEN else "release")
        current = uow.orders.lines(row.id)
        for line in current:
            _cancel_units(uow, row.owner_id, [line], int(line.reserved) + int(line.backordered),
                          int(line.line))
        outbox = Outbox()
        outbox.add(row.owner_id, event, now, reference=reference, **data)
        if new_status is not None:
            uow.orders.set_order(row.id, status=new_status, updated_at=now)
        return _finish(uow, now, row, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                       outbox)


def _finish(uow: UnitOfWork, now: datetime, row: Any, touched: set[tuple[int, int]],
            outbox: Outbox) -> Order:
    """Close the order when nothing is left open, settle the touched stock, commit."""
    close(uow, row.id, now)
    settle(uow, now, touched, outbox=outbox)
    order = load(uow, uow.orders.order_by_id(row.id))
    uow.commit()
    return order


def close(uow: UnitOfWork, order_id: int, now: datetime) -> None:
    """Mark an open order completed (something shipped) or cancelled once nothing is open."""
    row = uow.orders.order_by_id(order_id)
    lines = uow.orders.lines(order_id)
    if row.status != OPEN or any(int(r.reserved) or int(r.backordered) for r in lines):
        return
    shipped = any(int(r.shipped) for r in lines)
    uow.orders.set_order(order_id, status="completed" if shipped else "cancelled",
                         updated_at=now)


# --- the sweeper ------------------------------------------------------------------------------


def expire_holds(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Mark holds whose time ran out as expired and write their events; return how many.

    Reads never counted them once expired; this only records it and lets backorders fill.
    """
    with uow:
        now = utcnow()
        count = 0
        due = uow.orders.expired_holds(now, limit)
        _lock_all(uow, due)  # every item first, the event clock last, as other writers do
        for found in due:
            row = locked(uow, None, found.reference, owner_id=found.owner_id)
            if row.status != HELD:
                continue  # confirmed or released meanwhile
            current = uow.orders.lines(row.id)
            for line in current:
                uow.orders.change_line(int(line.id), reserved=-int(line.reserved),
                                       cancelled=int(line.reserved))
            uow.orders.set_order(row.id, status="expired", updated_at=now)
            outbox = Outbox()
            outbox.add(row.owner_id, "hold.expired", now, reference=row.reference)
            settle(uow, now, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                   outbox=outbox)
            count += 1
        uow.commit()
        return count


def cancel_overdue(uow: UnitOfWork, *, limit: int = 500) -> int:
    """Cancel the unshipped rest of backordered lines whose order's ``cancel_after`` passed."""
    with uow:
        now = utcnow()
        count = 0
        due = uow.orders.overdue(now, limit)
        _lock_all(uow, due)
        for found in due:
            row = locked(uow, None, found.reference, owner_id=found.owner_id)
            current = [r for r in uow.orders.lines(row.id) if int(r.backordered)]
            if row.status != OPEN or not current:
                continue
            outbox = Outbox()
            for line in current:
                _cancel_units(uow, row.owner_id, [line],
                              int(line.reserved) + int(line.backordered), int(line.line))
                item = uow.catalog.item_by_id(uow.repo.conn, int(line.item_id))
                outbox.add(row.owner_id, "order.cancelled", now, reference=row.reference,
                           sku=item.sku, reason="cancel_after passed")
            close(uow, row.id, now)
            settle(uow, now, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                   outbox=outbox)
            count += 1
        uow.commit()
        return count


# --- reads ------------------------------------------------------------------------------------


def get_order(uow: UnitOfWork, *, reference: str, owner: str = "default") -> Order:
    """Return one order or hold by its reference."""
    with uow:
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
        row = uow.orders.order(owner_id, reference)
        if row is None:
            raise UnknownOrder(reference)
        return load(uow, row)


def list_orders(uow: UnitOfWork, *, owner: str | None = None, status: str | None = None,
                after: int = 0, limit: int = 100) -> list[tuple[int, Order]]:
    """Return orders (with their ids, for paging) oldest first, of one owner or all."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIST}", field="limit")
    with uow:
        owner_id = None if owner is None else uow.catalog.owner_id(uow.repo.conn, owner)
        return [(int(r.id), load(uow, r)) for r in
                uow.orders.list_orders(owner_id, status, after, limit)]


def load(uow: UnitOfWork, row: Any, *, lines: Sequence[Any] | None = None,
         movement_ids: Sequence[int] | None = None) -> Order:
    """Return the order stored in ``row``, with its lines and movements (read unless
    given)."""
    conn, catalog = uow.repo.conn, uow.catalog
    made = []
    for line in uow.orders.lines(row.id) if lines is None else lines:
        item = catalog.item_by_id(conn, int(line.item_id))

        def qty(units: Any, decimals: int = item.decimals) -> Any:
            return from_units(int(units), decimals)

        made.append(OrderLine(
            line=int(line.line), sku=item.sku, qty=qty(line.qty),
            warehouse=catalog.location_by_id(conn, int(line.warehouse_id)).path,
            reserved=qty(line.reserved), backordered=qty(line.backordered),
            shipped=qty(line.shipped), cancelled=qty(line.cancelled),
            returned=qty(line.returned),
            unit_price=None if line.unit_price is None else Decimal(str(line.unit_price))))
    warehouse = None if row.warehouse_id is None else catalog.location_by_id(
        conn, row.warehouse_id).path
    created, updated = aware(row.created_at), aware(row.updated_at)
    assert created is not None and updated is not None
    return Order(
        reference=row.reference, owner=catalog.owner_code(conn, row.owner_id),
        status=row.status, policy=row.policy, priority=int(row.priority), warehouse=warehouse,
        any_warehouse=bool(row.any_warehouse), created_at=created, updated_at=updated,
        lines=tuple(sorted(made, key=lambda line: line.line)),
        expires_at=aware(row.expires_at), cancel_after=aware(row.cancel_after),
        movement_ids=tuple(uow.orders.movement_ids(row.id) if movement_ids is None
                           else movement_ids))


# --- helpers ----------------------------------------------------------------------------------


def _reference(value: object) -> str:
    reference = check_text(value, "reference", required=True)
    assert reference is not None
    return reference


def _wanted(uow: UnitOfWork, owner_id: int, owner: str, number: int,
            line: Mapping[str, Any]) -> Wanted:
    """Resolve and check one requested line, naming it in any error."""
    try:
        if not isinstance(line["sku"], str):
            raise InvalidInput("sku must be text", field="sku")
        item = uow.catalog.item(uow.repo.conn, owner_id, line["sku"], owner)
        qty = parse_qty(line["qty"], item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None
    return Wanted(number, item, to_units(qty, item.decimals),
                  check_price(line.get("unit_price"), number))


def _warehouse(uow: UnitOfWork, path: str) -> LocationRef:
    ref = uow.catalog.location(uow.repo.conn, path, field="warehouse")
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
    return _policy_of(uow.orders.item_policies({w.item.id for w in wanted}))


def _policy_of(policies: Sequence[str]) -> str:
    return "backorder" if all(p == "backorder" for p in policies) else "reject"


def _same_or_duplicate(uow: UnitOfWork, row: Any, digest: str, reference: str) -> Order:
    """Answer a retried creation with the order it created; refuse a different one."""
    if row.fingerprint != digest:
        raise DuplicateOrder(reference)
    return load(uow, row)


def _lock_all(uow: UnitOfWork, rows: Sequence[Any]) -> None:
    """Lock the items of every order in ``rows`` at once, before any of them is settled."""
    uow.orders.lock_items({int(line.item_id) for row in rows
                           for line in uow.orders.lines(int(row.id))})


def find(uow: UnitOfWork, owner: str, reference: str) -> Any:
    """Return an order's row by reference, or raise ``UnknownOrder``."""
    row = uow.orders.order(uow.catalog.owner_id(uow.repo.conn, owner), reference)
    if row is None:
        raise UnknownOrder(reference)
    return row


def locked(uow: UnitOfWork, owner: str | None, reference: str, *,
            owner_id: int | None = None, extra: Sequence[Any] = ()) -> Any:
    """Find an order, lock its items (and ``extra`` SKUs), and read it again under the lock."""
    if owner_id is None:
        assert owner is not None
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
    row = uow.orders.order(owner_id, reference)
    if row is None:
        raise UnknownOrder(reference)
    ids = {int(r.item_id) for r in uow.orders.lines(row.id)}
    for sku in extra:
        if isinstance(sku, str):
            ids.add(uow.catalog.item(uow.repo.conn, owner_id, sku, owner or "").id)
    uow.orders.lock_items(ids)
    return uow.orders.order_by_id(row.id)


def check_not_expired(row: Any, now: datetime) -> None:
    """Raise ``HoldExpired`` for a hold whose time ran out, swept or not."""
    expires_at = aware(row.expires_at)
    if row.status in (HELD, "expired") and expires_at is not None and expires_at <= now:
        raise HoldExpired(row.reference, expires_at.isoformat())


def _require(row: Any, status: str, action: str) -> None:
    if row.status != status:
        raise OrderClosed(row.reference, row.status, action)


def _lines_of(uow: UnitOfWork, current: list[Any], owner_id: int, owner: str,
              line: Mapping[str, Any], number: int) -> list[Any]:
    try:
        item = uow.catalog.item(uow.repo.conn, owner_id, str(line["sku"]), owner)
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if int(r.item_id) == item.id]
    if not mine:
        raise InvalidInput(f"line {number}: the order has no line for {item.sku!r}",
                           field="sku", line=number)
    return mine


def _units(uow: UnitOfWork, line: Any, qty: object, number: int) -> int:
    """Return a positive quantity of a line's item as scaled units, naming the line."""
    item = uow.catalog.item_by_id(uow.repo.conn, int(line.item_id))
    try:
        return to_units(parse_qty(qty, item.decimals), item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None


def _pairs(uow: UnitOfWork, order_id: int, before: list[Any]) -> set[tuple[int, int]]:
    rows = list(before) + uow.orders.lines(order_id)
    return {(int(r.item_id), int(r.warehouse_id)) for r in rows}
