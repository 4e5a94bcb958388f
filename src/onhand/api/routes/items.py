"""Items: the catalog of an owner's SKUs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, decode_cursor, encode_cursor, submit, writer_for
from onhand.api.schemas import ItemIn, ItemOut, Page
from onhand.domain.access import Permission
from onhand.domain.items import AddItem
from onhand.services import catalog

router = APIRouter(prefix="/v1/items", tags=["items"])
Owner = Annotated[str | None, Query(description="Whose items (a caller scoped to one owner "
                                                "never needs it); default: default")]


@router.get("")
def list_items(call: Annotated[Call, call_for(Permission.CATALOG_READ)], owner: Owner = None,
               cursor: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Page[ItemOut]:
    """An owner's items, ordered by SKU, one page at a time."""
    after = decode_cursor(cursor, sku=str)
    found = catalog.list_items(call.uow(write=False), owner=call.principal.owner_for(owner),
                               after=None if after is None else after["sku"],
                               limit=limit + 1)
    more = len(found) > limit
    page = found[:limit]
    return Page[ItemOut](items=[ItemOut.of(item) for item in page],
                         next_cursor=encode_cursor({"sku": page[-1].sku}) if more else None)


@router.get("/{sku}")
def get_item(sku: str, call: Annotated[Call, call_for(Permission.CATALOG_READ)],
             owner: Owner = None) -> ItemOut:
    """One item, by SKU or barcode."""
    return ItemOut.of(catalog.get_item(call.uow(write=False), sku=sku,
                                       owner=call.principal.owner_for(owner)))


@router.post("", status_code=201, response_model=ItemOut)
async def add_item(body: ItemIn, call: Annotated[Call, writer_for(Permission.CATALOG_WRITE)],
                   owner: Owner = None) -> Response:
    """Create an item; its SKU is unique per owner. A ``cost_required`` item refuses
    receipts without a unit cost; its ``weight`` per unit may spread landed costs."""
    who = call.principal.owner_for(owner)
    return await submit(call, AddItem(item=body.item(who)), body=body, render=ItemOut.of)
