"""Catalog commands: ``item add/list/show``, ``location add/list/set``, ``owner add`` and
``safety-stock set``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, Owner, cells, console, echo_json, inventory, item_dict
from onhand.cli.common import qty as exact
from onhand.domain.imports import money

item_app = typer.Typer(no_args_is_help=True, help="Add, list and show items (SKUs).")
location_app = typer.Typer(no_args_is_help=True, help="Add, list and flag locations.")
owner_app = typer.Typer(no_args_is_help=True, help="Add owners (a 3PL's clients).")
safety_app = typer.Typer(no_args_is_help=True,
                         help="Safety stock: what a warehouse keeps out of available.")
Sellable = Annotated[bool | None, typer.Option(
    "--sellable/--not-sellable",
    help="Whether its stock counts toward available (not: damaged, quarantine, returns "
         "inspection).")]


@item_app.command("add")
def item_add(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The SKU, unique per owner.")],
    name: Annotated[str, typer.Argument(help="What the item is called.")],
    unit: Annotated[str, typer.Option(help="Unit of measure: each, m, kg…")] = "each",
    decimals: Annotated[int, typer.Option(help="Decimal places a quantity may have.")] = 0,
    barcode: Annotated[list[str] | None, typer.Option(help="A barcode (repeatable).")] = None,
    allow_negative: Annotated[bool, typer.Option(help="Allow stock below zero.")] = False,
    tracking: Annotated[str, typer.Option(help="none, lot or serial.")] = "none",
    cost_method: Annotated[str, typer.Option(help="fifo or average.")] = "fifo",
    cost_required: Annotated[bool, typer.Option(
        help="A valued item: its receipts must carry a unit cost.")] = False,
    weight: Annotated[str | None, typer.Option(
        help="The weight of one unit (landed costs can be spread by weight).")] = None,
    owner: Owner = "default",
) -> None:
    """Add an item."""
    with inventory(ctx) as inv:
        item = inv.add_item(sku=sku, name=name, owner=owner, unit=unit, decimals=decimals,
                            barcodes=barcode or [], allow_negative=allow_negative,
                            tracking=tracking, cost_method=cost_method,
                            cost_required=cost_required,
                            weight=None if weight is None else money(weight, "weight"))
    typer.echo(f"added item {item.sku}: {item.name}")


@item_app.command("list")
def item_list(ctx: typer.Context, owner: Owner = "default", as_json: Json = False) -> None:
    """List the items of an owner."""
    with inventory(ctx) as inv:
        items = inv.items(owner=owner)
    if as_json:
        echo_json([item_dict(item) for item in items])
        return
    table = Table("SKU", "Name", "Unit", "Decimals", "Barcodes", title=f"{len(items)} items")
    for item in items:
        table.add_row(*cells(item.sku, item.name, item.unit, item.decimals,
                             " ".join(item.barcodes)))
    console().print(table)


@item_app.command("show")
def item_show(ctx: typer.Context, sku: Annotated[str, typer.Argument(help="SKU or barcode.")],
              owner: Owner = "default", as_json: Json = False) -> None:
    """Show an item and its stock by location."""
    with inventory(ctx) as inv:
        item = inv.item(sku, owner=owner)
        level = inv.stock(sku=item.sku, owner=owner)
    if as_json:
        echo_json({"item": item_dict(item), "stock": level.to_dict()})
        return
    out = console()
    out.print(f"{item.sku}: {item.name}", markup=False)
    required = " (required on receipts)" if item.cost_required else ""
    weight = "" if item.weight is None else f", weight {item.weight}"
    out.print(f"unit {item.unit}, {item.decimals} decimals, tracking {item.tracking}, "
              f"cost {item.cost_method}{required}{weight}, "
              f"barcodes {' '.join(item.barcodes) or '-'}", markup=False)
    out.print(f"on hand {level.on_hand}, available {level.available}", markup=False)
    for path, qty in level.by_location.items():
        out.print(f"  {path}: {qty}", markup=False)


@location_app.command("add")
def location_add(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A path like WH1 or WH1/A-01 (parent first).")],
    name: Annotated[str | None, typer.Option(help="A display name.")] = None,
    sellable: Sellable = None,
) -> None:
    """Add an internal location (as sellable as its parent unless told)."""
    with inventory(ctx) as inv:
        added = inv.add_location(path, name, sellable=sellable)
    typer.echo(f"added location {added}")


@location_app.command("set")
def location_set(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="The location, e.g. WH1/DAMAGED.")],
    sellable: Sellable = None,
) -> None:
    """Flag a location and everything below it sellable or not."""
    if sellable is None:
        raise onhand.InvalidInput("say --sellable or --not-sellable", field="sellable")
    with inventory(ctx) as inv:
        inv.set_sellable(path, sellable)
    typer.echo(f"{path} is {'sellable' if sellable else 'not sellable'}")


@location_app.command("list")
def location_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List every location, virtual ones included."""
    with inventory(ctx) as inv:
        places = inv.locations()
    if as_json:
        echo_json([place._asdict() for place in places])
        return
    table = Table("Path", "Kind", "Name", "Sellable")
    for place in places:
        table.add_row(*cells(place.path, place.kind, place.name,
                             "yes" if place.sellable else "no"))
    console().print(table)


@owner_app.command("add")
def owner_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Lowercase code, e.g. acme.")],
    name: Annotated[str | None, typer.Option(help="A display name.")] = None,
    currency: Annotated[str, typer.Option(
        help="ISO 4217 code its stock is valued in, e.g. EUR.")] = "USD",
    time_zone: Annotated[str, typer.Option(
        help="IANA time zone its days end in, e.g. Europe/Paris.")] = "UTC",
) -> None:
    """Add an owner."""
    with inventory(ctx) as inv:
        added = inv.add_owner(code, name, currency=currency, time_zone=time_zone)
    typer.echo(f"added owner {added}")


@owner_app.command("list")
def owner_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List owners with their currency and time zone."""
    with inventory(ctx) as inv:
        owners = inv.owners()
    if as_json:
        echo_json([owner._asdict() for owner in owners])
        return
    table = Table("Code", "Name", "Currency", "Time zone")
    for owner in owners:
        table.add_row(*cells(*owner))
    console().print(table)


@safety_app.command("set", context_settings={"ignore_unknown_options": True})
def safety_set(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The item's SKU.")],
    quantity: Annotated[str, typer.Argument(metavar="QTY", help="Units kept back (0: none).")],
    warehouse: Annotated[str, typer.Option(help="The warehouse, e.g. WH1.")],
    owner: Owner = "default",
) -> None:
    """Keep QTY of an item in a warehouse out of what orders may reserve."""
    amount = exact(quantity)
    with inventory(ctx) as inv:
        inv.set_safety_stock(sku=sku, warehouse=warehouse, qty=amount, owner=owner)
    typer.echo(f"safety stock of {sku} in {warehouse}: {amount}")


def register(app: typer.Typer) -> None:
    """Add the catalog commands to ``app``."""
    app.add_typer(item_app, name="item")
    app.add_typer(location_app, name="location")
    app.add_typer(owner_app, name="owner")
    app.add_typer(safety_app, name="safety-stock")
