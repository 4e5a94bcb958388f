"""Transfers between warehouses in two steps: dispatch into ``transit``, receive at the target.

Dispatch picks the source warehouse's sellable stock first-expired then first-in (or takes
the lines' own locations), respects what open orders reserved there, and shows the units
as ``in_transit`` at the target. Receipt puts them away; what did not arrive is posted
from transit to ``loss`` with a reason, so the ledger explains every unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.transfers import SentLine, StoredTransfer, StoredTransferLine
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import LOSS, TRANSIT
from onhand.domain.movements import Movement, check_reference, check_text
from onhand.domain.orders import check_lines, no_line_for
from onhand.domain.positions import pick
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import utcnow
from onhand.domain.transfers import DispatchTransfer, ReceiveTransfer, Transfer
from onhand.errors import (
    DuplicateOrder,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    OnhandError,
    OrderClosed,
    UnknownTransfer,
)
from onhand.services.executor import handles
from onhand.services.ledger import Line, claimed, write
from onhand.services.purchasing import warehouse_ref


@handles(DispatchTransfer)
def dispatch(uow: UnitOfWork, command: DispatchTransfer) -> Transfer:
    """Send stock between warehouses, into transit."""
    return dispatch_transfer(uow, reference=command.reference, source=command.source,
                             target=command.destination, lines=command.lines,
                             owner=command.owner)


@handles(ReceiveTransfer)
def receive(uow: UnitOfWork, command: ReceiveTransfer) -> Transfer:
    """Receive a transfer at its target; what did not arrive goes to loss."""
    return receive_transfer(uow, reference=command.reference, owner=command.owner,
                            lines=command.lines, location=command.location,
                            reason=command.reason, key=command.key)


def dispatch_transfer(uow: UnitOfWork, *, reference: str, source: str, target: str,
                      lines: Sequence[Mapping[str, Any]], owner: str = "default") -> Transfer:
    """Send stock from warehouse ``source`` to warehouse ``target`` (into transit).

    Lines: ``[{"sku", "qty", "location", "lot"}]``; without a location, the units are
    picked from the source's sellable stock, first expired then first in. A retry with
    the same reference returns the transfer already dispatched.
    """
    reference = check_reference(reference)
    checked = check_lines(lines, fields=frozenset({"sku", "qty", "location", "lot"}))
    with uow:
        now = utcnow()
        owner_id = uow.refs.owner_id(owner)
        origin, destination = warehouse_ref(uow, source, "source"), warehouse_ref(uow, target,
                                                                                   "target")
        if origin.id == destination.id:
            raise InvalidLocation("is both source and target of the transfer",
                                  location=target, field="target")
        items = [_item(uow, owner_id, owner, n, line) for n, line in enumerate(checked, 1)]
        found = uow.transfers.find(owner_id, reference)
        if found is not None:
            return _same_or_duplicate(uow, found, items, checked, (origin, destination))
        uow.positions.lock_items(item.id for item in items)
        numbered = [(n, move)
                    for n, (item, line) in enumerate(zip(items, checked, strict=True), 1)
                    for move in _picked(uow, origin, item, line, n)]
        moves = [move for _, move in numbered]
        doc_id = uow.transfers.insert(owner_id=owner_id, reference=reference,
                                      source_id=origin.id, target_id=destination.id,
                                      lines=_lines(moves), now=now)
        transit = uow.refs.location(TRANSIT)
        posted = [Line(item=item, owner=owner, kind="transfer", units=units, source=place,
                       target=transit, lot=lot, reference=reference, reason=None,
                       unit_cost=None, occurred_at=now, number=n)
                  for n, (item, place, lot, units) in numbered]
        for item, _, _, units in moves:
            uow.positions.add_dues(item.id, destination.id, owner_id, in_transit=units)
        written = write(uow, posted, now, numbered=True)  # an error names the transfer's line
        _link(uow, doc_id, moves, written)
        transfer = uow.transfers.transfer(doc_id)
        uow.commit()
        return transfer


def receive_transfer(uow: UnitOfWork, *, reference: str, owner: str = "default",
                     lines: Sequence[Mapping[str, Any]] | None = None,
                     location: str | None = None, reason: str | None = None,
                     key: str | None = None) -> Transfer:
    """Receive a dispatched transfer at ``location`` (default: the target warehouse).

    Without ``lines`` everything arrived; with them (``[{"sku", "qty", "lot"}]``), the
    rest of each line is lost on the way and posted to loss — a ``reason`` is then required.
    """
    checked = None if lines is None else check_lines(lines, fields=frozenset({"sku", "qty",
                                                                               "lot"}))
    why = check_text(reason, "reason")
    key = check_text(key, "key")
    with uow:
        now = utcnow()
        row = _locked(uow, owner, reference)
        if key and claimed(uow, row.owner_id, key, {"receive": reference, "lines": lines,
                                                    "location": location}, now):
            return uow.transfers.transfer(row.id)
        if row.status != "in_transit":
            raise OrderClosed(reference, row.status, "receive", what="transfer")
        place = _target(uow, row, location)
        current = uow.transfers.lines(row.id)
        arrived = _arrived(uow, row, current, owner, checked)
        if any(r.qty > arrived[r.id] for r in current) and not why:
            raise InvalidInput("a short receipt needs a reason for what was lost",
                               field="reason")
        posted = _put_away(uow, row, current, arrived, place, owner, why, now)
        written = write(uow, [line for _, line in posted], now)
        uow.transfers.link([(m.id, line_id) for (line_id, _), m in
                            zip(posted, written, strict=True)])
        uow.transfers.mark(row.id, now, "received")
        if key:
            uow.ledger.record_key(row.owner_id, key, [m.id for m in written])
        transfer = uow.transfers.transfer(row.id)
        uow.commit()
        return transfer


def _put_away(uow: UnitOfWork, row: StoredTransfer, current: list[StoredTransferLine],
              arrived: dict[int, int], place: LocationRef, owner: str, why: str | None,
              now: datetime) -> list[tuple[int, Line]]:
    """Return the postings of a receipt: transit → ``place``, and transit → loss for the rest."""
    transit, loss = uow.refs.location(TRANSIT), uow.refs.location(LOSS)
    posted = []
    for line in current:
        item = uow.refs.item_by_id(line.item_id)
        got, lost = arrived[line.id], line.qty - arrived[line.id]
        uow.transfers.change_line(line.id, received=got, lost=lost)
        uow.positions.add_dues(item.id, row.target_id, row.owner_id, in_transit=-line.qty)
        for units, kind, to, note in ((got, "transfer", place, None),
                                      (lost, "adjustment", loss, why)):
            if units:
                posted.append((line.id, Line(
                    item=item, owner=owner, kind=kind, units=units, source=transit, target=to,
                    lot=line.lot, reference=row.reference, reason=note, unit_cost=None,
                    occurred_at=now)))
    return posted


def _arrived(uow: UnitOfWork, row: StoredTransfer, current: list[StoredTransferLine],
             owner: str, checked: list[Mapping[str, Any]] | None) -> dict[int, int]:
    """Return the units that arrived per line: all, or what ``checked`` says."""
    if checked is None:
        return {r.id: r.qty for r in current}
    arrived = {r.id: 0 for r in current}
    for number, line in enumerate(checked, start=1):
        item = _item(uow, row.owner_id, owner, number, line)
        try:
            units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
            lot = check_text(line.get("lot"), "lot")
        except OnhandError as error:
            raise error.at_line(number) from None
        if not any(r.item_id == item.id for r in current):
            raise no_line_for(item.sku, number, "transfer")
        mine = [r for r in current if r.item_id == item.id and lot in (None, r.lot)]
        room = sum(r.qty - arrived[r.id] for r in mine)
        if units > room:
            raise InvalidQuantity(f"exceeds what was dispatched "
                                  f"({from_units(room, item.decimals)})",
                                  value=line["qty"]).at_line(number)
        for r in mine:
            take = min(units, r.qty - arrived[r.id])
            arrived[r.id] += take
            units -= take
    return arrived


def _picked(uow: UnitOfWork, origin: LocationRef, item: ItemRef, line: Mapping[str, Any],
            number: int) -> list[tuple[ItemRef, LocationRef, str, int]]:
    """Return (item, location, lot, units) to dispatch for one line."""
    try:
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        lot = check_text(line.get("lot"), "lot") or ""
    except OnhandError as error:
        raise error.at_line(number) from None
    if line.get("location") is not None:
        place = uow.refs.location(str(line["location"]))
        if place.warehouse_id != origin.id:
            raise InvalidLocation("is not in the source warehouse", location=place.path,
                                  field="location").at_line(number)
        return [(item, place, lot, units)]
    stock = [p for p in uow.positions.pickable(item.id, origin.id) if not lot or p.lot == lot]
    picks = pick(units, stock)
    if sum(n for _, n in picks) < units:
        raise InsufficientStock(sku=item.sku, location=origin.path,
                                requested=from_units(units, item.decimals),
                                available=from_units(sum(n for _, n in picks), item.decimals)
                                ).at_line(number)
    return [(item, uow.refs.location_by_id(p.location_id), p.lot, n) for p, n in picks]


def _lines(moves: list[tuple[ItemRef, LocationRef, str, int]]) -> list[SentLine]:
    """Return the transfer's lines: one per item and lot."""
    totals: dict[tuple[int, str], int] = {}
    for item, _, lot, units in moves:
        totals[(item.id, lot)] = totals.get((item.id, lot), 0) + units
    return [SentLine(item_id, lot, units) for (item_id, lot), units in totals.items()]


def _link(uow: UnitOfWork, doc_id: int, moves: list[tuple[ItemRef, LocationRef, str, int]],
          written: list[Movement]) -> None:
    by_key = {(r.item_id, r.lot): r.id for r in uow.transfers.lines(doc_id)}
    uow.transfers.link([(m.id, by_key[(item.id, lot)])
                        for (item, _, lot, _), m in zip(moves, written, strict=True)])


def _same_or_duplicate(uow: UnitOfWork, row: StoredTransfer, items: list[ItemRef],
                       checked: list[Mapping[str, Any]],
                       ends: tuple[LocationRef, LocationRef]) -> Transfer:
    """Answer a retried dispatch with the transfer it made; refuse a different one."""
    asked: dict[int, int] = {}
    for item, line in zip(items, checked, strict=True):
        units = to_units(parse_qty(line["qty"], item.decimals), item.decimals)
        asked[item.id] = asked.get(item.id, 0) + units
    sent: dict[int, int] = {}
    for r in uow.transfers.lines(row.id):
        sent[r.item_id] = sent.get(r.item_id, 0) + r.qty
    if asked != sent or (row.source_id, row.target_id) != (ends[0].id, ends[1].id):
        raise DuplicateOrder(row.reference)
    uow.replayed = True
    return uow.transfers.transfer(row.id)


def get_transfer(uow: UnitOfWork, *, reference: str, owner: str = "default") -> Transfer:
    """Return one transfer by its reference."""
    with uow:
        return uow.transfers.get(uow.refs.owner_id(owner), reference)


def _item(uow: UnitOfWork, owner_id: int, owner: str, number: int,
          line: Mapping[str, Any]) -> ItemRef:
    try:
        if not isinstance(line["sku"], str):
            raise InvalidInput("sku must be text", field="sku")
        return uow.refs.item(owner_id, line["sku"], owner)
    except OnhandError as error:
        raise error.at_line(number) from None


def _locked(uow: UnitOfWork, owner: str, reference: str) -> StoredTransfer:
    """Find a transfer, lock its items, and read it again under the lock."""
    row = uow.transfers.find(uow.refs.owner_id(owner), reference)
    if row is None:
        raise UnknownTransfer(reference)
    uow.positions.lock_items(r.item_id for r in uow.transfers.lines(row.id))
    return uow.transfers.stored(row.id)


def _target(uow: UnitOfWork, row: StoredTransfer, path: str | None) -> LocationRef:
    if path is None:
        return uow.refs.location_by_id(row.target_id)
    ref = uow.refs.location(path)
    if ref.warehouse_id != row.target_id:
        raise InvalidLocation("is not in the transfer's target warehouse", location=path,
                              field="location")
    return ref
