"""Stored values: each movement's value entries, each item's state and checkpoints.

Positions are (business time, movement id): the order valuation takes movements in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from onhand.db.statements import aware as aware_time
from onhand.db.statements import execute_rows, fetch
from onhand.db.tables import (
    balances,
    item_valuations,
    items,
    landed_cost_lines,
    landed_costs,
    locations,
    movements,
    owners,
    revaluations,
    valuation_checkpoints,
    valuation_entries,
)
from onhand.domain.locations import TRANSIT

Position = tuple[datetime, int]  # business time, movement id (or the key valuation orders by)
# the keys valuation orders a landed cost line and a revaluation by, after every movement of
# the same moment (movement ids stay far below): these plus the row's id
LANDED_KEYS, REVALUATION_KEYS = 2**50, 2**51


@dataclass(frozen=True, slots=True)
class Head:
    """Where an item's stored values stand: valued through ``valued_seq``, its state after
    the last movement in business time (``position``), and movements since a checkpoint."""

    item_id: int
    valued_seq: int
    position: Position | None
    state: str | None
    since_checkpoint: int
    replay: Position | None  # a landed cost added: value again from here


@dataclass(frozen=True, slots=True)
class Pending:
    """An item with movements not valued yet (after ``valued_seq`` up to ``last_seq``), and
    what valuing them takes: its decimals, cost method and owner's currency."""

    item_id: int
    owner_id: int
    valued_seq: int
    last_seq: int
    decimals: int
    cost_method: str
    currency: str


class ValuationStore:
    """Reads and appends of stored values inside the unit of work's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the valuer's queue: movements not valued yet ----------------------------------------

    def valued(self, owner_id: int | None, item_id: int | None) -> list[Pending]:
        """Return the items (of an owner, or one) with stored values, by id."""
        query = _items(item_valuations.c.valued_seq, item_valuations.c.valued_seq).select_from(
            items.join(owners, owners.c.id == items.c.owner_id)
            .join(item_valuations, item_valuations.c.item_id == items.c.id))
        return self._pending(query, owner_id, item_id)

    def pending(self, owner_id: int | None, item_id: int | None) -> list[Pending]:
        """Return the items (of an owner, or one) with movements not valued yet, by id."""
        last = (select(func.coalesce(func.max(movements.c.seq), 0))
                .where(movements.c.item_id == items.c.id).scalar_subquery())
        valued = func.coalesce(item_valuations.c.valued_seq, 0)
        query = (_items(valued, last)
                 .select_from(items.join(owners, owners.c.id == items.c.owner_id)
                              .outerjoin(item_valuations,
                                         item_valuations.c.item_id == items.c.id))
                 .where(or_(last > valued, item_valuations.c.replay_at.is_not(None))))
        return self._pending(query, owner_id, item_id)

    def _pending(self, query: Any, owner_id: int | None, item_id: int | None) -> list[Pending]:
        if owner_id is not None:
            query = query.where(items.c.owner_id == owner_id)
        if item_id is not None:
            query = query.where(items.c.id == item_id)
        return [Pending(int(r.id), int(r.owner_id), int(r.valued), int(r.last), int(r.decimals),
                        r.cost_method, r.currency)
                for r in self.conn.execute(query.order_by(items.c.id))]

    def lock_head(self, item_id: int) -> Head:
        """Lock the item's stored state (created empty on first use) and return it."""
        self.conn.execute(_insert_head(self.conn.dialect.name), {"item_id": item_id})
        return self.head(item_id, lock=True)

    def head(self, item_id: int, *, lock: bool = False) -> Head:
        """Return the item's stored state (locked for the transaction when ``lock``)."""
        query = select(item_valuations).where(item_valuations.c.item_id == item_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        position = None if row.movement_id is None else (row.occurred_at, int(row.movement_id))
        replay = None if row.replay_at is None else (row.replay_at, int(row.replay_key))
        return Head(item_id, int(row.valued_seq), position, row.state, int(row.since_checkpoint),
                    replay)

    def mark_replay(self, item_id: int, position: Position) -> None:
        """Have the valuer value the item again from ``position`` on (a landed cost there)."""
        head = self.lock_head(item_id)
        if head.replay is None or position < head.replay:
            self.conn.execute(update(item_valuations)
                              .where(item_valuations.c.item_id == item_id)
                              .values(replay_at=position[0], replay_key=position[1]))

    def last_seq(self, item_id: int) -> int:
        """Return the item's chain end (read after the head's lock)."""
        return int(self.conn.execute(select(func.coalesce(func.max(movements.c.seq), 0))
                                     .where(movements.c.item_id == item_id)).scalar_one())

    def first_unvalued(self, item_id: int, after_seq: int, upto_seq: int) -> Position:
        """Return the earliest position among the item's movements after ``after_seq``."""
        row = self.conn.execute(
            select(movements.c.occurred_at, movements.c.id)
            .where(movements.c.item_id == item_id, movements.c.seq > after_seq,
                   movements.c.seq <= upto_seq)
            .order_by(movements.c.occurred_at, movements.c.id).limit(1)).one()
        return row.occurred_at, int(row.id)

    def save_head(self, head: Head, state: str) -> None:
        """Store where the item's values now stand."""
        at, movement_id = head.position if head.position is not None else (None, None)
        self.conn.execute(
            update(item_valuations).where(item_valuations.c.item_id == head.item_id)
            .values(valued_seq=head.valued_seq, occurred_at=at, movement_id=movement_id,
                    state=state, since_checkpoint=head.since_checkpoint, replay_at=None,
                    replay_key=None))

    # --- checkpoints -------------------------------------------------------------------------

    def checkpoint_before(self, item_id: int, position: Position
                          ) -> tuple[Position, str] | None:
        """Return the item's latest checkpoint before ``position``, with its state."""
        row = self.conn.execute(
            select(valuation_checkpoints.c.occurred_at, valuation_checkpoints.c.movement_id,
                   valuation_checkpoints.c.state)
            .where(valuation_checkpoints.c.item_id == item_id,
                   ~_after(valuation_checkpoints, position, "movement_id"),
                   valuation_checkpoints.c.movement_id != position[1])
            .order_by(valuation_checkpoints.c.occurred_at.desc(),
                      valuation_checkpoints.c.movement_id.desc()).limit(1)).first()
        return None if row is None else ((row.occurred_at, int(row.movement_id)), row.state)

    def replace_checkpoints(self, item_id: int, after: Position | None,
                            found: Sequence[tuple[Position, str]]) -> None:
        """Drop the item's checkpoints after ``after`` (all when None); add ``found``."""
        stale = delete(valuation_checkpoints).where(valuation_checkpoints.c.item_id == item_id)
        if after is not None:
            stale = stale.where(_after(valuation_checkpoints, after, "movement_id"))
        self.conn.execute(stale)
        if found:
            self.conn.execute(insert(valuation_checkpoints), [
                {"item_id": item_id, "occurred_at": at, "movement_id": movement_id,
                 "state": state} for (at, movement_id), state in found])

    # --- movements and their stored values ---------------------------------------------------

    def movements_after(self, item_id: int, after: Position | None, upto_seq: int
                        ) -> list[Row[Any]]:
        """Return the item's movements after ``after`` (all when None) up to ``upto_seq``,
        in business-time then posting order."""
        query = (select(movements.c.id, movements.c.seq, movements.c.qty,
                        movements.c.source_id, movements.c.target_id, movements.c.unit_cost,
                        movements.c.occurred_at, movements.c.reverses,
                        movements.c.shipment_id)
                 .where(movements.c.item_id == item_id, movements.c.seq <= upto_seq)
                 .order_by(movements.c.occurred_at, movements.c.id))
        if after is not None:
            query = query.where(_after(movements, after))
        return list(self.conn.execute(query))

    def stored_after(self, item_id: int, after: Position | None
                     ) -> tuple[dict[int, dict[str, tuple[int, int]]], dict[int, str]]:
        """Return the current value of each of the item's movements after ``after``: the
        sums of its entries' (amount, uncosted) by category, and its latest takes."""
        entries = valuation_entries
        condition = [entries.c.item_id == item_id]
        if after is not None:
            condition.append(_after(entries, after, "entry_key"))
        sums = self.conn.execute(
            select(entries.c.entry_key, entries.c.category,
                   func.sum(entries.c.amount).label("amount"),
                   func.sum(entries.c.uncosted).label("uncosted"))
            .where(*condition)
            .group_by(entries.c.entry_key, entries.c.category))
        values: dict[int, dict[str, tuple[int, int]]] = {}
        for r in sums:
            values.setdefault(int(r.entry_key), {})[r.category] = (int(r.amount),
                                                                  int(r.uncosted))
        takes = {int(r.entry_key): r.takes for r in self.conn.execute(
            select(entries.c.entry_key, entries.c.takes)
            .where(*condition, valuation_entries.c.takes.is_not(None))
            .order_by(valuation_entries.c.id))}
        return values, takes

    def landed_after(self, item_id: int, after: Position | None) -> list[Row[Any]]:
        """Return the item's landed cost lines after ``after`` (their position: the landed
        cost's time, ``LANDED_KEYS`` + the line's id) with the receipt's units, in no order."""
        lines, costs = landed_cost_lines, landed_costs
        query = (select(lines.c.id, lines.c.movement_id, lines.c.amount, costs.c.occurred_at,
                        movements.c.qty)
                 .join(costs, costs.c.id == lines.c.landed_cost_id)
                 .join(movements, movements.c.id == lines.c.movement_id)
                 .where(lines.c.item_id == item_id))
        if after is not None:
            query = query.where(costs.c.occurred_at >= after[0])
        found: list[Any] = [r for r in self.conn.execute(query)
                            if after is None or (r.occurred_at, LANDED_KEYS + int(r.id)) > after]
        return found

    def revaluations_after(self, item_id: int, after: Position | None) -> list[Any]:
        """Return the item's revaluations after ``after`` (their position: their time,
        ``REVALUATION_KEYS`` + id), in no order."""
        query = select(revaluations.c.id, revaluations.c.occurred_at,
                       revaluations.c.unit_cost).where(revaluations.c.item_id == item_id)
        if after is not None:
            query = query.where(revaluations.c.occurred_at >= after[0])
        return [r for r in self.conn.execute(query)
                if after is None or (r.occurred_at, REVALUATION_KEYS + int(r.id)) > after]

    def revaluation(self, owner_id: int, reference: str) -> Any:
        """Return a revaluation of the owner by reference, if there is one."""
        return self.conn.execute(select(revaluations).where(
            revaluations.c.owner_id == owner_id, revaluations.c.reference == reference)).first()

    def add_revaluation(self, values: dict[str, Any]) -> int:
        """Record a revaluation; return its id."""
        return int(self.conn.execute(insert(revaluations).values(**values)
                                     .returning(revaluations.c.id)).scalar_one())

    def entries_of(self, item_id: int, key: int) -> list[Any]:
        """Return the value entries stored under one key of an item, oldest first."""
        return list(self.conn.execute(
            select(valuation_entries).where(valuation_entries.c.item_id == item_id,
                                            valuation_entries.c.entry_key == key)
            .order_by(valuation_entries.c.id)))

    def takes_of(self, movement_id: int) -> tuple[Position, str] | None:
        """Return an outbound movement's position and latest stored takes (JSON), if any."""
        rows = fetch(self.conn, _TAKES_OF, {"movement_id": movement_id})
        at = None if not rows else aware_time(rows[0].occurred_at)
        return None if at is None else ((at, movement_id), str(rows[0].takes))

    def add_entries(self, rows: list[dict[str, Any]]) -> None:
        """Append value entries (owner_id, item_id, movement_id, occurred_at, category,
        units, amount, uncosted, takes, cause_id)."""
        if rows:
            execute_rows(self.conn, _INSERT_ENTRY, rows)


    # --- landed costs ------------------------------------------------------------------------

    def receipts(self, ids: Sequence[int]) -> dict[int, Any]:
        """Return movements by id with their item's SKU, decimals and weight, and whether a
        later movement reverses them."""
        reversal = movements.alias("reversal")
        rows = self.conn.execute(
            select(movements.c.id, movements.c.owner_id, movements.c.item_id, movements.c.kind,
                   movements.c.qty, movements.c.unit_cost, movements.c.occurred_at,
                   movements.c.reverses, items.c.sku, items.c.decimals, items.c.weight,
                   select(reversal.c.id).where(reversal.c.reverses == movements.c.id)
                   .scalar_subquery().label("reversed_by"))
            .join(items, items.c.id == movements.c.item_id)
            .where(movements.c.id.in_(list(ids))))
        return {int(r.id): r for r in rows}

    def landed_cost(self, owner_id: int, reference: str) -> tuple[Row[Any], list[Row[Any]]] | None:
        """Return a landed cost of the owner by reference, with its lines (by id)."""
        found = self.conn.execute(select(landed_costs).where(
            landed_costs.c.owner_id == owner_id, landed_costs.c.reference == reference)).first()
        if found is None:
            return None
        lines = list(self.conn.execute(
            select(landed_cost_lines, items.c.sku, items.c.decimals, movements.c.qty)
            .join(items, items.c.id == landed_cost_lines.c.item_id)
            .join(movements, movements.c.id == landed_cost_lines.c.movement_id)
            .where(landed_cost_lines.c.landed_cost_id == found.id)
            .order_by(landed_cost_lines.c.id)))
        return found, lines

    def add_landed_cost(self, values: dict[str, Any], lines: list[dict[str, Any]]
                        ) -> list[int]:
        """Record a landed cost and its lines (item_id, movement_id, amount); return the
        lines' ids in order."""
        cost_id = self.conn.execute(insert(landed_costs).values(**values)
                                    .returning(landed_costs.c.id)).scalar_one()
        return [int(self.conn.execute(insert(landed_cost_lines)
                                      .values(landed_cost_id=cost_id, **line)
                                      .returning(landed_cost_lines.c.id)).scalar_one())
                for line in lines]

    # --- reports -------------------------------------------------------------------------------

    def totals_before(self, owner_id: int, item_id: int | None, before: datetime
                      ) -> dict[int, tuple[int, int, int]]:
        """Return each item's stock before ``before`` from its entries: scaled units, value in
        minor units, and units valued at zero (uncosted)."""
        query = (select(valuation_entries.c.item_id,
                        func.sum(valuation_entries.c.units).label("units"),
                        func.sum(valuation_entries.c.amount).label("amount"),
                        func.sum(valuation_entries.c.uncosted).label("uncosted"))
                 .where(valuation_entries.c.owner_id == owner_id,
                        valuation_entries.c.occurred_at < before)
                 .group_by(valuation_entries.c.item_id))
        if item_id is not None:
            query = query.where(valuation_entries.c.item_id == item_id)
        return {int(r.item_id): (int(r.units), int(r.amount), int(r.uncosted))
                for r in self.conn.execute(query)}

    def holdings(self, owner_id: int, item_id: int | None, before: datetime
                 ) -> dict[tuple[int, int], int]:
        """Return the units each of the owner's items held at each location before
        ``before`` (internal locations and transit), by (item, location): the balances less
        what moved at or after ``before``."""
        holds = or_(locations.c.kind == "internal", locations.c.path == TRANSIT)
        query = (select(balances.c.item_id, balances.c.location_id,
                        func.sum(balances.c.qty).label("qty"))
                 .join(locations, locations.c.id == balances.c.location_id)
                 .where(balances.c.owner_id == owner_id, holds)
                 .group_by(balances.c.item_id, balances.c.location_id))
        later = (select(movements.c.item_id, movements.c.source_id, movements.c.target_id,
                        func.sum(movements.c.qty).label("qty"))
                 .where(movements.c.owner_id == owner_id, movements.c.occurred_at >= before)
                 .group_by(movements.c.item_id, movements.c.source_id, movements.c.target_id))
        if item_id is not None:
            query = query.where(balances.c.item_id == item_id)
            later = later.where(movements.c.item_id == item_id)
        found = {(int(r.item_id), int(r.location_id)): int(r.qty)
                 for r in self.conn.execute(query)}
        for r in self.conn.execute(later):  # undo what came and went since
            for location_id, sign in ((int(r.target_id), -1), (int(r.source_id), 1)):
                key = (int(r.item_id), location_id)
                if key in found:  # a place that holds stock (it has a balance row)
                    found[key] += sign * int(r.qty)
        return found

    def sales_between(self, owner_id: int, item_id: int | None, start: datetime,
                      stop: datetime) -> list[Row[Any]]:
        """Return the entries of sales, customer returns and corrections dated within
        [start, stop), with the shipment whose price each one's units carry."""
        moved, reversed_ = movements.alias("moved"), movements.alias("reversed")
        entries = valuation_entries
        query = (select(entries.c.item_id, entries.c.movement_id, entries.c.category,
                        entries.c.units, entries.c.amount, entries.c.occurred_at,
                        moved.c.reverses,
                        moved.c.shipment_id,
                        func.coalesce(reversed_.c.shipment_id, reversed_.c.reverses)
                        .label("reversed_shipment"))
                 .select_from(entries.join(moved, moved.c.id == entries.c.movement_id)
                              .outerjoin(reversed_, reversed_.c.id == moved.c.reverses))
                 .where(entries.c.owner_id == owner_id, entries.c.occurred_at >= start,
                        entries.c.occurred_at < stop,
                        entries.c.category.in_(("sale", "customer_return", "correction")))
                 .order_by(entries.c.id))
        if item_id is not None:
            query = query.where(entries.c.item_id == item_id)
        return list(self.conn.execute(query))

    def entries(self, item_id: int, since: datetime | None, until: datetime | None
                ) -> list[Row[Any]]:
        """Return the item's value entries dated within [since, until), in business-time
        then posting order."""
        entries = valuation_entries
        query = (select(entries.c.movement_id, entries.c.occurred_at, entries.c.category,
                        entries.c.units, entries.c.amount, entries.c.uncosted,
                        entries.c.cause_id)
                 .where(entries.c.item_id == item_id)
                 .order_by(entries.c.occurred_at, entries.c.movement_id, entries.c.id))
        if since is not None:
            query = query.where(entries.c.occurred_at >= since)
        if until is not None:
            query = query.where(entries.c.occurred_at < until)
        return list(self.conn.execute(query))

    def category_totals(self, owner_id: int, start: datetime, stop: datetime
                        ) -> dict[str, int]:
        """Return the owner's stock value change by category within [start, stop), in minor
        units."""
        rows = self.conn.execute(
            select(valuation_entries.c.category,
                   func.sum(valuation_entries.c.amount).label("amount"))
            .where(valuation_entries.c.owner_id == owner_id,
                   valuation_entries.c.occurred_at >= start,
                   valuation_entries.c.occurred_at < stop)
            .group_by(valuation_entries.c.category))
        return {r.category: int(r.amount) for r in rows}


def _after(table: Any, position: Position, column: str = "id") -> Any:
    """Rows strictly after ``position`` in business-time then posting order."""
    at, movement_id = position
    return or_(table.c.occurred_at > at,
               and_(table.c.occurred_at == at, table.c[column] > movement_id))


def _items(valued: Any, last: Any) -> Any:
    return select(items.c.id, items.c.owner_id, valued.label("valued"), last.label("last"),
                  items.c.decimals, items.c.cost_method, owners.c.currency)


def _insert_head(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (dialect.insert(item_valuations)
            .values(item_id=bindparam("item_id"), valued_seq=0, since_checkpoint=0)
            .on_conflict_do_nothing(index_elements=[item_valuations.c.item_id]))


_ENTRY_COLUMNS = ("owner_id", "item_id", "movement_id", "entry_key", "occurred_at",
                  "category", "units", "amount", "uncosted", "takes", "cause_id")
_INSERT_ENTRY = insert(valuation_entries).values({name: bindparam(name)
                                                   for name in _ENTRY_COLUMNS})
_TAKES_OF = (select(valuation_entries.c.occurred_at, valuation_entries.c.takes)
             .where(valuation_entries.c.movement_id == bindparam("movement_id"),
                    valuation_entries.c.entry_key == bindparam("movement_id"),
                    valuation_entries.c.takes.is_not(None))
             .order_by(valuation_entries.c.id.desc()).limit(1))
