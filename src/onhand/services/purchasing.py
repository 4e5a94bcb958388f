"""Suppliers and purchase orders: create, confirm, cancel, read.

``incoming`` (per item × warehouse) rises when a purchase order is confirmed and falls as
its lines are received (``services/receiving.py``) or their rest cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from onhand.db.catalog import LocationRef
from onhand.db.purchasing import OrderedLine, StoredOrder, StoredOrderLine
from onhand.db.uow import UnitOfWork
from onhand.domain.movements import check_reference, check_text, check_unit_cost
from onhand.domain.orders import check_lines
from onhand.domain.purchasing import (
    PO_STATUSES,
    AddSupplier,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    PurchaseOrder,
    check_code,
    check_tolerance,
    open_units,
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
from onhand.services.executor import handles

# --- commands ---------------------------------------------------------------------------------


@handles(AddSupplier)
def new_supplier(uow: UnitOfWork, command: AddSupplier) -> dict[str, str]:
    """Add a supplier; return it as {owner, code, name}."""
    code = add_supplier(uow, code=command.code, name=command.name, owner=command.owner)
    return get_supplier(uow, code=code, owner=command.owner)


@handles(CreatePurchaseOrder)
def create(uow: UnitOfWork, command: CreatePurchaseOrder) -> PurchaseOrder:
    """Create a purchase order; a tolerance of None is the ``over_receipt_percent`` setting."""
    tolerance = (uow.settings.over_receipt_percent if command.tolerance is None
                 else command.tolerance)
    return create_purchase_order(
        uow, reference=command.reference, supplier=command.supplier,
        warehouse=command.warehouse, lines=command.lines, owner=command.owner,
        expected_on=command.expected_on, tolerance=tolerance, confirm=command.confirm)


@handles(ConfirmPurchaseOrder)
def confirm(uow: UnitOfWork, command: ConfirmPurchaseOrder) -> PurchaseOrder:
    """Confirm a draft purchase order."""
    return confirm_purchase_order(uow, reference=command.reference, owner=command.owner)


@handles(CancelPurchaseOrder)
def cancel(uow: UnitOfWork, command: CancelPurchaseOrder) -> PurchaseOrder:
    """Cancel what is still to come on a purchase order (or some lines of it)."""
    return cancel_purchase_order(uow, reference=command.reference, owner=command.owner,
                                 lines=command.lines)


# --- use cases --------------------------------------------------------------------------------


def add_supplier(uow: UnitOfWork, *, code: str, name: str | None = None,
                 owner: str = "default") -> str:
    """Create a supplier of ``owner``; its code is unique per owner."""
    code = check_code(code)
    name = check_text(name, "name") or code
    with uow:
        owner_id = uow.refs.owner_id(owner)
        uow.purchasing.add_supplier(owner_id, code, name, utcnow())
        uow.commit()
    return code


def get_supplier(uow: UnitOfWork, *, code: str, owner: str = "default") -> dict[str, str]:
    """Return one supplier as {owner, code, name}, or raise ``UnknownSupplier``."""
    with uow:
        found = uow.purchasing.supplier(uow.refs.owner_id(owner),
                                        check_code(code))
        if found is None:
            raise UnknownSupplier(code)
        return {"owner": owner, "code": found.code, "name": found.name}


def list_suppliers(uow: UnitOfWork, *, owner: str | None = None) -> list[dict[str, str]]:
    """Return suppliers as {owner, code, name}, by owner and code."""
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        return [{"owner": uow.refs.owner_code(r.owner_id), "code": r.code,
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
    reference = check_reference(reference)
    checked = check_lines(lines, fields=frozenset({"sku", "qty", "unit_cost"}))
    percent = check_tolerance(tolerance)
    if expected_on is not None and (not isinstance(expected_on, date)
                                    or isinstance(expected_on, datetime)):
        raise InvalidInput("expected_on must be a date", field="expected_on")
    with uow:
        now = utcnow()
        owner_id = uow.refs.owner_id(owner)
        found = uow.purchasing.supplier(owner_id, check_code(supplier))
        if found is None:
            raise UnknownSupplier(supplier)
        where = warehouse_ref(uow, warehouse)
        ordered = [_po_line(uow, owner_id, owner, n, line)
                   for n, line in enumerate(checked, 1)]
        existing = uow.purchasing.find(owner_id, reference)
        if existing is not None:
            terms = (found.id, where.id, percent, expected_on)
            return _same_or_duplicate(uow, existing, terms, ordered)
        doc_id = uow.purchasing.insert(
            owner_id=owner_id, reference=reference, supplier_id=found.id,
            warehouse_id=where.id, tolerance=percent, expected_on=expected_on, lines=ordered,
            now=now)
        if confirm:
            _confirm(uow, doc_id, now)
        order = uow.purchasing.order(doc_id)
        uow.commit()
        return order


def confirm_purchase_order(uow: UnitOfWork, *, reference: str,
                           owner: str = "default") -> PurchaseOrder:
    """Confirm a draft: its lines become ``incoming`` in its warehouse."""
    with uow:
        row = locked(uow, owner, reference)
        if row.status != "draft":
            raise OrderClosed(reference, row.status, "confirm", what="purchase order")
        _confirm(uow, row.id, utcnow())
        order = uow.purchasing.order(row.id)
        uow.commit()
        return order


def _confirm(uow: UnitOfWork, doc_id: int, now: datetime) -> None:
    row = uow.purchasing.stored(doc_id)
    for line in uow.purchasing.lines(doc_id):  # a draft's lines may be cut down already
        uow.positions.add_dues(line.item_id, row.warehouse_id, row.owner_id,
                               incoming=open_units(line.qty, line.received, line.cancelled))
    uow.purchasing.mark(doc_id, now, "confirmed")


def cancel_purchase_order(uow: UnitOfWork, *, reference: str, owner: str = "default",
                          lines: Sequence[Mapping[str, Any]] | None = None) -> PurchaseOrder:
    """Cancel what is still to come on an order (or ``lines`` quantities of it).

    The order ends ``cancelled`` if nothing was received, else ``closed``.
    """
    checked = None if lines is None else check_lines(lines, fields=frozenset({"sku", "qty"}))
    with uow:
        now = utcnow()
        row = locked(uow, owner, reference)
        if row.status not in ("draft", "confirmed"):
            raise OrderClosed(reference, row.status, "cancel", what="purchase order")
        current = uow.purchasing.lines(row.id)
        amounts = _cancellations(uow, row, current, owner, checked)
        for order_line in current:
            units = amounts.get(order_line.id, 0)
            if units:
                uow.purchasing.change_line(order_line.id, cancelled=units)
                if row.status == "confirmed":
                    uow.positions.add_dues(order_line.item_id, row.warehouse_id, row.owner_id,
                                           incoming=-units)
        if checked is None:
            received = any(r.received for r in current)
            uow.purchasing.mark(row.id, now, "closed" if received else "cancelled")
        else:
            close_if_done(uow, row.id, now)
        order = uow.purchasing.order(row.id)
        uow.commit()
        return order


def _cancellations(uow: UnitOfWork, row: StoredOrder, current: list[StoredOrderLine],
                   owner: str, checked: list[Mapping[str, Any]] | None) -> dict[int, int]:
    """Return the units to cancel per line: all that is open, or what ``checked`` says."""
    def still(r: StoredOrderLine) -> int:
        return open_units(r.qty, r.received, r.cancelled)

    if checked is None:
        return {r.id: still(r) for r in current}
    amounts: dict[int, int] = {}
    for number, line in enumerate(checked, start=1):
        try:
            item = uow.refs.item(row.owner_id, str(line["sku"]), owner)
            units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        except OnhandError as error:
            raise error.at_line(number) from None
        mine = [r for r in current if r.item_id == item.id]
        left = sum(still(r) - amounts.get(r.id, 0) for r in mine)
        if units > left:
            raise InvalidQuantity(f"exceeds what is still to come "
                                  f"({from_units(left, item.decimals)})",
                                  value=line["qty"]).at_line(number)
        for r in mine:
            take = min(units, still(r) - amounts.get(r.id, 0))
            amounts[r.id] = amounts.get(r.id, 0) + take
            units -= take
    return amounts


# --- reads ------------------------------------------------------------------------------------


def get_purchase_order(uow: UnitOfWork, *, reference: str,
                       owner: str = "default") -> PurchaseOrder:
    """Return one purchase order by its reference."""
    with uow:
        return uow.purchasing.get(uow.refs.owner_id(owner), reference)


def list_purchase_orders(uow: UnitOfWork, *, owner: str | None = None,
                         status: str | None = None, after: int | PurchaseOrder = 0,
                         limit: int = 100) -> list[tuple[int, PurchaseOrder]]:
    """Return purchase orders (with ids, for paging) oldest first; ``after``: the id, or
    the purchase order, that the previous page ended with."""
    if status is not None and status not in PO_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(PO_STATUSES)}", field="status")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInput("limit must be an integer from 1 to 1000", field="limit")
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        if isinstance(after, PurchaseOrder):
            last = uow.purchasing.find(uow.refs.owner_id(after.owner), after.reference)
            if last is None:
                raise UnknownOrder(after.reference, what="purchase order")
            after = last.id
        return uow.purchasing.orders(owner_id, status, after, limit)


# --- helpers ----------------------------------------------------------------------------------


def warehouse_ref(uow: UnitOfWork, path: object, field: str = "warehouse") -> LocationRef:
    """Return the warehouse (top-level internal location) at ``path``, or raise."""
    if not isinstance(path, str):
        raise InvalidInput(f"{field} must be a location path", field=field)
    ref = uow.refs.location(path, field=field)
    if ref.virtual or ref.warehouse_id != ref.id:
        raise InvalidLocation("is not a warehouse (a top-level internal location)",
                              location=path, field=field)
    return ref


def _po_line(uow: UnitOfWork, owner_id: int, owner: str, number: int,
             line: Mapping[str, Any]) -> OrderedLine:
    try:
        item = uow.refs.item(owner_id, str(line["sku"]), owner)
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        cost = check_unit_cost(line.get("unit_cost"), "receipt")
    except OnhandError as error:
        raise error.at_line(number) from None
    return OrderedLine(item.id, units, cost)


def _same_or_duplicate(uow: UnitOfWork, row: StoredOrder,
                       terms: tuple[int, int, Decimal, date | None],
                       ordered: list[OrderedLine]) -> PurchaseOrder:
    """Answer a retried create with the order it made; refuse another order (other supplier,
    warehouse, tolerance, expected date, lines or costs) under the same reference."""
    stored = [OrderedLine(r.item_id, r.qty, r.unit_cost) for r in uow.purchasing.lines(row.id)]
    known = (row.supplier_id, row.warehouse_id, row.tolerance, row.expected_on)
    if known != terms or stored != ordered:
        raise DuplicateOrder(row.reference)
    uow.replayed = True
    return uow.purchasing.order(row.id)


def locked(uow: UnitOfWork, owner: str, reference: str) -> StoredOrder:
    """Find a purchase order, lock its items, and read it again under the lock."""
    row = uow.purchasing.find(uow.refs.owner_id(owner), reference)
    if row is None:
        raise UnknownOrder(reference, what="purchase order")
    uow.positions.lock_items(r.item_id for r in uow.purchasing.lines(row.id))
    return uow.purchasing.stored(row.id)


def close_if_done(uow: UnitOfWork, doc_id: int, now: datetime) -> None:
    """Note that an order changed; end it with nothing left to come: closed, or cancelled if
    nothing came."""
    lines = uow.purchasing.lines(doc_id)
    if all(open_units(r.qty, r.received, r.cancelled) == 0 for r in lines):
        received = any(r.received for r in lines)
        uow.purchasing.mark(doc_id, now, "closed" if received else "cancelled")
    else:
        uow.purchasing.mark(doc_id, now)
