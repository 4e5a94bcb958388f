"""Closed accounting periods: once an owner's books are closed through a day, no movement
may be posted or backdated before its end (409 ``period-closed``). Whoever keeps the books
(a role that sees costs) closes; only an administrator reopens. Both are audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, submit, writer_for
from onhand.api.valuation_schemas import PeriodCloseIn, PeriodOut, PeriodReopenIn
from onhand.domain.access import Permission
from onhand.domain.periods import ClosePeriod, ReopenPeriod
from onhand.services import periods

router = APIRouter(prefix="/v1/periods", tags=["valuation"])
Owner = Annotated[str | None, Query(description="Whose books (a caller scoped to one owner "
                                                "never needs it); default: default")]


@router.get("")
def get_period(call: Annotated[Call, call_for(Permission.MOVEMENTS_READ)],
               owner: Owner = None) -> PeriodOut:
    """The day the owner's books are closed through (null: none): a movement may not be
    dated before its end, where the owner is."""
    who = call.principal.owner_for(owner)
    return PeriodOut(owner=who,
                     closed_through=periods.closed_through(call.uow(write=False), owner=who))


@router.post("/close", response_model=PeriodOut)
async def close_period(body: PeriodCloseIn, call: Annotated[Call, writer_for(Permission.COSTS)],
                       owner: Owner = None) -> Response:
    """Close the owner's books through the day ``until``, which must have ended where the
    owner is (422 otherwise). The bound only moves forward: an earlier day than the one
    closed is 422 (reopen first); the same day again changes nothing."""
    who = call.principal.owner_for(owner)
    return await submit(call, ClosePeriod(until=body.day(), owner=who), body=body, status=200,
                        render=lambda closed: PeriodOut(owner=who, closed_through=closed))


@router.post("/reopen", response_model=PeriodOut)
async def reopen_period(body: PeriodReopenIn,
                        call: Annotated[Call, writer_for(Permission.PERIODS_REOPEN)],
                        owner: Owner = None) -> Response:
    """Move the owner's closed bound back to ``through`` (null: reopen every day); it must
    come before the day closed (422 otherwise, and when nothing is closed). The audit entry
    keeps the bound replaced (``was``)."""
    who = call.principal.owner_for(owner)
    return await submit(call, ReopenPeriod(through=body.day(), owner=who), body=body,
                        status=200,
                        render=lambda done: PeriodOut(owner=who, closed_through=done.through))
