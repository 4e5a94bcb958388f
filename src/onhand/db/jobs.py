"""The background jobs' table: which server runs each job this period, and how it went.

A job is claimed in a short write transaction of its own: the row is locked (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so a second server passes by instead of queueing; on SQLite the
write transaction already holds the database's write lock, a file lock), and taken only when
its period is due and no lease of a run in progress is live. Nothing is held while the job
runs, so a job may commit in as many transactions as it likes; a server that dies mid-run
leaves a lease that simply expires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from onhand.db.tables import jobs
from onhand.domain.jobs import JobState


class JobStore:
    """The claims and outcomes of background jobs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def claim(self, name: str, now: datetime, every: timedelta, lease: timedelta,
              holder: str) -> bool:
        """Take ``name`` for one run when it is due and not running elsewhere; return
        whether this caller got it (then it is not due again before ``now + every``)."""
        self._ensure(name, now)
        query = select(jobs.c.next_run_at, jobs.c.lease_until).where(jobs.c.name == name)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = self.conn.execute(query).first()
        if row is None:  # another server holds the row's lock: it is claiming this run
            return False
        if row.next_run_at > now or (row.lease_until is not None and row.lease_until > now):
            return False
        self.conn.execute(update(jobs).where(jobs.c.name == name).values(
            next_run_at=now + every, lease_until=now + lease, holder=holder,
            runs=jobs.c.runs + 1, last_started_at=now))
        return True

    def finish(self, name: str, holder: str, now: datetime, error: str | None) -> None:
        """Record the end of ``holder``'s run of ``name`` (and its error, if it failed)."""
        self.conn.execute(update(jobs).where(jobs.c.name == name, jobs.c.holder == holder)
                          .values(lease_until=None, last_finished_at=now,
                                  last_error=None if error is None else error[:2000]))

    def states(self) -> list[JobState]:
        """Return every job's row, by name."""
        rows = self.conn.execute(select(jobs).order_by(jobs.c.name)).all()
        return [JobState(name=r.name, runs=int(r.runs), holder=r.holder,
                         next_run_at=r.next_run_at, last_started_at=r.last_started_at,
                         last_finished_at=r.last_finished_at, last_error=r.last_error)
                for r in rows]

    def _ensure(self, name: str, now: datetime) -> None:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        self.conn.execute(dialect.insert(jobs).values(name=name, next_run_at=now, runs=0)
                          .on_conflict_do_nothing(index_elements=["name"]))

