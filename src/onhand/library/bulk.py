"""Many items at once, CSV imports and exports, the demo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TextIO

from onhand.domain.imports import (
    BuildDemo,
    DemoSummary,
    ImportItems,
    ImportMovements,
    ImportReport,
    ImportShopify,
    Progress,
)
from onhand.domain.items import AddItems, Item
from onhand.errors import OnhandError
from onhand.library.base import Facade
from onhand.services import (
    catalog,
    exports,
)


class Bulk(Facade):
    """Many items at once, CSV imports and exports, the demo."""

    # --- bulk: many items, CSV imports and exports, the demo ----------------------------------

    def check_items(self, items: Sequence[Item]) -> list[OnhandError]:
        """Return every error ``add_items(items)`` would raise (each with its ``line``)."""
        return catalog.check_items(self._uow(), items)

    def add_items(self, items: Sequence[Item]) -> list[Item]:
        """Create many items in one transaction, all or nothing; an error names its ``line``."""
        return self.execute(AddItems(items=tuple(items)))

    def import_movements(self, text: str, *, owner: str = "default", key: str | None = None,
                         dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
        """Post the movements of a CSV file as one batch; report every bad row by CSV line.

        >>> inv.import_movements(open("moves.csv").read()).ok  # doctest: +SKIP
        True
        """
        return self.execute(ImportMovements(text=text, owner=owner, key=key, dry_run=dry_run,
                                            max_lines=self.settings.max_batch_lines,
                                            progress=progress))

    def import_items(self, text: str, *, owner: str = "default", dry_run: bool = False,
                     progress: Progress | None = None) -> ImportReport:
        """Create the items of a CSV file, all or nothing; report every bad row by CSV line."""
        return self.execute(ImportItems(text=text, owner=owner, dry_run=dry_run,
                                        progress=progress))

    def import_shopify(self, text: str, *, owner: str = "default", create: bool = False,
                       dry_run: bool = False, locations: Mapping[str, str] | None = None,
                       reference: str | None = "shopify", key: str | None = None,
                       progress: Progress | None = None) -> ImportReport:
        """Make balances agree with a Shopify inventory export's "On hand" column."""
        return self.execute(ImportShopify(
            text=text, owner=owner, create=create, dry_run=dry_run,
            locations=tuple((locations or {}).items()), reference=reference, key=key,
            max_lines=self.settings.max_batch_lines, progress=progress))

    def export_movements(self, out: TextIO, *, owner: str = "default",
                         since: datetime | None = None, until: datetime | None = None) -> int:
        """Write the ledger to ``out`` as CSV, oldest first; return how many movements."""
        return exports.export_movements(self._uow(write=False), out, owner=owner, since=since,
                                        until=until)

    def export_items(self, out: TextIO, *, owner: str = "default") -> int:
        """Write the items to ``out`` as a CSV file the items import reads; return the count."""
        return exports.export_items(self._uow(write=False), out, owner=owner)

    def build_demo(self, *, progress: Progress | None = None) -> DemoSummary:
        """Fill an empty database with the demo: warehouses, items, four months of history."""
        return self.execute(BuildDemo(progress=progress))


