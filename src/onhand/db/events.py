"""The outbox: events for the outside world, numbered in commit order."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row

from onhand.db.statements import execute_rows, fetch
from onhand.db.tables import (
    event_clock,
    events,
)


class EventStore:
    """The outbox: events for the outside world, numbered in commit order."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def event_span(self) -> tuple[int, int, int]:
        """Return how many events there are, the highest number, and the clock's reading."""
        count, top = self.conn.execute(select(func.count(), func.coalesce(func.max(events.c.id),
                                                                          0))).one()
        clock = self.conn.execute(select(event_clock.c.last)).scalar_one()
        return int(count), int(top), int(clock)

    def append_events(self, rows: list[dict[str, Any]]) -> list[int]:
        """Number events gap-free and append them; call last in the transaction.

        The clock's one row stays locked until this transaction ends, so a later writer
        numbers its events only after these are committed (or rolled back, freeing theirs).
        """
        if not rows:
            return []
        last = int(fetch(self.conn, _TICK, {"n": len(rows)})[0][0])
        first = last - len(rows) + 1
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        execute_rows(self.conn, _INSERT_EVENT, rows)
        return list(range(first, last + 1))

    def events(self, after: int, limit: int, owner_id: int | None) -> list[Row[Any]]:
        """Return events numbered after ``after``, in order."""
        query = select(events).where(events.c.id > after).order_by(events.c.id).limit(limit)
        if owner_id is not None:
            query = query.where(events.c.owner_id == owner_id)
        return list(self.conn.execute(query))


_INSERT_EVENT = insert(events)


_TICK = (update(event_clock).where(event_clock.c.id == 1)
         .values(last=event_clock.c.last + bindparam("n")).returning(event_clock.c.last))


def dump(data: dict[str, Any]) -> str:
    """Return an event's data as stored (compact JSON)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True)
