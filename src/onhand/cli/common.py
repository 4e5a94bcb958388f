"""What every command shares: the open inventory, exact parsing of typed values, output."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

import onhand
from onhand.config import Settings
from onhand.domain.imports import money, number
from onhand.domain.quantities import Quantity
from onhand.domain.times import parse_time
from onhand.services.executor import Actor

Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Owner = Annotated[str, typer.Option("--owner", help="Whose stock (a 3PL's client).")]
Key = Annotated[str | None, typer.Option("--key", help="Idempotency key: a retry posts once.")]
Reference = Annotated[str | None, typer.Option("--ref", help="Reference, e.g. PO-7 or SO-1.")]
Lot = Annotated[str | None, typer.Option("--lot", help="Lot or batch code.")]
At = Annotated[str | None, typer.Option(
    "--at", help="When it happened: ISO 8601 with offset, or a date for its start in UTC "
                 "(default: now).")]


def settings(ctx: typer.Context) -> Settings:
    """Return the settings the app callback built."""
    found = ctx.find_root().obj
    assert isinstance(found, Settings), "the app callback sets the settings"
    return found


@contextmanager
def inventory(ctx: typer.Context) -> Iterator[onhand.Inventory]:
    """Open (creating or migrating) the inventory the settings name, and close it after."""
    config = settings(ctx)
    others = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
              if f.name != "database_url"}
    inv = onhand.open(config.database_url, actor=Actor.local("cli").name, **others)
    try:
        yield inv
    finally:
        inv.close()


def shown(url: str) -> str:
    """Return a database URL with any password hidden."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def qty(text: str) -> Quantity:
    """Return a typed quantity exactly (``"3"``, ``"-2"``, ``"0.25"``); the ledger checks it."""
    return number(text)


def cost(text: str | None) -> Decimal | None:
    """Return a typed unit cost as an exact Decimal."""
    return None if text is None else money(text)


def when(text: str | None, field: str = "occurred_at", *, start_of_day: bool = False
         ) -> datetime | None:
    """Return a typed ISO 8601 time; a date alone is its end (or start) in UTC."""
    return None if text is None else parse_time(text, field=field, start_of_day=start_of_day)


def common(*, owner: str, key: str | None, reference: str | None, lot: str | None,
           at: str | None) -> dict[str, Any]:
    """Return the keywords every posting takes, from their options."""
    return {"owner": owner, "key": key, "reference": reference, "lot": lot,
            "occurred_at": when(at, start_of_day=True)}


def console() -> Console:
    """Return a console on standard output (created per command, so redirection works).

    Output to a file or pipe is drawn 200 columns wide, so tables are not cut to 80.
    """
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out.width = max(out.width, 200)
    return out


def cells(*values: object) -> list[Text]:
    """Return table cells as plain text (a SKU like ``[X]`` is not Rich markup)."""
    return [Text("" if value is None else str(value)) for value in values]


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (Decimals and times as strings)."""
    typer.echo(json.dumps(data, indent=2, default=str))


def item_dict(item: onhand.Item) -> dict[str, Any]:
    """Return an item as JSON-ready values."""
    return {**dataclasses.asdict(item), "barcodes": list(item.barcodes)}


def describe(movement: onhand.Movement) -> str:
    """Return a movement in one line: ``#12 receipt 10 MUG-1 supplier -> WH1/A-01 (PO-7)``."""
    extra = [text for text in (movement.reference, movement.reason) if text]
    if movement.reverses is not None:
        extra.append(f"reverses #{movement.reverses}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return (f"#{movement.id} {movement.kind} {movement.qty} {movement.sku} "
            f"{movement.source} -> {movement.target}{tail}")
