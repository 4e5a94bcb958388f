"""Posting to the ledger: single movements, all-or-nothing batches and reversals.

Every posting, whatever its size, takes the same path (:func:`post`): resolve and check
each line, lock the items (in id order), check that no balance goes below zero at any
time from the line's ``occurred_at`` on, append the movements with their hash-chain
links, upsert the balances in sorted order, record the idempotency key, commit once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.positions import Pair
from onhand.db.repository import BalanceDelta, BalanceKey, ItemState
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import LOSS, warehouse_of
from onhand.domain.movements import (
    DAMAGE_KINDS,
    GENESIS,
    LAST_COST,
    NEEDS_REASON,
    Movement,
    MovementRequest,
    PostBatch,
    PostMovement,
    Reverse,
    chain_hash,
    check_text,
    check_unit_cost,
    fingerprint,
    route,
)
from onhand.domain.positions import Position
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.stock import Step, first_dip
from onhand.domain.times import check_occurred_at, utcnow
from onhand.domain.valuation.currencies import MAX_AMOUNT
from onhand.errors import (
    AlreadyReversed,
    BatchTooLarge,
    Conflict,
    IdempotencyConflict,
    InsufficientStock,
    InvalidInput,
    InvalidLocation,
    InvalidQuantity,
    OnhandError,
    PeriodClosed,
    UnknownMovement,
)
from onhand.services.executor import handles
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


def post(uow: UnitOfWork, requests: Sequence[MovementRequest], *, owner: str = "default",
         key: str | None = None, max_lines: int = 100_000, batch: bool = True,
         setup: Callable[[UnitOfWork], None] | None = None) -> list[Movement]:
    """Post ``requests`` as one all-or-nothing transaction and return the movements written.

    In a ``batch``, an error names its 1-based ``line``. With ``key``, a retry of the same
    request returns the first result and writes nothing. ``setup`` runs first inside the
    same transaction (an import that creates the items it posts to).
    """
    if not requests:
        raise InvalidInput("a batch needs at least one line", field="lines")
    if len(requests) > max_lines:
        raise BatchTooLarge(len(requests), max_lines)
    identity = [r.identity() for r in requests] if key else None

    def prepare(uow: UnitOfWork, now: datetime) -> list[Line]:
        if setup is not None:
            setup(uow)
        return [_checked(uow, r, now, n, batch) for n, r in enumerate(requests, start=1)]

    return _idempotent(uow, owner, key, identity, prepare, batch)


@handles(PostMovement)
def post_movement(uow: UnitOfWork, command: PostMovement) -> Movement:
    """Post one movement (the library's ``receive``, ``ship``…; ``POST /v1/movements``)."""
    return post(uow, [command.request], owner=command.owner, key=command.key, batch=False)[0]


@handles(PostBatch)
def post_batch(uow: UnitOfWork, command: PostBatch) -> list[Movement]:
    """Post a batch, all or nothing."""
    return post(uow, command.requests, owner=command.owner, key=command.key,
                max_lines=command.max_lines)


@handles(Reverse)
def reverse_movement(uow: UnitOfWork, command: Reverse) -> Movement:
    """Reverse one movement."""
    return reverse(uow, movement_id=command.movement_id, reason=command.reason,
                   owner=command.owner, key=command.key)


def replay(uow: UnitOfWork, requests: Sequence[MovementRequest], *, owner: str = "default",
           key: str) -> list[Movement] | None:
    """Return what ``post(requests, key=key)`` wrote the first time, or None if ``key`` is new.

    Raises ``IdempotencyConflict`` when the key was used for a different request. For
    callers that check a request before posting it (imports): a retry must be answered
    from its key, not checked again against stock it has already moved.
    """
    digest = fingerprint([r.identity() for r in requests])
    with uow:
        first = uow.repo.find_key(uow.refs.owner_id(owner), key)
        if first is None:
            return None
        if first[0] != digest:
            raise IdempotencyConflict(key)
        return uow.queries.movements(first[1])


def check(uow: UnitOfWork, requests: Sequence[MovementRequest]) -> list[OnhandError]:
    """Return every error that posting ``requests`` as one batch would raise; write nothing.

    Each line is resolved on its own, and the stock of the good ones is walked through
    time, so every bad line is reported, with its ``line``, shortages included. An empty
    list means ``post`` would succeed now.
    """
    errors: list[OnhandError] = []
    with uow:
        now = utcnow()
        lines = []
        for n, request in enumerate(requests, start=1):
            try:
                lines.append(_checked(uow, request, now, n, batch=True))
            except OnhandError as error:
                errors.append(error)
        if lines:  # the stock of the good lines, as if the bad ones were left out
            states, _ = uow.repo.lock_items({line.item.id for line in lines}, len(lines))
            for line in lines:
                try:
                    _check_open_periods([line], states, numbered=True)
                except OnhandError as error:
                    errors.append(error)
            try:
                _check_returns(uow, lines, numbered=True)
            except OnhandError as error:
                errors.append(error)
            errors += [error.at_line(line.number) for line, error in
                       _shortages(uow, lines, states)]
    return sorted(errors, key=lambda error: error.fields().get("line", 0))


def reverse(uow: UnitOfWork, *, movement_id: int, reason: str,
            owner: str | None = "default", key: str | None = None) -> Movement:
    """Post a movement, dated now, that undoes ``movement_id``; each movement reverses once.

    ``owner=None``: whichever owner the movement belongs to (ids are unique across owners).
    """
    why = check_text(reason, "reason", required=True)
    if isinstance(movement_id, bool) or not isinstance(movement_id, int):
        raise InvalidInput("movement_id must be an integer", field="movement_id")
    if owner is None:
        with uow:
            found = uow.queries.movement_row(movement_id)
            if found is None:
                raise UnknownMovement(movement_id)
            owner = uow.refs.owner_code(found.owner_id)
    whose = owner

    def prepare(uow: UnitOfWork, now: datetime) -> list[Line]:
        row = uow.queries.movement_row(movement_id)
        owner_id = uow.refs.owner_id(whose)
        if row is None or row.owner_id != owner_id:
            raise UnknownMovement(movement_id)
        catalog = uow.refs
        return [Line(
            item=catalog.item_by_id(row.item_id), owner=whose, kind=row.kind,
            units=int(row.qty), source=catalog.location_by_id(row.target_id),
            target=catalog.location_by_id(row.source_id), lot=row.lot,
            reference=row.reference, reason=why, unit_cost=row.unit_cost, occurred_at=now,
            reverses=movement_id,
        )]

    identity = {"reverse": movement_id, "reason": why}
    return _idempotent(uow, whose, key, identity, prepare)[0]


def _idempotent(uow: UnitOfWork, owner: str, key: str | None, identity: Any,
                prepare: Callable[[UnitOfWork, datetime], list[Line]],
                numbered: bool = False) -> list[Movement]:
    """Run one posting transaction, answering a retried ``key`` with its first result.

    The key is claimed before any check, so a retry that runs while the first request is
    still at work waits for it and then answers with its result, never re-checking stock.
    """
    key = check_text(key, "key")
    with uow:
        owner_id = uow.refs.owner_id(owner)
        now = utcnow()
        if key:
            first = uow.repo.claim_key(owner_id, key, fingerprint(identity), now)
            if first is not None:
                if first[0] != fingerprint(identity):
                    raise IdempotencyConflict(key)
                return uow.queries.movements(first[1])
        written = _write(uow, prepare(uow, now), now, numbered)
        if key:
            uow.repo.record_key(owner_id, key, [m.id for m in written])
        uow.commit()
        return written


def _checked(uow: UnitOfWork, request: MovementRequest, now: datetime, line: int,
             batch: bool) -> Line:
    """Resolve and check one request; in a batch, an error names its line."""
    try:
        resolved = _resolve(uow, request, now)
        resolved.number = line
        return resolved
    except OnhandError as error:
        if batch:
            error.at_line(line)
        raise


def _resolve(uow: UnitOfWork, request: MovementRequest, now: datetime) -> Line:
    catalog = uow.refs
    owner_id = catalog.owner_id(request.owner)
    if not isinstance(request.sku, str):
        raise InvalidInput("sku must be text", field="sku")
    item = catalog.item(owner_id, request.sku, request.owner)
    signed = request.kind in ("adjustment", "count")
    qty = parse_qty(request.qty, item.decimals, signed=signed)
    path = route(request.kind, qty, location=request.location, source=request.source,
                 target=request.target)
    source, target = _location(uow, path.source, request), _location(uow, path.target, request)
    occurred_at = now if request.occurred_at is None else check_occurred_at(request.occurred_at, now)
    units = to_units(path.qty, item.decimals)
    unit_cost = (uow.queries.last_unit_cost(item.id) if request.unit_cost == LAST_COST
                 and request.kind == "receipt"
                 else check_unit_cost(request.unit_cost, request.kind))
    if unit_cost is not None and unit_cost * from_units(units, item.decimals) >= MAX_AMOUNT:
        raise InvalidInput(f"qty × unit_cost must be below {MAX_AMOUNT:,}", field="unit_cost",
                           value=str(unit_cost))
    if unit_cost is None and item.cost_required and request.kind == "receipt":
        raise InvalidInput(f"unit_cost is required: {item.sku} is a valued item (its receipts "
                           "carry their cost)", field="unit_cost")
    if (unit_cost is None and item.cost_required and source.path == LOSS
            and target.holds_stock and uow.queries.last_unit_cost(item.id) is None):
        raise InvalidInput(f"unit_cost is required: {item.sku} is a valued item with no known "
                           "cost yet to value the units found at", field="unit_cost")
    return Line(
        item=item, owner=request.owner, kind=request.kind, units=units, source=source,
        target=target,
        lot=check_text(request.lot, "lot") or "",
        reference=check_text(request.reference, "reference"),
        reason=check_text(request.reason, "reason", required=request.kind in NEEDS_REASON),
        unit_cost=unit_cost, occurred_at=occurred_at, shipment_id=_check_return(uow, request, item),
        breaks_reservations=request.kind == "count" or _damage(uow, request, target),
    )


def _damage(uow: UnitOfWork, request: MovementRequest, target: LocationRef) -> bool:
    """Return whether the request records damage, checking the flag (a damaged transfer
    goes into a location flagged not sellable)."""
    if request.damage is None or request.damage is False:
        return False
    if request.damage is not True:
        raise InvalidInput("damage must be true or false", field="damage")
    if request.kind not in DAMAGE_KINDS:
        raise InvalidInput(f"damage is only for {', '.join(DAMAGE_KINDS)}", field="damage")
    if request.kind == "transfer" and uow.queries.sellable(target.id):
        raise InvalidLocation("is sellable: damaged units go to a location flagged not "
                              "sellable (location add --not-sellable)", location=target.path,
                              field="target")
    return True


def _location(uow: UnitOfWork, path: str, request: MovementRequest) -> LocationRef:
    """Return the location at ``path``, naming the request field it came from when unknown."""
    field = "location"
    if request.kind == "transfer":
        field = "source" if path == request.source else "target"
    return uow.refs.location(path, field=field)


def _check_return(uow: UnitOfWork, request: MovementRequest, item: ItemRef) -> int | None:
    """Check that a return names a live shipment of the same item (amounts: under the lock)."""
    if request.shipment_id is None:
        return None
    if request.kind != "return":
        raise InvalidInput("shipment_id is only for a return", field="shipment_id")
    if isinstance(request.shipment_id, bool) or not isinstance(request.shipment_id, int):
        raise InvalidInput("shipment_id must be the integer id of a shipment",
                           field="shipment_id")
    shipment = uow.queries.movement_row(request.shipment_id)
    if (shipment is None or shipment.item_id != item.id or shipment.kind != "shipment"
            or shipment.reverses is not None):
        raise UnknownMovement(request.shipment_id, field="shipment_id",
                              kind=f"shipment of {item.sku!r}:")
    return request.shipment_id


def claimed(uow: UnitOfWork, owner_id: int, key: str, identity: Any, now: datetime) -> bool:
    """Take ``key`` for this transaction; return True when it was already used for the same
    request (the caller answers with what it did then), raise on a different request."""
    digest = fingerprint(identity)
    first = uow.repo.claim_key(owner_id, key, digest, now)
    if first is None:
        return False
    if first[0] != digest:
        raise IdempotencyConflict(key)
    return True


def _write(uow: UnitOfWork, lines: list[Line], now: datetime, numbered: bool) -> list[Movement]:
    return write(uow, lines, now, numbered=numbered)


def write(uow: UnitOfWork, lines: list[Line], now: datetime, *, numbered: bool = False,
          outbox: Outbox | None = None) -> list[Movement]:
    """Check reversals, returns and balances over time; then append the movements (linked
    into their items' chains), upsert the balances and settle reservations (no commit).

    For use cases that post as part of a larger change (shipping an order).
    """
    states, ids = uow.repo.lock_items({line.item.id for line in lines}, len(lines))
    # under the item locks: no concurrent reversal, return or period close can slip in between
    _check_open_periods(lines, states, numbered)
    _check_reversals(uow, lines)
    _check_returns(uow, lines, numbered)
    _check_no_dip(uow, lines, states, numbered)
    written, rows = _chain(lines, ids, states, now)
    uow.repo.insert_movements(rows)
    uow.posted.extend(m.id for m in written)
    uow.repo.apply_deltas(_deltas(lines))
    _remember_lots(uow, lines)
    touched, strict = _reservations_at_stake(lines, states, numbered)
    settle(uow, now, touched, strict=strict, outbox=outbox)
    return written


def _check_open_periods(lines: list[Line], states: dict[int, ItemState], numbered: bool
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
        done = uow.repo.reversed_by(line.reverses)
        if done is not None:
            raise AlreadyReversed(line.reverses, done)
        if line.kind == "shipment" and uow.queries.returned_units(line.reverses):
            raise Conflict(f"shipment {line.reverses} has returns; reverse them first",
                           field="movement_id", movement_id=line.reverses)


def _check_returns(uow: UnitOfWork, lines: list[Line], numbered: bool) -> None:
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
        if uow.repo.reversed_by(shipment_id) is not None:
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
    for line, error in _shortages(uow, lines, states):
        raise error.at_line(line.number) if numbered else error


def _shortages(uow: UnitOfWork, lines: list[Line], states: dict[int, ItemState]
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
    current = uow.repo.balances(outbound)
    for key in sorted(outbound):
        qty, last = current.get(key, (0, None))
        changes = steps[key]
        since = min(s.at for s in changes if s.delta < 0)
        if (last is None or since >= last) and len(changes) == 1 and qty + changes[0].delta >= 0:
            continue  # the common case: one line, not backdated, enough stock
        stored = [] if last is None or since >= last else uow.repo.steps_since(key, since)
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
