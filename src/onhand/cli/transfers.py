"""Transfer commands: ``transfer dispatch/receive/show`` move stock between warehouses in two
steps (through transit); ``transfer SKU QTY --from A --to B`` still moves it in one.

Lines are repeated ``--line SKU:QTY[:LOT]``. Every write is a command of the inventory,
recorded in the audit trail in the write's own transaction with the actor ``cli:<login name>``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

import onhand
from onhand.cli import movements
from onhand.cli.common import Json, Key, Owner, cells, console, echo_json, inventory
from onhand.cli.purchasing import parse_extended

ONE_STEP = "move"  # the one-step movement, reached by ``transfer SKU QTY …`` too


class _TransferGroup(TyperGroup):
    """Runs ``transfer dispatch|receive|show …``; anything else is ``transfer move …``, so
    ``onhand transfer SKU QTY --from A --to B`` keeps moving stock in one step."""

    def parse_args(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [ONE_STEP, *args]
        return super().parse_args(ctx, args)


transfer_app = typer.Typer(
    cls=_TransferGroup, no_args_is_help=True,
    help="Move stock: between warehouses in two steps (dispatch, then receive at the target), "
         "or in one: transfer SKU QTY --from A --to B.")

Ref = Annotated[str, typer.Argument(metavar="REFERENCE", help="The transfer's reference, "
                                                              "e.g. TR-7 (unique per owner).")]
SHAPE = "SKU:QTY[:LOT]"


def lines_of(texts: list[str] | None, **extra: Any) -> list[dict[str, Any]] | None:
    """Return every ``--line SKU:QTY[:LOT]`` parsed (with ``extra`` fields); None if none."""
    if not texts:
        return None
    return [{**parse_extended(text, SHAPE, ("lot", str)), **extra} for text in texts]


def show(transfer: onhand.Transfer, as_json: bool) -> None:
    """Print a transfer: where from and to, then a line per item and lot."""
    if as_json:
        echo_json(transfer.to_dict())
        return
    out = console()
    out.print(f"{transfer.reference} ({transfer.owner}): {transfer.status}, {transfer.source} "
              f"-> {transfer.target}", markup=False)
    table = Table("Line", "SKU", "Lot", "Qty", "Received", "Lost")
    for line in transfer.lines:
        table.add_row(*cells(line.line, line.sku, line.lot, line.qty, line.received, line.lost))
    out.print(table)


@transfer_app.command("dispatch")
def transfer_dispatch(
    ctx: typer.Context, reference: Ref,
    line: Annotated[list[str], typer.Option("--line", metavar=SHAPE,
                                            help="A line (repeatable), e.g. MUG-1:4.")],
    source: Annotated[str, typer.Option("--from", help="The warehouse it leaves, e.g. WH1.")],
    target: Annotated[str, typer.Option("--to", help="The warehouse it goes to, e.g. WH2.")],
    location: Annotated[str | None, typer.Option(
        "--location", "-l", help="Take it from this location of the source (default: "
                                 "first-expired, first-in).")] = None,
    owner: Owner = "default", as_json: Json = False,
) -> None:
    """Send stock to another warehouse: it leaves now and is in transit until received."""
    lines = lines_of(line, **({} if location is None else {"location": location})) or []
    with inventory(ctx) as inv:
        transfer = inv.dispatch_transfer(reference, lines, source=source, target=target,
                                         owner=owner)
    show(transfer, as_json)


@transfer_app.command("receive")
def transfer_receive(
    ctx: typer.Context, reference: Ref,
    line: Annotated[list[str] | None, typer.Option(
        "--line", metavar=SHAPE, help="What arrived (repeatable); default: everything sent.")
    ] = None,
    location: Annotated[str | None, typer.Option(
        "--location", "-l", help="Where in the target it is put (default: the warehouse).")
    ] = None,
    reason: Annotated[str | None, typer.Option(
        help="Why the rest is missing (required when short), e.g. crushed.")] = None,
    key: Key = None, owner: Owner = "default", as_json: Json = False,
) -> None:
    """Receive a transfer at its target; what did not arrive is posted to loss."""
    lines = lines_of(line)
    with inventory(ctx) as inv:
        transfer = inv.receive_transfer(reference, lines, location=location, reason=reason,
                                        owner=owner, key=key)
    show(transfer, as_json)


@transfer_app.command("show")
def transfer_show(ctx: typer.Context, reference: Ref, owner: Owner = "default",
                  as_json: Json = False) -> None:
    """Show a transfer and its lines."""
    with inventory(ctx) as inv:
        transfer = inv.transfer_document(reference, owner=owner)
    show(transfer, as_json)


def register(app: typer.Typer) -> None:
    """Add ``transfer`` to ``app``: it takes the place of the one-step ``transfer`` command,
    which stays reachable as before (a Typer group outranks a command of the same name)."""
    transfer_app.command(ONE_STEP, hidden=True, context_settings=movements.SIGNED)(
        movements.transfer)
    app.add_typer(transfer_app, name="transfer")
