"""Purchasing commands: ``supplier add/list`` and ``po create/confirm/receive/cancel/return/
show/list``.

Lines are given as repeated ``--line``: ``SKU:QTY[:COST]`` to order, ``SKU:QTY[:LOT[:EXPIRES]]``
to receive, ``SKU:QTY[:LOT]`` to send back; numbers are read exactly, never as floats. Every
write is a command of the inventory, recorded in the audit trail in the write's own
transaction with the actor ``cli:<login name>``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, Key, Owner, cells, console, echo_json, inventory
from onhand.cli.orders import parse_line, parse_lines
from onhand.domain.imports import money
from onhand.services import purchasing

supplier_app = typer.Typer(no_args_is_help=True, help="Suppliers: whom purchase orders go to.")
po_app = typer.Typer(no_args_is_help=True,
                     help="Purchase orders: order, confirm, receive, cancel, send back.")

Ref = Annotated[str, typer.Argument(metavar="REFERENCE", help="The purchase order's reference, "
                                                              "e.g. PO-7 (unique per owner).")]
CostLines = Annotated[list[str], typer.Option(
    "--line", metavar="SKU:QTY[:COST]", help="A line (repeatable), e.g. MUG-1:40:2.10.")]
ReceiptLines = Annotated[list[str] | None, typer.Option(
    "--line", metavar="SKU:QTY[:LOT[:EXPIRES]]",
    help="What arrived (repeatable), e.g. MILK-1L:6:B-7:2027-01-31; default: everything "
         "still to come.")]
SomeLines = Annotated[list[str] | None, typer.Option(
    "--line", metavar="SKU:QTY", help="A line (repeatable); default: everything still to "
                                      "come.")]
LotLines = Annotated[list[str], typer.Option(
    "--line", metavar="SKU:QTY[:LOT]", help="A line (repeatable), e.g. MUG-1:2.")]
Where = Annotated[str | None, typer.Option("--location", "-l", help="Where, e.g. WH1/A-01.")]


def on_date(text: str, field: str = "expires_on") -> date:
    """Return a date written ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise onhand.InvalidInput(f"{field} {text!r} is not a date like 2027-01-31",
                                  field=field, value=text) from None


def parse_extended(text: str, shape: str,
                   *extra: tuple[str, Callable[[str], Any]]) -> dict[str, Any]:
    """Return ``SKU:QTY`` and up to ``len(extra)`` more ``:``-separated named parts as a line;
    an empty part is left out (``MILK:6::2027-01-31`` has no lot)."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 2 + len(extra):
        raise onhand.InvalidInput(f"--line {text!r} is not {shape}", field="line", value=text)
    line = parse_line(":".join(parts[:2]))
    for (name, parse), part in zip(extra, parts[2:], strict=False):
        if part.strip():
            line[name] = parse(part.strip())
    return line


def show(order: onhand.PurchaseOrder, as_json: bool) -> None:
    """Print a purchase order: its terms, then a line per order line."""
    if as_json:
        echo_json(order.to_dict())
        return
    out = console()
    expected = f", expected {order.expected_on}" if order.expected_on else ""
    out.print(f"{order.reference} ({order.owner}): {order.status}, from {order.supplier} into "
              f"{order.warehouse}{expected}, tolerance {order.tolerance}%", markup=False)
    table = Table("Line", "SKU", "Qty", "Unit cost", "Received", "Cancelled", "Returned",
                  "Incoming")
    for line in order.lines:
        table.add_row(*cells(line.line, line.sku, line.qty, line.unit_cost, line.received,
                             line.cancelled, line.returned, line.incoming))
    out.print(table)


# --- suppliers --------------------------------------------------------------------------------


@supplier_app.command("add")
def supplier_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Unique per owner, e.g. ACME.")],
    name: Annotated[str | None, typer.Option(help="Its name (default: the code).")] = None,
    owner: Owner = "default",
) -> None:
    """Add a supplier."""
    with inventory(ctx) as inv:
        added = inv.add_supplier(code, name, owner=owner)
    typer.echo(f"added supplier {added}")


@supplier_app.command("list")
def supplier_list(ctx: typer.Context, owner: Owner = "default", as_json: Json = False) -> None:
    """List an owner's suppliers by code."""
    with inventory(ctx) as inv:
        found = inv.suppliers(owner=owner)
    if as_json:
        echo_json(found)
        return
    table = Table("Code", "Name", title=f"{len(found)} suppliers")
    for supplier in found:
        table.add_row(*cells(supplier["code"], supplier["name"]))
    console().print(table)


# --- purchase orders ----------------------------------------------------------------------------


@po_app.command("create")
def po_create(
    ctx: typer.Context, reference: Ref, line: CostLines,
    supplier: Annotated[str, typer.Option(help="The supplier's code.")],
    warehouse: Annotated[str, typer.Option(help="The warehouse it arrives in, e.g. WH1.")],
    expected: Annotated[str | None, typer.Option(help="Expected on (YYYY-MM-DD).")] = None,
    tolerance: Annotated[str | None, typer.Option(
        metavar="PERCENT", help="Over-receipt allowed, in percent (default: "
                                "$ONHAND_OVER_RECEIPT_PERCENT, else 0).")] = None,
    confirm: Annotated[bool, typer.Option(
        "--confirm", help="Confirm at once: the lines become incoming.")] = False,
    owner: Owner = "default", as_json: Json = False,
) -> None:
    """Create a purchase order: a draft, or confirmed with --confirm."""
    lines = [parse_extended(text, "SKU:QTY[:COST]", ("unit_cost", money)) for text in line]
    when = None if expected is None else on_date(expected, "expected_on")
    percent = None if tolerance is None else money(tolerance, field="tolerance")
    with inventory(ctx) as inv:  # no tolerance: the inventory's over_receipt_percent
        order = inv.create_purchase_order(reference, lines, supplier=supplier,
                                          warehouse=warehouse, owner=owner, expected_on=when,
                                          tolerance=percent, confirm=confirm)
    show(order, as_json)


@po_app.command("confirm")
def po_confirm(ctx: typer.Context, reference: Ref, owner: Owner = "default",
               as_json: Json = False) -> None:
    """Confirm a draft: its lines become incoming."""
    with inventory(ctx) as inv:
        order = inv.confirm_purchase_order(reference, owner=owner)
    show(order, as_json)


@po_app.command("receive")
def po_receive(ctx: typer.Context, reference: Ref, line: ReceiptLines = None,
               location: Where = None, key: Key = None, owner: Owner = "default",
               as_json: Json = False) -> None:
    """Receive what arrived (all still to come, or --line quantities with lot and expiry)."""
    lines = None if not line else [
        parse_extended(text, "SKU:QTY[:LOT[:EXPIRES]]", ("lot", str), ("expires_on", on_date))
        for text in line]
    with inventory(ctx) as inv:
        order = inv.receive_purchase_order(reference, lines, location=location, owner=owner,
                                           key=key)
    show(order, as_json)


@po_app.command("cancel")
def po_cancel(ctx: typer.Context, reference: Ref, line: SomeLines = None,
              owner: Owner = "default", as_json: Json = False) -> None:
    """Cancel what is still to come (or --line quantities of it)."""
    lines = parse_lines(line)
    with inventory(ctx) as inv:
        order = inv.cancel_purchase_order(reference, lines, owner=owner)
    show(order, as_json)


@po_app.command("return")
def po_return(
    ctx: typer.Context, reference: Ref, line: LotLines,
    reason: Annotated[str, typer.Option(help="Why (required), e.g. chipped.")],
    location: Annotated[str | None, typer.Option(
        "--location", "-l", help="Where they leave from (default: the order's warehouse).")
    ] = None,
    key: Key = None, owner: Owner = "default", as_json: Json = False,
) -> None:
    """Send received units back to the supplier, at the cost they were received at."""
    lines = [{**parse_extended(text, "SKU:QTY[:LOT]", ("lot", str)),
              **({} if location is None else {"location": location})} for text in line]
    with inventory(ctx) as inv:
        order = inv.return_to_supplier(reference, lines, reason=reason, owner=owner, key=key)
    show(order, as_json)


@po_app.command("show")
def po_show(ctx: typer.Context, reference: Ref, owner: Owner = "default",
            as_json: Json = False) -> None:
    """Show a purchase order and its lines."""
    with inventory(ctx) as inv:
        order = inv.purchase_order(reference, owner=owner)
    show(order, as_json)


@po_app.command("list")
def po_list(
    ctx: typer.Context, owner: Owner = "default",
    status: Annotated[str | None, typer.Option(
        help="Only this status: draft, confirmed, closed, cancelled.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 1000).")] = 100,
    after: Annotated[int, typer.Option("--after", metavar="ID",
                                       help="Orders after this id (the next page).")] = 0,
    as_json: Json = False,
) -> None:
    """List purchase orders, oldest first."""
    with inventory(ctx) as inv:
        found = purchasing.list_purchase_orders(inv.unit_of_work(write=False), owner=owner,
                                                status=status, after=after, limit=limit)
    if as_json:
        echo_json([{"id": order_id, **order.to_dict()} for order_id, order in found])
        return
    table = Table("Id", "Reference", "Supplier", "Warehouse", "Status", "Lines", "Expected",
                  title=f"{len(found)} purchase orders")
    for order_id, o in found:
        table.add_row(*cells(order_id, o.reference, o.supplier, o.warehouse, o.status,
                             len(o.lines), o.expected_on))
    if found and len(found) == limit:
        table.caption = f"more: --after {found[-1][0]}"
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``supplier`` and ``po`` to ``app``."""
    app.add_typer(supplier_app, name="supplier")
    app.add_typer(po_app, name="po")
