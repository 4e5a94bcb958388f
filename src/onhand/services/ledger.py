"""The ledger's write path: every posting, whatever its use case, ends here.

:func:`write` takes checked lines (:class:`Line`: ids resolved, quantity scaled) and, under
the items' locks (taken in id order): refuses a date in a closed period, a second reversal,
a return beyond its shipment and any balance that would go below zero at any time from the
line's ``occurred_at`` on; then appends the movements linked into their items' hash chains,
upserts the balances in sorted order, records lots and settles reservations. It never
commits: the command's transaction does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.ledger import BalanceDelta, BalanceKey, ItemState
from onhand.db.positions import Pair
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import warehouse_of
from onhand.domain.movements import (
    GENESIS,
    Movement,
    chain_hash,
    fingerprint,
)
from onhand.domain.positions import Position
from onhand.domain.quantities import from_units
from onhand.domain.stock import Step, first_dip
from onhand.errors import (
    AlreadyReversed,
    Conflict,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidQuantity,
    OnhandError,
    PeriodClosed,
)
from onhand.services.reservations import Outbox, Refusal, settle

# the kind a return to the supplier posts (internal → supplier); only purchasing posts it
SUPPLIER_RETURN = "supplier_return"
LATER = 1 << 62  # orders a new line after every stored movement of the same instant


@dataclass(slots=True)  # not frozen: built once per line on the hot path, never changed
class Line:
    """A checked line, ready to write: ids resolved, quantity scaled."""

    item: ItemRef
    owner: str
    kind: str
    units: int
    source: LocationRef
    target: LocationRef
    lot: str
    reference: str | None
    reason: str | None
    unit_cost: Decimal | None
    occurred_at: datetime
    reverses: int | None = None
    shipment_id: int | None = None
    number: int = 1  # the request's 1-based line in its batch
    breaks_reservations: bool = False  # a count or recorded damage: the units are gone


def claimed(uow: UnitOfWork, owner_id: int, key: str, identity: Any, now: datetime) -> bool:
    """Take ``key`` for this transaction; return True when it was already used for the same
    request (the caller answers with what it did then), raise on a different request."""
    digest = fingerprint(identity)
    first = uow.ledger.claim_key(owner_id, key, digest, now)
    if first is None:
        return False
    if first[0] != digest:
        raise IdempotencyConflict(key)
    uow.replayed = True
    return True


def write(uow: UnitOfWork, lines: list[Line], now: datetime, *, numbered: bool = False,
          outbox: Outbox | None = None) -> list[Movement]:
    """Check reversals, returns and balances over time; then append the movements (linked
    into their items' chains), upsert the balances and settle reservations (no commit).

    For use cases that post as part of a larger change (shipping an order).
    """
    states, ids = uow.ledger.lock_items({line.item.id for line in lines}, len(lines))
    # under the item locks: no concurrent reversal, return or period close can slip in between
    check_open_periods(lines, states, numbered)
    _check_reversals(uow, lines)
    check_returns(uow, lines, numbered)
    _check_no_dip(uow, lines, states, numbered)
    written, rows = _chain(lines, ids, states, now)
    uow.ledger.insert_movements(rows)
    uow.posted.extend(m.id for m in written)
    uow.ledger.apply_deltas(_deltas(lines))
    _remember_lots(uow, lines)
    touched, strict = _reservations_at_stake(lines, states, numbered)
    settle(uow, now, touched, strict=strict, outbox=outbox)
    return written


def check_open_periods(lines: list[Line], states: dict[int, ItemState], numbered: bool
                        ) -> None:
    """No movement may be dated in a period its owner has closed."""
    for line in lines:
        before = states[line.item.id].closed_before
        if before is not None and line.occurred_at < before:
            error = PeriodClosed(line.owner, line.occurred_at.isoformat(), before.isoformat())
            raise error.at_line(line.number) if numbered else error


def _remember_lots(uow: UnitOfWork, lines: list[Line]) -> None:
    """Note when each lot first came in (picking takes the oldest first)."""
    uow.lots.record_lots([
        {"item_id": line.item.id, "lot": line.lot, "owner_id": line.item.owner_id,
         "expires_on": None, "first_in": line.occurred_at}
        for line in lines if line.lot and line.target.warehouse_id is not None])


def _reservations_at_stake(lines: list[Line], states: dict[int, ItemState], numbered: bool
                           ) -> tuple[set[Pair], dict[Pair, Refusal]]:
    """Return the item × warehouse pairs the lines touch, and those whose reservations an
    outbound line must leave covered (with the error it raises if it does not)."""
    touched: set[Pair] = set()
    leaving: dict[Pair, list[Line]] = {}
    for line in lines:
        for place in (line.source, line.target):
            if place.warehouse_id is not None:
                touched.add((line.item.id, place.warehouse_id))
        leaves = line.source.warehouse_id
        if (leaves is not None and not line.breaks_reservations
                and not states[line.item.id].allow_negative):
            leaving.setdefault((line.item.id, leaves), []).append(line)
    return touched, {pair: _refusal(out, numbered) for pair, out in leaving.items()}


def _refusal(lines: list[Line], numbered: bool) -> Refusal:
    """Return how to refuse ``lines`` (of one item, out of one warehouse) when together they
    would take reserved stock: the error names all they ask and what was free for them."""
    first, units = lines[0], sum(line.units for line in lines)

    def refuse(position: Position) -> OnhandError:
        could = max(0, units - position.overcommitted)
        error = InsufficientStock(
            sku=first.item.sku, location=warehouse_of(first.source.path),
            requested=from_units(units, first.item.decimals),
            available=from_units(could, first.item.decimals), reserved=True)
        return error.at_line(lines[-1].number) if numbered else error
    return refuse


def _check_reversals(uow: UnitOfWork, lines: list[Line]) -> None:
    """Each movement is reversed once; a shipment with returns is not reversed before them."""
    for line in lines:
        if line.reverses is None:
            continue
        done = uow.ledger.reversed_by(line.reverses)
        if done is not None:
            raise AlreadyReversed(line.reverses, done)
        if line.kind == "shipment" and uow.queries.returned_units(line.reverses):
            raise Conflict(f"shipment {line.reverses} has returns; reverse them first",
                           field="movement_id", movement_id=line.reverses)


def check_returns(uow: UnitOfWork, lines: list[Line], numbered: bool) -> None:
    """A shipment takes back, over all its returns (this batch's too), no more than it shipped."""
    taken: dict[int, int] = {}
    for line in lines:
        shipment_id = line.shipment_id
        if shipment_id is None or line.kind == SUPPLIER_RETURN:
            continue  # a return to the supplier names the receipt it returns, for its cost
        error: OnhandError | None = None
        if shipment_id not in taken:
            taken[shipment_id] = uow.queries.returned_units(shipment_id)
        left = uow.queries.shipped_units(shipment_id) - taken[shipment_id]
        taken[shipment_id] += line.units
        if uow.ledger.reversed_by(shipment_id) is not None:
            error = InvalidInput(f"shipment {shipment_id} was reversed; nothing to return",
                                 field="shipment_id")
        elif line.units > left:
            error = InvalidQuantity(f"exceeds what shipment {shipment_id} shipped and has not "
                                    f"been returned ({from_units(left, line.item.decimals)})",
                                    value=from_units(line.units, line.item.decimals))
        if error is not None:
            raise error.at_line(line.number) if numbered else error


def _check_no_dip(uow: UnitOfWork, lines: list[Line], states: dict[int, ItemState],
                  numbered: bool) -> None:
    """Raise ``InsufficientStock`` if any internal balance would go below zero at any time."""
    for line, error in shortages(uow, lines, states):
        raise error.at_line(line.number) if numbered else error


def shortages(uow: UnitOfWork, lines: list[Line], states: dict[int, ItemState]
               ) -> Iterator[tuple[Line, InsufficientStock]]:
    """Yield each line that would take a balance below zero at some time, with its error.

    After a short line is found, its balance is walked again without it, so every short
    line is found (a dry run reports them all); posting stops at the first.
    """
    outbound = {(line.item.id, line.source.id, line.lot) for line in lines
                if line.source.holds_stock and not states[line.item.id].allow_negative}
    steps: dict[BalanceKey, list[Step]] = defaultdict(list)
    for n, line in enumerate(lines):  # every change of a checked balance, in line order
        for location, sign in ((line.source, -1), (line.target, 1)):
            key = (line.item.id, location.id, line.lot)
            if key in outbound:
                steps[key].append(Step(line.occurred_at, LATER + n, sign * line.units, n))
    current = uow.ledger.balances(outbound)
    for key in sorted(outbound):
        qty, last = current.get(key, (0, None))
        changes = steps[key]
        since = min(s.at for s in changes if s.delta < 0)
        if (last is None or since >= last) and len(changes) == 1 and qty + changes[0].delta >= 0:
            continue  # the common case: one line, not backdated, enough stock
        stored = [] if last is None or since >= last else uow.ledger.steps_since(key, since)
        start = qty - sum(s.delta for s in stored)
        while (dip := first_dip(start, stored + changes)) is not None:
            line = lines[dip.line]
            backdated = stored and dip.at > line.occurred_at
            yield line, InsufficientStock(
                sku=line.item.sku, location=line.source.path, lot=line.lot or None,
                requested=from_units(dip.requested, line.item.decimals),
                available=from_units(dip.available, line.item.decimals),
                at=dip.at.isoformat() if backdated else None,
            )
            changes = [s for s in changes if s.line != dip.line]


def _chain(lines: list[Line], ids: list[int], states: dict[int, ItemState], now: datetime
           ) -> tuple[list[Movement], list[dict[str, Any]]]:
    """Return the movements and their rows, each linked into its item's hash chain."""
    heads = {item_id: (state.seq, state.head or GENESIS) for item_id, state in states.items()}
    written, rows = [], []
    for line, movement_id in zip(lines, ids, strict=True):
        seq, head = heads[line.item.id]
        movement = Movement(
            id=movement_id, kind=line.kind, sku=line.item.sku, owner=line.owner,
            qty=from_units(line.units, line.item.decimals), source=line.source.path,
            target=line.target.path, lot=line.lot or None, reference=line.reference,
            reason=line.reason, unit_cost=line.unit_cost, occurred_at=line.occurred_at,
            recorded_at=now, reverses=line.reverses, seq=seq + 1, shipment_id=line.shipment_id,
        )
        link = chain_hash(head, movement)
        heads[line.item.id] = (seq + 1, link)
        written.append(movement)
        rows.append({
            "id": movement_id, "owner_id": line.item.owner_id, "item_id": line.item.id,
            "seq": seq + 1, "kind": line.kind, "qty": line.units, "source_id": line.source.id,
            "target_id": line.target.id, "lot": line.lot, "reference": line.reference,
            "reason": line.reason, "unit_cost": line.unit_cost, "occurred_at": line.occurred_at,
            "recorded_at": now, "reverses": line.reverses, "shipment_id": line.shipment_id,
            "hash": link,
        })
    return written, rows


def _deltas(lines: list[Line]) -> dict[BalanceKey, BalanceDelta]:
    deltas: dict[BalanceKey, BalanceDelta] = {}
    for line in lines:
        for location, sign in ((line.source, -1), (line.target, 1)):
            key = (line.item.id, location.id, line.lot)
            delta = deltas.get(key)
            if delta is None:
                deltas[key] = BalanceDelta(line.item.owner_id, sign * line.units, line.occurred_at)
            else:
                delta.delta += sign * line.units
                delta.last_occurred_at = max(delta.last_occurred_at, line.occurred_at)
    return deltas
