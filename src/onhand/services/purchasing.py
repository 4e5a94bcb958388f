"""Suppliers, purchase orders and receiving; returns to the supplier.

``incoming`` (per item × warehouse) rises when a purchase order is confirmed and falls as
its lines are received or their rest cancelled. A receipt posts receipt movements at the
line's unit cost in the same transaction, and — like any stock arriving — fills waiting
backorders at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.repository import aware
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import SUPPLIER
from onhand.domain.movements import check_text, check_unit_cost
from onhand.domain.orders import check_lines
from onhand.domain.purchasing import (
    PO_STATUSES,
    PurchaseOrder,
    PurchaseOrderLine,
    check_code,
    check_tolerance,
    open_units,
    receivable,
)
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.errors import (
    DuplicateOrder,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    OnhandError,
    OrderClosed,
    UnknownOrder,
    UnknownSupplier,
)
from onhand.services.movements import SUPPLIER_RETURN, Line, claimed, write

PO = "purchase_orders"
RECEIVE_FIELDS = frozenset({"sku", "qty", "location", "lot", "expires_on"})


def add_supplier(uow: UnitOfWork, *, code: str, name: str | None = None,
                 owner: str = "default") -> str:
    """Create a supplier of ``owner``; its code is unique per owner."""
    code = check_code(code)
    name = check_text(name, "name") or code
    with uow:
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
        uow.purchasing.add_supplier({"owner_id": owner_id, "code": code, "name": name,
                                     "created_at": utcnow()})
        uow.commit()
    return code


def get_supplier(uow: UnitOfWork, *, code: str, owner: str = "default") -> dict[str, str]:
    """Return one supplier as {owner, code, name}, or raise ``UnknownSupplier``."""
    with uow:
        found = uow.purchasing.supplier(uow.catalog.owner_id(uow.repo.conn, owner),
                                        check_code(code))
        if found is None:
            raise UnknownSupplier(code)
        return {"owner": owner, "code": found.code, "name": found.name}


def list_suppliers(uow: UnitOfWork, *, owner: str | None = None) -> list[dict[str, str]]:
    """Return suppliers as {owner, code, name}, by owner and code."""
    with uow:
        conn = uow.repo.conn
        owner_id = None if owner is None else uow.catalog.owner_id(conn, owner)
        return [{"owner": uow.catalog.owner_code(conn, r.owner_id), "code": r.code,
                 "name": r.name} for r in uow.purchasing.suppliers(owner_id)]


def create_purchase_order(uow: UnitOfWork, *, reference: str, supplier: str, warehouse: str,
                          lines: Sequence[Mapping[str, Any]], owner: str = "default",
                          expected_on: date | None = None, tolerance: object = 0,
                          confirm: bool = False) -> PurchaseOrder:
    """Create a purchase order (a draft, or confirmed at once with ``confirm``).

    ``lines``: ``[{"sku", "qty", "unit_cost"}]``. ``tolerance``: how far, in percent,
    receiving may exceed a line's quantity. A retry with the same reference and lines
    returns the order already created.
    """
    reference = _reference(reference)
    checked = check_lines(lines, fields=frozenset({"sku", "qty", "unit_cost"}))
    percent = check_tolerance(tolerance)
    if expected_on is not None and (not isinstance(expected_on, date)
                                    or isinstance(expected_on, datetime)):
        raise InvalidInput("expected_on must be a date", field="expected_on")
    with uow:
        now = utcnow()
        conn = uow.repo.conn
        owner_id = uow.catalog.owner_id(conn, owner)
        found = uow.purchasing.supplier(owner_id, check_code(supplier))
        if found is None:
            raise UnknownSupplier(supplier)
        where = warehouse_ref(uow, warehouse)
        rows = [_po_line(uow, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        existing = uow.purchasing.find(PO, owner_id, reference)
        if existing is not None:
            terms = (found.id, where.id, percent, expected_on)
            return _same_or_duplicate(uow, existing, terms, rows, reference)
        doc_id = uow.purchasing.insert(PO, {
            "owner_id": owner_id, "reference": reference, "supplier_id": found.id,
            "warehouse_id": where.id, "status": "draft", "expected_on": expected_on,
            "tolerance": percent, "created_at": now, "updated_at": now}, rows)
        if confirm:
            _confirm(uow, doc_id, now)
        order = load(uow, uow.purchasing.get(PO, doc_id))
        uow.commit()
        return order


def confirm_purchase_order(uow: UnitOfWork, *, reference: str,
                           owner: str = "default") -> PurchaseOrder:
    """Confirm a draft: its lines become ``incoming`` in its warehouse."""
    with uow:
        row = _locked(uow, owner, reference)
        if row.status != "draft":
            raise OrderClosed(reference, row.status, "confirm")
        _confirm(uow, row.id, utcnow())
        order = load(uow, uow.purchasing.get(PO, row.id))
        uow.commit()
        return order


def _confirm(uow: UnitOfWork, doc_id: int, now: datetime) -> None:
    row = uow.purchasing.get(PO, doc_id)
    for line in uow.purchasing.lines(PO, doc_id):  # a draft's lines may be cut down already
        uow.orders.add_dues(int(line.item_id), int(row.warehouse_id), int(row.owner_id),
                            incoming=open_units(int(line.qty), int(line.received),
                                                int(line.cancelled)))
    uow.purchasing.set(PO, doc_id, status="confirmed", updated_at=now)


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
        row = _locked(uow, owner, reference)
        identity = {"receive": reference, "lines": lines, "location": location}
        if key and claimed(uow, int(row.owner_id), key, identity, now):
            return load(uow, uow.purchasing.get(PO, row.id))
        if row.status != "confirmed":
            raise OrderClosed(reference, row.status, "receive")
        default = _receiving_location(uow, row, location)
        current = uow.purchasing.lines(PO, row.id)
        wanted = checked if checked is not None else _everything(uow, current)
        posted = [part for number, line in enumerate(wanted, start=1)
                  for part in _receive_line(uow, row, current, owner, default, line, number)]
        written = write(uow, [line for _, line in posted], now)
        uow.purchasing.link(PO, [(m.id, line_id) for (line_id, _), m in
                                 zip(posted, written, strict=True)])
        _close_if_done(uow, row.id, now)
        if key:
            uow.repo.record_key(int(row.owner_id), key, [m.id for m in written])
        order = load(uow, uow.purchasing.get(PO, row.id))
        uow.commit()
        return order


def _receive_line(uow: UnitOfWork, row: Any, current: list[Any], owner: str,
                  default: LocationRef, line: Mapping[str, Any], number: int
                  ) -> list[tuple[int, Line]]:
    """Split one received quantity over the order's lines of that SKU; return the postings."""
    try:
        item = uow.catalog.item(uow.repo.conn, int(row.owner_id), str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        target = default if line.get("location") is None else \
            _receiving_location(uow, row, line["location"])
        lot = _lot(uow, item, line)
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if int(r.item_id) == item.id]
    if not mine:
        raise InvalidInput(f"line {number}: the order has no line for {item.sku!r}",
                           field="sku", line=number)
    tolerance = Decimal(str(row.tolerance))
    room = sum(receivable(int(r.qty), int(r.received), int(r.cancelled), tolerance) for r in mine)
    if units > room:
        raise InvalidQuantity(f"exceeds what the order still takes, tolerance included "
                              f"({from_units(room, item.decimals)})",
                              value=line["qty"]).at_line(number)
    return _take(uow, row, mine, item, units, target, lot, owner)


def _take(uow: UnitOfWork, row: Any, mine: list[Any], item: ItemRef, units: int,
          target: LocationRef, lot: str, owner: str) -> list[tuple[int, Line]]:
    """Receive ``units`` on the first lines with room; lower incoming by what was due."""
    tolerance = Decimal(str(row.tolerance))
    parts = []
    for index, order_line in enumerate(mine):
        last = index == len(mine) - 1
        room = receivable(int(order_line.qty), int(order_line.received),
                          int(order_line.cancelled), tolerance)
        take = units if last else min(units, open_units(
            int(order_line.qty), int(order_line.received), int(order_line.cancelled)) or room)
        take = min(take, room)
        if take <= 0:
            continue
        due = open_units(int(order_line.qty), int(order_line.received), int(order_line.cancelled))
        uow.purchasing.change_line(PO, int(order_line.id), received=take)
        uow.orders.add_dues(item.id, int(row.warehouse_id), int(row.owner_id),
                            incoming=-min(take, due))
        parts.append((int(order_line.id), Line(
            item=item, owner=owner, kind="receipt", units=take,
            source=uow.catalog.location(uow.repo.conn, SUPPLIER), target=target, lot=lot,
            reference=row.reference, reason=None,
            unit_cost=None if order_line.unit_cost is None else Decimal(str(order_line.unit_cost)),
            occurred_at=utcnow())))
        units -= take
    return parts


def cancel_purchase_order(uow: UnitOfWork, *, reference: str, owner: str = "default",
                          lines: Sequence[Mapping[str, Any]] | None = None) -> PurchaseOrder:
    """Cancel what is still to come on an order (or ``lines`` quantities of it).

    The order ends ``cancelled`` if nothing was received, else ``closed``.
    """
    checked = None if lines is None else check_lines(lines, fields=frozenset({"sku", "qty"}))
    with uow:
        now = utcnow()
        row = _locked(uow, owner, reference)
        if row.status not in ("draft", "confirmed"):
            raise OrderClosed(reference, row.status, "cancel")
        current = uow.purchasing.lines(PO, row.id)
        amounts = _cancellations(uow, row, current, owner, checked)
        for order_line in current:
            units = amounts.get(int(order_line.id), 0)
            if units:
                uow.purchasing.change_line(PO, int(order_line.id), cancelled=units)
                if row.status == "confirmed":
                    uow.orders.add_dues(int(order_line.item_id), int(row.warehouse_id),
                                        int(row.owner_id), incoming=-units)
        if checked is None:
            received = any(int(r.received) for r in current)
            uow.purchasing.set(PO, row.id, status="closed" if received else "cancelled",
                               updated_at=now)
        else:
            _close_if_done(uow, row.id, now)
        order = load(uow, uow.purchasing.get(PO, row.id))
        uow.commit()
        return order


def _cancellations(uow: UnitOfWork, row: Any, current: list[Any], owner: str,
                   checked: list[Mapping[str, Any]] | None) -> dict[int, int]:
    """Return the units to cancel per line: all that is open, or what ``checked`` says."""
    def still(r: Any) -> int:
        return open_units(int(r.qty), int(r.received), int(r.cancelled))

    if checked is None:
        return {int(r.id): still(r) for r in current}
    amounts: dict[int, int] = {}
    for number, line in enumerate(checked, start=1):
        try:
            item = uow.catalog.item(uow.repo.conn, int(row.owner_id), str(line["sku"]), owner)
            units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        except OnhandError as error:
            raise error.at_line(number) from None
        mine = [r for r in current if int(r.item_id) == item.id]
        left = sum(still(r) - amounts.get(int(r.id), 0) for r in mine)
        if units > left:
            raise InvalidQuantity(f"exceeds what is still to come "
                                  f"({from_units(left, item.decimals)})",
                                  value=line["qty"]).at_line(number)
        for r in mine:
            take = min(units, still(r) - amounts.get(int(r.id), 0))
            amounts[int(r.id)] = amounts.get(int(r.id), 0) + take
            units -= take
    return amounts


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
        row = _locked(uow, owner, reference)
        identity = {"return": reference, "lines": lines, "reason": why}
        if key and claimed(uow, int(row.owner_id), key, identity, now):
            return load(uow, uow.purchasing.get(PO, row.id))
        current = uow.purchasing.lines(PO, row.id)
        posted = [part for number, line in enumerate(checked, start=1)
                  for part in _send_back(uow, row, current, owner, line, number, why)]
        written = write(uow, [line for _, line in posted], now)
        uow.purchasing.link(PO, [(m.id, line_id) for (line_id, _), m in
                                 zip(posted, written, strict=True)])
        if key:
            uow.repo.record_key(int(row.owner_id), key, [m.id for m in written])
        order = load(uow, uow.purchasing.get(PO, row.id))
        uow.commit()
        return order


def _send_back(uow: UnitOfWork, row: Any, current: list[Any], owner: str,
               line: Mapping[str, Any], number: int, why: str | None) -> list[tuple[int, Line]]:
    try:
        item = uow.catalog.item(uow.repo.conn, int(row.owner_id), str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        source = (uow.catalog.location_by_id(uow.repo.conn, int(row.warehouse_id))
                  if line.get("location") is None else
                  uow.catalog.location(uow.repo.conn, str(line["location"])))
        lot = check_text(line.get("lot"), "lot") or ""
    except OnhandError as error:
        raise error.at_line(number) from None
    mine = [r for r in current if int(r.item_id) == item.id]
    left = sum(int(r.received) - int(r.returned) for r in mine)
    if units > left:
        raise InvalidQuantity(f"exceeds what was received and not returned "
                              f"({from_units(left, item.decimals)})",
                              value=line["qty"]).at_line(number)
    parts = []
    for order_line in mine:
        take = min(units, int(order_line.received) - int(order_line.returned))
        if take <= 0:
            continue
        uow.purchasing.change_line(PO, int(order_line.id), returned=take)
        parts.append((int(order_line.id), Line(
            item=item, owner=owner, kind=SUPPLIER_RETURN, units=take, source=source,
            target=uow.catalog.location(uow.repo.conn, SUPPLIER), lot=lot,
            reference=row.reference, reason=why,
            unit_cost=None if order_line.unit_cost is None else Decimal(str(order_line.unit_cost)),
            occurred_at=utcnow())))
        units -= take
    return parts


# --- reads ------------------------------------------------------------------------------------


def get_purchase_order(uow: UnitOfWork, *, reference: str,
                       owner: str = "default") -> PurchaseOrder:
    """Return one purchase order by its reference."""
    with uow:
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
        row = uow.purchasing.find(PO, owner_id, reference)
        if row is None:
            raise UnknownOrder(reference, what="purchase order")
        return load(uow, row)


def list_purchase_orders(uow: UnitOfWork, *, owner: str | None = None,
                         status: str | None = None, after: int = 0,
                         limit: int = 100) -> list[tuple[int, PurchaseOrder]]:
    """Return purchase orders (with ids, for paging) oldest first."""
    if status is not None and status not in PO_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(PO_STATUSES)}", field="status")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInput("limit must be an integer from 1 to 1000", field="limit")
    with uow:
        owner_id = None if owner is None else uow.catalog.owner_id(uow.repo.conn, owner)
        return [(int(r.id), load(uow, r))
                for r in uow.purchasing.documents(PO, owner_id, status, after, limit)]


def load(uow: UnitOfWork, row: Any) -> PurchaseOrder:
    """Return the purchase order stored in ``row``, with its lines."""
    conn, catalog = uow.repo.conn, uow.catalog
    lines = []
    for line in uow.purchasing.lines(PO, row.id):
        item = catalog.item_by_id(conn, int(line.item_id))
        d = item.decimals
        lines.append(PurchaseOrderLine(
            line=int(line.line), sku=item.sku, qty=from_units(int(line.qty), d),
            unit_cost=line.unit_cost, received=from_units(int(line.received), d),
            cancelled=from_units(int(line.cancelled), d),
            returned=from_units(int(line.returned), d),
            incoming=from_units(open_units(int(line.qty), int(line.received),
                                           int(line.cancelled))
                                if row.status == "confirmed" else 0, d)))
    created, updated = aware(row.created_at), aware(row.updated_at)
    assert created is not None and updated is not None
    return PurchaseOrder(
        reference=row.reference, owner=catalog.owner_code(conn, row.owner_id),
        supplier=uow.purchasing.supplier_code(row.supplier_id),
        warehouse=catalog.location_by_id(conn, row.warehouse_id).path, status=row.status,
        tolerance=Decimal(str(row.tolerance)), expected_on=row.expected_on,
        created_at=created, updated_at=updated, lines=tuple(lines),
        movement_ids=tuple(uow.purchasing.movement_ids(PO, row.id)))


# --- helpers ----------------------------------------------------------------------------------


def warehouse_ref(uow: UnitOfWork, path: object, field: str = "warehouse") -> LocationRef:
    """Return the warehouse (top-level internal location) at ``path``, or raise."""
    if not isinstance(path, str):
        raise InvalidInput(f"{field} must be a location path", field=field)
    ref = uow.catalog.location(uow.repo.conn, path, field=field)
    if ref.virtual or ref.warehouse_id != ref.id:
        raise InvalidLocation("is not a warehouse (a top-level internal location)",
                              location=path, field=field)
    return ref


def _reference(value: object) -> str:
    reference = check_text(value, "reference", required=True)
    assert reference is not None
    return reference


def _po_line(uow: UnitOfWork, owner_id: int, owner: str, number: int,
             line: Mapping[str, Any]) -> dict[str, Any]:
    try:
        item = uow.catalog.item(uow.repo.conn, owner_id, str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        cost = check_unit_cost(line.get("unit_cost"), "receipt")
    except OnhandError as error:
        raise error.at_line(number) from None
    return {"owner_id": owner_id, "line": number, "item_id": item.id, "qty": units,
            "unit_cost": cost, "received": 0, "cancelled": 0, "returned": 0}


def _same_or_duplicate(uow: UnitOfWork, row: Any, terms: tuple[Any, ...],
                       rows: list[dict[str, Any]], reference: str) -> PurchaseOrder:
    """Answer a retried create with the order it made; refuse another order (other supplier,
    warehouse, tolerance, expected date, lines or costs) under the same reference."""
    stored = [(int(r.item_id), int(r.qty), r.unit_cost) for r in uow.purchasing.lines(PO, row.id)]
    known = (row.supplier_id, row.warehouse_id, Decimal(str(row.tolerance)), row.expected_on)
    if known != terms or stored != [(r["item_id"], r["qty"], r["unit_cost"]) for r in rows]:
        raise DuplicateOrder(reference)
    return load(uow, row)


def _locked(uow: UnitOfWork, owner: str, reference: str) -> Any:
    """Find a purchase order, lock its items, and read it again under the lock."""
    owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
    row = uow.purchasing.find(PO, owner_id, reference)
    if row is None:
        raise UnknownOrder(reference, what="purchase order")
    uow.orders.lock_items(int(r.item_id) for r in uow.purchasing.lines(PO, row.id))
    return uow.purchasing.get(PO, row.id)


def _receiving_location(uow: UnitOfWork, row: Any, path: object) -> LocationRef:
    """Return where to receive: ``path`` inside the order's warehouse (default: the
    warehouse itself)."""
    if path is None:
        return uow.catalog.location_by_id(uow.repo.conn, int(row.warehouse_id))
    if not isinstance(path, str):
        raise InvalidInput("location must be a location path", field="location")
    ref = uow.catalog.location(uow.repo.conn, path)
    if ref.warehouse_id != row.warehouse_id:
        raise InvalidLocation("is not in the purchase order's warehouse", location=path,
                              field="location")
    return ref


def _lot(uow: UnitOfWork, item: ItemRef, line: Mapping[str, Any]) -> str:
    """Return the received lot (required for tracked items), recording its expiry."""
    lot = check_text(line.get("lot"), "lot") or ""
    tracking = uow.orders.tracking(item.id)
    if tracking != "none" and not lot:
        raise InvalidInput(f"lot is required: {item.sku!r} is tracked by {tracking}",
                           field="lot")
    expires = line.get("expires_on")
    if expires is not None:
        if isinstance(expires, datetime) or not isinstance(expires, date):
            raise InvalidInput("expires_on must be a date", field="expires_on")
        if not lot:
            raise InvalidInput("expires_on needs a lot", field="expires_on")
        uow.orders.set_lot_expiry(item.id, item.owner_id, lot, expires)
    return lot


def _everything(uow: UnitOfWork, current: list[Any]) -> list[Mapping[str, Any]]:
    """Return receive lines for every unit still to come."""
    wanted: list[Mapping[str, Any]] = []
    for line in current:
        units = open_units(int(line.qty), int(line.received), int(line.cancelled))
        if units:
            item = uow.catalog.item_by_id(uow.repo.conn, int(line.item_id))
            wanted.append({"sku": item.sku, "qty": from_units(units, item.decimals)})
    if not wanted:
        raise InvalidInput("nothing is left to receive", field="lines")
    return wanted


def _close_if_done(uow: UnitOfWork, doc_id: int, now: datetime) -> None:
    """End an order with nothing left to come: closed, or cancelled if nothing came."""
    lines = uow.purchasing.lines(PO, doc_id)
    if all(open_units(int(r.qty), int(r.received), int(r.cancelled)) == 0 for r in lines):
        received = any(int(r.received) for r in lines)
        uow.purchasing.set(PO, doc_id, status="closed" if received else "cancelled",
                           updated_at=now)
