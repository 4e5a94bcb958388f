"""Receiving purchase orders, and sending received units back to the supplier.

A receipt posts receipt movements at the line's unit cost, lowers ``incoming`` by what was
due, and closes the order once nothing is left to come; like any stock arriving, it fills
waiting backorders at once. A return to the supplier posts at the cost the units came in at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.purchasing import StoredOrder, StoredOrderLine
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import SUPPLIER
from onhand.domain.movements import check_text
from onhand.domain.orders import check_lines, no_line_for
from onhand.domain.purchasing import (
    PurchaseOrder,
    ReceivePurchaseOrder,
    ReturnToSupplier,
    open_units,
    receivable,
)
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import InvalidInput, InvalidLocation, InvalidQuantity, OnhandError, OrderClosed
from onhand.services.executor import handles
from onhand.services.ledger import SUPPLIER_RETURN, Line, claimed, write
from onhand.services.purchasing import close_if_done, locked

RECEIVE_FIELDS = frozenset({"sku", "qty", "location", "lot", "expires_on"})


@handles(ReceivePurchaseOrder)
def receive(uow: UnitOfWork, command: ReceivePurchaseOrder) -> PurchaseOrder:
    """Receive a purchase order, fully or by lines."""
    return receive_purchase_order(uow, reference=command.reference, lines=command.lines,
                                  location=command.location, owner=command.owner,
                                  key=command.key)


@handles(ReturnToSupplier)
def send_back(uow: UnitOfWork, command: ReturnToSupplier) -> PurchaseOrder:
    """Send received units back to the supplier."""
    return return_to_supplier(uow, reference=command.reference, lines=command.lines,
                              reason=command.reason, owner=command.owner, key=command.key)


def receive_purchase_order(uow: UnitOfWork, *, reference: str,
                           lines: Sequence[Mapping[str, Any]] | None = None,
                           location: str | None = None, owner: str = "default",
                           key: str | None = None) -> PurchaseOrder:
    """Receive a confirmed order, fully (no ``lines``) or partly, into ``location``.

    Lines: ``[{"sku", "qty", "location", "lot", "expires_on"}]``; a lot is required for
    lot- or serial-tracked items. Receiving more than a line's quantity plus the order's
    tolerance is refused. The order closes once nothing is left to come.
    """
    checked = None if lines is None else check_lines(lines, fields=RECEIVE_FIELDS)
    key = check_text(key, "key")
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        identity = {"receive": reference, "lines": lines, "location": location}
        if key and claimed(uow, row.owner_id, key, identity, now):
            return uow.purchasing.order(row.id)
        if row.status != "confirmed":
            raise OrderClosed(reference, row.status, "receive", what="purchase order")
        default = _receiving_location(uow, row, location)
        current = uow.purchasing.lines(row.id)
        wanted = checked if checked is not None else _everything(uow, current)
        posted = [part for number, line in enumerate(wanted, start=1)
                  for part in _receive_line(uow, row, current, owner, default, line, number)]
        _post(uow, row, posted, now, key)
        close_if_done(uow, row.id, now)
        order = uow.purchasing.order(row.id)
        uow.commit()
        return order


def _post(uow: UnitOfWork, row: StoredOrder, posted: list[tuple[int, Line]], now: datetime,
          key: str | None) -> None:
    """Post the movements, link each to its order line, note the change, and keep the key's
    result."""
    written = write(uow, [line for _, line in posted], now)
    uow.purchasing.link([(m.id, line_id) for (line_id, _), m in
                         zip(posted, written, strict=True)])
    uow.purchasing.mark(row.id, now)
    if key:
        uow.ledger.record_key(row.owner_id, key, [m.id for m in written])


def _receive_line(uow: UnitOfWork, row: StoredOrder, current: list[StoredOrderLine],
                  owner: str, default: LocationRef, line: Mapping[str, Any], number: int
                  ) -> list[tuple[int, Line]]:
    """Split one received quantity over the order's lines of that SKU; return the postings."""
    try:
        item = uow.refs.item(row.owner_id, str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        target = default if line.get("location") is None else \
            _receiving_location(uow, row, line["location"])
        lot = _lot(uow, item, line)
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if r.item_id == item.id]
    if not mine:
        raise no_line_for(item.sku, number)
    room = sum(receivable(r.qty, r.received, r.cancelled, row.tolerance) for r in mine)
    if units > room:
        raise InvalidQuantity(f"exceeds what the order still takes, tolerance included "
                              f"({from_units(room, item.decimals)})",
                              value=line["qty"]).at_line(number)
    return _take(uow, row, mine, item, units, target, lot, owner)


def _take(uow: UnitOfWork, row: StoredOrder, mine: list[StoredOrderLine], item: ItemRef,
          units: int, target: LocationRef, lot: str, owner: str) -> list[tuple[int, Line]]:
    """Receive ``units`` on the first lines with room; lower incoming by what was due."""
    parts = []
    for index, order_line in enumerate(mine):
        last = index == len(mine) - 1
        room = receivable(order_line.qty, order_line.received, order_line.cancelled,
                          row.tolerance)
        due = open_units(order_line.qty, order_line.received, order_line.cancelled)
        take = units if last else min(units, due or room)
        take = min(take, room)
        if take <= 0:
            continue
        if order_line.unit_cost is None and item.cost_required:
            raise InvalidInput(f"unit_cost is required: {item.sku} is a valued item; give the "
                               f"purchase order's line a unit cost", field="unit_cost")
        uow.purchasing.change_line(order_line.id, received=take)
        uow.positions.add_dues(item.id, row.warehouse_id, row.owner_id, incoming=-min(take, due))
        parts.append((order_line.id, Line(
            item=item, owner=owner, kind="receipt", units=take,
            source=uow.refs.location(SUPPLIER), target=target, lot=lot,
            reference=row.reference, reason=None,
            unit_cost=order_line.unit_cost, occurred_at=utcnow())))
        units -= take
    return parts


def return_to_supplier(uow: UnitOfWork, *, reference: str, lines: Sequence[Mapping[str, Any]],
                       reason: str, owner: str = "default",
                       key: str | None = None) -> PurchaseOrder:
    """Send received units back to the supplier, at the cost they were received at.

    Lines: ``[{"sku", "qty", "location", "lot"}]`` (location: where they leave from;
    default the order's warehouse). No more than received and not yet returned.
    """
    checked = check_lines(lines, fields=frozenset({"sku", "qty", "location", "lot"}))
    why = check_text(reason, "reason", required=True)
    key = check_text(key, "key")
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        identity = {"return": reference, "lines": lines, "reason": why}
        if key and claimed(uow, row.owner_id, key, identity, now):
            return uow.purchasing.order(row.id)
        current = uow.purchasing.lines(row.id)
        posted = [part for number, line in enumerate(checked, start=1)
                  for part in _send_back(uow, row, current, owner, line, number, why)]
        _post(uow, row, posted, now, key)
        order = uow.purchasing.order(row.id)
        uow.commit()
        return order


def _send_back(uow: UnitOfWork, row: StoredOrder, current: list[StoredOrderLine], owner: str,
               line: Mapping[str, Any], number: int, why: str | None) -> list[tuple[int, Line]]:
    try:
        item = uow.refs.item(row.owner_id, str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        source = (uow.refs.location_by_id(row.warehouse_id)
                  if line.get("location") is None else
                  uow.refs.location(str(line["location"])))
        lot = check_text(line.get("lot"), "lot") or ""
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if r.item_id == item.id]
    left = sum(r.received - r.returned for r in mine)
    if units > left:
        raise InvalidQuantity(f"exceeds what was received and not returned "
                              f"({from_units(left, item.decimals)})",
                              value=line["qty"]).at_line(number)
    parts = []
    for order_line in mine:
        take = min(units, order_line.received - order_line.returned)
        if take <= 0:
            continue
        uow.purchasing.change_line(order_line.id, returned=take)
        parts.append((order_line.id, Line(
            item=item, owner=owner, kind=SUPPLIER_RETURN, units=take, source=source,
            target=uow.refs.location(SUPPLIER), lot=lot,
            reference=row.reference, reason=why,
            unit_cost=order_line.unit_cost, occurred_at=utcnow(),
            # the receipt it returns: valuation takes the units from that receipt's layer
            shipment_id=uow.purchasing.line_receipt(order_line.id))))
        units -= take
    return parts


# --- helpers ----------------------------------------------------------------------------------


def _receiving_location(uow: UnitOfWork, row: StoredOrder, path: object) -> LocationRef:
    """Return where to receive: ``path`` inside the order's warehouse (default: the
    warehouse itself)."""
    if path is None:
        return uow.refs.location_by_id(row.warehouse_id)
    if not isinstance(path, str):
        raise InvalidInput("location must be a location path", field="location")
    ref = uow.refs.location(path)
    if ref.warehouse_id != row.warehouse_id:
        raise InvalidLocation("is not in the purchase order's warehouse", location=path,
                              field="location")
    return ref


def _lot(uow: UnitOfWork, item: ItemRef, line: Mapping[str, Any]) -> str:
    """Return the received lot (required for tracked items), recording its expiry."""
    lot = check_text(line.get("lot"), "lot") or ""
    tracking = uow.lots.tracking(item.id)
    if tracking != "none" and not lot:
        raise InvalidInput(f"lot is required: {item.sku!r} is tracked by {tracking}",
                           field="lot")
    expires = line.get("expires_on")
    if expires is not None:
        if isinstance(expires, datetime) or not isinstance(expires, date):
            raise InvalidInput("expires_on must be a date", field="expires_on")
        if not lot:
            raise InvalidInput("expires_on needs a lot", field="expires_on")
        uow.lots.set_lot_expiry(item.id, item.owner_id, lot, expires)
    return lot


def _everything(uow: UnitOfWork, current: list[StoredOrderLine]) -> list[Mapping[str, Any]]:
    """Return receive lines for every unit still to come."""
    wanted: list[Mapping[str, Any]] = []
    for line in current:
        units = open_units(line.qty, line.received, line.cancelled)
        if units:
            item = uow.refs.item_by_id(line.item_id)
            wanted.append({"sku": item.sku, "qty": from_units(units, item.decimals)})
    if not wanted:
        raise InvalidInput("nothing is left to receive", field="lines")
    return wanted
