"""Posting to the ledger: single movements, all-or-nothing batches and reversals.

Every posting, whatever its size, takes the same path (:func:`post`): resolve and check
each line into a ledger :class:`~onhand.services.ledger.Line`, claim the idempotency key,
then hand the lines to the ledger's write path (``services/ledger.py``: item locks, no
balance below zero at any time, hash chain, balances), in the command's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from onhand.db.catalog import ItemRef, LocationRef
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import LOSS
from onhand.domain.movements import (
    DAMAGE_KINDS,
    LAST_COST,
    NEEDS_REASON,
    Movement,
    MovementRequest,
    PostBatch,
    PostMovement,
    Reverse,
    check_text,
    check_unit_cost,
    fingerprint,
    route,
)
from onhand.domain.quantities import from_units, parse_qty, to_units
from onhand.domain.times import check_occurred_at, utcnow
from onhand.domain.valuation.currencies import MAX_AMOUNT
from onhand.errors import (
    BatchTooLarge,
    IdempotencyConflict,
    InvalidInput,
    InvalidLocation,
    OnhandError,
    UnknownMovement,
)
from onhand.services.executor import handles
from onhand.services.ledger import Line, check_open_periods, check_returns, shortages, write


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
        first = uow.ledger.find_key(uow.refs.owner_id(owner), key)
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
            states, _ = uow.ledger.lock_items({line.item.id for line in lines}, len(lines))
            for line in lines:
                try:
                    check_open_periods([line], states, numbered=True)
                except OnhandError as error:
                    errors.append(error)
            try:
                check_returns(uow, lines, numbered=True)
            except OnhandError as error:
                errors.append(error)
            errors += [error.at_line(line.number) for line, error in
                       shortages(uow, lines, states)]
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
            first = uow.ledger.claim_key(owner_id, key, fingerprint(identity), now)
            if first is not None:
                if first[0] != fingerprint(identity):
                    raise IdempotencyConflict(key)
                uow.replayed = True
                return uow.queries.movements(first[1])
        written = _write(uow, prepare(uow, now), now, numbered)
        if key:
            uow.ledger.record_key(owner_id, key, [m.id for m in written])
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


def _write(uow: UnitOfWork, lines: list[Line], now: datetime, numbered: bool) -> list[Movement]:
    return write(uow, lines, now, numbered=numbered)
