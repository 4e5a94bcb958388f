"""Closing accounting periods: once an owner's books are closed through a day, no movement
may be posted or backdated before the end of that day in the owner's time zone
(``PeriodClosed``). Reopening moves the bound back (or clears it). Both are commands
(``ClosePeriod``, ``ReopenPeriod``), audited by the executor.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from onhand.db.uow import UnitOfWork
from onhand.domain.periods import ClosePeriod, Reopened, ReopenPeriod
from onhand.domain.times import check_day, day_bound, utcnow
from onhand.errors import InvalidInput, PeriodClosed
from onhand.services.executor import handles
from onhand.services.valuer import catch_up


@handles(ClosePeriod)
def close(uow: UnitOfWork, command: ClosePeriod) -> date:
    """Close an owner's books through a day."""
    return close_period(uow, until=command.until, owner=command.owner)


@handles(ReopenPeriod)
def reopen(uow: UnitOfWork, command: ReopenPeriod) -> Reopened:
    """Move an owner's closed bound back, keeping the bound it replaced."""
    return _reopen(uow, owner=command.owner, through=command.through)


def close_period(uow: UnitOfWork, *, until: date, owner: str = "default") -> date:
    """Close ``owner``'s books through the day ``until`` (a day that has ended where the
    owner is); closing through the day already closed changes nothing."""
    day = check_day(until, "until")
    with uow:
        owner_id, zone = _owner(uow, owner)
        before = day_bound(day, "until", zone, end=True)
        if before > utcnow():
            raise InvalidInput(f"until {day} has not ended yet in {zone.key}", field="until",
                               value=str(day))
        current, _ = uow.periods.lock_period(owner_id)
        if current is not None and day < current:
            raise InvalidInput(f"the books are closed through {current}: reopen the period "
                               "to move the bound back", field="until", value=str(day))
        if current != day:
            catch_up(uow, owner_id=owner_id)  # the closed days' values, final
            uow.periods.close_period(owner_id, day, before)
            uow.commit()
    return day


def reopen_period(uow: UnitOfWork, *, owner: str = "default",
                  through: date | None = None) -> date | None:
    """Move ``owner``'s closed bound back to the day ``through`` (None: nothing closed)."""
    return _reopen(uow, owner=owner, through=through).through


def _reopen(uow: UnitOfWork, *, owner: str, through: date | None) -> Reopened:
    """Reopen as :func:`reopen_period`; return the new bound and the one it replaced (read
    under the period's lock)."""
    day = None if through is None else check_day(through, "through")
    with uow:
        owner_id, zone = _owner(uow, owner)
        current, _ = uow.periods.lock_period(owner_id)
        if current is None or (day is not None and day >= current):
            raise InvalidInput(f"through must be before the day the books are closed through "
                               f"({current or 'none: nothing is closed'})", field="through",
                               value=None if day is None else str(day))
        uow.periods.close_period(owner_id, day,
                              None if day is None else day_bound(day, "through", zone, end=True))
        uow.commit()
    return Reopened(through=day, was=current)


def lock_open(uow: UnitOfWork, owner: str, item_ids: set[int], when: datetime) -> None:
    """Lock the items as a posting does (a close waits for us, we for a close) and refuse
    ``when`` if it falls in a period ``owner`` has closed (``PeriodClosed``)."""
    states, _ = uow.ledger.lock_items(item_ids, 0)
    closed = next((s.closed_before for s in states.values() if s.closed_before), None)
    if closed is not None and when < closed:
        raise PeriodClosed(owner, when.isoformat(), closed.isoformat())


def closed_through(uow: UnitOfWork, *, owner: str = "default") -> date | None:
    """Return the day ``owner``'s books are closed through (None: none closed)."""
    with uow:
        return uow.periods.period(_owner(uow, owner)[0])[0]


def _owner(uow: UnitOfWork, code: str) -> tuple[int, ZoneInfo]:
    owner_id = uow.refs.owner_id(code)
    zone = next(o.time_zone for o in uow.queries.owners() if o.code == code)
    return owner_id, ZoneInfo(zone)
