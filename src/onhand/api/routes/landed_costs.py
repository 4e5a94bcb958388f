"""Landed costs: freight, duty or fees added to receipts after the fact, spread over them by
units, value or weight. The units still on hand carry their share; the share of units gone
is cost of goods sold. Costs: for roles that see them. Audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from onhand.api.deps import Call, submit, writer_for
from onhand.api.valuation_schemas import LandedCostIn, LandedCostOut
from onhand.domain.access import Permission
from onhand.domain.valuation.landed import AddLandedCost

router = APIRouter(prefix="/v1/landed-costs", tags=["valuation"])
Owner = Annotated[str | None, Query(description="Whose receipts (a caller scoped to one owner "
                                                "never needs it); default: default")]


@router.post("", status_code=201, response_model=LandedCostOut)
async def add_landed_cost(body: LandedCostIn, call: Annotated[Call, writer_for(Permission.COSTS)],
                          owner: Owner = None) -> Response:
    """Spread ``amount`` over the ``receipts`` (movement ids) or the receipts of the
    ``purchase_order``, by ``basis``, dated ``occurred_at`` (default now). Recorded once per
    reference: the same again answers what was recorded; other figures under it are 409
    (naming ``reference``)."""
    who = call.principal.owner_for(owner)
    return await submit(call, AddLandedCost(
        reference=body.reference, amount=Decimal(str(body.amount)), basis=body.basis,
        receipts=tuple(body.receipts or ()), purchase_order=body.purchase_order,
        occurred_at=body.occurred_at, description=body.description, owner=who),
        render=LandedCostOut.of, body=body)
