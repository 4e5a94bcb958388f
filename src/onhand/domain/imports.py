"""CSV files in and out: reading rows with their line numbers, and turning cells into values;
the bulk commands (the imports, the demo).

Pure functions over text (standard library only). A file's header is line 1, so the first
data row is line 2; a rejected row is reported with the line it starts on, as an editor
shows it. Empty cells mean "not given".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.items import Item, check_item
from onhand.domain.movements import Movement
from onhand.domain.quantities import Quantity, parse_number
from onhand.domain.times import parse_time
from onhand.errors import InvalidInput, InvalidQuantity, OnhandError

MOVEMENT_COLUMNS = ("kind", "sku", "qty", "location", "source", "target", "lot", "reference",
                    "reason", "unit_cost", "occurred_at", "shipment_id")
MOVEMENT_TEXT = ("kind", "sku", "location", "source", "target", "lot", "reference", "reason")
ITEM_COLUMNS = ("sku", "name", "unit", "decimals", "barcodes", "allow_negative", "tracking",
                "cost_method")
LEDGER_COLUMNS = ("id", "occurred_at", "kind", "sku", "owner", "qty", "source", "target", "lot",
                  "reference", "reason", "unit_cost", "reverses", "shipment_id", "recorded_at")
_TRUE, _FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
_WHOLE = re.compile(r"^[+-]?[0-9]+$")
_BARCODE_SEPARATORS = re.compile(r"[\s|;]+")

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while long work runs."""


@dataclass(frozen=True, slots=True)
class Row:
    """One data row of a CSV file: the line it starts on and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str | None:
        """Return the stripped cell ``name``, or None when it is missing or empty."""
        value = self.cells.get(name, "").strip()
        return value or None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one row of a file was refused: its CSV line, the field and the reason."""

    line: int | None
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import read, refused and wrote; nothing is written unless ``ok``."""

    rows: int
    rejected: tuple[Rejection, ...] = ()
    written: int = 0
    dry_run: bool = False
    skipped: int = 0
    unchanged: int = 0
    created_items: tuple[str, ...] = ()
    created_locations: tuple[str, ...] = ()
    replayed: int = 0  # movements an earlier import under the same key wrote

    @property
    def ok(self) -> bool:
        """Tell whether every row was accepted."""
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "ok": self.ok, "dry_run": self.dry_run, "rows": self.rows, "written": self.written,
            "skipped": self.skipped, "unchanged": self.unchanged,
            "created_items": list(self.created_items),
            "created_locations": list(self.created_locations), "replayed": self.replayed,
            "rejected": [{"line": r.line, "field": r.field, "message": r.message}
                         for r in self.rejected],
        }


def _imported(report: ImportReport) -> dict[str, Any] | None:
    """Return what the audit trail keeps of an import: None when it wrote nothing (a dry
    run, rejected rows, a replay of its key, or nothing to change)."""
    if report.dry_run or not report.ok or report.replayed or not (
            report.written or report.created_items or report.created_locations):
        return None
    effect: dict[str, Any] = {"rows": report.rows, "written": report.written}
    if report.created_items:
        effect["created_items"] = len(report.created_items)
    if report.created_locations:
        effect["created_locations"] = list(report.created_locations)
    return effect


@dataclass(frozen=True, slots=True)
class Parsed:
    """A CSV file read and parsed before its import's transaction opens: how many data rows,
    ``(CSV line, parsed row)`` for the good ones, a rejection for each bad one."""

    rows: int
    good: tuple[tuple[int, Any], ...]
    rejected: tuple[Rejection, ...]


class _OnFile:
    """What an import audits: how many rows its file had, and what it wrote (nothing
    written, nothing audited)."""

    __slots__ = ()

    def target(self, result: Any) -> str | None:
        return f"{result.rows} rows"

    def effect(self, result: Any) -> dict[str, Any] | None:
        return _imported(result)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportMovements(_OnFile, Command[ImportReport]):
    """Post the movements of a CSV file (``MOVEMENT_COLUMNS``) as one all-or-nothing batch;
    every bad row is reported by its CSV line. With ``key``, importing the same file again
    returns the first result and writes nothing; a ``dry_run`` writes nothing."""

    action = "imports.movements"
    text: str = field(repr=False)
    owner: str = "default"
    key: str | None = None
    dry_run: bool = False
    max_lines: int = 100_000
    progress: Progress | None = field(default=None, repr=False, compare=False)
    parsed: Parsed | None = field(default=None, repr=False, compare=False)  # by the executor


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportItems(_OnFile, Command[ImportReport]):
    """Create the items of a CSV file (``ITEM_COLUMNS``) in one all-or-nothing transaction;
    every bad row is reported by its CSV line; a ``dry_run`` writes nothing."""

    action = "imports.items"
    text: str = field(repr=False)
    owner: str = "default"
    dry_run: bool = False
    progress: Progress | None = field(default=None, repr=False, compare=False)
    parsed: Parsed | None = field(default=None, repr=False, compare=False)  # by the executor


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportShopify(_OnFile, Command[ImportReport]):
    """Make balances agree with the "On hand" column of a Shopify inventory export, in one
    batch. ``locations`` renames Shopify location names to paths (pairs ``(name, path)``);
    ``create`` adds unknown SKUs and top-level locations in the same transaction; a
    ``dry_run`` writes nothing."""

    action = "imports.shopify"
    text: str = field(repr=False)
    owner: str = "default"
    create: bool = False
    dry_run: bool = False
    locations: tuple[tuple[str, str], ...] = ()
    reference: str | None = "shopify"
    key: str | None = None
    max_lines: int = 100_000
    progress: Progress | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo holds: how many items, locations and movements, and over what time."""

    items: int
    locations: int
    movements: int
    built: bool  # False when the demo was already there


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildDemo(Command[DemoSummary]):
    """Fill an empty database with the demo (warehouses, items, four months of history);
    when the demo is there already, write nothing and answer what it holds. Audited once,
    after it, when it built something."""

    action = "demo.build"
    # run as a job: outside one unit of work, each step committing on its own (a month of
    # history per batch), as placing's early refusal reads only what is committed
    job = "demo"
    progress: Progress | None = field(default=None, repr=False, compare=False)

    def scope(self) -> str | None:
        return "default"  # its items, movements and orders are the default owner's

    def effect(self, result: Any) -> dict[str, Any] | None:
        if not result.built:
            return None
        return {"items": result.items, "locations": result.locations,
                "movements": result.movements}


def rejection(error: OnhandError, line: int | None) -> Rejection:
    """Return ``error`` as the rejection of CSV ``line`` (dropping a batch-line prefix)."""
    message = error.message
    batch_line = error.fields().get("line")
    prefix = f"line {batch_line}: "
    if batch_line is not None and message.startswith(prefix):
        message = message[len(prefix):]
    return Rejection(line=line, message=message, field=error.fields().get("field"))


def read_rows(text: str, *, columns: Sequence[str], required: Sequence[str],
              strict: bool = True) -> list[Row]:
    """Return the data rows of CSV ``text``, whose header names some of ``columns``.

    Headers match without regard to case or surrounding spaces. ``strict`` refuses columns
    not in ``columns`` (a misspelt header would otherwise be ignored silently); blank rows
    are skipped. Raises ``InvalidInput`` with ``line=1`` for a bad header.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in next(reader, [])]
    _check_header(header, columns, required, strict)
    rows, start = [], reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            rows.append(Row(start, dict(zip(header, cells, strict=False))))
        start = reader.line_num + 1
    return rows


def _check_header(header: list[str], columns: Sequence[str], required: Sequence[str],
                  strict: bool) -> None:
    def refuse(message: str) -> InvalidInput:
        return InvalidInput(f"line 1: {message}", field="header", line=1)

    if not any(header):
        raise refuse(f"the file is empty; the header names the columns: {', '.join(columns)}")
    unknown = [name for name in header if name not in columns]
    if strict and unknown:
        raise refuse(f"unknown column {unknown[0]!r}; the columns are: {', '.join(columns)}")
    missing = [name for name in required if name not in header]
    if missing:
        raise refuse(f"the column {missing[0]!r} is missing")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise refuse(f"the column {repeated[0]!r} appears twice")


def parse_rows(rows: Sequence[Row], parse: Callable[[Row], Any],
               progress: Progress | None = None) -> tuple[list[tuple[int, Any]], list[Rejection]]:
    """Return ``(line, parse(row))`` for the good rows and a rejection for each bad one."""
    good: list[tuple[int, Any]] = []
    bad: list[Rejection] = []
    for done, row in enumerate(rows, start=1):
        try:
            good.append((row.line, parse(row)))
        except OnhandError as error:
            bad.append(rejection(error, row.line))
        if progress is not None and (done % 500 == 0 or done == len(rows)):
            progress("reading", done, len(rows))
    return good, bad


# --- cells ------------------------------------------------------------------------------------


def number(text: str, field: str = "qty") -> Quantity:
    """Return the exact number ``text`` writes (``"3"``, ``"-2"``, ``"1.25"``), never a float.

    Only the form is checked here; the item's decimals and the sign are the ledger's rules.
    """
    return parse_number(text, field=field)


def money(text: str, field: str = "unit_cost") -> Decimal:
    """Return the amount ``text`` writes as an exact Decimal (``"2.50"``), or raise."""
    try:
        return Decimal(parse_number(text, field=field))
    except InvalidQuantity:
        raise InvalidInput(f"{field} is not a plain amount like 2.50", field=field,
                           value=text) from None


def whole(text: str, field: str) -> int:
    """Return the whole number ``text`` writes, or raise ``InvalidInput`` naming ``field``."""
    cleaned = text.strip()
    if not _WHOLE.match(cleaned):
        raise InvalidInput(f"{field} must be a whole number", field=field, value=text)
    return int(cleaned)


def flag(text: str | None, field: str) -> bool:
    """Return a yes/no cell as a bool (empty means no)."""
    if text is None or text.strip().lower() in _FALSE:
        return False
    if text.strip().lower() in _TRUE:
        return True
    raise InvalidInput(f"{field} must be true or false", field=field, value=text)


# --- movements --------------------------------------------------------------------------------


def movement_line(row: Row) -> dict[str, Any]:
    """Return a row of a movements file as the keywords of one ``post_batch`` line."""
    line: dict[str, Any] = {name: row.get(name) for name in MOVEMENT_TEXT if row.get(name)}
    if "kind" in line:
        line["kind"] = line["kind"].lower()
    qty = row.get("qty")
    if qty is None:
        raise InvalidQuantity("is required", field="qty")
    line["qty"] = number(qty)
    if (cost := row.get("unit_cost")) is not None:
        line["unit_cost"] = money(cost)
    if (when := row.get("occurred_at")) is not None:
        line["occurred_at"] = parse_time(when)
    if (shipment := row.get("shipment_id")) is not None:
        line["shipment_id"] = whole(shipment, "shipment_id")
    return line


def ledger_row(movement: Movement) -> dict[str, Any]:
    """Return a movement as one row of a ledger export (``LEDGER_COLUMNS``)."""
    values = movement.to_dict()
    return {name: "" if values[name] is None else values[name] for name in LEDGER_COLUMNS}


# --- items ------------------------------------------------------------------------------------


def item_from_row(row: Row, owner: str = "default") -> Item:
    """Return a row of an items file as a checked ``Item`` of ``owner``."""
    decimals = row.get("decimals")
    barcodes = row.get("barcodes") or ""
    item = Item(
        sku=row.get("sku") or "", name=row.get("name") or "", owner=owner,
        unit=row.get("unit") or "each",
        decimals=0 if decimals is None else whole(decimals, "decimals"),
        barcodes=tuple(code for code in _BARCODE_SEPARATORS.split(barcodes) if code),
        allow_negative=flag(row.get("allow_negative"), "allow_negative"),
        tracking=(row.get("tracking") or "none").lower(),
        cost_method=(row.get("cost_method") or "fifo").lower(),
    )
    return check_item(item)


def item_row(item: Item) -> dict[str, Any]:
    """Return an item as one row of an items file (``ITEM_COLUMNS``), ready to import again."""
    return {
        "sku": item.sku, "name": item.name, "unit": item.unit, "decimals": item.decimals,
        "barcodes": " ".join(item.barcodes),
        "allow_negative": "true" if item.allow_negative else "false",
        "tracking": item.tracking, "cost_method": item.cost_method,
    }

