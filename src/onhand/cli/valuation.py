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
from onhand.cli.common import Json, cells, console, echo_json, inventory
from onhand.domain.imports import money as parse_money
from onhand.domain.times import check_day, parse_day_or_time, parse_time
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
    by: Annotated[str, typer.Option(
        help="item, location or warehouse (each item's value spread over where its units "
             "lay), or owner (the totals).")] = "item",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Show what each item's stock is worth (FIFO or moving average), now or at a date."""
    moment = None if as_of is None else parse_day_or_time(as_of, field="as_of")
    title = f"valuation as of {as_of}" if as_of else "valuation now"
    with inventory(ctx) as inv:
        if by == "owner":
            totals = inv.valuation(as_of=moment, owner=owner, by="owner")
        else:
            found = valuation_service.valuation(inv.unit_of_work(write=False), as_of=moment,
                                                owner=owner, sku=sku, by=by)
    if by == "owner":
        if not _printed(totals, onhand.OwnerValue, as_json, as_csv):
            _table(title, ("Owner", "Items", "Value", "Currency", "Items uncosted"),
                   [(r.owner, r.items, r.value, r.currency, r.uncosted_items or "")
                    for r in totals])
        return
    if _printed(found, onhand.ItemValue, as_json, as_csv):
        return
    where = ("Location",) if by == "location" else ("Warehouse",) if by == "warehouse" else ()
    _table(title, ("Owner", "SKU", *where, "Method", "On hand", "Value", "Currency",
                   "Uncosted"),
           [(r.owner, r.sku, *((r.location,) if where else ()), r.cost_method, r.on_hand,
             r.value, r.currency, r.uncosted or "") for r in found])


def value_entries(
    ctx: typer.Context,
    sku: Annotated[str, typer.Option("--sku", help="The item.")],
    owner: Annotated[str, typer.Option("--owner", help="Whose item.")] = "default",
    since: Annotated[str | None, typer.Option(help="From this date (its start) or time.")
                     ] = None,
    until: Annotated[str | None, typer.Option(
        help="To this date (included) or time (excluded).")] = None,
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Show the value each movement of an item carries, and every revaluation a backdated
    movement made, in business-time order."""
    start = None if since is None else parse_day_or_time(since, field="since")
    stop = None if until is None else parse_day_or_time(until, field="until")
    with inventory(ctx) as inv:
        found = inv.value_entries(sku=sku, owner=owner, since=start, until=stop)
    if _printed(found, onhand.ValueEntry, as_json, as_csv):
        return
    _table(f"value of {sku}'s movements", ("Movement", "Occurred", "Category", "Qty",
                                            "Value", "Uncosted", "Revaluation of"),
           [(e.movement_id, e.occurred_at.isoformat(), e.category, e.qty or "", e.value,
             e.uncosted or "", "" if e.cause_id is None else f"backdated #{e.cause_id}")
            for e in found])


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*cells(*row))
    console().print(table)


def cogs(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="From this date (its start) or time.")],
    until: Annotated[str, typer.Option(help="To this date (included) or time (excluded).")],
    owner: Whose = None,
    sku: Sku = None,
    by: Annotated[str, typer.Option(
        help="item (the whole period), or day, week or month (a row per item and period)."
    )] = "item",
    as_json: Json = False,
    as_csv: Csv = False,
) -> None:
    """Show each item's cost of goods sold, revenue and margin over a period."""
    start = parse_day_or_time(since, field="since")
    stop = parse_day_or_time(until, field="until")
    with inventory(ctx) as inv:
        found = inv.cogs(since=start, until=stop, owner=owner, sku=sku, by=by)
    if _printed(found, onhand.ItemCogs, as_json, as_csv):
        return
    when = ("Period",) if by != "item" else ()
    _table(f"cost of goods sold, {since} to {until}",
           ("Owner", "SKU", *when, "Sold", "Returned", "COGS", "Revenue", "Margin", "Currency",
            "Unpriced"),
           [(r.owner, r.sku, *((r.period,) if when else ()), r.sold, r.returned, r.cogs,
             r.revenue, r.margin, r.currency, r.unpriced or "") for r in found])


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
    with inventory(ctx) as inv:
        files = inv.export_journal(first, last, owner=owner, format=fmt, accounts=codes,
                                   tax_rate=tax_rate, again=again)
    if out is None:
        typer.echo("".join(files), nl=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(files, start=1):
        suffix = f"-{number}" if len(files) > 1 else ""
        path = out / f"journal-{owner}-{first}-{last}-{fmt}{suffix}.csv"
        path.write_text(text)
        typer.echo(str(path))


def landed_cost(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="Its reference, e.g. the freight invoice's "
                                                  "number (recorded once).")],
    amount: Annotated[str, typer.Option(help="The amount, in the owner's currency.")],
    receipt: Annotated[list[int] | None, typer.Option(
        help="A receipt's movement id (repeatable).")] = None,
    po: Annotated[str | None, typer.Option(
        "--po", help="Or: every receipt of this purchase order.")] = None,
    basis: Annotated[str, typer.Option(help="Spread by qty, value or weight.")] = "value",
    at: Annotated[str | None, typer.Option(
        help="When it landed (ISO 8601 with offset; default now).")] = None,
    description: Annotated[str, typer.Option(help="What it is, e.g. freight.")] = "",
    owner: Annotated[str, typer.Option("--owner", help="Whose receipts.")] = "default",
    as_json: Json = False,
) -> None:
    """Add freight, duty or fees to receipts: the units still on hand carry their share,
    the share of units already gone is cost of goods sold."""
    money = parse_money(amount, "amount")
    when = None if at is None else parse_time(at, field="occurred_at")
    with inventory(ctx) as inv:
        found = inv.add_landed_cost(reference, amount=money, basis=basis, receipts=receipt or (),
                                    purchase_order=po, occurred_at=when,
                                    description=description, owner=owner)
    if as_json:
        echo_json(found.to_dict())
        return
    _table(f"landed cost {found.reference}: {found.amount} {found.currency} by {basis}",
           ("Receipt", "SKU", "Qty", "Share"),
           [(line.movement_id, line.sku, line.qty, line.amount) for line in found.lines])


def revalue(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The item whose uncosted units get a cost.")],
    unit_cost: Annotated[str, typer.Option(help="The cost of one unit.")],
    reference: Annotated[str, typer.Option(help="Its reference (recorded once).")],
    at: Annotated[str | None, typer.Option(
        help="As of when (ISO 8601 with offset; default now).")] = None,
    owner: Annotated[str, typer.Option("--owner", help="Whose item.")] = "default",
    as_json: Json = False,
) -> None:
    """Give the units on hand that came in without a cost (valued at zero) a unit cost."""
    cost = parse_money(unit_cost, "unit_cost")
    when = None if at is None else parse_time(at, field="occurred_at")
    with inventory(ctx) as inv:
        done = inv.revalue(sku, unit_cost=cost, reference=reference, occurred_at=when,
                           owner=owner)
    if as_json:
        echo_json(done.to_dict())
        return
    typer.echo(f"revalued {done.qty} uncosted {done.sku} at {done.unit_cost}: +{done.value}")


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
    with inventory(ctx) as inv:
        inv.close_period(day, owner=owner)
    typer.echo(f"{owner}: closed through {day}")


def reopen_period(
    ctx: typer.Context,
    through: Annotated[str | None, typer.Option(
        help="Keep the books closed through this earlier day (default: reopen all).")] = None,
    owner: Annotated[str, typer.Option("--owner", help="Whose books.")] = "default",
) -> None:
    """Reopen closed days (an administrator's action, recorded in the audit trail)."""
    day = None if through is None else _day(through, "through")
    with inventory(ctx) as inv:
        inv.reopen_period(owner=owner, through=day)
    typer.echo(f"{owner}: closed through {day}" if day else f"{owner}: no period closed")


def _day(text: str, field: str) -> date:
    return check_day(parse_day_or_time(text, field=field), field)


Report = onhand.ItemValue | onhand.ItemCogs | onhand.OwnerValue | onhand.ValueEntry


def _printed(rows: Sequence[Report], kind: type[Report], as_json: bool, as_csv: bool) -> bool:
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
    app.command("value-entries")(value_entries)
    app.command("export-journal")(export_journal)
    app.command("landed-cost")(landed_cost)
    app.command("revalue")(revalue)
    app.command("close-period")(close_period)
    app.command("reopen-period")(reopen_period)
