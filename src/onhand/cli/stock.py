"""Reading commands: ``stock``, ``history`` and ``verify``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, Owner, cells, console, echo_json, inventory, when

Where = Annotated[str | None, typer.Option(
    "--location", "-l", help="Only this location and its sub-locations.")]


def stock(
    ctx: typer.Context,
    sku: Annotated[str | None, typer.Argument(help="One item (default: every item).")] = None,
    location: Where = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As it was at this time (ISO 8601; a date means its end).")] = None,
    owner: Annotated[str | None, typer.Option(
        "--owner", help="Whose stock (default: 'default' for one SKU, everyone's otherwise).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Show stock levels, now or at a past time."""
    moment = when(as_of, "as_of")
    with inventory(ctx) as inv:
        if sku is not None:
            levels = [inv.stock(sku=sku, owner=owner or "default", location=location,
                                as_of=moment)]
        else:
            levels = inv.levels(owner=owner, location=location, as_of=moment)
    if as_json:
        echo_json(levels[0].to_dict() if sku is not None else [s.to_dict() for s in levels])
        return
    console().print(_levels_table(levels, sku is None, moment))


def _levels_table(levels: list[onhand.Stock], many: bool, moment: datetime | None) -> Table:
    title = f"stock as of {moment:%Y-%m-%d %H:%M} UTC" if moment else "stock now"
    table = Table("SKU", "Owner", "On hand", "Reserved", "Available", "Backordered",
                  "Incoming", "In transit", "Not sellable", "By location", title=title)
    for level in levels:
        places = ", ".join(f"{path} {qty}" for path, qty in level.by_location.items())
        table.add_row(*cells(level.sku, level.owner, level.on_hand, level.reserved,
                             level.available, level.backordered, level.incoming,
                             level.in_transit, level.non_sellable, places))
    if many and not levels:
        table.caption = "no stock"
    return table


def history(
    ctx: typer.Context,
    sku: Annotated[str | None, typer.Argument(help="One item (default: every item).")] = None,
    location: Where = None,
    since: Annotated[str | None, typer.Option(help="From this time (a date: its start).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this time (a date: its end).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many movements.")] = 100,
    owner: Owner = "default",
    as_json: Json = False,
) -> None:
    """List movements, oldest first."""
    with inventory(ctx) as inv:
        found = inv.history(sku=sku, owner=owner, location=location,
                            since=when(since, "since", start_of_day=True),
                            until=when(until, "until"), limit=limit)
    if as_json:
        echo_json([movement.to_dict() for movement in found])
        return
    table = Table("Id", "Occurred (UTC)", "Kind", "SKU", "Qty", "From", "To", "Reference",
                  "Reason", title=f"{len(found)} movements")
    for m in found:
        table.add_row(*cells(m.id, f"{m.occurred_at:%Y-%m-%d %H:%M}", m.kind, m.sku, m.qty,
                             m.source, m.target, m.reference, m.reason))
    console().print(table)


def verify(ctx: typer.Context, as_json: Json = False) -> None:
    """Check every balance, double entry and the tamper-evident chain; exit 1 on a problem."""
    with inventory(ctx) as inv:
        report = inv.verify()
    if as_json:
        echo_json(report.to_dict())
    elif report.ok:
        typer.echo(f"ok: {report.movements} movements, {report.balances} balances verified")
    else:
        for problem in report.problems:
            typer.echo(f"{problem.check}: {problem.detail}", err=True)
        typer.echo(f"error: verify found {len(report.problems)} problems", err=True)
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the reading commands to ``app``."""
    app.command("stock")(stock)
    app.command("history")(history)
    app.command("verify")(verify)
