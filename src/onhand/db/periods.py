"""Closed accounting periods and the journals exported for them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from onhand.db.tables import (
    items,
    journal_exports,
    owners,
)


class PeriodStore:
    """Closed accounting periods and the journals exported for them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def period(self, owner_id: int) -> tuple[date | None, datetime | None]:
        """Return the day an owner's books are closed through, and the first open moment."""
        row = self.conn.execute(select(owners.c.closed_through, owners.c.closed_before)
                                .where(owners.c.id == owner_id)).one()
        return row.closed_through, row.closed_before

    def lock_period(self, owner_id: int) -> tuple[date | None, datetime | None]:
        """Lock the owner's row and then its items (PostgreSQL; SQLite's writer holds the
        database already), so no posting that read the old bound is still in flight and no
        other close runs at once; return the period as it now stands."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(owners.c.id).where(owners.c.id == owner_id)
                              .with_for_update(key_share=True))
            self.conn.execute(select(items.c.id).where(items.c.owner_id == owner_id)
                              .order_by(items.c.id).with_for_update(key_share=True))
        return self.period(owner_id)

    def close_period(self, owner_id: int, through: date | None, before: datetime | None
                     ) -> None:
        """Set (or, with None, clear) the owner's closed period (after ``lock_period``)."""
        self.conn.execute(update(owners).where(owners.c.id == owner_id)
                          .values(closed_through=through, closed_before=before))

    def record_journal_export(self, owner_id: int, since: date, until: date, fmt: str,
                              now: datetime) -> None:
        """Note that the owner's journal of since..until was exported."""
        self.conn.execute(insert(journal_exports).values(
            owner_id=owner_id, since=since, until=until, format=fmt, exported_at=now))
