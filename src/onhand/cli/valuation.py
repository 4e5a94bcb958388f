"""``onhand valuation`` and ``onhand cogs``: what stock is worth, and what sales cost.

A date means a whole day in the owner's time zone (``--as-of``: its end); a time is ISO 8601
with an offset. Each prints a table, or every figure with ``--json`` or ``--csv``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from dataclasses import fields
from typing import Annotated

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, cells, console, echo_json, inventory
from onhand.domain.times import parse_day_or_time

Csv = Annotated[bool, typer.Option("--csv", help="Print CSV (a header, then a row each).")]
Whose = Annotated[str | None, typer.Option(
    "--owner", help="Whose stock (default: every owner's; with --sku, 'default').")]
Sku = Annotated[str | None, typer.Option("--sku", help="One item.")]


def valuation(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As it was then: a date (its end where the owner is) or a time.")
    ] = None,
    owner: Whose = None,
    sku: Sku = None,
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Show what each item's stock is worth (FIFO or moving average), now or at a date."""
    moment = None if as_of is None else parse_day_or_time(as_of, field="as_of")
    with inventory(ctx) as inv:
        found = inv.valuation(as_of=moment, owner=owner, sku=sku)
    if _printed(found, onhand.ItemValue, as_json, as_csv):
        return
    table = Table("Owner", "SKU", "Method", "On hand", "Value", "Currency", "Uncosted",
                  title=f"valuation as of {as_of}" if as_of else "valuation now")
    for row in found:
        table.add_row(*cells(row.owner, row.sku, row.cost_method, row.on_hand, row.value,
                             row.currency, row.uncosted or ""))
    console().print(table)


def cogs(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="From this date (its start) or time.")],
    until: Annotated[str, typer.Option(help="To this date (included) or time (excluded).")],
    owner: Whose = None,
    sku: Sku = None,
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Show each item's cost of goods sold, revenue and margin over a period."""
    start = parse_day_or_time(since, field="since")
    stop = parse_day_or_time(until, field="until")
    with inventory(ctx) as inv:
        found = inv.cogs(since=start, until=stop, owner=owner, sku=sku)
    if _printed(found, onhand.ItemCogs, as_json, as_csv):
        return
    table = Table("Owner", "SKU", "Sold", "Returned", "COGS", "Revenue", "Margin", "Currency",
                  "Unpriced", title=f"cost of goods sold, {since} to {until}")
    for row in found:
        table.add_row(*cells(row.owner, row.sku, row.sold, row.returned, row.cogs, row.revenue,
                             row.margin, row.currency, row.unpriced or ""))
    console().print(table)


def _printed(rows: Sequence[onhand.ItemValue | onhand.ItemCogs],
             kind: type[onhand.ItemValue | onhand.ItemCogs], as_json: bool, as_csv: bool) -> bool:
    """Print ``rows`` (of ``kind``) as JSON or CSV when asked; return whether it did."""
    if as_json:
        echo_json([row.to_dict() for row in rows])
    elif as_csv:
        names = [field.name for field in fields(kind)]
        writer = csv.DictWriter(sys.stdout, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row.to_dict() for row in rows)
    return as_json or as_csv


def register(app: typer.Typer) -> None:
    """Add the valuation commands to ``app``."""
    app.command("valuation")(valuation)
    app.command("cogs")(cogs)
