"""Accounting periods: once an owner's books are closed through a day, no movement may be
posted or backdated before the end of that day in the owner's time zone; reopening moves the
bound back (or clears it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from onhand.domain.commands import Command


@dataclass(frozen=True, slots=True)
class Reopened:
    """A reopened period: the day the books stay closed through now (None: none), and the
    day they were closed through before."""

    through: date | None
    was: date | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClosePeriod(Command[date]):
    """Close ``owner``'s books through the day ``until`` (a day that has ended where the
    owner is); closing through the day already closed changes nothing."""

    action = "periods.close"
    until: date
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        return str(result)

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"until": str(result)}


@dataclass(frozen=True, kw_only=True, slots=True)
class ReopenPeriod(Command[Reopened]):
    """Move ``owner``'s closed bound back to the day ``through`` (None: nothing closed); the
    audit entry keeps the bound replaced (``was``)."""

    action = "periods.reopen"
    through: date | None = None
    owner: str = "default"

    def target(self, result: Any) -> str | None:
        done: Reopened = result
        return None if done.through is None else str(done.through)

    def effect(self, result: Any) -> dict[str, Any] | None:
        done: Reopened = result
        return {"through": None if done.through is None else str(done.through),
                "was": None if done.was is None else str(done.was)}
