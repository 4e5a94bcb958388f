"""Transfers between warehouses in two steps: dispatch into transit, receive at the target.

Dispatch picks first-expired, first-in from the source (or the lines' own locations), never
takes what open orders reserved (409), and shows the units ``in_transit`` at the target.
Receipt puts them away; what did not arrive goes to loss, with a reason (422 without one).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, write, writer_for
from onhand.api.purchasing_schemas import TransferIn, TransferOut, TransferReceiveIn
from onhand.domain.access import Permission
from onhand.domain.purchasing import Transfer
from onhand.services import transfers

router = APIRouter(prefix="/v1/transfers", tags=["transfers"])
Owner = Annotated[str | None, Query(description="Whose stock (a caller scoped to one owner "
                                                "never needs it); default: default")]
Reference = Annotated[str, Path(min_length=1, max_length=200,
                                description="The transfer's reference, unique per owner")]
# a transfer is two legs of ledger movements: whoever reads the ledger reads it
READ, WRITE = Permission.MOVEMENTS_READ, Permission.TRANSFERS_WRITE


def effect(transfer: Transfer) -> dict[str, Any]:
    """What the audit trail keeps of a transfer write: the status it left it in."""
    return {"status": transfer.status}


@router.post("", status_code=201, response_model=TransferOut)
async def dispatch_transfer(body: TransferIn, call: Annotated[Call, writer_for(WRITE)],
                            owner: Owner = None) -> Response:
    """Send stock from one warehouse to another: it leaves now and is in transit.

    The same reference with the same lines again answers the transfer already made.
    """
    who = call.principal.owner_for(owner)
    return await write(call, action="transfers.dispatch", owner=who, target=body.reference,
                       body=body, render=TransferOut.of, effect=effect,
                       run=lambda uow: transfers.dispatch_transfer(
                           uow, reference=body.reference, source=body.source,
                           target=body.target, lines=[line.fields() for line in body.lines],
                           owner=who))


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
    who = call.principal.owner_for(owner)
    given = body or TransferReceiveIn()
    lines = None if given.lines is None else [line.fields() for line in given.lines]
    return await write(call, action="transfers.receive", owner=who, target=reference,
                       body=body, status=200, render=TransferOut.of, effect=effect,
                       run=lambda uow: transfers.receive_transfer(
                           uow, reference=reference, owner=who, lines=lines,
                           location=given.location, reason=given.reason))
