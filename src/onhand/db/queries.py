"""The read side: stock levels, history and the catalog, answered without scanning the ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection, Row

from onhand.db.catalog import Catalog
from onhand.db.tables import (
    balances,
    item_barcodes,
    items,
    journal_exports,
    locations,
    movements,
    order_lines,
    order_movements,
    owners,
)
from onhand.domain.items import Item
from onhand.domain.locations import Location
from onhand.domain.movements import Movement
from onhand.domain.owners import Owner
from onhand.domain.quantities import from_units

Level = tuple[int, int, str, int]  # item_id, location_id, lot, scaled qty


class Queries:
    """Reads inside the unit of work's transaction."""

    def __init__(self, conn: Connection, catalog: Catalog) -> None:
        self.conn = conn
        self.catalog = catalog

    def items_at(self, path: str) -> list[int]:
        """Return the ids of items with a balance at ``path`` or below."""
        return [int(i) for i in self.conn.execute(
            select(balances.c.item_id).distinct()
            .join(locations, locations.c.id == balances.c.location_id)
            .where(_within(path))).scalars()]

    def transit_units(self, item_id: int) -> int:
        """Return the units of an item in transit between warehouses."""
        return int(self.conn.execute(
            select(func.coalesce(func.sum(balances.c.qty), 0))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.item_id == item_id, locations.c.path == "transit")).scalar_one())

    def sellable(self, location_id: int) -> bool:
        """Tell whether stock at a location counts toward available."""
        return bool(self.conn.execute(
            select(locations.c.sellable).where(locations.c.id == location_id)).scalar_one())

    # --- movements ---------------------------------------------------------------------------

    def movements(self, ids: Sequence[int]) -> list[Movement]:
        """Return the movements with ``ids``, in the order of ``ids``."""
        rows = {r.id: r for r in self.conn.execute(select(movements).where(movements.c.id.in_(ids)))}
        return [self.to_movement(rows[i]) for i in ids if i in rows]

    def movement_row(self, movement_id: int) -> Row[Any] | None:
        """Return the stored row of one movement."""
        return self.conn.execute(select(movements).where(movements.c.id == movement_id)).first()

    def last_unit_cost(self, item_id: int) -> Decimal | None:
        """Return the unit cost of the item's latest receipt that had one (reversals aside)."""
        row = self.conn.execute(
            select(movements.c.unit_cost)
            .where(movements.c.item_id == item_id, movements.c.kind == "receipt",
                   movements.c.unit_cost.is_not(None), movements.c.reverses.is_(None))
            .order_by(movements.c.occurred_at.desc(), movements.c.id.desc()).limit(1)).first()
        return None if row is None else Decimal(row.unit_cost)

    def shipped_units(self, shipment_id: int) -> int:
        """Return how many units (scaled) a shipment shipped."""
        return int(self.conn.execute(
            select(movements.c.qty).where(movements.c.id == shipment_id)).scalar_one())

    def returned_units(self, shipment_id: int) -> int:
        """Return how many units (scaled) have been returned against a shipment, net of reversals."""
        undo = movements.alias("undo")
        total = self.conn.execute(
            select(func.coalesce(func.sum(movements.c.qty), 0))
            .where(movements.c.shipment_id == shipment_id,
                   ~select(undo.c.id).where(undo.c.reverses == movements.c.id).exists())
        ).scalar_one()
        return int(total)

    def history(
        self, *, item_id: int | None, owner_id: int | None, under: str | None,
        since: datetime | None, until: datetime | None, limit: int,
        after: tuple[datetime, int] | None = None,
    ) -> list[Movement]:
        """Return movements in ``(occurred_at, id)`` order, filtered, at most ``limit``.

        ``after`` is a keyset cursor: the ``(occurred_at, id)`` of the last movement seen.
        """
        query = select(movements)
        if item_id is not None:
            query = query.where(movements.c.item_id == item_id)
        if owner_id is not None:
            query = query.where(movements.c.owner_id == owner_id)
        if under is not None:
            ids = select(locations.c.id).where(_within(under))
            query = query.where(movements.c.source_id.in_(ids) | movements.c.target_id.in_(ids))
        if since is not None:
            query = query.where(movements.c.occurred_at >= since)
        if until is not None:
            query = query.where(movements.c.occurred_at <= until)
        if after is not None:
            at, last_id = after
            query = query.where((movements.c.occurred_at > at)
                                | ((movements.c.occurred_at == at) & (movements.c.id > last_id)))
        query = query.order_by(movements.c.occurred_at, movements.c.id).limit(limit)
        return [self.to_movement(r) for r in self.conn.execute(query)]

    def to_movement(self, row: Row[Any]) -> Movement:
        """Return the domain value of a stored movement row."""
        item = self.catalog.item_by_id(self.conn, row.item_id)
        return Movement(
            id=int(row.id), kind=row.kind, sku=item.sku,
            owner=self.catalog.owner_code(self.conn, row.owner_id),
            qty=from_units(int(row.qty), item.decimals),
            source=self.catalog.location_by_id(self.conn, row.source_id).path,
            target=self.catalog.location_by_id(self.conn, row.target_id).path,
            lot=row.lot or None, reference=row.reference, reason=row.reason,
            unit_cost=row.unit_cost, occurred_at=row.occurred_at, recorded_at=row.recorded_at,
            reverses=row.reverses, seq=int(row.seq), shipment_id=row.shipment_id,
        )

    # --- stock -------------------------------------------------------------------------------

    def item_levels(self, item_id: int, lot: str | None = None,
                    under: str | None = None) -> list[Level]:
        """Return the current balance rows of one item (at ``under`` and below): no ledger scan."""
        params: dict[str, Any] = {"item_id": item_id, "lot": lot}
        if under is not None:
            params.update(path=under, prefix=under + "/", length=len(under) + 1)
        rows = self.conn.execute(_item_levels(lot is not None, under is not None), params)
        return [(item_id, r.location_id, r.lot, int(r.qty)) for r in rows]

    def flows_after(self, item_id: int | None, after: datetime,
                    owner_id: int | None = None) -> list[tuple[int, int, int, str, int]]:
        """Return net quantities moved after ``after``: (item, source, target, lot, qty) sums.

        Subtracting them from the current balances gives the balances as of ``after``; the
        ``(item_id, occurred_at)`` index bounds the work by the item's later movements.
        """
        params = {"after": after, "item_id": item_id, "owner_id": owner_id}
        rows = self.conn.execute(_flows_after(item_id is not None, owner_id is not None), params)
        return [(r.item_id, r.source_id, r.target_id, r.lot, int(r.qty)) for r in rows]

    def levels(self, *, owner_id: int | None, under: str | None) -> list[Level]:
        """Return the non-zero balances at internal locations (of an owner, within locations)."""
        query = (
            select(balances.c.item_id, balances.c.location_id, balances.c.lot, balances.c.qty)
            .join(locations, locations.c.id == balances.c.location_id)
            .where(locations.c.kind == "internal", balances.c.qty != 0)
        )
        if owner_id is not None:
            query = query.where(balances.c.owner_id == owner_id)
        if under is not None:
            query = query.where(_within(under))
        return [(r.item_id, r.location_id, r.lot, int(r.qty)) for r in self.conn.execute(query)]

    # --- catalog -----------------------------------------------------------------------------

    def items(self, owner_id: int | None = None, after_sku: str | None = None,
              limit: int | None = None) -> list[Item]:
        """Return items ordered by owner and SKU, with their barcodes."""
        query = select(items).order_by(items.c.owner_id, items.c.sku)
        if owner_id is not None:
            query = query.where(items.c.owner_id == owner_id)
        if after_sku is not None:
            query = query.where(items.c.sku > after_sku)
        if limit is not None:
            query = query.limit(limit)
        rows = list(self.conn.execute(query))
        codes = self._barcodes([r.id for r in rows])
        return [self._to_item(r, codes.get(r.id, ())) for r in rows]

    def item(self, item_id: int) -> Item:
        """Return one item with its barcodes."""
        row = self.conn.execute(select(items).where(items.c.id == item_id)).one()
        return self._to_item(row, self._barcodes([item_id]).get(item_id, ()))

    def item_by_barcode(self, owner_id: int, barcode: str) -> int | None:
        """Return the id of the owner's item that carries ``barcode``."""
        row = self.conn.execute(select(item_barcodes.c.item_id).where(
            item_barcodes.c.owner_id == owner_id, item_barcodes.c.barcode == barcode)).first()
        return None if row is None else int(row.item_id)

    def owners(self) -> list[Owner]:
        """Return every owner, ordered by code."""
        rows = self.conn.execute(select(owners.c.code, owners.c.name, owners.c.currency,
                                        owners.c.time_zone).order_by(owners.c.code))
        return [Owner(*row) for row in rows]

    def locations(self) -> list[Location]:
        """Return every location, ordered by path."""
        rows = self.conn.execute(
            select(locations.c.path, locations.c.kind, locations.c.name, locations.c.sellable)
            .order_by(locations.c.path)
        )
        return [Location(r.path, r.kind, r.name, bool(r.sellable)) for r in rows]

    def _barcodes(self, item_ids: list[int]) -> dict[int, tuple[str, ...]]:
        found: dict[int, list[str]] = {}
        if item_ids:
            rows = self.conn.execute(
                select(item_barcodes.c.item_id, item_barcodes.c.barcode)
                .where(item_barcodes.c.item_id.in_(item_ids)).order_by(item_barcodes.c.barcode)
            )
            for r in rows:
                found.setdefault(r.item_id, []).append(r.barcode)
        return {k: tuple(v) for k, v in found.items()}

    def _to_item(self, row: Row[Any], codes: tuple[str, ...]) -> Item:
        return Item(
            sku=row.sku, name=row.name, owner=self.catalog.owner_code(self.conn, row.owner_id),
            unit=row.unit, decimals=row.decimals, barcodes=codes,
            allow_negative=bool(row.allow_negative), tracking=row.tracking,
            cost_method=row.cost_method, order_policy=row.order_policy, weight=row.weight,
            cost_required=bool(row.cost_required),
        )

    # --- verification ------------------------------------------------------------------------

    def ledger_fold(self) -> dict[tuple[int, int, str], int]:
        """Return every balance recomputed from the whole ledger (for ``verify`` only)."""
        fold: dict[tuple[int, int, str], int] = {}
        for side, sign in ((movements.c.target_id, 1), (movements.c.source_id, -1)):
            rows = self.conn.execute(
                select(movements.c.item_id, side.label("loc"), movements.c.lot,
                       func.sum(movements.c.qty).label("qty"))
                .group_by(movements.c.item_id, side, movements.c.lot)
            )
            for r in rows:
                key = (r.item_id, r.loc, r.lot)
                fold[key] = fold.get(key, 0) + sign * int(r.qty)
        return fold

    def all_balances(self) -> dict[tuple[int, int, str], int]:
        """Return every stored balance row."""
        rows = self.conn.execute(
            select(balances.c.item_id, balances.c.location_id, balances.c.lot, balances.c.qty)
        )
        return {(r.item_id, r.location_id, r.lot): int(r.qty) for r in rows}

    def negative_allowed(self) -> dict[int, bool]:
        """Return, for each item id, whether it may go below zero."""
        rows = self.conn.execute(select(items.c.id, items.c.allow_negative))
        return {r.id: bool(r.allow_negative) for r in rows}

    def ledger_in_chain_order(self) -> Iterator[Row[Any]]:
        """Yield every movement row ordered by item and sequence number, streaming."""
        result = self.conn.execution_options(yield_per=5000).execute(
            select(movements).order_by(movements.c.item_id, movements.c.seq)
        )
        yield from result

    # --- valuation ---------------------------------------------------------------------------

    def valued_items(self, owner_id: int | None, item_id: int | None) -> list[Row[Any]]:
        """Return items (of one owner, or all; or one) with their cost method, by owner and
        SKU."""
        query = (select(items.c.id, items.c.owner_id, items.c.sku, items.c.decimals,
                        items.c.cost_method)
                 .join(owners, owners.c.id == items.c.owner_id)
                 .order_by(owners.c.code, items.c.sku))
        if owner_id is not None:
            query = query.where(items.c.owner_id == owner_id)
        if item_id is not None:
            query = query.where(items.c.id == item_id)
        return list(self.conn.execute(query))

    def valuation_movements(self, owner_id: int | None, item_id: int | None,
                            before: datetime) -> list[Row[Any]]:
        """Return the movements valuation replays, dated before ``before``, by item then
        business time then posting order."""
        query = (select(movements.c.id, movements.c.item_id, movements.c.qty,
                        movements.c.source_id, movements.c.target_id, movements.c.unit_cost,
                        movements.c.occurred_at, movements.c.reverses, movements.c.shipment_id)
                 .where(movements.c.occurred_at < before)
                 .order_by(movements.c.item_id, movements.c.occurred_at, movements.c.id))
        if owner_id is not None:
            query = query.where(movements.c.owner_id == owner_id)
        if item_id is not None:
            query = query.where(movements.c.item_id == item_id)
        return list(self.conn.execute(query))

    def journal_exports(self, owner_id: int, since: date, until: date
                        ) -> list[tuple[date, date]]:
        """Return the periods of the owner's journal exports that overlap since..until."""
        rows = self.conn.execute(
            select(journal_exports.c.since, journal_exports.c.until)
            .where(journal_exports.c.owner_id == owner_id, journal_exports.c.since <= until,
                   journal_exports.c.until >= since)
            .order_by(journal_exports.c.id))
        return [(r.since, r.until) for r in rows]

    def sale_prices(self, owner_id: int | None) -> dict[int, Decimal]:
        """Return the unit price of each movement posted for a priced order line."""
        query = (select(order_movements.c.movement_id, order_lines.c.unit_price)
                 .join(order_lines, order_lines.c.id == order_movements.c.order_line_id)
                 .where(order_lines.c.unit_price.is_not(None)))
        if owner_id is not None:
            query = query.where(order_lines.c.owner_id == owner_id)
        return {int(r.movement_id): Decimal(str(r.unit_price)) for r in self.conn.execute(query)}


def _within(path: str) -> Any:
    """Match the location at ``path`` and every location below it, read fresh from the table
    (another process may have added a sub-location since this one cached the tree)."""
    prefix = path + "/"
    return (locations.c.path == path) | (func.substr(locations.c.path, 1, len(prefix)) == prefix)


@cache
def _item_levels(by_lot: bool, by_location: bool) -> Any:
    """Return the statement reading one item's balance rows (built once per variant)."""
    query = select(balances.c.location_id, balances.c.lot, balances.c.qty).where(
        balances.c.item_id == bindparam("item_id"))
    if by_lot:
        query = query.where(balances.c.lot == bindparam("lot"))
    if by_location:
        query = query.join(locations, locations.c.id == balances.c.location_id).where(
            (locations.c.path == bindparam("path"))
            | (func.substr(locations.c.path, 1, bindparam("length")) == bindparam("prefix")))
    return query


@cache
def _flows_after(by_item: bool, by_owner: bool) -> Any:
    """Return the statement summing the movements after a time (built once per variant)."""
    query = (
        select(movements.c.item_id, movements.c.source_id, movements.c.target_id,
               movements.c.lot, func.sum(movements.c.qty).label("qty"))
        .where(movements.c.occurred_at > bindparam("after", type_=movements.c.occurred_at.type))
        .group_by(movements.c.item_id, movements.c.source_id, movements.c.target_id,
                  movements.c.lot)
    )
    if by_item:
        query = query.where(movements.c.item_id == bindparam("item_id"))
    if by_owner:
        query = query.where(movements.c.owner_id == bindparam("owner_id"))
    return query
