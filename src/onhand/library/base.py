"""What every part of the library's facade shares: the executor that runs its commands."""

from __future__ import annotations

from typing import TypeVar

from onhand.config import Settings
from onhand.domain.commands import Command
from onhand.services.executor import Executor, UnitOfWork

R = TypeVar("R")


class Facade:
    """The base of :class:`onhand.Inventory`'s parts: each method builds a command and
    runs it (:meth:`execute`), or calls a query on a read-only unit of work."""

    settings: Settings
    executor: Executor

    def execute(self, command: Command[R]) -> R:
        """Run a command (a write) in its own transaction, audited as this process's user.

        >>> inv.execute(Reverse(movement_id=7, reason="typo"))  # doctest: +SKIP
        """
        return self.executor.run(command)

    def _uow(self, *, write: bool = True) -> UnitOfWork:
        return self.executor.unit(write=write)
