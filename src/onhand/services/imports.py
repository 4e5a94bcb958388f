"""Importing CSV files: movements and items, validated completely, then written all or nothing.

Each import reads every row, reports every rejected row with its CSV line, and writes
nothing unless all rows are good (nor ever on a dry run). Movements are checked as one
batch first (:func:`onhand.services.movements.check`, which rolls back), then posted as
one batch; items are inserted and rolled back to check, then added in one transaction.

Handlers: ``ImportMovements``, ``ImportItems`` (``ImportShopify``: services/shopify.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from importlib import resources
from typing import Any

from onhand.domain.imports import (
    ITEM_COLUMNS,
    MOVEMENT_COLUMNS,
    ImportItems,
    ImportMovements,
    ImportReport,
    Parsed,
    Progress,
    Rejection,
    item_from_row,
    movement_line,
    parse_rows,
    read_rows,
    rejection,
)
from onhand.domain.movements import MovementRequest
from onhand.errors import BatchTooLarge, InsufficientStock, InvalidInput, OnhandError
from onhand.services import catalog, movements
from onhand.services.executor import UnitOfWork, handles

TEMPLATES = ("movements", "items", "shopify")


def template(name: str) -> str:
    """Return the CSV template (header and example rows) of the import ``name``."""
    if name not in TEMPLATES:
        raise InvalidInput(f"no template {name!r}; there are: {', '.join(TEMPLATES)}",
                           field="template")
    return resources.files("onhand").joinpath("templates", f"{name}.csv").read_text("utf-8")


def parse_movements(text: str, *, max_lines: int = 100_000,
                    progress: Progress | None = None) -> Parsed:
    """Read and parse a CSV file of movements (no database: before the transaction)."""
    rows = read_rows(text, columns=MOVEMENT_COLUMNS, required=("kind", "sku", "qty"))
    _check_size(rows, max_lines)
    good, rejected = parse_rows(rows, movement_line, progress)
    return Parsed(len(rows), tuple(good), tuple(rejected))


def parse_items(text: str, *, owner: str, progress: Progress | None = None) -> Parsed:
    """Read and parse a CSV file of items (no database: before the transaction)."""
    rows = read_rows(text, columns=ITEM_COLUMNS, required=("sku", "name"))
    if not rows:
        raise InvalidInput("line 1: the file has no data rows", field="file", line=1)
    good, rejected = parse_rows(rows, lambda row: item_from_row(row, owner), progress)
    return Parsed(len(rows), tuple(good), tuple(rejected))


def import_movements(uow: UnitOfWork, text: str, *, owner: str = "default",
                     key: str | None = None, dry_run: bool = False,
                     max_lines: int = 100_000, progress: Progress | None = None,
                     parsed: Parsed | None = None) -> ImportReport:
    """Post the movements of a CSV file (``MOVEMENT_COLUMNS``) as one all-or-nothing batch
    (``parsed``: the file parsed already, by :func:`parse_movements`).

    With ``key``, importing the same file again returns the first result and writes nothing.
    """
    if parsed is None:
        parsed = parse_movements(text, max_lines=max_lines, progress=progress)
    rejected = list(parsed.rejected)
    requests = [MovementRequest(owner=owner, **line) for _, line in parsed.good]
    if key and not rejected:
        first = movements.replay(uow, requests, owner=owner, key=key)
        if first is not None:  # imported before under this key: nothing to check or write
            return ImportReport(rows=parsed.rows, dry_run=dry_run, replayed=len(first))
    rejected += check_lines(uow, requests, [line for line, _ in parsed.good],
                            partial=bool(rejected))
    if rejected or dry_run:
        return _refused(parsed.rows, rejected, dry_run)
    _step(progress, "posting", 0, 1)
    written = movements.post(uow, requests, owner=owner, key=key, max_lines=max_lines)
    _step(progress, "posting", 1, 1)
    return ImportReport(rows=parsed.rows, written=len(written))


def import_items(uow: UnitOfWork, text: str, *, owner: str = "default", dry_run: bool = False,
                 progress: Progress | None = None, parsed: Parsed | None = None
                 ) -> ImportReport:
    """Create the items of a CSV file (``ITEM_COLUMNS``) in one all-or-nothing transaction
    (``parsed``: the file parsed already, by :func:`parse_items`)."""
    if parsed is None:
        parsed = parse_items(text, owner=owner, progress=progress)
    rejected = list(parsed.rejected)
    items = [item for _, item in parsed.good]
    lines = [line for line, _ in parsed.good]
    if items:
        rejected += [rejection(e, _csv_line(e, lines)) for e in catalog.check_items(uow, items)]
    if rejected or dry_run:
        return _refused(parsed.rows, rejected, dry_run)
    catalog.add_items(uow, items)
    return ImportReport(rows=parsed.rows, written=len(items))


def _parsed_movements(command: ImportMovements) -> ImportMovements:
    """Parse the file before the import's transaction opens (it never holds the write lock)."""
    if command.parsed is not None:
        return command
    return replace(command, parsed=parse_movements(command.text, max_lines=command.max_lines,
                                                   progress=command.progress))


def _parsed_items(command: ImportItems) -> ImportItems:
    """Parse the file before the import's transaction opens."""
    if command.parsed is not None:
        return command
    return replace(command, parsed=parse_items(command.text, owner=command.owner,
                                               progress=command.progress))


@handles(ImportMovements, prepare=_parsed_movements)
def movements_file(uow: UnitOfWork, command: ImportMovements) -> ImportReport:
    """Import a CSV file of movements."""
    return import_movements(uow, command.text, owner=command.owner, key=command.key,
                            dry_run=command.dry_run, max_lines=command.max_lines,
                            progress=command.progress, parsed=command.parsed)


@handles(ImportItems, prepare=_parsed_items)
def items_file(uow: UnitOfWork, command: ImportItems) -> ImportReport:
    """Import a CSV file of items."""
    return import_items(uow, command.text, owner=command.owner, dry_run=command.dry_run,
                        progress=command.progress, parsed=command.parsed)


def check_lines(uow: UnitOfWork, requests: Sequence[MovementRequest], lines: Sequence[int], *,
                partial: bool = False) -> list[Rejection]:
    """Return a rejection, on its CSV line, for every error posting ``requests`` would raise.

    ``partial`` says some rows were already refused: a shortage of stock found without
    them may be caused by their absence, so it is not reported against another row.
    """
    if not requests:
        return []
    errors = movements.check(uow, requests)
    return [rejection(error, _csv_line(error, lines)) for error in errors
            if not (partial and isinstance(error, InsufficientStock))]


def _check_size(rows: Sequence[Any], max_lines: int) -> None:
    if not rows:
        raise InvalidInput("line 1: the file has no data rows", field="file", line=1)
    if len(rows) > max_lines:
        raise BatchTooLarge(len(rows), max_lines)


def _csv_line(error: OnhandError, lines: Sequence[int]) -> int | None:
    """Return the CSV line of the batch line an error names (None when it names none)."""
    number = error.fields().get("line")
    if number is None and len(lines) == 1:
        number = 1  # a one-line batch raises without a line number
    if isinstance(number, int) and 1 <= number <= len(lines):
        return lines[number - 1]
    return None


def _refused(rows: int, rejected: list[Rejection], dry_run: bool) -> ImportReport:
    ordered = sorted(rejected, key=lambda r: (r.line or 0))
    return ImportReport(rows=rows, rejected=tuple(ordered), dry_run=dry_run)


def _step(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
