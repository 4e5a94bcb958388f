"""Background jobs: work the server does on its own, every so often, once across all servers.

Each job is a command (``job = True``) run by the executor as ``system:<name>``; its run is
audited once (not per row it touches), and only when it changed something. A job's handler
runs outside any unit of work and commits in as many short transactions as it needs (the
valuer values each item in its own). Later capabilities (counts, expiry, replenishment,
backups) schedule their jobs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from onhand.domain.commands import Command


@dataclass(frozen=True, slots=True)
class JobState:
    """One job's row: how often it ran, who ran it last, when it may run next, how it ended."""

    name: str
    runs: int
    holder: str | None
    next_run_at: datetime
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Sweep(Command[tuple[int, int]]):
    """Expire holds whose time ran out and cancel backorders past their deadline; the result
    is (holds expired, orders cancelled)."""

    action = "jobs.sweep"
    job = "sweep"

    def effect(self, result: Any) -> dict[str, Any] | None:
        expired, cancelled = result
        return {"holds_expired": expired, "orders_cancelled": cancelled} if any(result) else None


@dataclass(frozen=True, kw_only=True, slots=True)
class ValueMovements(Command[int]):
    """Value every movement posted since the last run (each item in its own transaction);
    the result is how many were valued."""

    action = "jobs.valuer"
    job = "valuer"

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"valued": result} if result else None


@dataclass(frozen=True, slots=True)
class Schedule:
    """A job and its period: it runs at most once per ``every`` across all servers."""

    command: Command[Any]
    every: timedelta

    @property
    def name(self) -> str:
        """The job's name (its row in the jobs table)."""
        return self.command.job or type(self.command).__name__
