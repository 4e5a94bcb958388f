"""Lots: which lots a shipment took, and each lot's expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from onhand.db.tables import (
    items,
    lots,
)
from onhand.errors import InvalidInput


class LotStore:
    """Lots: which lots a shipment took, and each lot's expiry."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def record_lots(self, rows: Sequence[dict[str, Any]]) -> None:
        """Remember each lot's first inbound time (and expiry) the first time it is seen."""
        if rows:
            dialect = postgresql if self.postgres else sqlite
            self.conn.execute(dialect.insert(lots).on_conflict_do_nothing(), list(rows))

    def tracking(self, item_id: int) -> str:
        """Return an item's tracking mode (none, lot, serial)."""
        return str(self.conn.execute(select(items.c.tracking)
                                     .where(items.c.id == item_id)).scalar_one())

    def set_lot_expiry(self, item_id: int, owner_id: int, lot: str, expires_on: date) -> None:
        """Record a lot's expiry; raise when the lot is known with another one."""
        known, current = self.lot_expiry(item_id, lot)
        if not known:
            self.conn.execute(insert(lots).values(
                item_id=item_id, lot=lot, owner_id=owner_id, expires_on=expires_on,
                first_in=datetime.now(UTC)))
        elif current is None:
            self.conn.execute(update(lots).where(lots.c.item_id == item_id, lots.c.lot == lot)
                              .values(expires_on=expires_on))
        elif current != expires_on:
            raise InvalidInput(f"lot {lot!r} already expires on {current.isoformat()}",
                               field="expires_on")

    def lot_expiry(self, item_id: int, lot: str) -> tuple[bool, date | None]:
        """Return whether a lot is known, and its expiry."""
        row = self.conn.execute(select(lots.c.expires_on).where(
            lots.c.item_id == item_id, lots.c.lot == lot)).first()
        return (False, None) if row is None else (True, _day(row.expires_on))


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
