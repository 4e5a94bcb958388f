"""``onhand valuation`` and ``onhand cogs``: what stock is worth, and what sales cost;
``onhand export-journal``, a period's journal for the books; and ``onhand close-period`` /
``reopen-period``, the accounting periods no movement may enter.

A date means a whole day in the owner's time zone (``--as-of``: its end); a time is ISO 8601
with an offset. Each prints a table, or every figure with ``--json`` or ``--csv``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

import onhand
from onhand.cli.access import audited, writing
from onhand.cli.common import Json, cells, console, echo_json, inventory
from onhand.domain.times import check_day, parse_day_or_time
from onhand.services import periods
from onhand.services import valuation as valuation_service

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


def export_journal(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="The first day, e.g. 2026-03-01.")],
    until: Annotated[str, typer.Option(help="The last day (included), e.g. 2026-03-31.")],
    owner: Annotated[str, typer.Option("--owner", help="Whose books.")] = "default",
    fmt: Annotated[str, typer.Option(
        "--format", help="csv, qbo (QuickBooks Online) or xero.")] = "csv",
    account: Annotated[list[str] | None, typer.Option(
        help="An account's name or code, ROLE=CODE (repeatable), e.g. inventory=1400; roles: "
             "inventory, cogs, grni, shrinkage, revaluation.")] = None,
    tax_rate: Annotated[str, typer.Option(help="Xero's TaxRate column.")] = "Tax Exempt",
    again: Annotated[bool, typer.Option(
        "--again", help="Export a period that was exported before.")] = False,
    out: Annotated[Path | None, typer.Option(
        help="Write the files into this directory (default: print them).")] = None,
) -> None:
    """Export the inventory journal of a period, summed and balanced per account."""
    codes = dict(_pair(text) for text in account or [])
    first, last = _day(since, "since"), _day(until, "until")
    with inventory(ctx) as inv, writing(inv) as uow:
        files = valuation_service.export_journal(
            uow, since=first, until=last, owner=owner, fmt=fmt, accounts=codes,
            tax_rate=tax_rate, again=again)
        audited(uow, "journals.export", target=f"{first}..{last}", owner=owner,
                detail={"format": fmt, "again": again})
    if out is None:
        typer.echo("".join(files), nl=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(files, start=1):
        suffix = f"-{number}" if len(files) > 1 else ""
        path = out / f"journal-{owner}-{first}-{last}-{fmt}{suffix}.csv"
        path.write_text(text)
        typer.echo(str(path))


def _pair(text: str) -> tuple[str, str]:
    role, sep, code = text.partition("=")
    if not sep:
        raise onhand.InvalidInput(f"--account {text!r} is not ROLE=CODE", field="account",
                                  value=text)
    return role.strip(), code


def close_period(
    ctx: typer.Context,
    until: Annotated[str, typer.Option(help="The last day to close, e.g. 2026-03-31 (where "
                                            "the owner is).")],
    owner: Annotated[str, typer.Option("--owner", help="Whose books.")] = "default",
) -> None:
    """Close the books through a day: no movement may be dated in it any more."""
    day = _day(until, "until")
    with inventory(ctx) as inv, writing(inv) as uow:
        periods.close_period(uow, until=day, owner=owner)
        audited(uow, "periods.close", target=str(day), owner=owner, detail={"until": str(day)})
    typer.echo(f"{owner}: closed through {day}")


def reopen_period(
    ctx: typer.Context,
    through: Annotated[str | None, typer.Option(
        help="Keep the books closed through this earlier day (default: reopen all).")] = None,
    owner: Annotated[str, typer.Option("--owner", help="Whose books.")] = "default",
) -> None:
    """Reopen closed days (an administrator's action, recorded in the audit trail)."""
    day = None if through is None else _day(through, "through")
    with inventory(ctx) as inv, writing(inv) as uow:
        before = periods.closed_through(uow, owner=owner)
        periods.reopen_period(uow, owner=owner, through=day)
        audited(uow, "periods.reopen", target=str(day), owner=owner,
                detail={"through": None if day is None else str(day), "was": str(before)})
    typer.echo(f"{owner}: closed through {day}" if day else f"{owner}: no period closed")


def _day(text: str, field: str) -> date:
    return check_day(parse_day_or_time(text, field=field), field)


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
    app.command("export-journal")(export_journal)
    app.command("close-period")(close_period)
    app.command("reopen-period")(reopen_period)
