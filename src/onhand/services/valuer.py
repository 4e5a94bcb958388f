"""The valuer: stores the value of every movement, and revalues what a backdated one changes.

Postings do not wait for valuation: the ledger is the valuer's durable queue (an item's
movements after its ``valued_seq`` are not valued yet), and whoever reads values — the
reports, a period close, the server's sweeper — first calls :func:`catch_up`, which values
them in one transaction per call, under the item's valuation lock.

Movements that come after every valued one in business time are valued by carrying on from
the item's stored state. A movement dated before valued ones (backdated) makes the valuer
carry on from the item's last checkpoint before it instead, and value again every later
movement of that item: where a stored value differs, the difference is appended as a
revaluation entry dated at that movement's own ``occurred_at`` (naming the backdated
movement as its cause). Nothing is ever edited, and the work is proportional to the item's
movements after the backdated one (plus at most ``CHECKPOINT_EVERY`` before it).

How a ledger movement counts (valuation is per item and owner, not per location): stock is
what internal locations and ``transit`` hold, and a move between two of them keeps its
value (it stores no entry). From the supplier it is a receipt at its unit cost; from a
customer a return, at the cost its shipment left with when it names one; from ``loss`` a
gain at its unit cost or the current one. To a customer it is a sale (cost of goods sold);
to ``loss`` a loss; to the supplier a return at the cost of what it returns. A reversal
undoes its original at the original's cost and is stored under the original's category.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from onhand.db.uow import UnitOfWork
from onhand.db.valuations import LANDED_KEYS, REVALUATION_KEYS, Head, Pending, Position
from onhand.domain.locations import CUSTOMER, SUPPLIER, TRANSIT
from onhand.domain.quantities import Quantity, from_units
from onhand.domain.valuation import OUT, Entry, Take, Valuation
from onhand.domain.valuation.replay import Replayer
from onhand.domain.valuation.snapshot import dump_state, dump_takes, load_state, load_takes
from onhand.errors import InvalidInput

log = logging.getLogger("onhand.valuer")
MAX_MINOR = 2**63 - 1  # what a stored value (minor units) fits in
CHECKPOINT_EVERY = 2048  # movements between an item's checkpoints
# where a run starts: after this position (None: the beginning), from this state (JSON; None:
# nothing), with this many movements since the last checkpoint
Origin = tuple[Position | None, str | None, int]
CORRECTION, LANDED_COST, REVALUATION, SALE = "correction", "landed_cost", "revaluation", "sale"


def catch_up(uow: UnitOfWork, *, owner_id: int | None = None,
             item_id: int | None = None) -> int:
    """Value every movement not valued yet (of an owner, one item, or all) inside the open
    write unit; return how many movements were valued again or for the first time."""
    return sum(_catch_up(uow, pending) for pending in uow.valuations.pending(owner_id, item_id))


def catch_up_all(uow: UnitOfWork) -> int:
    """Value every movement not valued yet, each item in a transaction of its own (short,
    and an item that cannot be valued is logged and left, not in the others' way); return
    how many. A read looks first, so a sweep with nothing to value writes nothing."""
    with uow.reader() as probe:
        pending = probe.valuations.pending(None, None)
    count = 0
    for item in pending:
        unit = uow.writer()
        try:
            with unit:
                count += catch_up(unit, item_id=item.item_id)
                unit.commit()
        except Exception:  # a bug or bad data in one item: the others are still valued
            log.exception("could not value item %s; the others go on", item.item_id)
    return count


def differences(uow: UnitOfWork, *, owner_id: int | None = None, item_id: int | None = None
                ) -> list[dict[str, Any]]:
    """Value each item's valued movements again from scratch and return the entries that
    would bring the stored values to the rebuilt ones: none when they agree. Items with a
    landed cost or revaluation not valued yet are left out (their stored values are not
    complete until the valuer catches up)."""
    found = []
    for item in uow.valuations.valued(owner_id, item_id):
        head = uow.valuations.head(item.item_id)
        if head.replay is None:
            run = _replay(uow, item, head, (None, None, 0), head.valued_seq, compare=True)
            found += run.entries
    return found


class _Place(NamedTuple):
    path: str
    holds: bool  # whether stock here counts: an internal location, or in transit


@dataclass(slots=True)
class _Run:
    """One item's valuation from a starting point: what it appends as it goes."""

    item: Pending
    head: Head
    book: Replayer
    # by movement and category, its (amount, uncosted) as stored; None: none to compare with
    stored: dict[int, dict[str, tuple[int, int]]] | None
    stored_takes: dict[int, str]
    cause: int | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[tuple[Position, str]] = field(default_factory=list)
    places: dict[int, _Place] = field(default_factory=dict)  # by location id
    last: Position | None = None
    since: int = 0  # movements since the last checkpoint
    valued: int = 0  # movements valued in this run


def _catch_up(uow: UnitOfWork, item: Pending) -> int:
    store = uow.valuations
    head = store.lock_head(item.item_id)
    upto = store.last_seq(item.item_id)
    marks = [mark for mark in (head.replay,) if mark is not None]
    if upto > head.valued_seq:
        marks.append(store.first_unvalued(item.item_id, head.valued_seq, upto))
    if not marks:
        return 0  # another valuer got here first
    first = min(marks)
    in_order = head.position is None or first > head.position
    if in_order:  # carry on from the item's state
        origin: Origin = (head.position, head.state, head.since_checkpoint)
    else:  # backdated: from the last checkpoint before it, or from nothing
        found = store.checkpoint_before(item.item_id, first)
        origin = (None, None, 0) if found is None else (found[0], found[1], 0)
    run = _replay(uow, item, head, origin, upto, compare=not in_order, cause=first[1])
    store.add_entries(run.entries)
    if not in_order or run.checkpoints:
        store.replace_checkpoints(item.item_id, origin[0], run.checkpoints)
    store.save_head(Head(item.item_id, upto, run.last, None, run.since, None),
                    _dump(run.book))
    return run.valued


def _replay(uow: UnitOfWork, item: Pending, head: Head, origin: Origin, upto: int,
            *, compare: bool, cause: int | None = None) -> _Run:
    """Value the item's movements after the ``origin`` (a position, the state there and the
    movements since its checkpoint) through ``upto``. ``compare``: movements valued before
    get revaluation entries where their values differ."""
    store = uow.valuations
    start, state, since = origin
    stored, stored_takes = store.stored_after(item.item_id, start) if compare else (None, {})
    returned: dict[int, Quantity] = {}
    if state is None:
        valuation = Valuation(item.cost_method, item.currency, decimals=item.decimals)
    else:
        saved, returned = load_state(state)
        valuation = Valuation.resume(saved)
    book = Replayer(valuation, lenient=True, returned=returned,
                    takes_of=_takes_before(uow, start))
    run = _Run(item, head, book, stored, stored_takes, cause, last=start, since=since)
    for row in _rows(uow, item.item_id, start, upto):
        _value(uow, run, row)
        run.last, run.since, run.valued = (row.occurred_at, _key(row)), run.since + 1, \
            run.valued + 1
        if run.since >= CHECKPOINT_EVERY:
            run.checkpoints.append((run.last, _dump(run.book)))
            run.since = 0
    return run


class _Landed(NamedTuple):
    """A landed cost line as the valuer takes it, in the place of a movement."""

    key: int  # minus the line's id
    id: int  # the receipt it raises: its entries are the receipt's
    occurred_at: datetime
    qty: int  # the receipt's, scaled
    amount: Decimal


class _Revalued(NamedTuple):
    """A revaluation of uncosted stock as the valuer takes it, in the place of a movement."""

    key: int  # REVALUATION_KEYS + its id
    id: None  # no movement
    occurred_at: datetime
    unit_cost: Decimal


def _rows(uow: UnitOfWork, item_id: int, start: Position | None, upto: int) -> list[Any]:
    """Return the item's movements (through ``upto``), landed cost lines and revaluations
    after ``start``, in business-time then key order."""
    moved = uow.valuations.movements_after(item_id, start, upto)
    others: list[Any] = [
        _Landed(LANDED_KEYS + int(r.id), int(r.movement_id), r.occurred_at, int(r.qty),
                r.amount)
        for r in uow.valuations.landed_after(item_id, start)]
    others += [_Revalued(REVALUATION_KEYS + int(r.id), None, r.occurred_at, r.unit_cost)
               for r in uow.valuations.revaluations_after(item_id, start)]
    if not others:
        return moved
    return sorted([*moved, *others], key=lambda row: (row.occurred_at, _key(row)))


def _key(row: Any) -> int:
    return row.key if isinstance(row, _Landed | _Revalued) else int(row.id)


def _takes_before(uow: UnitOfWork, start: Position | None
                  ) -> Callable[[int], tuple[Take, ...] | None]:
    """Return a lookup of the stored takes of outbound movements valued before ``start``
    (those after it are valued again in this run, in order)."""
    def takes_of(movement_id: int) -> tuple[Take, ...] | None:
        if start is None:
            return None
        found = uow.valuations.takes_of(movement_id)
        return None if found is None or found[0] > start else load_takes(found[1])
    return takes_of


def _value(uow: UnitOfWork, run: _Run, row: Any) -> None:
    """Value one movement; append its entries, or its revaluations where it was valued."""
    landed = isinstance(row, _Landed)
    category: str | None
    if landed:
        entry, category = Entry(row.key, "landed_cost", from_units(row.qty, run.item.decimals),
                                row.occurred_at, receipt=row.id, amount=row.amount), LANDED_COST
    elif isinstance(row, _Revalued):
        entry, category = Entry(row.key, "revaluation", 0, row.occurred_at,
                                row.unit_cost), REVALUATION
    else:
        entry, category = _entry(uow, run, row)
    book = run.book.valuation
    before = book.uncosted_units
    valued = run.book.post(entry)
    if category is None:
        return  # a transfer: the value stays in stock
    direction, to_minor = valued.direction, book.currency.to_minor
    amount, uncosted = to_minor(valued.value) * direction, book.uncosted_units - before
    takes = dump_takes(valued.takes) if direction == OUT else None
    correction = -to_minor(valued.correction) if valued.correction else 0
    # a landed cost's share of units gone is cost of goods sold; a receipt's correction of
    # units that had left below zero is booked against revaluation
    fixed = SALE if landed else CORRECTION
    if run.stored is None or _key(row) not in run.stored:  # valued the first time
        units = int(row.qty) * direction if direction and row.id is not None and not landed \
            else 0
        _append(run, row, category, units, amount, uncosted, takes, None)
        if correction:
            _append(run, row, fixed, 0, correction, 0, None, None)
        return
    values = {category: (amount, uncosted)}
    if correction:
        values[fixed] = (correction, 0)
    _revalue(run, row, category, values, takes)


def _revalue(run: _Run, row: Any, category: str, values: dict[str, tuple[int, int]],
             takes: str | None) -> None:
    """Append the differences between a movement's new values and its stored ones."""
    assert run.stored is not None
    key = _key(row)
    moved_takes = takes if takes is not None and takes != run.stored_takes.get(key) else None
    was = run.stored.get(key, {})
    for name in sorted(values.keys() | was.keys()):
        amount, change = values.get(name, (0, 0))
        was_amount, was_change = was.get(name, (0, 0))
        new_takes = moved_takes if name == category else None
        if amount != was_amount or change != was_change or new_takes is not None:
            _append(run, row, name, 0, amount - was_amount, change - was_change, new_takes,
                    run.cause)


def _append(run: _Run, row: Any, category: str, units: int, amount: int, uncosted: int,
            takes: str | None, cause: int | None) -> None:
    if abs(amount) >= MAX_MINOR:
        raise InvalidInput(f"a value of {run.book.valuation.currency.amount(amount)} is too "
                           "large to keep", field="unit_cost")
    run.entries.append({"owner_id": run.item.owner_id, "item_id": run.item.item_id,
                        "movement_id": None if row.id is None else int(row.id),
                        "entry_key": _key(row),
                        "occurred_at": row.occurred_at,
                        "category": category, "units": units, "amount": amount,
                        "uncosted": uncosted, "takes": takes, "cause_id": cause})


def _dump(book: Replayer) -> str:
    return dump_state(book.valuation.state(), book.returned)


def _entry(uow: UnitOfWork, run: _Run, row: Any) -> tuple[Entry, str | None]:
    """Return what valuation sees of one movement, and the category its value is stored
    under (None for a transfer)."""
    source, target = _place(uow, run, row.source_id), _place(uow, run, row.target_id)
    key, qty, at = int(row.id), from_units(int(row.qty), run.item.decimals), row.occurred_at
    if source.holds == target.holds:
        return Entry(key, "transfer", qty, at), None
    inbound = target.holds
    if row.reverses is not None:  # undoes its original at the original's cost
        reverses = int(row.reverses)
        # stored under its original's category: the original moved the other way
        if inbound:
            category = _outbound(row, key, qty, at, source)[1]
            return Entry(key, "return", qty, at, shipment=reverses), category
        category = _inbound(row, key, qty, at, target)[1]
        return Entry(key, "supplier_return", qty, at, receipt=reverses), category
    return (_inbound(row, key, qty, at, source) if inbound
            else _outbound(row, key, qty, at, target))


def _inbound(row: Any, key: int, qty: Any, at: Any, source: _Place) -> tuple[Entry, str]:
    if source.path == CUSTOMER:
        shipment = None if row.shipment_id is None else int(row.shipment_id)
        return Entry(key, "return", qty, at, row.unit_cost, shipment=shipment), "customer_return"
    if source.path == SUPPLIER:
        return Entry(key, "receipt", qty, at, row.unit_cost), "receipt"
    return Entry(key, "adjustment", qty, at, row.unit_cost), "gain"


def _outbound(row: Any, key: int, qty: Any, at: Any, target: _Place) -> tuple[Entry, str]:
    if target.path == CUSTOMER:
        return Entry(key, "shipment", qty, at), SALE
    if target.path == SUPPLIER:  # from the layer of the receipt it returns, when it names one
        receipt = None if row.shipment_id is None else int(row.shipment_id)
        return Entry(key, "supplier_return", qty, at, receipt=receipt), "supplier_return"
    return Entry(key, "scrap", qty, at), "loss"


def _place(uow: UnitOfWork, run: _Run, location_id: int) -> _Place:
    found = run.places.get(location_id)
    if found is None:
        place = uow.refs.location_by_id(int(location_id))
        # stock here is the owner's stock: an internal location, or in transit
        found = run.places[location_id] = _Place(place.path,
                                                 not place.virtual or place.path == TRANSIT)
    return found

