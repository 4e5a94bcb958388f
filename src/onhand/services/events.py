"""Reading the outbox: every change of available, in commit order, from a cursor."""

from __future__ import annotations

import json

from onhand.db.statements import aware
from onhand.db.uow import UnitOfWork
from onhand.domain.orders import Event
from onhand.errors import InvalidInput

MAX_EVENTS = 1000


def events(uow: UnitOfWork, *, cursor: int = 0, limit: int = 100,
           owner: str | None = None) -> list[Event]:
    """Return the events numbered after ``cursor``, oldest first, at most ``limit``.

    Numbers are gap-free and given in commit order, so a reader that polls with the id of
    the last event it saw never misses one: no event can later commit with a lower number.
    """
    if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
        raise InvalidInput("cursor must be a non-negative integer (the last event id seen)",
                           field="cursor")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_EVENTS:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_EVENTS}", field="limit")
    with uow:
        owner_id = None if owner is None else uow.refs.owner_id(owner)
        return [Event(id=int(row.id), type=row.type, owner=uow.refs.owner_code(row.owner_id),
                      at=aware(row.at) or row.at, data=json.loads(row.data))
                for row in uow.events.events(cursor, limit, owner_id)]
