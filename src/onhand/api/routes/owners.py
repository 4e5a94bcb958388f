"""Owners: a merchant, or each client of a 3PL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.schemas import OwnerIn, OwnerOut, Page
from onhand.domain.access import Permission
from onhand.domain.owners import AddOwner
from onhand.services import catalog

router = APIRouter(prefix="/v1/owners", tags=["owners"])


@router.get("")
def list_owners(call: Annotated[Call, call_for(Permission.OWNERS_READ)],
                cursor: str | None = None, limit: Limit = 100) -> Page[OwnerOut]:
    """Every owner the caller may see (a scoped caller: its own), ordered by code."""
    scope = call.principal.owner
    visible = [owner for owner in catalog.list_owners(call.uow(write=False))
               if scope in (None, owner.code)]
    page, after = page_of(visible, cursor=cursor, limit=limit, name="code",
                          key=lambda owner: owner.code)
    return Page[OwnerOut](items=[OwnerOut(**owner._asdict()) for owner in page],
                          next_cursor=after)


@router.post("", status_code=201, response_model=OwnerOut)
async def add_owner(body: OwnerIn, call: Annotated[Call, writer_for(Permission.OWNERS_WRITE)]) -> Response:
    """Create an owner."""
    command = AddOwner(code=body.code, name=body.name, currency=body.currency,
                       time_zone=body.time_zone)
    return await submit(call, command, body=body,
                        render=lambda owner: OwnerOut(**owner._asdict()))
