"""Valuation reports: what each item's stock is worth, now or at any past moment, and what
its sales of a period cost. Costs are shown only to roles that may see them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from onhand.api.deps import Call, Limit, call_for, page_of
from onhand.api.schemas import ItemCogsOut, ItemValueOut, Page
from onhand.domain.access import Permission
from onhand.domain.times import parse_day_or_time
from onhand.services import valuation

router = APIRouter(tags=["valuation"])
Owner = Annotated[str | None, Query(description="Whose stock (a caller scoped to one owner "
                                                "never needs it); default: default")]
Sku = Annotated[str | None, Query(description="Only this item")]
DAY_OR_TIME = "a date (a whole day in the owner's time zone) or an ISO 8601 time with offset"
AsOf = Annotated[str | None, Query(description=f"When: {DAY_OR_TIME}, the end of the day; "
                                               "default: now")]
Since = Annotated[str, Query(description=f"From: {DAY_OR_TIME}, the start of the day")]
Until = Annotated[str, Query(description=f"To: {DAY_OR_TIME}, the day included; a time "
                                         "excluded")]
COSTS = Permission.COSTS


@router.get("/v1/valuation")
def list_valuation(call: Annotated[Call, call_for(COSTS)], owner: Owner = None,
                   sku: Sku = None, as_of: AsOf = None, cursor: str | None = None,
                   limit: Limit = 100) -> Page[ItemValueOut]:
    """Each item's units on hand and their value (FIFO or moving average, in the owner's
    currency), ordered by SKU: of one owner — the caller's scope, else ``owner``, else
    ``default``, as for stock — never of every owner at once."""
    found = valuation.valuation(
        call.uow(write=False), owner=call.principal.owner_for(owner), sku=sku,
        as_of=None if as_of is None else parse_day_or_time(as_of, field="as_of"))
    page, after = page_of(found, cursor=cursor, limit=limit, name="sku",
                          key=lambda value: value.sku)
    return Page[ItemValueOut](items=[ItemValueOut.of(value) for value in page],
                              next_cursor=after)


@router.get("/v1/cogs")
def list_cogs(call: Annotated[Call, call_for(COSTS)], since: Since, until: Until,
              owner: Owner = None, sku: Sku = None, cursor: str | None = None,
              limit: Limit = 100) -> Page[ItemCogsOut]:
    """Each item's cost of goods sold, revenue and margin over ``since`` to ``until``,
    ordered by SKU: of one owner, chosen as for ``/v1/valuation``."""
    found = valuation.cogs(
        call.uow(write=False), owner=call.principal.owner_for(owner), sku=sku,
        since=parse_day_or_time(since, field="since"),
        until=parse_day_or_time(until, field="until"))
    page, after = page_of(found, cursor=cursor, limit=limit, name="sku",
                          key=lambda cogs: cogs.sku)
    return Page[ItemCogsOut](items=[ItemCogsOut.of(cogs) for cogs in page], next_cursor=after)
