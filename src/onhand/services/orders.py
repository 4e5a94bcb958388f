"""Sales orders and holds once placed: confirm, release, cancel, expire, and their reads.

Every use case locks the items it touches (in id order) before it reads what is
available, and writes its reservations in the same transaction, so two buyers can never
be promised the same unit, on SQLite or PostgreSQL. Placing and changing orders is in
``placing``; shipping and returns are in ``fulfilment``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.db.statements import aware
from onhand.db.uow import UnitOfWork
from onhand.domain.movements import check_text
from onhand.domain.orders import (
    HELD,
    OPEN,
    STATUSES,
    CancelOrder,
    ConfirmHold,
    Order,
    OrderLine,
    ReleaseHold,
    check_lines,
    no_line_for,
)
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import (
    HoldExpired,
    InvalidInput,
    InvalidQuantity,
    OnhandError,
    OrderClosed,
    UnknownOrder,
)
from onhand.services.executor import handles
from onhand.services.reservations import Outbox, settle

MAX_LIST = 1000


@handles(ConfirmHold)
def confirm(uow: UnitOfWork, command: ConfirmHold) -> Order:
    """Confirm a hold (the library's ``confirm_hold``, ``POST /v1/holds/{ref}/confirm``)."""
    return confirm_hold(uow, reference=command.reference, owner=command.owner)


@handles(ReleaseHold)
def release(uow: UnitOfWork, command: ReleaseHold) -> Order:
    """Release a hold."""
    return release_hold(uow, reference=command.reference, owner=command.owner)


@handles(CancelOrder)
def cancel(uow: UnitOfWork, command: CancelOrder) -> Order:
    """Cancel an order, or some of its lines."""
    return cancel_order(uow, reference=command.reference, owner=command.owner,
                        lines=command.lines, reason=command.reason)


def confirm_hold(uow: UnitOfWork, *, reference: str, owner: str = "default") -> Order:
    """Turn a live hold into an order; its units stay reserved. An expired hold cannot."""
    with uow:
        row = locked(uow, owner, reference)
        now = utcnow()  # after the lock: the hold may have lapsed while we waited
        check_not_expired(row, now)
        require(row, HELD, "confirm a hold")
        uow.orders.set_order(row.id, status=OPEN, expires_at=None, updated_at=now)
        uow.orders.set_hold_until(row.id, None)
        for line in uow.orders.lines(row.id):
            uow.positions.add_dues(line.item_id, line.warehouse_id, row.owner_id,
                                reserved=int(line.reserved))
        outbox = Outbox()
        outbox.add(row.owner_id, "hold.confirmed", now, reference=reference)
        return finish(uow, now, row, set(), outbox)  # damage may have left nothing to ship


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
        require(row, OPEN, "cancel")
        current = uow.orders.lines(row.id)
        outbox = Outbox()
        for number, line in enumerate(checked, start=1):
            mine = _lines_of(uow, current, row.owner_id, owner, line, number)
            units = _units(uow, mine[0], line["qty"], number)
            cancel_units(uow, row.owner_id, mine, units, number)
            outbox.add(row.owner_id, "order.cancelled", now, reference=reference,
                       sku=line["sku"], qty=str(line["qty"]), reason=why)
        return finish(uow, now, row, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                       outbox)


def cancel_units(uow: UnitOfWork, owner_id: int, mine: list[Any], units: int, number: int,
                  *, shrink: bool = False) -> None:
    """Take ``units`` off lines: backorders first, then reservations, newest line first.

    ``shrink`` lowers the ordered quantity instead of counting the units as cancelled.
    """
    left = sum(int(r.reserved) + int(r.backordered) for r in mine)
    if units > left:
        item = uow.refs.item_by_id(int(mine[0].item_id))
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
                uow.positions.add_dues(int(line.item_id), int(line.warehouse_id), owner_id,
                                    **{part: -take})


def _end(uow: UnitOfWork, owner: str, reference: str, status: str, new_status: str | None,
         event: str, **data: Any) -> Order:
    """Cancel everything still open on an order or hold, with one event."""
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        check_not_expired(row, utcnow())  # after the lock: a hold that ran out is released
        require(row, status, "cancel" if status == OPEN else "release")
        current = uow.orders.lines(row.id)
        for line in current:
            cancel_units(uow, row.owner_id, [line], int(line.reserved) + int(line.backordered),
                          int(line.line))
        outbox = Outbox()
        outbox.add(row.owner_id, event, now, reference=reference, **data)
        if new_status is not None:
            uow.orders.set_order(row.id, status=new_status, updated_at=now)
        return finish(uow, now, row, {(int(r.item_id), int(r.warehouse_id)) for r in current},
                       outbox)


def finish(uow: UnitOfWork, now: datetime, row: Any, touched: set[tuple[int, int]],
            outbox: Outbox) -> Order:
    """Close the order when nothing is left open, settle the touched stock, commit."""
    close(uow, row.id, now)
    settle(uow, now, touched, outbox=outbox)
    order = load(uow, uow.orders.order_by_id(row.id))
    uow.commit()
    return order


def close(uow: UnitOfWork, order_id: int, now: datetime) -> None:
    """Note that an order changed; mark it completed (something shipped) or cancelled once
    nothing is open."""
    row = uow.orders.order_by_id(order_id)
    lines = uow.orders.lines(order_id)
    if row.status != OPEN or any(int(r.reserved) or int(r.backordered) for r in lines):
        uow.orders.set_order(order_id, updated_at=now)
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
            # it ended when its time ran out, which reads have shown since
            uow.orders.set_order(row.id, status="expired", updated_at=aware(row.expires_at))
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
                cancel_units(uow, row.owner_id, [line],
                              int(line.reserved) + int(line.backordered), int(line.line))
                item = uow.refs.item_by_id(int(line.item_id))
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
        owner_id = uow.refs.owner_id(owner)
        row = uow.orders.order(owner_id, reference)
        if row is None:
            raise UnknownOrder(reference)
        return load(uow, row)


def list_orders(uow: UnitOfWork, *, owner: str | None = None, status: str | None = None,
                after: int | Order = 0, limit: int = 100) -> list[tuple[int, Order]]:
    """Return orders (with their ids, for paging) oldest first, of one owner or all;
    ``after``: the id, or the order, that the previous page ended with."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_LIST}", field="limit")
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        if isinstance(after, Order):
            after = int(find(uow, after.owner, after.reference).id)
        return [(int(r.id), load(uow, r)) for r in
                uow.orders.list_orders(owner_id, status, after, limit, utcnow())]


def load(uow: UnitOfWork, row: Any, *, lines: Sequence[Any] | None = None,
         movement_ids: Sequence[int] | None = None) -> Order:
    """Return the order stored in ``row``, with its lines and movements (read unless
    given). A hold whose time ran out reads as expired, holding nothing, before the sweeper
    has recorded it."""
    catalog = uow.refs
    expires_at = aware(row.expires_at)
    lapsed = row.status == HELD and expires_at is not None and expires_at <= utcnow()
    made = []
    for line in uow.orders.lines(row.id) if lines is None else lines:
        item = catalog.item_by_id(int(line.item_id))

        def qty(units: Any, decimals: int = item.decimals) -> Any:
            return from_units(int(units), decimals)

        held = 0 if lapsed else int(line.reserved)
        made.append(OrderLine(
            line=int(line.line), sku=item.sku, qty=qty(line.qty),
            warehouse=catalog.location_by_id(int(line.warehouse_id)).path,
            reserved=qty(held), backordered=qty(line.backordered),
            shipped=qty(line.shipped),
            cancelled=qty(int(line.cancelled) + int(line.reserved) - held),
            returned=qty(line.returned),
            unit_price=None if line.unit_price is None else Decimal(str(line.unit_price))))
    warehouse = None if row.warehouse_id is None else catalog.location_by_id(row.warehouse_id).path
    created, updated = aware(row.created_at), expires_at if lapsed else aware(row.updated_at)
    assert created is not None and updated is not None
    return Order(
        reference=row.reference, owner=catalog.owner_code(row.owner_id),
        status="expired" if lapsed else row.status, policy=row.policy,
        priority=int(row.priority), warehouse=warehouse,
        any_warehouse=bool(row.any_warehouse), created_at=created, updated_at=updated,
        lines=tuple(sorted(made, key=lambda line: line.line)),
        expires_at=expires_at, cancel_after=aware(row.cancel_after),
        movement_ids=tuple(uow.orders.movement_ids(row.id) if movement_ids is None
                           else movement_ids))


# --- helpers ----------------------------------------------------------------------------------


def _lock_all(uow: UnitOfWork, rows: Sequence[Any]) -> None:
    """Lock the items of every order in ``rows`` at once, before any of them is settled."""
    uow.positions.lock_items({int(line.item_id) for row in rows
                           for line in uow.orders.lines(int(row.id))})


def find(uow: UnitOfWork, owner: str, reference: str) -> Any:
    """Return an order's row by reference, or raise ``UnknownOrder``."""
    row = uow.orders.order(uow.refs.owner_id(owner), reference)
    if row is None:
        raise UnknownOrder(reference)
    return row


def locked(uow: UnitOfWork, owner: str | None, reference: str, *,
            owner_id: int | None = None, extra: Sequence[Any] = ()) -> Any:
    """Find an order, lock its items (and ``extra`` SKUs), and read it again under the lock."""
    if owner_id is None:
        assert owner is not None
        owner_id = uow.refs.owner_id(owner)
    row = uow.orders.order(owner_id, reference)
    if row is None:
        raise UnknownOrder(reference)
    ids = {int(r.item_id) for r in uow.orders.lines(row.id)}
    for sku in extra:
        if isinstance(sku, str):
            ids.add(uow.refs.item(owner_id, sku, owner or "").id)
    uow.positions.lock_items(ids)
    return uow.orders.order_by_id(row.id)


def check_not_expired(row: Any, now: datetime) -> None:
    """Raise ``HoldExpired`` for a hold whose time ran out, swept or not."""
    expires_at = aware(row.expires_at)
    if row.status in (HELD, "expired") and expires_at is not None and expires_at <= now:
        raise HoldExpired(row.reference, expires_at.isoformat())


def require(row: Any, status: str, action: str) -> None:
    if row.status != status:
        raise OrderClosed(row.reference, row.status, action,
                          what="hold" if row.status in (HELD, "released", "expired") else "order")


def _lines_of(uow: UnitOfWork, current: list[Any], owner_id: int, owner: str,
              line: Mapping[str, Any], number: int) -> list[Any]:
    try:
        item = uow.refs.item(owner_id, str(line["sku"]), owner)
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if int(r.item_id) == item.id]
    if not mine:
        raise no_line_for(item.sku, number)
    return mine


def _units(uow: UnitOfWork, line: Any, qty: object, number: int) -> int:
    """Return a positive quantity of a line's item as scaled units, naming the line."""
    item = uow.refs.item_by_id(int(line.item_id))
    try:
        return to_units(parse_qty(qty, item.decimals), item.decimals)
    except OnhandError as error:
        raise error.at_line(number) from None
