"""Events: every change of available (and of orders and holds), for sales channels to poll.

Ids are gap-free and given in commit order: a reader that polls with the last id it saw
(``next_cursor``) never misses an event, since none can later commit with a lower id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from onhand.api.deps import Call, call_for
from onhand.api.order_schemas import EventOut, EventsOut
from onhand.domain.access import Permission
from onhand.services import events

router = APIRouter(prefix="/v1/events", tags=["events"])
Owner = Annotated[str | None, Query(description="Whose events (a caller scoped to one owner "
                                                "never needs it); default: every owner's")]


@router.get("")
def list_events(call: Annotated[Call, call_for(Permission.EVENTS_READ)], owner: Owner = None,
                cursor: Annotated[int, Query(ge=0, le=2**62, description=(
                    "The id of the last event seen (0: from the start)"))] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> EventsOut:
    """Events after ``cursor``, oldest first; ``next_cursor`` is the last id returned."""
    unscoped = call.principal.owner is None and owner is None
    found = events.events(call.uow(write=False), cursor=cursor, limit=limit,
                          owner=None if unscoped else call.principal.owner_for(owner))
    return EventsOut(events=[EventOut.of(event) for event in found],
                     next_cursor=found[-1].id if found else cursor)
