"""Stock levels: of every item, or of one by location, now or as of any past time; and the
safety stock a warehouse keeps out of what orders may reserve."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, Limit, call_for, page_of, submit, writer_for
from onhand.api.schemas import Page, SafetyStockIn, SafetyStockOut, StockOut
from onhand.domain.access import Permission
from onhand.domain.stock import SetSafetyStock
from onhand.domain.times import parse_time
from onhand.services import stock

router = APIRouter(prefix="/v1/stock", tags=["stock"])
Owner = Annotated[str | None, Query(description="Whose stock (a caller scoped to one owner "
                                                "never needs it); default: default")]
AsOf = Annotated[str | None, Query(description="ISO 8601 time with offset, or a date (its end)")]
READ = Permission.STOCK_READ


@router.get("")
def list_stock(call: Annotated[Call, call_for(READ)], owner: Owner = None,
               location: str | None = None, as_of: AsOf = None, cursor: str | None = None,
               limit: Limit = 100) -> Page[StockOut]:
    """The stock of every item that has some (within ``location``), ordered by SKU."""
    found = stock.levels(call.uow(write=False), owner=call.principal.owner_for(owner),
                         location=location,
                         as_of=None if as_of is None else parse_time(as_of, field="as_of"))
    page, after = page_of(found, cursor=cursor, limit=limit, name="sku",
                          key=lambda level: level.sku)
    return Page[StockOut](items=[StockOut.of(level) for level in page], next_cursor=after)


@router.get("/{sku}")
def get_stock(sku: str, call: Annotated[Call, call_for(READ)], owner: Owner = None,
              location: str | None = None, lot: str | None = None,
              as_of: AsOf = None) -> StockOut:
    """One item's stock at ``location`` and below (all internal locations by default)."""
    return StockOut.of(stock.stock(
        call.uow(write=False), sku=sku, owner=call.principal.owner_for(owner),
        location=location, lot=lot,
        as_of=None if as_of is None else parse_time(as_of, field="as_of")))


@router.post("/{sku}/safety-stock", response_model=SafetyStockOut)
async def set_safety_stock(sku: str, body: SafetyStockIn,
                           call: Annotated[Call, writer_for(Permission.SAFETY_STOCK)],
                           owner: Owner = None) -> Response:
    """Keep ``qty`` of an item in a warehouse out of what orders may reserve (0: none)."""
    who = call.principal.owner_for(owner)
    qty = Decimal(str(body.qty))
    command = SetSafetyStock(sku=sku, warehouse=body.warehouse, qty=qty, owner=who)
    return await submit(call, command, body=body, status=200,
                        render=lambda _: SafetyStockOut(sku=sku, owner=who,
                                                        warehouse=body.warehouse, qty=str(qty)))
