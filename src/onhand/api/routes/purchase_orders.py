"""Purchase orders: create (a draft, or confirmed at once), confirm, receive, cancel, return.

A confirmed order's lines are ``incoming`` in its warehouse until received or cancelled.
Receiving may exceed a line by the order's tolerance and no more (422, naming the line); a
receipt posts at the line's unit cost and fills waiting backorders. Unit costs are costs: a
role that may not see them gets ``null``. Another owner's order answers 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, decode_cursor, encode_cursor, submit, writer_for
from onhand.api.purchasing_schemas import (
    PurchaseCancelIn,
    PurchaseOrderIn,
    PurchaseOrderOut,
    ReceiveIn,
    SupplierReturnIn,
)
from onhand.api.schemas import Page
from onhand.domain.access import Permission
from onhand.domain.purchasing import (
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    PurchaseOrder,
    ReceivePurchaseOrder,
    ReturnToSupplier,
)
from onhand.errors import Forbidden
from onhand.services import purchasing

router = APIRouter(prefix="/v1/purchase-orders", tags=["purchasing"])
Owner = Annotated[str | None, Query(description="Whose purchase orders (a caller scoped to one "
                                                "owner never needs it); default: default")]
Reference = Annotated[str, Path(min_length=1, max_length=200,
                                description="The purchase order's reference, unique per owner")]
Status = Literal["draft", "confirmed", "closed", "cancelled"]
READ, WRITE = Permission.PURCHASING_READ, Permission.PURCHASING_WRITE
RECEIVE = Permission.PURCHASING_RECEIVE
MAX_LIST = 1000  # the service's largest page


def lines_of(lines: Sequence[Any] | None) -> tuple[dict[str, Any], ...] | None:
    """Return request lines as the commands take them; None (the whole order) stays None."""
    return None if lines is None else tuple(line.fields() for line in lines)


def render(call: Call) -> Callable[[PurchaseOrder], PurchaseOrderOut]:
    """Return how a purchase order is answered to the caller (costs only if it may see them)."""
    return lambda order: PurchaseOrderOut.of(order, costs=call.costs)


def _check_costs(call: Call, body: PurchaseOrderIn) -> None:
    """A role that may not see costs may not set them either (403, naming the line)."""
    for number, line in enumerate(body.lines, start=1):
        if line.unit_cost is not None and not call.costs:
            raise Forbidden(f"the role {call.principal.role.value!r} may not set a unit cost",
                            field="unit_cost", role=call.principal.role.value).at_line(number)


@router.post("", status_code=201, response_model=PurchaseOrderOut)
async def create_purchase_order(body: PurchaseOrderIn, call: Annotated[Call, writer_for(WRITE)],
                                owner: Owner = None) -> Response:
    """Create a purchase order into a warehouse: a draft, or confirmed with ``confirm``.

    The same reference with the same order again answers the order already made; with
    another order, 409 (``DuplicateOrder``).
    """
    _check_costs(call, body)
    command = CreatePurchaseOrder(
        reference=body.reference, supplier=body.supplier, warehouse=body.warehouse,
        lines=lines_of(body.lines) or (), owner=call.principal.owner_for(owner),
        expected_on=body.expected_on, confirm=body.confirm,
        tolerance=None if body.tolerance is None else Decimal(str(body.tolerance)))
    return await submit(call, command, body=body, render=render(call))


@router.get("")
def list_purchase_orders(call: Annotated[Call, call_for(READ)], owner: Owner = None,
                         status: Status | None = None, cursor: str | None = None,
                         limit: Limit = 100) -> Page[PurchaseOrderOut]:
    """An owner's purchase orders, oldest first, one page at a time."""
    position = decode_cursor(cursor, id=int)
    fetch = min(limit + 1, MAX_LIST)  # one more than a page tells whether more follow
    found = purchasing.list_purchase_orders(
        call.uow(write=False), owner=call.principal.owner_for(owner), status=status,
        after=0 if position is None else position["id"], limit=fetch)
    page = found[:limit]
    more = len(found) > limit or (len(found) == fetch == limit)
    return Page[PurchaseOrderOut](
        items=[PurchaseOrderOut.of(order, costs=call.costs) for _, order in page],
        next_cursor=encode_cursor({"id": page[-1][0]}) if more else None)


@router.get("/{reference}")
def get_purchase_order(reference: Reference, call: Annotated[Call, call_for(READ)],
                       owner: Owner = None) -> PurchaseOrderOut:
    """One purchase order by its reference."""
    order = purchasing.get_purchase_order(call.uow(write=False), reference=reference,
                                          owner=call.principal.owner_for(owner))
    return PurchaseOrderOut.of(order, costs=call.costs)


@router.post("/{reference}/confirm", response_model=PurchaseOrderOut)
async def confirm_purchase_order(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                                 owner: Owner = None) -> Response:
    """Confirm a draft: its lines become incoming (409 unless it is a draft)."""
    command = ConfirmPurchaseOrder(reference=reference, owner=call.principal.owner_for(owner))
    return await submit(call, command, status=200, render=render(call))


@router.post("/{reference}/receive", response_model=PurchaseOrderOut)
async def receive_purchase_order(reference: Reference,
                                 call: Annotated[Call, writer_for(RECEIVE)],
                                 body: ReceiveIn | None = None, owner: Owner = None) -> Response:
    """Receive a confirmed order: everything still to come, or ``lines`` (with lot and expiry).

    A draft, closed or cancelled order answers 409; beyond the tolerance, 422 naming the line.
    """
    given = body or ReceiveIn()
    command = ReceivePurchaseOrder(reference=reference, lines=lines_of(given.lines),
                                   location=given.location,
                                   owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=render(call))


@router.post("/{reference}/cancel", response_model=PurchaseOrderOut)
async def cancel_purchase_order(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                                body: PurchaseCancelIn | None = None,
                                owner: Owner = None) -> Response:
    """Cancel what is still to come (or ``lines`` of it); incoming falls by as much."""
    command = CancelPurchaseOrder(reference=reference,
                                  lines=lines_of(None if body is None else body.lines),
                                  owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=render(call))


@router.post("/{reference}/return", response_model=PurchaseOrderOut)
async def return_to_supplier(reference: Reference, body: SupplierReturnIn,
                             call: Annotated[Call, writer_for(WRITE)],
                             owner: Owner = None) -> Response:
    """Send received units back to the supplier, at the cost they were received at.

    No more than received and not yet returned (422, naming the line).
    """
    command = ReturnToSupplier(reference=reference, lines=lines_of(body.lines) or (),
                               reason=body.reason, owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, status=200, render=render(call))
