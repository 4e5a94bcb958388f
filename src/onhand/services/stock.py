"""Reading stock: levels now or at any past moment, and the history of movements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from onhand.db.queries import Level
from onhand.db.uow import UnitOfWork
from onhand.domain.movements import Movement, check_text
from onhand.domain.positions import Position
from onhand.domain.quantities import from_units
from onhand.domain.stock import Stock, WarehouseStock
from onhand.domain.times import check_occurred_at, utcnow
from onhand.errors import InvalidInput, UnknownMovement

MAX_HISTORY = 100_000


def stock(uow: UnitOfWork, *, sku: str, owner: str = "default", location: str | None = None,
          lot: str | None = None, as_of: datetime | None = None) -> Stock:
    """Return the stock of one item at ``location`` and below (None: every internal location).

    Current levels come from the balance rows; ``as_of`` subtracts the item's movements
    after that time, found through the ``(item_id, occurred_at)`` index.
    """
    when = _as_of(as_of)
    lot = check_text(lot, "lot")
    with uow:
        owner_id = uow.refs.owner_id(owner)
        item = uow.refs.item(owner_id, sku, owner)
        if location is not None:
            uow.refs.location(location)  # UnknownLocation before anything else
        # now: only the rows within the location; as of a past time: every row of the item,
        # since stock may have left a location that holds none now
        levels = uow.queries.item_levels(item.id, lot, location if when is None else None)
        if when is not None:
            levels = _rewind(levels, uow.queries.flows_after(item.id, when), lot)
        by_location: dict[str, int] = defaultdict(int)
        for _, location_id, _, qty in levels:
            ref = uow.refs.location_by_id(location_id)
            if _counts(ref.path, ref.virtual, location):
                by_location[ref.path] += qty
        level = _stock(sku, owner, location, lot, when, by_location, item.decimals)
        if when is not None or lot is not None:
            return level  # reservations are per item and warehouse, and kept for now only
        positions = uow.positions.positions(item.id, utcnow())
        transit = 0 if location is not None else uow.queries.transit_units(item.id)
        return _with_states(uow, level, positions, item.decimals, transit)


def levels(uow: UnitOfWork, *, owner: str | None = None, location: str | None = None,
           as_of: datetime | None = None) -> list[Stock]:
    """Return the stock of every item with stock at internal locations (within ``location``)."""
    when = _as_of(as_of)
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        if location is not None:
            uow.refs.location(location)
        rows = uow.queries.levels(owner_id=owner_id, under=location)
        if when is not None:
            rows = _rewind(rows, uow.queries.flows_after(None, when, owner_id), None)
        totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for item_id, location_id, _, qty in rows:
            ref = uow.refs.location_by_id(location_id)
            if not ref.virtual and _counts(ref.path, ref.virtual, location):  # internal only
                totals[item_id][ref.path] += qty
        result = []
        positions = {} if when is not None else uow.positions.all_positions(owner_id, utcnow())
        for item_id, places in totals.items():
            if not any(places.values()):
                continue
            item = uow.refs.item_by_id(item_id)
            owner_code = uow.refs.owner_code(item.owner_id)
            level = _stock(item.sku, owner_code, location, None, when, places, item.decimals)
            if when is None:
                level = _with_states(uow, level, positions.get(item_id, {}), item.decimals, 0)
            result.append(level)
    return sorted(result, key=lambda s: (s.owner, s.sku))


def history(uow: UnitOfWork, *, sku: str | None = None, owner: str = "default",
            location: str | None = None, since: datetime | None = None,
            until: datetime | None = None, limit: int = 100,
            after: Movement | tuple[datetime, int] | None = None) -> list[Movement]:
    """Return movements oldest first (by ``occurred_at``), filtered, at most ``limit``.

    To page through, pass the last movement of a page (or its ``(occurred_at, id)``) as
    ``after``.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_HISTORY:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_HISTORY}", field="limit")
    since = _as_of(since, "since")
    until = _as_of(until, "until")
    with uow:
        owner_id = uow.refs.owner_id(owner)
        item_id = None if sku is None else uow.refs.item(owner_id, sku, owner).id
        if location is not None:
            uow.refs.location(location)
        return uow.queries.history(item_id=item_id, owner_id=owner_id, under=location,
                                   since=since, until=until, limit=limit,
                                   after=after if not isinstance(after, Movement)
                                   else (after.occurred_at, after.id))


def movement(uow: UnitOfWork, *, movement_id: int, owner: str | None = "default") -> Movement:
    """Return one movement by id: of ``owner``'s (another owner's is unknown), or any owner's
    with ``owner=None``."""
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        row = uow.queries.movement_row(movement_id)
        if row is None or owner_id not in (None, row.owner_id):
            raise UnknownMovement(movement_id)
        return uow.queries.to_movement(row)


def _stock(sku: str, owner: str, location: str | None, lot: str | None, when: datetime | None,
           places: dict[str, int], decimals: int) -> Stock:
    """Return a stock level from its scaled quantities by location."""
    on_hand = from_units(sum(places.values()), decimals)
    return Stock(
        sku=sku, owner=owner, location=location, lot=lot, on_hand=on_hand,
        reserved=from_units(0, decimals), available=on_hand, as_of=when,
        by_location={p: from_units(q, decimals) for p, q in sorted(places.items()) if q},
    )


def _with_states(uow: UnitOfWork, level: Stock, positions: dict[int, Position], decimals: int,
                 transit: int) -> Stock:
    """Return ``level`` with reserved, available and the other states of its warehouses.

    Reservations are per warehouse: a level read at a location below a warehouse shows its
    on-hand stock only.
    """
    places = {uow.refs.location_by_id(w).path: p for w, p in positions.items()
              if p.on_hand or p.reserved or p.held or p.backordered or p.incoming
              or p.in_transit or p.safety_stock}
    if level.location is not None:
        places = {path: p for path, p in places.items() if path == level.location}
        if not places:
            return level
    total = Position()
    by_warehouse = {}
    for path, p in sorted(places.items()):
        for name in ("sellable", "on_hand", "reserved", "held", "backordered", "safety_stock",
                     "incoming", "in_transit"):
            setattr(total, name, getattr(total, name) + getattr(p, name))
        by_warehouse[path] = WarehouseStock(
            on_hand=from_units(p.on_hand, decimals),
            reserved=from_units(p.reserved + p.held, decimals),
            available=from_units(max(0, p.available), decimals),
            backordered=from_units(p.backordered, decimals),
            non_sellable=from_units(p.on_hand - p.sellable, decimals),
            safety_stock=from_units(p.safety_stock, decimals),
            incoming=from_units(p.incoming, decimals),
            in_transit=from_units(p.in_transit, decimals))
    available = sum(max(0, p.available) for p in places.values())
    return replace(
        level, reserved=from_units(total.reserved + total.held, decimals),
        available=from_units(available, decimals),
        backordered=from_units(total.backordered, decimals),
        non_sellable=from_units(total.on_hand - total.sellable, decimals),
        safety_stock=from_units(total.safety_stock, decimals),
        incoming=from_units(total.incoming, decimals),
        in_transit=from_units(transit if level.location is None else total.in_transit, decimals),
        by_warehouse=by_warehouse)


def _counts(path: str, virtual: bool, location: str | None) -> bool:
    """Tell whether stock at ``path`` counts for ``location`` (None: every internal one)."""
    if location is None:
        return not virtual
    return path == location or path.startswith(location + "/")


def _as_of(value: datetime | None, field: str = "as_of") -> datetime | None:
    """Return a read time in UTC; any aware time may be read, the future included."""
    return None if value is None else check_occurred_at(value, value, field=field)


def _rewind(rows: list[Level], flows: list[tuple[int, int, int, str, int]],
            lot: str | None) -> list[Level]:
    """Return balance rows as they were before the given later flows."""
    totals: dict[tuple[int, int, str], int] = defaultdict(int)
    for item_id, location_id, row_lot, qty in rows:
        totals[(item_id, location_id, row_lot)] += qty
    for item_id, source_id, target_id, flow_lot, qty in flows:
        if lot is not None and flow_lot != lot:
            continue
        totals[(item_id, target_id, flow_lot)] -= qty
        totals[(item_id, source_id, flow_lot)] += qty
    return [(k[0], k[1], k[2], v) for k, v in totals.items()]
