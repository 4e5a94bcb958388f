"""The server's background jobs: their handlers, and what the server schedules.

Each handler runs outside a unit of work (``domain/jobs.py``) and commits in transactions of
its own; the executor claims each scheduled run once across every server (the jobs table)
and audits a run that changed something as ``system:<job>``.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from onhand.db.uow import UnitOfWork
from onhand.domain.jobs import JobState, Schedule, Sweep, ValueMovements
from onhand.domain.times import utcnow
from onhand.services import orders, valuer
from onhand.services.executor import Executor, handles

log = logging.getLogger("onhand.jobs")


@handles(Sweep)
def sweep(uow: UnitOfWork, command: Sweep) -> tuple[int, int]:
    """Expire holds whose time ran out, then cancel backorders past their deadline."""
    return orders.expire_holds(uow.writer()), orders.cancel_overdue(uow.writer())


@handles(ValueMovements)
def value_movements(uow: UnitOfWork, command: ValueMovements) -> int:
    """Value what was posted since the last run, each item in its own transaction."""
    return valuer.catch_up_all(uow)


def schedules(seconds: int) -> list[Schedule]:
    """Return the jobs the server runs, each every ``seconds`` (none when 0)."""
    if seconds <= 0:
        return []
    every = timedelta(seconds=seconds)
    return [Schedule(Sweep(), every), Schedule(ValueMovements(), every)]


def has_work(uow: UnitOfWork, command: object) -> bool:
    """Tell from a plain read whether a job has anything to do now: an idle server claims
    nothing and writes nothing (its jobs' rows are written only when they run)."""
    with uow:
        if isinstance(command, Sweep):
            now = utcnow()
            return bool(uow.orders.expired_holds(now, 1) or uow.orders.overdue(now, 1))
        if isinstance(command, ValueMovements):
            return bool(uow.valuations.pending(None, None))
        return True


def tick(executor: Executor, plan: list[Schedule], holder: str) -> list[str]:
    """Run every job of ``plan`` that is due and claimed by no other server; return the names
    of those this server ran. A failing job is logged; the others still run."""
    ran = []
    for schedule in plan:
        try:
            if executor.run_due(schedule, holder=holder, has_work=has_work):
                ran.append(schedule.name)
        except Exception:  # the database gone, a bug: the job's row records it
            log.exception("the job %s failed; it runs again when next due", schedule.name)
    return ran


def holder() -> str:
    """Return the name this server process claims jobs under (host and process id)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def states(uow: UnitOfWork) -> list[JobState]:
    """Return every job's last run, next due time and last error."""
    with uow:
        return uow.jobs.states()
