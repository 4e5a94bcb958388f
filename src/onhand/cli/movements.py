"""Posting commands, one verb per movement kind: ``receive``, ``ship``, ``return``, ``adjust``,
``scrap``, ``transfer``, and ``reverse``.

Quantities and costs typed on the command line are read exactly (never as floats) and
checked by the ledger against the item's decimals.
"""

from __future__ import annotations

from typing import Annotated

import typer

import onhand
from onhand.cli.common import (
    At,
    Json,
    Key,
    Lot,
    Owner,
    Reference,
    common,
    cost,
    describe,
    echo_json,
    inventory,
    qty,
)

Sku = Annotated[str, typer.Argument(metavar="SKU", help="The item's SKU.")]
Qty = Annotated[str, typer.Argument(metavar="QTY", help="How many, exactly (e.g. 3 or 1.25).")]
Location = Annotated[str, typer.Option("--location", "-l", help="Where, e.g. WH1/A-01.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (required), e.g. damaged.")]
Cost = Annotated[str | None, typer.Option("--cost", help="Unit cost, e.g. 2.50.")]
# "adjust SKU -2": a negative number is an argument, not an unknown option
SIGNED = {"ignore_unknown_options": True}


def _done(movement: onhand.Movement, as_json: bool) -> None:
    if as_json:
        echo_json(movement.to_dict())
    else:
        typer.echo(describe(movement))


def receive(ctx: typer.Context, sku: Sku, quantity: Qty, location: Location,
            unit_cost: Cost = None, reference: Reference = None, key: Key = None,
            lot: Lot = None, at: At = None, owner: Owner = "default",
            as_json: Json = False) -> None:
    """Receive stock from a supplier into a location."""
    with inventory(ctx) as inv:
        movement = inv.receive(sku=sku, qty=qty(quantity), location=location,
                               unit_cost=cost(unit_cost), **common(
                                   owner=owner, key=key, reference=reference, lot=lot, at=at))
    _done(movement, as_json)


def ship(ctx: typer.Context, sku: Sku, quantity: Qty, location: Location,
         reference: Reference = None, key: Key = None, lot: Lot = None, at: At = None,
         owner: Owner = "default", as_json: Json = False) -> None:
    """Ship stock from a location to a customer."""
    with inventory(ctx) as inv:
        movement = inv.ship(sku=sku, qty=qty(quantity), location=location, **common(
            owner=owner, key=key, reference=reference, lot=lot, at=at))
    _done(movement, as_json)


def return_(ctx: typer.Context, sku: Sku, quantity: Qty, location: Location,
            shipment: Annotated[int | None, typer.Option(
                "--shipment", help="Id of the shipment this returns.")] = None,
            unit_cost: Cost = None, reference: Reference = None, key: Key = None,
            lot: Lot = None, at: At = None, owner: Owner = "default",
            as_json: Json = False) -> None:
    """Take back stock a customer returns."""
    with inventory(ctx) as inv:
        movement = inv.return_(sku=sku, qty=qty(quantity), location=location,
                               shipment_id=shipment, unit_cost=cost(unit_cost), **common(
                                   owner=owner, key=key, reference=reference, lot=lot, at=at))
    _done(movement, as_json)


def adjust(ctx: typer.Context, sku: Sku,
           quantity: Annotated[str, typer.Argument(metavar="QTY", help="Signed change, e.g. -2 or 3.")],
           location: Location, reason: Reason, unit_cost: Cost = None,
           reference: Reference = None, key: Key = None, lot: Lot = None, at: At = None,
           owner: Owner = "default", as_json: Json = False) -> None:
    """Correct a balance up or down (against loss); a reason is required."""
    with inventory(ctx) as inv:
        movement = inv.adjust(sku=sku, qty=qty(quantity), location=location, reason=reason,
                              unit_cost=cost(unit_cost), **common(
                                  owner=owner, key=key, reference=reference, lot=lot, at=at))
    _done(movement, as_json)


def scrap(ctx: typer.Context, sku: Sku, quantity: Qty, location: Location, reason: Reason,
          reference: Reference = None, key: Key = None, lot: Lot = None, at: At = None,
          owner: Owner = "default", as_json: Json = False) -> None:
    """Write off damaged or broken stock; a reason is required."""
    with inventory(ctx) as inv:
        movement = inv.scrap(sku=sku, qty=qty(quantity), location=location, reason=reason,
                             **common(owner=owner, key=key, reference=reference, lot=lot, at=at))
    _done(movement, as_json)


def transfer(ctx: typer.Context, sku: Sku, quantity: Qty,
             source: Annotated[str, typer.Option("--from", help="Where from.")],
             target: Annotated[str, typer.Option("--to", help="Where to.")],
             reference: Reference = None, key: Key = None, lot: Lot = None, at: At = None,
             owner: Owner = "default", as_json: Json = False) -> None:
    """Move stock between locations (or to and from transit)."""
    with inventory(ctx) as inv:
        movement = inv.transfer(sku=sku, qty=qty(quantity), source=source, target=target,
                                **common(owner=owner, key=key, reference=reference, lot=lot,
                                         at=at))
    _done(movement, as_json)


def reverse(ctx: typer.Context,
            movement_id: Annotated[int, typer.Argument(metavar="ID", help="Movement id.")],
            reason: Reason, key: Key = None, owner: Owner = "default",
            as_json: Json = False) -> None:
    """Undo a movement with a new movement, dated now (each movement reverses once)."""
    with inventory(ctx) as inv:
        movement = inv.reverse(movement_id, reason=reason, owner=owner, key=key)
    _done(movement, as_json)


def register(app: typer.Typer) -> None:
    """Add the posting commands to ``app``."""
    # every verb reads "-3" as a quantity, so the ledger can say what is wrong with it
    app.command("receive", context_settings=SIGNED)(receive)
    app.command("ship", context_settings=SIGNED)(ship)
    app.command("return", context_settings=SIGNED)(return_)
    app.command("adjust", context_settings=SIGNED)(adjust)
    app.command("scrap", context_settings=SIGNED)(scrap)
    app.command("transfer", context_settings=SIGNED)(transfer)
    app.command("reverse")(reverse)
