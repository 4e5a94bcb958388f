"""Locations: warehouses and their bins (internal), and the virtual ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.schemas import LocationIn, LocationOut, Page, SellableIn, SellableOut
from onhand.domain.access import Permission
from onhand.domain.locations import AddLocation, SetSellable
from onhand.services import catalog

router = APIRouter(prefix="/v1/locations", tags=["locations"])


@router.get("")
def list_locations(call: Annotated[Call, call_for(Permission.LOCATIONS_READ)],
                   cursor: str | None = None, limit: Limit = 100) -> Page[LocationOut]:
    """Every location, ordered by path, one page at a time."""
    page, after = page_of(catalog.list_locations(call.uow(write=False)), cursor=cursor,
                          limit=limit, name="path", key=lambda row: row[0])
    return Page[LocationOut](
        items=[LocationOut(**place._asdict()) for place in page],
        next_cursor=after)


@router.post("", status_code=201, response_model=LocationOut)
async def add_location(body: LocationIn,
                       call: Annotated[Call, writer_for(Permission.LOCATIONS_WRITE)]) -> Response:
    """Create an internal location; its parent must exist (``WH1`` before ``WH1/A-01``)."""
    return await submit(call, AddLocation(path=body.path, name=body.name, sellable=body.sellable),
                        body=body, render=lambda place: LocationOut(**place._asdict()))


@router.post("/{path:path}/sellable", response_model=SellableOut)
async def set_sellable(path: str, body: SellableIn,
                       call: Annotated[Call, writer_for(Permission.LOCATIONS_WRITE)]) -> Response:
    """Flag a location and everything below it sellable or not (damaged, quarantine).

    Stock that stops being sellable leaves available; orders it covered may be backordered.
    """
    return await submit(call, SetSellable(path=path, sellable=body.sellable), body=body,
                        status=200,
                        render=lambda _: SellableOut(path=path, sellable=body.sellable))
