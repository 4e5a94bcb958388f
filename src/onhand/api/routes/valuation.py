"""Valuation: what each item's stock is worth, now or at any past moment, and what its sales
of a period cost; the stored value of each movement; a period's journal for the books. Costs
are shown only to roles that may see them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import (
    Call,
    Limit,
    call_for,
    page_at,
    page_by,
    page_of,
    submit,
    writer_for,
)
from onhand.api.schemas import ItemCogsOut, ItemValueOut, Page
from onhand.api.valuation_schemas import (
    JournalExportIn,
    JournalExportOut,
    OwnerValueOut,
    ValueEntryOut,
)
from onhand.domain.access import Permission
from onhand.domain.times import parse_day_or_time
from onhand.domain.valuation.journal import ExportJournal
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
From = Annotated[str | None, Query(description=f"From: {DAY_OR_TIME}, the start of the day; "
                                               "default: the first")]
To = Annotated[str | None, Query(description=f"To: {DAY_OR_TIME}, the day included; a time "
                                             "excluded; default: the last")]
By = Annotated[Literal["item", "location", "warehouse"], Query(
    description="A row per item (default), or per item and location, or per item and "
                "warehouse (transit as itself)")]
CogsBy = Annotated[Literal["item", "day", "week", "month"], Query(
    description="item: the whole span; day, week or month: a row per item and period")]
OwnerOrAll = Annotated[str | None, Query(description="Only this owner (a caller scoped to "
                                                     "one never needs it); default: every "
                                                     "owner's")]
COSTS = Permission.COSTS


@router.get("/v1/valuation")
def list_valuation(call: Annotated[Call, call_for(COSTS)], owner: Owner = None,
                   sku: Sku = None, as_of: AsOf = None, by: By = "item",
                   cursor: str | None = None, limit: Limit = 100) -> Page[ItemValueOut]:
    """Each item's units on hand and their value (FIFO or moving average, in the owner's
    currency), ordered by SKU: of one owner — the caller's scope, else ``owner``, else
    ``default``, as for stock — never of every owner at once. By location or warehouse, an
    item's value is spread over where its units lay (a row per place, by its path, the
    shares adding up to the item's value); an item with none on hand has no row."""
    found = valuation.valuation(
        call.uow(write=False), owner=call.principal.owner_for(owner), sku=sku, by=by,
        as_of=None if as_of is None else parse_day_or_time(as_of, field="as_of"))
    names = ("sku",) if by == "item" else ("sku", "location")  # SKUs repeat, by place
    page, after = page_by(found, cursor=cursor, limit=limit, names=names,
                          key=lambda value: (value.sku, value.location or "")[:len(names)])
    return Page[ItemValueOut](items=[ItemValueOut.of(value) for value in page],
                              next_cursor=after)


@router.get("/v1/valuation/owners")
def list_owner_values(call: Annotated[Call, call_for(COSTS)], owner: OwnerOrAll = None,
                      as_of: AsOf = None, cursor: str | None = None,
                      limit: Limit = 100) -> Page[OwnerValueOut]:
    """Each owner's stock in total: its value (in the owner's currency), the items it holds
    and how many of them hold units that came in without a cost, ordered by owner. An
    unscoped caller gets every owner's unless ``owner``; a scoped one, its own."""
    whose = (None if call.principal.owner is None and owner is None
             else call.principal.owner_for(owner))
    found = valuation.owner_values(
        call.uow(write=False), owner=whose,
        as_of=None if as_of is None else parse_day_or_time(as_of, field="as_of"))
    page, after = page_of(found, cursor=cursor, limit=limit, name="owner",
                          key=lambda total: total.owner)
    return Page[OwnerValueOut](items=[OwnerValueOut.of(total) for total in page],
                               next_cursor=after)


@router.get("/v1/cogs")
def list_cogs(call: Annotated[Call, call_for(COSTS)], since: Since, until: Until,
              owner: Owner = None, sku: Sku = None, by: CogsBy = "item",
              cursor: str | None = None, limit: Limit = 100) -> Page[ItemCogsOut]:
    """Each item's cost of goods sold, revenue and margin over ``since`` to ``until``,
    ordered by SKU: of one owner, chosen as for ``/v1/valuation``; ``by`` day, week (from
    Monday) or month, a row per item and period with sales (``period``, its first day)."""
    found = valuation.cogs(
        call.uow(write=False), owner=call.principal.owner_for(owner), sku=sku, by=by,
        since=parse_day_or_time(since, field="since"),
        until=parse_day_or_time(until, field="until"))
    page, after = page_by(found, cursor=cursor, limit=limit, names=("sku", "period"),
                          key=lambda cogs: (cogs.sku, str(cogs.period or "")))
    return Page[ItemCogsOut](items=[ItemCogsOut.of(cogs) for cogs in page], next_cursor=after)


@router.get("/v1/value-entries")
def list_value_entries(call: Annotated[Call, call_for(COSTS)],
                       sku: Annotated[str, Query(description="The item")], owner: Owner = None,
                       since: From = None, until: To = None, cursor: str | None = None,
                       limit: Limit = 100) -> Page[ValueEntryOut]:
    """Each stored change of one item's stock value over a period, in business-time order:
    every movement's value, and the revaluations a backdated posting made (dated at the
    movement revalued, ``cause_id`` naming the posting). The cursor is a position in the
    list: a posting dated before it, between two pages, shifts the rest by one."""
    found = valuation.value_entries(
        call.uow(write=False), sku=sku, owner=call.principal.owner_for(owner),
        since=None if since is None else parse_day_or_time(since, field="since"),
        until=None if until is None else parse_day_or_time(until, field="until"))
    page, after = page_at(found, cursor=cursor, limit=limit)
    return Page[ValueEntryOut](items=[ValueEntryOut.of(entry) for entry in page],
                               next_cursor=after)


@router.post("/v1/journal-exports", status_code=201, response_model=JournalExportOut)
async def export_journal(body: JournalExportIn, call: Annotated[Call, writer_for(COSTS)],
                         owner: Owner = None) -> Response:
    """Export the owner's inventory journal of the days ``since`` to ``until``: one line
    per account (inventory, cogs, grni, shrinkage, revaluation), summed and balanced, as the
    files of ``format``: ``{"owner", "since", "until", "format", "files": [{"name",
    "content"}]}``, one file (xero: one per 300 lines). The export is recorded: a period
    that overlaps one exported before is 409 (naming ``since``) unless ``again``."""
    who = call.principal.owner_for(owner)
    first, last = body.days()
    accounts = None if body.accounts is None else body.accounts.given()
    return await submit(call, ExportJournal(
        since=first, until=last, owner=who, format=body.format, accounts=accounts,
        tax_rate=body.tax_rate, again=body.again),
        render=lambda files: JournalExportOut.of(who, first, last, body.format, files),
        body=body)
