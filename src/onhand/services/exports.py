"""Exporting to CSV: the ledger (every movement, oldest first) and the item catalog.

The items file has the columns the items import reads, so it can be imported elsewhere.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from onhand.db.uow import UnitOfWork
from onhand.domain.imports import ITEM_COLUMNS, LEDGER_COLUMNS, item_row, ledger_row
from onhand.domain.movements import Movement
from onhand.services import catalog, stock

PAGE = 5_000


def ledger(uow: UnitOfWork, *, owner: str = "default", since: datetime | None = None,
           until: datetime | None = None, page: int | None = None) -> Iterator[Movement]:
    """Yield every movement of ``owner`` in business-time order, a page at a time."""
    rows = stock.history(uow, owner=owner, since=since, until=until, limit=page or PAGE)
    while rows:
        yield from rows
        rows = stock.history(uow, owner=owner, since=since, until=until, limit=page or PAGE,
                             after=rows[-1])


def export_movements(uow: UnitOfWork, out: TextIO, *, owner: str = "default",
                     since: datetime | None = None, until: datetime | None = None) -> int:
    """Write the ledger of ``owner`` to ``out`` as CSV (``LEDGER_COLUMNS``); return the count."""
    writer = csv.DictWriter(out, fieldnames=list(LEDGER_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for movement in ledger(uow, owner=owner, since=since, until=until):
        writer.writerow(ledger_row(movement))
        count += 1
    return count


def export_items(uow: UnitOfWork, out: TextIO, *, owner: str = "default") -> int:
    """Write the items of ``owner`` to ``out`` as an items file; return the count."""
    writer = csv.DictWriter(out, fieldnames=list(ITEM_COLUMNS), lineterminator="\n")
    writer.writeheader()
    items = catalog.list_items(uow, owner=owner)
    writer.writerows(item_row(item) for item in items)
    return len(items)
