"""Importing a Shopify inventory export: its "On hand" becomes onhand's balance, in one batch.

Every row is checked before anything is written: unknown SKUs and locations are refused
(each row reported) unless ``create`` is given. With ``create``, the missing items and
top-level locations are added in the same transaction as the batch: all or nothing.

Handler: ``ImportShopify``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from onhand.domain import shopify
from onhand.domain.imports import (
    ImportReport,
    ImportShopify,
    Progress,
    Rejection,
    parse_rows,
    read_rows,
)
from onhand.domain.items import Item, check_item
from onhand.domain.movements import MovementRequest
from onhand.domain.quantities import Quantity
from onhand.domain.shopify import StockRow
from onhand.errors import InvalidInput, OnhandError
from onhand.services import catalog, imports, movements, stock
from onhand.services.executor import UnitOfWork, handles


def import_shopify(uow: UnitOfWork, text: str, *, owner: str = "default", create: bool = False,
                   dry_run: bool = False, locations: Mapping[str, str] | None = None,
                   reference: str | None = "shopify", key: str | None = None,
                   max_lines: int = 100_000, progress: Progress | None = None) -> ImportReport:
    """Make onhand's balances agree with the "On hand" column of a Shopify inventory export.

    ``locations`` renames Shopify location names to onhand paths (``{"Main St": "WH1"}``);
    unmapped names are used as paths. Returns the report; nothing is written unless every
    row is good, nor ever on a dry run.
    """
    rows = read_rows(text, columns=shopify.COLUMNS, required=shopify.REQUIRED, strict=False)
    if not rows:
        raise InvalidInput("line 1: the file has no data rows", field="file", line=1)
    stocked = [row for row in rows if not shopify.is_not_stocked(row)]
    parsed, rejected = parse_rows(stocked, lambda row: shopify.stock_row(row, locations or {}),
                                  progress)
    plan = _plan(uow, [row for _, row in parsed], owner=owner, create=create,
                 reference=reference)
    rejected += plan.rejected
    rejected += imports.check_lines(uow, _requests(plan.known, owner), [n for n, _ in plan.known],
                                    partial=bool(rejected))
    report = ImportReport(
        rows=len(rows), rejected=tuple(sorted(rejected, key=lambda r: r.line or 0)),
        dry_run=dry_run, skipped=len(rows) - len(stocked), unchanged=plan.unchanged,
        created_items=tuple(item.sku for item in plan.items), created_locations=plan.places,
    )
    if rejected or dry_run or not (plan.lines or plan.items or plan.places):
        return report
    if not plan.lines:
        catalog.add_items(uow, plan.items, locations=plan.places)
        return report

    def create_catalog(uow: UnitOfWork) -> None:  # in the batch's own transaction: all or nothing
        catalog.create_in(uow, plan.items, locations=plan.places)

    written = movements.post(uow, _requests(plan.lines, owner), owner=owner, key=key,
                             max_lines=max_lines, setup=create_catalog)
    return replace(report, written=len(written))


@handles(ImportShopify)
def shopify_file(uow: UnitOfWork, command: ImportShopify) -> ImportReport:
    """Import a Shopify inventory export."""
    return import_shopify(uow, command.text, owner=command.owner, create=command.create,
                          dry_run=command.dry_run, locations=dict(command.locations),
                          reference=command.reference, key=command.key,
                          max_lines=command.max_lines, progress=command.progress)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the import will do: its batch lines, those checkable now, and what it creates."""

    lines: list[tuple[int, dict[str, Any]]]
    known: list[tuple[int, dict[str, Any]]]
    items: list[Item]
    places: tuple[str, ...]
    rejected: list[Rejection]
    unchanged: int


def _plan(uow: UnitOfWork, rows: list[StockRow], *, owner: str, create: bool,
          reference: str | None) -> _Plan:
    """Return the movements that bring each row's balance to its on hand, and the gaps."""
    known_items = {item.sku for item in catalog.list_items(uow, owner=owner)}
    known_places = {place.path for place in catalog.list_locations(uow) if place.kind == "internal"}
    items, refused = _new_items(rows, known_items, owner, create)
    places, refused_places = _new_places(rows, known_places, create)
    held = _held(uow, owner, {row.location for row in rows if row.location in known_places})
    per_row = [(row.line, shopify.movements_for(row, held.get((row.sku, row.location), {}),
                                                reference)) for row in rows]
    lines = [(n, line) for n, row_lines in per_row for line in row_lines]
    known = [(n, line) for n, line in lines
             if line["sku"] in known_items and line["location"] in known_places]
    return _Plan(lines=lines, known=known, items=items, places=tuple(places),
                 rejected=shopify.duplicates(rows) + refused + refused_places,
                 unchanged=sum(1 for _, row_lines in per_row if not row_lines))


def _new_items(rows: list[StockRow], known: set[str], owner: str,
               create: bool) -> tuple[list[Item], list[Rejection]]:
    """Return the items to create for unknown SKUs, and the rows refused for them."""
    items: dict[str, Item] = {}
    refused = []
    for row in rows:
        if row.sku in known or row.sku in items:
            continue
        if not create:
            refused.append(Rejection(row.line, f"unknown sku {row.sku!r}; import with create "
                                     "(--create) to add it", "sku"))
            continue
        try:
            items[row.sku] = check_item(Item(sku=row.sku, name=row.name, owner=owner))
        except OnhandError as error:
            refused.append(Rejection(row.line, error.message, error.fields().get("field")))
    return list(items.values()), refused


def _new_places(rows: list[StockRow], known: set[str],
                create: bool) -> tuple[list[str], list[Rejection]]:
    """Return the top-level locations to create, and the rows refused for unknown ones."""
    places: list[str] = []
    refused = []
    for row in rows:
        if row.location in known or row.location in places:
            continue
        if create and "/" not in row.location:
            places.append(row.location)
            continue
        how = ("create adds only top-level locations" if create
               else "map the Shopify name to a location, or import with create (--create)")
        refused.append(Rejection(row.line, f"unknown location {row.location!r}; {how}",
                                 "location"))
    return places, refused


def _held(uow: UnitOfWork, owner: str,
          places: Iterable[str]) -> dict[tuple[str, str], dict[str, Quantity]]:
    """Return the stock of every item at each place, by the place and its sub-locations."""
    held: dict[tuple[str, str], dict[str, Quantity]] = {}
    for place in sorted(places):
        for level in stock.levels(uow, owner=owner, location=place):
            held[(level.sku, place)] = dict(level.by_location)
    return held


def _requests(lines: list[tuple[int, dict[str, Any]]], owner: str) -> list[MovementRequest]:
    return [MovementRequest(owner=owner, **line) for _, line in lines]
