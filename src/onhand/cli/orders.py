"""Order and hold commands: ``order create/show/list/update/ship/cancel/return/pick-list`` and
``hold place/show/confirm/release``.

Lines are given as repeated ``--line SKU:QTY`` (``SKU:QTY:PRICE`` where a price belongs),
read exactly, never as floats. Every write is recorded in the audit trail, in the write's own
transaction, with the actor ``cli:<login name>``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

import onhand
from onhand.cli.common import Json, Key, Owner, cells, console, echo_json, inventory, qty, when
from onhand.domain.imports import money
from onhand.services import orders

order_app = typer.Typer(no_args_is_help=True, help="Sales orders: create, ship, cancel, return.")
hold_app = typer.Typer(no_args_is_help=True, help="Holds: a cart's units reserved for a while.")

Ref = Annotated[str, typer.Argument(metavar="REFERENCE", help="The order's reference, e.g. "
                                                              "SHOP-1001 (unique per owner).")]
PricedLines = Annotated[list[str], typer.Option(
    "--line", metavar="SKU:QTY[:PRICE]", help="A line (repeatable), e.g. MUG-1:2:9.50.")]
Lines = Annotated[list[str], typer.Option("--line", metavar="SKU:QTY",
                                          help="A line (repeatable), e.g. MUG-1:2.")]
SomeLines = Annotated[list[str] | None, typer.Option(
    "--line", metavar="SKU:QTY", help="A line (repeatable); default: the whole order.")]
Warehouse = Annotated[str | None, typer.Option(help="The warehouse to reserve in, e.g. WH1.")]
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_line(text: str, *, priced: bool = False) -> dict[str, Any]:
    """Return ``SKU:QTY`` (or ``SKU:QTY:PRICE`` when ``priced``) as a line the services take."""
    parts = text.split(":")
    if len(parts) not in ((2, 3) if priced else (2,)) or not parts[0].strip():
        shape = "SKU:QTY[:PRICE]" if priced else "SKU:QTY"
        raise onhand.InvalidInput(f"--line {text!r} is not {shape}", field="line", value=text)
    line: dict[str, Any] = {"sku": parts[0].strip(), "qty": qty(parts[1])}
    if len(parts) == 3:
        line["unit_price"] = money(parts[2], field="unit_price")
    return line


def parse_lines(texts: list[str] | None, *, priced: bool = False) -> list[dict[str, Any]] | None:
    """Return every ``--line`` parsed; None when none was given."""
    return None if not texts else [parse_line(text, priced=priced) for text in texts]


def duration(text: str) -> timedelta:
    """Return a duration written ``90s``, ``15m``, ``2h`` or ``1d``."""
    found = _DURATION.match(text.strip())
    if found is None:
        raise onhand.InvalidInput(f"--ttl {text!r} is not a duration like 90s, 15m, 2h or 1d",
                                  field="ttl")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def show(order: onhand.Order, as_json: bool) -> None:
    """Print an order: its terms, then a line per order line."""
    if as_json:
        echo_json(order.to_dict())
        return
    out = console()
    until = f", expires {order.expires_at:%Y-%m-%d %H:%M:%S} UTC" if order.expires_at else ""
    out.print(f"{order.reference} ({order.owner}): {order.status}, policy {order.policy}, "
              f"priority {order.priority}{until}", markup=False)
    table = Table("Line", "SKU", "Qty", "Price", "Warehouse", "Reserved", "Backordered",
                  "Shipped", "Cancelled", "Returned")
    for line in order.lines:
        table.add_row(*cells(line.line, line.sku, line.qty, line.unit_price, line.warehouse,
                             line.reserved, line.backordered, line.shipped, line.cancelled,
                             line.returned))
    out.print(table)


# --- orders -----------------------------------------------------------------------------------


@order_app.command("create")
def order_create(
    ctx: typer.Context, reference: Ref, line: PricedLines,
    policy: Annotated[str | None, typer.Option(
        help="Short of stock: reject or backorder (default: the items' own).")] = None,
    warehouse: Warehouse = None,
    any_warehouse: Annotated[bool | None, typer.Option(
        "--any-warehouse/--one-warehouse",
        help="May reserve in another warehouse (default: only when none is named).")] = None,
    priority: Annotated[int, typer.Option(help="Higher is filled first (-1000 to 1000).")] = 0,
    cancel_after: Annotated[str | None, typer.Option(
        help="Cancel backorders still open then (ISO 8601; a date: its end).")] = None,
    owner: Owner = "default", as_json: Json = False,
) -> None:
    """Create an order and reserve its lines at once, all or nothing."""
    deadline = when(cancel_after, "cancel_after")
    lines = parse_lines(line, priced=True) or []
    with inventory(ctx) as inv:
        order = inv.create_order(reference, lines, owner=owner, policy=policy,
                                 warehouse=warehouse, any_warehouse=any_warehouse,
                                 priority=priority, cancel_after=deadline)
    show(order, as_json)


@order_app.command("show")
def order_show(ctx: typer.Context, reference: Ref, owner: Owner = "default",
               as_json: Json = False) -> None:
    """Show an order (or hold) and its lines."""
    with inventory(ctx) as inv:
        order = inv.order(reference, owner=owner)
    show(order, as_json)


@order_app.command("list")
def order_list(
    ctx: typer.Context, owner: Owner = "default",
    status: Annotated[str | None, typer.Option(
        help="Only this status: held, open, completed, cancelled, expired, released.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1 to 1000).")] = 100,
    after: Annotated[int, typer.Option("--after", metavar="ID",
                                       help="Orders after this id (the next page).")] = 0,
    as_json: Json = False,
) -> None:
    """List orders and holds, oldest first."""
    with inventory(ctx) as inv:
        found = orders.list_orders(inv.unit_of_work(write=False), owner=owner, status=status,
                                   after=after, limit=limit)
    if as_json:
        echo_json([{"id": order_id, **order.to_dict()} for order_id, order in found])
        return
    table = Table("Id", "Reference", "Status", "Lines", "Priority", "Created (UTC)",
                  title=f"{len(found)} orders")
    for order_id, o in found:
        table.add_row(*cells(order_id, o.reference, o.status, len(o.lines), o.priority,
                             f"{o.created_at:%Y-%m-%d %H:%M}"))
    if found and len(found) == limit:
        table.caption = f"more: --after {found[-1][0]}"
    console().print(table)


@order_app.command("update")
def order_update(ctx: typer.Context, reference: Ref, line: PricedLines,
                 owner: Owner = "default", as_json: Json = False) -> None:
    """Set the ordered quantity of SKUs before they ship: raise, lower or add lines."""
    lines = parse_lines(line, priced=True) or []
    with inventory(ctx) as inv:
        order = inv.update_order(reference, lines, owner=owner)
    show(order, as_json)


@order_app.command("ship")
def order_ship(ctx: typer.Context, reference: Ref, line: SomeLines = None, key: Key = None,
               owner: Owner = "default", as_json: Json = False) -> None:
    """Ship what the order reserved (all, or --line quantities), picking FEFO then FIFO."""
    lines = parse_lines(line)
    with inventory(ctx) as inv:
        order = inv.ship_order(reference, lines, owner=owner, key=key)
    show(order, as_json)


@order_app.command("cancel")
def order_cancel(ctx: typer.Context, reference: Ref, line: SomeLines = None,
                 reason: Annotated[str | None, typer.Option(help="Why.")] = None,
                 owner: Owner = "default", as_json: Json = False) -> None:
    """Cancel what is left of an order (or --line quantities); reservations are freed."""
    lines = parse_lines(line)
    with inventory(ctx) as inv:
        order = inv.cancel_order(reference, lines, owner=owner, reason=reason)
    show(order, as_json)


@order_app.command("return")
def order_return(
    ctx: typer.Context, reference: Ref, line: Lines,
    location: Annotated[str, typer.Option("--location", "-l", help="Where the units go back "
                                                                   "(sellable or not).")],
    reason: Annotated[str, typer.Option(help="Why (required), e.g. dented.")],
    key: Key = None, owner: Owner = "default", as_json: Json = False,
) -> None:
    """Take back shipped units of an order (an RMA), no more than it shipped."""
    lines = parse_lines(line) or []
    with inventory(ctx) as inv:
        order = inv.return_order(reference, lines, location=location, reason=reason,
                                 owner=owner, key=key)
    show(order, as_json)


@order_app.command("pick-list")
def order_pick_list(ctx: typer.Context, reference: Ref, owner: Owner = "default",
                    as_json: Json = False) -> None:
    """Show where to take an order's reserved units from (first-expired, first-in)."""
    with inventory(ctx) as inv:
        picks = inv.pick_list(reference, owner=owner)
    if as_json:
        echo_json([pick.to_dict() for pick in picks])
        return
    table = Table("Line", "SKU", "Location", "Lot", "Qty", title=f"pick list of {reference}")
    for pick in picks:
        table.add_row(*cells(pick.line, pick.sku, pick.location, pick.lot, pick.qty))
    console().print(table)


# --- holds ------------------------------------------------------------------------------------


@hold_app.command("place")
def hold_place(
    ctx: typer.Context, reference: Ref, line: PricedLines,
    ttl: Annotated[str, typer.Option(help="How long it holds: 90s, 15m, 2h, 1d.")] = "15m",
    warehouse: Warehouse = None, owner: Owner = "default", as_json: Json = False,
) -> None:
    """Reserve a cart's lines for a while (all or nothing)."""
    lines, lasting = parse_lines(line, priced=True) or [], duration(ttl)
    with inventory(ctx) as inv:
        order = inv.place_hold(reference, lines, ttl=lasting, owner=owner, warehouse=warehouse)
    show(order, as_json)


@hold_app.command("show")
def hold_show(ctx: typer.Context, reference: Ref, owner: Owner = "default",
              as_json: Json = False) -> None:
    """Show a hold (or the order it became)."""
    order_show(ctx, reference, owner, as_json)


@hold_app.command("confirm")
def hold_confirm(ctx: typer.Context, reference: Ref, owner: Owner = "default",
                 as_json: Json = False) -> None:
    """Turn a live hold into an order; its units stay reserved."""
    with inventory(ctx) as inv:
        order = inv.confirm_hold(reference, owner=owner)
    show(order, as_json)


@hold_app.command("release")
def hold_release(ctx: typer.Context, reference: Ref, owner: Owner = "default",
                 as_json: Json = False) -> None:
    """Give a hold's units back at once."""
    with inventory(ctx) as inv:
        order = inv.release_hold(reference, owner=owner)
    show(order, as_json)


def register(app: typer.Typer) -> None:
    """Add ``order`` and ``hold`` to ``app``."""
    app.add_typer(order_app, name="order")
    app.add_typer(hold_app, name="hold")
