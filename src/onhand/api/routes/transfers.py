"""Transfers between warehouses in two steps: dispatch into transit, receive at the target.

Dispatch picks first-expired, first-in from the source (or the lines' own locations), never
takes what open orders reserved (409), and shows the units ``in_transit`` at the target.
Receipt puts them away; what did not arrive goes to loss, with a reason (422 without one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, submit, writer_for
from onhand.api.purchasing_schemas import TransferIn, TransferOut, TransferReceiveIn
from onhand.domain.access import Permission
from onhand.domain.transfers import DispatchTransfer, ReceiveTransfer
from onhand.services import transfers

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])
Owner = Annotated[str | None, Query(description="Whose stock (a caller scoped to one owner "
                                                "never needs it); default: default")]
Reference = Annotated[str, Path(min_length=1, max_length=200,
                                description="The transfer's reference, unique per owner")]
# a transfer is two legs of ledger movements: whoever reads the ledger reads it
READ, WRITE = Permission.MOVEMENTS_READ, Permission.TRANSFERS_WRITE


@router.post("", status_code=201, response_model=TransferOut)
async def dispatch_transfer(body: TransferIn, call: Annotated[Call, writer_for(WRITE)],
                            owner: Owner = None) -> Response:
    """Send stock from one warehouse to another: it leaves now and is in transit.

    The same reference with the same lines again answers the transfer already made.
    """
    command = DispatchTransfer(reference=body.reference, source=body.source,
                               destination=body.target,
                               lines=tuple(line.fields() for line in body.lines),
                               owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, render=TransferOut.of)


@router.get("/{reference}")
def get_transfer(reference: Reference, call: Annotated[Call, call_for(READ)],
                 owner: Owner = None) -> TransferOut:
    """One transfer by its reference."""
    return TransferOut.of(transfers.get_transfer(call.uow(write=False), reference=reference,
                                                 owner=call.principal.owner_for(owner)))


@router.post("/{reference}/receive", response_model=TransferOut)
async def receive_transfer(reference: Reference, call: Annotated[Call, writer_for(WRITE)],
                           body: TransferReceiveIn | None = None,
                           owner: Owner = None) -> Response:
    """Receive a transfer at its target: all of it, or ``lines`` with a ``reason`` for the rest.

    A transfer is received once (409 the second time).
    """
    given = body or TransferReceiveIn()
    command = ReceiveTransfer(
        reference=reference, owner=call.principal.owner_for(owner), location=given.location,
        lines=None if given.lines is None else tuple(line.fields() for line in given.lines),
        reason=given.reason)
    return await submit(call, command, body=body, status=200, render=TransferOut.of)
