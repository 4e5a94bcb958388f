"""Revaluations: an item's units on hand that came in without a cost (valued at zero,
reported uncosted) given a unit cost. Costs: for roles that see them. Audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, submit, writer_for
from onhand.api.valuation_schemas import RevaluationIn, RevaluationOut
from onhand.domain.access import Permission
from onhand.domain.valuation import Revalue

router = APIRouter(prefix="/v1/revaluations", tags=["valuation"])
Owner = Annotated[str | None, Query(description="Whose item (a caller scoped to one owner "
                                                "never needs it); default: default")]


@router.post("", status_code=201, response_model=RevaluationOut)
async def revalue(body: RevaluationIn, call: Annotated[Call, writer_for(Permission.COSTS)],
                  owner: Owner = None) -> Response:
    """Give the item's uncosted units on hand at ``occurred_at`` (default now) ``unit_cost``:
    their value is added to the stock. Recorded once per reference: the same again answers
    what was recorded; another item or cost under it is 409 (naming ``reference``)."""
    who = call.principal.owner_for(owner)
    return await submit(call, Revalue(
        reference=body.reference, sku=body.sku, unit_cost=Decimal(str(body.unit_cost)),
        occurred_at=body.occurred_at, owner=who), render=RevaluationOut.of, body=body)
