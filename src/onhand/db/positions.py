"""Each item's position per warehouse — on hand, sellable, reserved, backordered, safety
stock, incoming, in transit — the item locks orders take, the reservations that fill and
free, and what can be picked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from onhand.db.statements import aware, fetch, sqlite_time
from onhand.db.tables import (
    balances,
    item_warehouses,
    items,
    locations,
    lots,
    order_lines,
    orders,
)
from onhand.domain.orders import Claim
from onhand.domain.positions import Pickable, Position


class PositionStore:
    """Reads and writes positions, reservations and picks in the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def _time(self, value: datetime) -> Any:
        """Return a time as the driver takes it for a compiled-once statement."""
        return value if self.postgres else sqlite_time(value)

    def lock_items(self, item_ids: Iterable[int], *, policies: bool = False) -> list[str]:
        """Lock items in id order (PostgreSQL; SQLite's writer already holds the database);
        with ``policies``, return their order policies (read with the lock)."""
        ids = sorted(set(item_ids))
        if not self.postgres:
            return self.item_policies(ids) if policies and ids else []
        if len(ids) == 1:
            return [str(row.order_policy) for row in fetch(self.conn, _LOCK_ITEM, {"id": ids[0]})]
        if ids:  # an expanding IN: through SQLAlchemy, not ``fetch``
            return [row.order_policy for row in self.conn.execute(_LOCK_ITEMS, {"ids": ids})]
        return []

    def positions(self, item_id: int, now: datetime) -> dict[int, Position]:
        """Return what each warehouse holds and owes of an item (only those with anything)."""
        found: dict[int, Position] = {}
        # one round trip: stock, counters and live holds as the three parts of a union
        for part, warehouse_id, *values in fetch(self.conn, _POSITIONS_OF_ITEM, {
                "item_id": item_id, "now": self._time(now)}):
            position = found.setdefault(warehouse_id, Position())
            if part == _PART_STOCK:
                position.sellable, position.on_hand = int(values[0]), int(values[1])
            elif part == _PART_DUES:
                (position.reserved, position.backordered, position.safety_stock,
                 position.incoming, position.in_transit) = (int(v) for v in values)
            else:
                position.held = int(values[0])
        _note_elsewhere(found.values())
        return found

    def all_positions(self, owner_id: int | None, now: datetime
                      ) -> dict[int, dict[int, Position]]:
        """Return every item's positions by warehouse (of one owner, or all)."""
        found: dict[int, dict[int, Position]] = {}

        def at(item_id: int, warehouse_id: int) -> Position:
            return found.setdefault(item_id, {}).setdefault(warehouse_id, Position())

        def mine(column: Any) -> Any:
            return column.is_not(None) if owner_id is None else column == owner_id

        stock: Any = (select(balances.c.item_id, locations.c.warehouse_id,
                        *_SELLABLE_ON_HAND)
                 .select_from(_in_stock)
                 .where(locations.c.warehouse_id.is_not(None), mine(balances.c.owner_id))
                 .group_by(balances.c.item_id, locations.c.warehouse_id))
        for row in self.conn.execute(stock):
            position = at(row.item_id, row.warehouse_id)
            position.sellable, position.on_hand = int(row.sellable), int(row.on_hand)
        for row in self.conn.execute(select(item_warehouses)
                                     .where(mine(item_warehouses.c.owner_id))):
            _dues_into(at(row.item_id, row.warehouse_id), row)
        held = (select(order_lines.c.item_id, order_lines.c.warehouse_id,
                       func.sum(order_lines.c.reserved).label("held"))
                .where(order_lines.c.hold_until.is_not(None), order_lines.c.reserved > _ZERO,
                       order_lines.c.hold_until > now, mine(order_lines.c.owner_id))
                .group_by(order_lines.c.item_id, order_lines.c.warehouse_id))
        for row in self.conn.execute(held):
            at(row.item_id, row.warehouse_id).held = int(row.held)
        return found

    def positions_for(self, pairs: Sequence[Pair], now: datetime) -> dict[Pair, Position]:
        """Return the position of each item × warehouse in ``pairs`` (a few queries in all)."""
        if len(pairs) <= 2:
            return {pair: self.position(*pair, now) for pair in pairs}
        wanted = set(pairs)
        found = {pair: Position() for pair in pairs}
        item_ids = sorted({item_id for item_id, _ in pairs})
        for start in range(0, len(item_ids), 1000):  # inside every engine's parameter limit
            chunk = item_ids[start:start + 1000]
            for row in self.conn.execute(_STOCK_OF_ITEMS, {"ids": chunk}):
                if (row.item_id, row.warehouse_id) in wanted:
                    position = found[(row.item_id, row.warehouse_id)]
                    position.sellable, position.on_hand = int(row.sellable), int(row.on_hand)
            backordered: dict[int, int] = {}
            for row in self.conn.execute(_DUES_OF_ITEMS, {"ids": chunk}):
                backordered[row.item_id] = backordered.get(row.item_id, 0) + int(row.backordered)
                if (row.item_id, row.warehouse_id) in wanted:
                    _dues_into(found[(row.item_id, row.warehouse_id)], row)
            for (item_id, _), position in found.items():
                if item_id in backordered:
                    position.backordered_elsewhere = backordered[item_id] - position.backordered
            for row in self.conn.execute(_HELD_OF_ITEMS, {"ids": chunk, "now": now}):
                if (row.item_id, row.warehouse_id) in wanted:
                    found[(row.item_id, row.warehouse_id)].held = int(row.held)
        return found

    def position(self, item_id: int, warehouse_id: int, now: datetime) -> Position:
        """Return what one warehouse holds and owes of an item."""
        row = fetch(self.conn, _POSITION, {"item_id": item_id, "warehouse_id": warehouse_id,
                                           "now": self._time(now)})[0]
        return Position(sellable=int(row.sellable), on_hand=int(row.on_hand),
                        reserved=int(row.reserved), held=int(row.held),
                        backordered=int(row.backordered), safety_stock=int(row.safety_stock),
                        incoming=int(row.incoming), in_transit=int(row.in_transit),
                        backordered_elsewhere=int(row.backordered_elsewhere))

    def add_dues(self, item_id: int, warehouse_id: int, owner_id: int, *, reserved: int = 0,
                 backordered: int = 0, incoming: int = 0, in_transit: int = 0) -> None:
        """Add to what open orders reserve and backorder in a warehouse, and to what is
        coming there (purchase orders, transfers)."""
        deltas = {"b_reserved": reserved, "b_backordered": backordered,
                  "b_incoming": incoming, "b_in_transit": in_transit}
        if not any(deltas.values()):
            return
        changed = self.conn.execute(_ADD_DUES, {
            "b_item": item_id, "b_warehouse": warehouse_id, **deltas}).rowcount
        if not changed:  # the first dues of this item here (the item is locked: no race)
            self.conn.execute(insert(item_warehouses).values(
                item_id=item_id, warehouse_id=warehouse_id, owner_id=owner_id,
                reserved=reserved, backordered=backordered, safety_stock=0,
                incoming=incoming, in_transit=in_transit))

    def set_safety_stock(self, item_id: int, warehouse_id: int, owner_id: int, units: int) -> None:
        """Set the safety stock of an item in a warehouse."""
        dialect = postgresql if self.postgres else sqlite
        stmt = dialect.insert(item_warehouses).values(
            item_id=item_id, warehouse_id=warehouse_id, owner_id=owner_id, reserved=0,
            backordered=0, safety_stock=units)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[item_warehouses.c.item_id, item_warehouses.c.warehouse_id],
            set_={"safety_stock": units}))

    def item_policies(self, item_ids: Iterable[int]) -> list[str]:
        """Return the order policy of each item."""
        return list(self.conn.execute(_ITEM_POLICIES, {"ids": sorted(set(item_ids))}).scalars())

    def warehouses(self) -> list[tuple[int, str]]:
        """Return every warehouse (top-level internal location) as (id, path), by path."""
        return [(int(r.id), r.path) for r in fetch(self.conn, _WAREHOUSES, {})]

    def reservations(self, item_id: int, warehouse_id: int, now: datetime) -> list[Claim]:
        """Return the lines holding units of an item in a warehouse (open orders, live holds)."""
        rows = self.conn.execute(_CLAIMS.where(
            order_lines.c.item_id == item_id, order_lines.c.warehouse_id == warehouse_id,
            order_lines.c.reserved > 0,
            or_(orders.c.status == "open",
                and_(orders.c.status == "held", orders.c.expires_at > now))))
        return [_claim(r) for r in rows]

    def pickable(self, item_id: int, warehouse_id: int) -> list[Pickable]:
        """Return the item's stock in the warehouse's sellable locations, with lot dates."""
        rows = self.conn.execute(
            select(balances.c.location_id, locations.c.path, balances.c.lot, balances.c.qty,
                   lots.c.expires_on, lots.c.first_in)
            .join(locations, locations.c.id == balances.c.location_id)
            .outerjoin(lots, and_(lots.c.item_id == balances.c.item_id,
                                  lots.c.lot == balances.c.lot))
            .where(balances.c.item_id == item_id, locations.c.warehouse_id == warehouse_id,
                   locations.c.sellable.is_(True), balances.c.qty > 0))
        return [Pickable(r.location_id, r.path, r.lot, int(r.qty), _day(r.expires_on),
                         aware(r.first_in)) for r in rows]

    def dues_from_lines(self) -> dict[Pair, tuple[int, int]]:
        """Return, from the order lines themselves, what open orders reserve and backorder
        per item × warehouse (hold lines aside: they carry an expiry)."""
        rows = self.conn.execute(
            select(order_lines.c.item_id, order_lines.c.warehouse_id,
                   func.sum(order_lines.c.reserved), func.sum(order_lines.c.backordered))
            .where(order_lines.c.hold_until.is_(None))
            .group_by(order_lines.c.item_id, order_lines.c.warehouse_id))
        return {(int(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in rows}


Pair = tuple[int, int]  # item_id, warehouse_id


def _note_elsewhere(positions: Iterable[Position]) -> None:
    """Set each position's ``backordered_elsewhere`` from all of one item's positions."""
    positions = list(positions)
    total = sum(p.backordered for p in positions)
    for position in positions:
        position.backordered_elsewhere = total - position.backordered


def _dues_into(position: Position, row: Any) -> None:
    """Copy an ``item_warehouses`` row's counters into a position."""
    position.reserved, position.backordered = int(row.reserved), int(row.backordered)
    position.safety_stock, position.incoming = int(row.safety_stock), int(row.incoming)
    position.in_transit = int(row.in_transit)


def _claim(row: Any) -> Claim:
    return Claim(line_id=int(row.id), order_id=int(row.order_id), reserved=int(row.reserved),
                 backordered=int(row.backordered), priority=int(row.priority),
                 created_at=aware(row.created_at) or row.created_at,
                 hold=row.status == "held", any_warehouse=bool(row.any_warehouse),
                 warehouse_id=int(row.warehouse_id))


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# Statements built once (see repository.fetch).
_LOCK_ITEMS = (select(items.c.id, items.c.order_policy)
               .where(items.c.id.in_(bindparam("ids", expanding=True)))
               .order_by(items.c.id).with_for_update(key_share=True))


_LOCK_ITEM = (select(items.c.id, items.c.order_policy).where(items.c.id == bindparam("id"))
              .with_for_update(key_share=True))


_ITEM: Any = bindparam("item_id")


_WH: Any = bindparam("warehouse_id")


_NOW = bindparam("now", type_=orders.c.expires_at.type)


_in_stock = (balances.join(locations, locations.c.id == balances.c.location_id))


_SELLABLE_ON_HAND = (
    func.coalesce(func.sum(balances.c.qty).filter(locations.c.sellable.is_(True)), 0)
    .label("sellable"),
    func.sum(balances.c.qty).label("on_hand"),
)


_ZERO: Any = literal_column("0")  # a literal, so the partial indexes match
_PART_STOCK, _PART_DUES, _PART_HELD = 1, 2, 3  # the parts of _POSITIONS_OF_ITEM


_live_holds = and_(order_lines.c.hold_until.is_not(None), order_lines.c.reserved > _ZERO,
                   order_lines.c.hold_until > _NOW)


_POSITIONS_OF_ITEM = union_all(
    select(literal_column(str(_PART_STOCK)), locations.c.warehouse_id, *_SELLABLE_ON_HAND,
           _ZERO, _ZERO, _ZERO)
    .select_from(_in_stock)
    .where(balances.c.item_id == _ITEM, locations.c.warehouse_id.is_not(None))
    .group_by(locations.c.warehouse_id),
    select(literal_column(str(_PART_DUES)), item_warehouses.c.warehouse_id,
           item_warehouses.c.reserved, item_warehouses.c.backordered,
           item_warehouses.c.safety_stock, item_warehouses.c.incoming,
           item_warehouses.c.in_transit)
    .where(item_warehouses.c.item_id == _ITEM),
    select(literal_column(str(_PART_HELD)), order_lines.c.warehouse_id,
           func.sum(order_lines.c.reserved), _ZERO, _ZERO, _ZERO, _ZERO)
    .where(order_lines.c.item_id == _ITEM, _live_holds).group_by(order_lines.c.warehouse_id),
)


_IDS: Any = bindparam("ids", expanding=True)


_STOCK_OF_ITEMS: Any = (
    select(balances.c.item_id, locations.c.warehouse_id,
           *_SELLABLE_ON_HAND)
    .select_from(_in_stock)
    .where(balances.c.item_id.in_(_IDS), locations.c.warehouse_id.is_not(None))
    .group_by(balances.c.item_id, locations.c.warehouse_id)
)


_DUES_OF_ITEMS = select(item_warehouses).where(item_warehouses.c.item_id.in_(_IDS))


_HELD_OF_ITEMS = (
    select(order_lines.c.item_id, order_lines.c.warehouse_id,
           func.sum(order_lines.c.reserved).label("held"))
    .where(order_lines.c.item_id.in_(_IDS), order_lines.c.hold_until.is_not(None),
           order_lines.c.reserved > _ZERO,
           order_lines.c.hold_until > bindparam("now", type_=order_lines.c.hold_until.type))
    .group_by(order_lines.c.item_id, order_lines.c.warehouse_id)
)


def _scalar(column: Any, *where: Any) -> Any:
    return func.coalesce(select(column).where(*where).scalar_subquery(), 0)


_here = and_(balances.c.item_id == _ITEM, locations.c.id == balances.c.location_id,
             locations.c.warehouse_id == _WH)


_dues = and_(item_warehouses.c.item_id == _ITEM, item_warehouses.c.warehouse_id == _WH)


_POSITION = select(
    _scalar(func.sum(balances.c.qty), _here, locations.c.sellable.is_(True))
    .label("sellable"),
    _scalar(func.sum(balances.c.qty), _here).label("on_hand"),
    _scalar(item_warehouses.c.reserved, _dues).label("reserved"),
    _scalar(item_warehouses.c.backordered, _dues).label("backordered"),
    _scalar(item_warehouses.c.safety_stock, _dues).label("safety_stock"),
    _scalar(item_warehouses.c.incoming, _dues).label("incoming"),
    _scalar(item_warehouses.c.in_transit, _dues).label("in_transit"),
    _scalar(func.sum(order_lines.c.reserved), order_lines.c.item_id == _ITEM,
            order_lines.c.warehouse_id == _WH, _live_holds).label("held"),
    _scalar(func.sum(item_warehouses.c.backordered), item_warehouses.c.item_id == _ITEM,
            item_warehouses.c.warehouse_id != _WH).label("backordered_elsewhere"),
)


_ITEM_POLICIES = select(items.c.order_policy).where(items.c.id.in_(bindparam("ids",
                                                                            expanding=True)))


_WAREHOUSES = (select(locations.c.id, locations.c.path)
               .where(locations.c.kind == "internal", locations.c.parent_id.is_(None))
               .order_by(locations.c.path))


_ADD_DUES = (update(item_warehouses)
             .where(item_warehouses.c.item_id == bindparam("b_item"),
                    item_warehouses.c.warehouse_id == bindparam("b_warehouse"))
             .values(reserved=item_warehouses.c.reserved + bindparam("b_reserved"),
                     backordered=item_warehouses.c.backordered + bindparam("b_backordered"),
                     incoming=item_warehouses.c.incoming + bindparam("b_incoming"),
                     in_transit=item_warehouses.c.in_transit + bindparam("b_in_transit")))


_CLAIMS = (
    select(order_lines.c.id, order_lines.c.order_id, order_lines.c.reserved,
           order_lines.c.backordered, order_lines.c.priority, order_lines.c.created_at,
           order_lines.c.warehouse_id, orders.c.status, orders.c.any_warehouse)
    .join(orders, orders.c.id == order_lines.c.order_id)
)
