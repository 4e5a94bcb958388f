"""Sales orders: create (reserving at once), read, change, ship, cancel, take returns.

An order belongs to an owner; its reference is unique per owner. A caller scoped to one
owner sees only that owner's orders: another owner's answers 404 (``UnknownOrder``).
Creating answers 201; the actions on an order answer 200 with the order as it now is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, decode_cursor, encode_cursor, submit, writer_for
from onhand.api.order_schemas import (
    CancelIn,
    LineIn,
    OrderIn,
    OrderOut,
    OrderUpdateIn,
    PickListOut,
    PickOut,
    ReturnIn,
    ShipIn,
)
from onhand.api.schemas import Page
from onhand.domain.access import Permission
from onhand.domain.orders import CancelOrder, CreateOrder, ReturnOrder, ShipOrder, UpdateOrder
from onhand.services import fulfilment, orders

router = APIRouter(prefix="/v1/orders", tags=["orders"])
Owner = Annotated[str | None, Query(description="Whose orders (a caller scoped to one owner "
                                                "never needs it); default: default")]
Reference = Annotated[str, Path(description="The order's reference, unique per owner")]
Status = Literal["held", "open", "completed", "cancelled", "expired", "released"]
READ, WRITE, FULFIL = Permission.ORDERS_READ, Permission.ORDERS_WRITE, Permission.ORDERS_FULFIL


def lines_of(lines: Sequence[LineIn]) -> tuple[dict[str, Any], ...]:
    """Return request lines as the services take them."""
    return tuple(line.fields() for line in lines)


def some_lines(lines: Sequence[LineIn] | None) -> tuple[dict[str, Any], ...] | None:
    """Return request lines as the services take them; None (the whole order) stays None."""
    return None if lines is None else lines_of(lines)


@router.post("", status_code=201, response_model=OrderOut)
async def create_order(body: OrderIn, call: Annotated[Call, writer_for(WRITE)],
                       owner: Owner = None) -> Response:
    """Create an order and reserve its lines at once, all or nothing.

    Short of stock, policy ``reject`` answers 409 (``InsufficientStock``, naming the line)
    and writes nothing; ``backorder`` reserves what exists and backorders the rest.
    """
    command = CreateOrder(reference=body.reference, lines=lines_of(body.lines),
                          owner=call.principal.owner_for(owner), policy=body.policy,
                          warehouse=body.warehouse, any_warehouse=body.any_warehouse,
                          priority=body.priority, cancel_after=body.cancel_after)
    return await submit(call, command, body=body, render=OrderOut.of)


@router.get("")
def list_orders(call: Annotated[Call, call_for(READ)], owner: Owner = None,
                status: Status | None = None, cursor: str | None = None,
                limit: Limit = 100) -> Page[OrderOut]:
    """An owner's orders and holds, oldest first, one page at a time."""
    position = decode_cursor(cursor, id=int)
    fetch = min(limit + 1, orders.MAX_LIST)  # one more than a page tells whether more follow
    found = orders.list_orders(call.uow(write=False), owner=call.principal.owner_for(owner),
                               status=status, after=0 if position is None else position["id"],
                               limit=fetch)
    page = found[:limit]
    more = len(found) > limit or (len(found) == fetch == limit)
    return Page[OrderOut](items=[OrderOut.of(order) for _, order in page],
                          next_cursor=encode_cursor({"id": page[-1][0]}) if more else None)


@router.get("/{reference}")
def get_order(reference: Reference, call: Annotated[Call, call_for(READ)],
              owner: Owner = None) -> OrderOut:
    """One order (or hold) by its reference."""
    return OrderOut.of(orders.get_order(call.uow(write=False), reference=reference,
                                        owner=call.principal.owner_for(owner)))


@router.post("/{reference}/update", response_model=OrderOut)
async def update_order(reference: Reference, body: OrderUpdateIn,
                       call: Annotated[Call, writer_for(WRITE)], owner: Owner = None) -> Response:
    """Set the ordered quantity of SKUs before they ship: raise, lower or add lines."""
    command = UpdateOrder(reference=reference, lines=lines_of(body.lines),
                          owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=OrderOut.of)


@router.post("/{reference}/ship", response_model=OrderOut)
async def ship_order(reference: Reference, call: Annotated[Call, writer_for(FULFIL)],
                     body: ShipIn | None = None, owner: Owner = None) -> Response:
    """Ship what the order reserved (all, or ``lines``), picking first-expired, first-in.

    Shipping more of a line than it has reserved answers 422, naming the line.
    """
    lines = some_lines(None if body is None else body.lines)
    command = ShipOrder(reference=reference, lines=lines, owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=OrderOut.of)


@router.post("/{reference}/cancel", response_model=OrderOut)
async def cancel_order(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                       body: CancelIn | None = None, owner: Owner = None) -> Response:
    """Cancel what is left of the order, or ``lines`` quantities; reservations are freed."""
    given = body or CancelIn(lines=None)
    command = CancelOrder(reference=reference, lines=some_lines(given.lines),
                          owner=call.principal.owner_for(owner), reason=given.reason)
    return await submit(call, command, body=body, status=200, render=OrderOut.of)


@router.post("/{reference}/returns", response_model=OrderOut)
async def return_order(reference: Reference, body: ReturnIn,
                       call: Annotated[Call, writer_for(FULFIL)], owner: Owner = None) -> Response:
    """Take back shipped units (an RMA) into a location, sellable or not, with a reason.

    A line takes back no more than it shipped and has not had returned (422 beyond).
    """
    command = ReturnOrder(reference=reference, lines=lines_of(body.lines),
                          location=body.location, reason=body.reason,
                          owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=OrderOut.of)


@router.get("/{reference}/pick-list")
def pick_list(reference: Reference, call: Annotated[Call, call_for(READ)],
              owner: Owner = None) -> PickListOut:
    """Where to take the order's reserved units from (first-expired, first-in), unshipped."""
    picks = fulfilment.pick_list(call.uow(write=False), reference=reference,
                                 owner=call.principal.owner_for(owner))
    return PickListOut(reference=reference,
                       picks=[PickOut.model_validate(pick.to_dict()) for pick in picks])
