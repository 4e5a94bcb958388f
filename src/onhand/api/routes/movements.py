"""Movements: post one or a batch, list and read them, reverse one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from onhand.api.deps import Call, call_for, decode_cursor, encode_cursor, submit, writer_for
from onhand.api.schemas import BatchIn, MovementIn, MovementOut, MovementsOut, Page, ReverseIn
from onhand.domain.access import Permission
from onhand.domain.movements import MovementRequest, PostBatch, PostMovement, Reverse
from onhand.domain.times import parse_time
from onhand.errors import OnhandError
from onhand.services import stock

router = APIRouter(prefix="/v1/movements", tags=["movements"])
Owner = Annotated[str | None, Query(description="Whose stock (a caller scoped to one owner "
                                                "never needs it); default: default")]
MovementId = Annotated[int, Path(ge=1, le=2**62)]
Time = Annotated[str | None, Query(description="ISO 8601 time with offset, or a date")]
POST = Permission.MOVEMENTS_POST


def _request(call: Call, line: MovementIn, owner: str) -> MovementRequest:
    call.principal.check_posting(line.kind, has_cost=line.unit_cost is not None)
    fields = line.fields()
    fields["unit_cost"] = call.principal.unit_cost(line.kind, fields.get("unit_cost"))
    return MovementRequest(owner=owner, **fields)


@router.post("", status_code=201, response_model=MovementOut)
async def post_movement(body: MovementIn, call: Annotated[Call, writer_for(POST)],
                        owner: Owner = None) -> Response:
    """Post one movement (a receipt, shipment, return, adjustment, scrap, transfer or count)."""
    who = call.principal.owner_for(owner)
    request = _request(call, body, who)
    return await submit(call, PostMovement(request=request, owner=who), body=body,
                        render=lambda moved: MovementOut.of(moved, costs=call.costs))


@router.post("/batch", status_code=201, response_model=MovementsOut,
             responses={413: {"description": "More lines than the server accepts"}})
async def post_batch(body: BatchIn, call: Annotated[Call, writer_for(POST)],
                           owner: Owner = None) -> Response:
    """Post many movements at once, all or nothing; an error names its 1-based ``line``."""
    limit = call.api.settings.api_batch_lines  # the service refuses more (413)
    who = call.principal.owner_for(owner)
    requests = []
    for number, line in enumerate(body.lines, start=1):
        try:
            requests.append(_request(call, line, who))
        except OnhandError as error:
            raise error.at_line(number) from None
    return await submit(call, PostBatch(requests=tuple(requests), owner=who, max_lines=limit),
                        body=body, render=lambda moved: MovementsOut(
                            movements=[MovementOut.of(m, costs=call.costs) for m in moved]))


@router.get("")
def list_movements(call: Annotated[Call, call_for(Permission.MOVEMENTS_READ)],
                   owner: Owner = None, sku: str | None = None, location: str | None = None,
                   since: Time = None, until: Time = None, cursor: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Page[MovementOut]:
    """Movements oldest first (by ``occurred_at``), filtered, one page at a time."""
    position = decode_cursor(cursor, at=str, id=int)
    after = None
    if position is not None:
        after = (parse_time(position["at"], field="cursor"), position["id"])
    found = stock.history(
        call.uow(write=False), sku=sku, owner=call.principal.owner_for(owner), location=location,
        since=None if since is None else parse_time(since, field="since", start_of_day=True),
        until=None if until is None else parse_time(until, field="until"),
        limit=limit + 1, after=after)
    page = found[:limit]
    last = page[-1] if page else None
    return Page[MovementOut](
        items=[MovementOut.of(m, costs=call.costs) for m in page],
        next_cursor=encode_cursor({"at": last.occurred_at.isoformat(), "id": last.id})
        if last is not None and len(found) > limit else None)


@router.get("/{movement_id}")
def get_movement(movement_id: MovementId,
                 call: Annotated[Call, call_for(Permission.MOVEMENTS_READ)],
                 owner: Owner = None) -> MovementOut:
    """One movement by id (ids are unique across owners: an unscoped caller needs no owner)."""
    unscoped = call.principal.owner is None and owner is None
    found = stock.movement(call.uow(write=False), movement_id=movement_id,
                           owner=None if unscoped else call.principal.owner_for(owner))
    return MovementOut.of(found, costs=call.costs)


@router.post("/{movement_id}/reverse", status_code=201, response_model=MovementOut)
async def reverse_movement(movement_id: MovementId, body: ReverseIn,
                           call: Annotated[Call, writer_for(Permission.MOVEMENTS_REVERSE)],
                           owner: Owner = None) -> Response:
    """Post a movement, dated now, that undoes this one (each movement is reversed once).

    Ids are unique across owners: an unscoped caller needs no ``owner=``.
    """
    unscoped = call.principal.owner is None and owner is None
    who = None if unscoped else call.principal.owner_for(owner)
    return await submit(call, Reverse(movement_id=movement_id, reason=body.reason, owner=who),
                        body=body, render=lambda moved: MovementOut.of(moved, costs=call.costs))

