"""CSV commands: ``import movements|items|shopify FILE`` and ``export movements|items FILE``.

An import checks every row and writes nothing unless all are good (nor ever with
``--dry-run``); each rejected row is printed with its CSV line. ``--template`` prints (or
writes to FILE) a file to start from. ``-`` as FILE means standard input or output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

import onhand
from onhand.cli.common import Json, Key, Owner, echo_json, inventory, when
from onhand.domain.imports import ImportReport
from onhand.domain.imports import Progress as OnProgress
from onhand.services.imports import template

import_app = typer.Typer(no_args_is_help=True, help="Import CSV files, all or nothing.")
export_app = typer.Typer(no_args_is_help=True, help="Export CSV files.")

File = Annotated[str | None, typer.Argument(help="The CSV file ('-' for standard input).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")]
Template = Annotated[bool, typer.Option(
    "--template", help="Print a file to start from (or write it to FILE).")]
Out = Annotated[str, typer.Argument(help="Where to write ('-' for standard output).")]
Importer = Callable[[onhand.Inventory, str, OnProgress], ImportReport]


@import_app.command("movements")
def import_movements(ctx: typer.Context, file: File = None, dry_run: DryRun = False,
                     owner: Owner = "default", key: Key = None, as_json: Json = False,
                     show_template: Template = False) -> None:
    """Post the movements of a CSV file as one batch (columns: see --template)."""
    _import(ctx, "movements", file, show_template, as_json, lambda inv, text, progress:
            inv.import_movements(text, owner=owner, key=key, dry_run=dry_run,
                                 progress=progress))


@import_app.command("items")
def import_items(ctx: typer.Context, file: File = None, dry_run: DryRun = False,
                 owner: Owner = "default", as_json: Json = False,
                 show_template: Template = False) -> None:
    """Create the items of a CSV file in one transaction (columns: see --template)."""
    _import(ctx, "items", file, show_template, as_json, lambda inv, text, progress:
            inv.import_items(text, owner=owner, dry_run=dry_run, progress=progress))


@import_app.command("shopify")
def import_shopify(
    ctx: typer.Context, file: File = None, dry_run: DryRun = False,
    create: Annotated[bool, typer.Option(
        "--create", help="Create unknown SKUs and (top-level) locations.")] = False,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", metavar="NAME=PATH", help="Use location PATH for Shopify location NAME.")
    ] = None,
    owner: Owner = "default", key: Key = None, as_json: Json = False,
    show_template: Template = False,
) -> None:
    """Make balances agree with the "On hand" of a Shopify inventory CSV export."""
    places = _mapping(mapping or [])
    reference = f"shopify:{Path(file).name}" if file and file != "-" else "shopify"
    _import(ctx, "shopify", file, show_template, as_json, lambda inv, text, progress:
            inv.import_shopify(text, owner=owner, create=create, dry_run=dry_run,
                               locations=places, reference=reference[:200], key=key,
                               progress=progress))


@export_app.command("movements")
def export_movements(
    ctx: typer.Context, file: Out = "-", owner: Owner = "default",
    since: Annotated[str | None, typer.Option(help="From this time (a date: its start).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this time (a date: its end).")] = None,
) -> None:
    """Write the ledger to a CSV file, oldest movement first."""
    with inventory(ctx) as inv, _output(file) as out:
        count = inv.export_movements(out, owner=owner,
                                     since=when(since, "since", start_of_day=True),
                                     until=when(until, "until"))
    _exported(count, "movements", file)


@export_app.command("items")
def export_items(ctx: typer.Context, file: Out = "-", owner: Owner = "default") -> None:
    """Write the items to a CSV file that `import items` reads."""
    with inventory(ctx) as inv, _output(file) as out:
        count = inv.export_items(out, owner=owner)
    _exported(count, "items", file)


def _import(ctx: typer.Context, name: str, file: str | None, show_template: bool,
            as_json: bool, run: Importer) -> None:
    """Print or write the template, or run the import and report on it."""
    if show_template:
        _write_template(name, file)
        return
    if file is None:
        raise onhand.InvalidInput("give the CSV file to import (or --template)", field="file")
    text = _read(file)
    with inventory(ctx) as inv, _progress() as progress:
        report = run(inv, text, progress)
    _report(report, as_json, "items" if name == "items" else "movements")


def _report(report: ImportReport, as_json: bool, noun: str) -> None:
    if as_json:
        echo_json(report.to_dict())
    for rejected in report.rejected:
        typer.echo(str(rejected), err=True)
    if not report.ok:
        if not as_json:
            typer.echo(f"error: {len(report.rejected)} problems in {report.rows} rows; "
                       "nothing was written", err=True)
        raise typer.Exit(4)
    if not as_json:
        typer.echo(_summary(report, noun))


def _summary(report: ImportReport, noun: str) -> str:
    if report.replayed:
        return (f"already imported under this key ({report.replayed} {noun}); "
                "nothing was written")
    verb = "would create" if report.dry_run else "created"
    parts = [f"{report.rows} rows"]
    if report.skipped:
        parts.append(f"{report.skipped} not stocked, skipped")
    if report.unchanged:
        parts.append(f"{report.unchanged} unchanged")
    if report.created_locations:
        parts.append(f"{verb} locations {', '.join(report.created_locations)}")
    if report.created_items:
        parts.append(f"{verb} {len(report.created_items)} items")
    if report.dry_run:
        return f"dry run, all rows valid: {'; '.join(parts)}; nothing was written"
    return f"imported {'; '.join(parts)}; {report.written} {noun} written"


def _write_template(name: str, file: str | None) -> None:
    text = template(name)
    if file is None or file == "-":
        typer.echo(text, nl=False)
        return
    target = Path(file)
    if target.exists():
        raise onhand.InvalidInput(f"{file} already exists; not overwriting it", field="file")
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote the {name} template to {file}")


def _read(file: str) -> str:
    """Return the text of ``file`` (standard input for ``-``), a byte-order mark dropped."""
    try:
        if file == "-":
            return sys.stdin.read().lstrip("\ufeff")
        return Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise onhand.InvalidInput(f"cannot read {file}: {reason}", field="file") from None


@contextmanager
def _output(file: str) -> Iterator[TextIO]:
    if file == "-":
        yield sys.stdout
        return
    try:
        handle = Path(file).open("w", encoding="utf-8", newline="")
    except OSError as error:
        raise onhand.InvalidInput(f"cannot write {file}: {error.strerror}", field="file") from None
    with handle:
        yield handle


def _exported(count: int, what: str, file: str) -> None:
    typer.echo(f"exported {count} {what}" + ("" if file == "-" else f" to {file}"),
               err=file == "-")


def _mapping(pairs: list[str]) -> dict[str, str]:
    """Return ``NAME=PATH`` options as a mapping of Shopify location names to paths."""
    found = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise onhand.InvalidInput(f"--map {pair!r} must look like 'Shopify name=WH1'",
                                      field="map")
        found[name.strip()] = path.strip()
    return found


@contextmanager
def _progress() -> Iterator[OnProgress]:
    """Yield a progress callback that draws a Rich bar on standard error (when a terminal)."""
    console = Console(stderr=True)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=console, transient=True, disable=not console.is_terminal)
    tasks: dict[str, TaskID] = {}

    def advance(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield advance


def register(app: typer.Typer) -> None:
    """Add the import and export commands to ``app``."""
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
