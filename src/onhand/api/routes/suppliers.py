"""Suppliers: whom an owner buys from; a purchase order names one by its code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.purchasing_schemas import SupplierIn, SupplierOut
from onhand.api.schemas import Page
from onhand.domain.access import Permission
from onhand.domain.purchasing import AddSupplier
from onhand.services import purchasing

router = APIRouter(prefix="/v1/suppliers", tags=["purchasing"])
Owner = Annotated[str | None, Query(description="Whose suppliers (a caller scoped to one owner "
                                                "never needs it); default: default")]


@router.get("")
def list_suppliers(call: Annotated[Call, call_for(Permission.PURCHASING_READ)],
                   owner: Owner = None, cursor: str | None = None,
                   limit: Limit = 100) -> Page[SupplierOut]:
    """An owner's suppliers, ordered by code, one page at a time."""
    found = purchasing.list_suppliers(call.uow(write=False),
                                      owner=call.principal.owner_for(owner))
    page, more = page_of(found, cursor=cursor, limit=limit, name="code",
                         key=lambda supplier: supplier["code"])
    return Page[SupplierOut](items=[SupplierOut.model_validate(s) for s in page],
                             next_cursor=more)


@router.post("", status_code=201, response_model=SupplierOut)
async def add_supplier(body: SupplierIn,
                       call: Annotated[Call, writer_for(Permission.PURCHASING_WRITE)],
                       owner: Owner = None) -> Response:
    """Create a supplier; its code is unique per owner (409 when taken)."""
    command = AddSupplier(code=body.code, name=body.name, owner=call.principal.owner_for(owner))
    return await submit(call, command, body=body, render=SupplierOut.model_validate)
