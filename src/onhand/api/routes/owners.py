"""Owners: a merchant, or each client of a 3PL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, write, writer_for
from onhand.api.schemas import OwnerIn, OwnerOut
from onhand.domain.access import Permission
from onhand.services import catalog

router = APIRouter(prefix="/v1/owners", tags=["owners"])


@router.get("")
def list_owners(call: Annotated[Call, call_for(Permission.OWNERS_READ)]) -> list[OwnerOut]:
    """Every owner the caller may see (a scoped caller: its own)."""
    scope = call.principal.owner
    return [OwnerOut(code=code, name=name) for code, name in catalog.list_owners(call.uow(write=False))
            if scope in (None, code)]


@router.post("", status_code=201, response_model=OwnerOut)
async def add_owner(body: OwnerIn, call: Annotated[Call, writer_for(Permission.OWNERS_WRITE)]) -> Response:
    """Create an owner."""
    return await write(call, action="owners.add", owner=None, target=body.code, body=body,
                 run=lambda uow: catalog.add_owner(uow, code=body.code, name=body.name),
                 render=lambda code: OwnerOut(code=code, name=body.name or code))
