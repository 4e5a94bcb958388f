"""Holds: a cart's or checkout's units reserved for a while, then confirmed or let go.

A hold is an order with status ``held`` and an expiry; once it expires its units stop
counting as reserved at once (reads never show them), and it can no longer be confirmed
(409 ``HoldExpired``). Confirming turns it into an order under the same reference.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, submit, writer_for
from onhand.api.order_schemas import HoldIn, OrderOut
from onhand.api.routes.orders import READ, WRITE, Owner, Reference, lines_of
from onhand.domain.orders import ConfirmHold, PlaceHold, ReleaseHold
from onhand.services import orders

router = APIRouter(prefix="/v1/holds", tags=["orders"])


@router.post("", status_code=201, response_model=OrderOut)
async def place_hold(body: HoldIn, call: Annotated[Call, writer_for(WRITE)],
                     owner: Owner = None) -> Response:
    """Reserve a cart's lines for ``ttl_seconds`` (all or nothing: 409 when short)."""
    command = PlaceHold(reference=body.reference, lines=lines_of(body.lines),
                        ttl=timedelta(seconds=body.ttl_seconds),
                        owner=call.principal.owner_for(owner), warehouse=body.warehouse)
    return await submit(call, command, body=body, render=OrderOut.of)


@router.get("/{reference}")
def get_hold(reference: Reference, call: Annotated[Call, call_for(READ)],
             owner: Owner = None) -> OrderOut:
    """One hold (or the order it became) by its reference."""
    return OrderOut.of(orders.get_order(call.uow(write=False), reference=reference,
                                        owner=call.principal.owner_for(owner)))


@router.post("/{reference}/confirm", response_model=OrderOut)
async def confirm_hold(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                       owner: Owner = None) -> Response:
    """Turn a live hold into an order; its units stay reserved."""
    command = ConfirmHold(reference=reference, owner=call.principal.owner_for(owner))
    return await submit(call, command, status=200, render=OrderOut.of)


@router.post("/{reference}/release", response_model=OrderOut)
async def release_hold(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                       owner: Owner = None) -> Response:
    """Give a hold's units back at once."""
    command = ReleaseHold(reference=reference, owner=call.principal.owner_for(owner))
    return await submit(call, command, status=200, render=OrderOut.of)
