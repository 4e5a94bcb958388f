"""What stock is worth, what sales cost, landed costs, revaluations and closed periods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, overload

from onhand.domain.periods import ClosePeriod, ReopenPeriod
from onhand.domain.valuation import (
    AddLandedCost,
    ExportJournal,
    ItemCogs,
    ItemValue,
    OwnerValue,
    Revaluation,
    Revalue,
    ValueEntry,
)
from onhand.domain.valuation.landed import LandedCost
from onhand.library.base import Facade
from onhand.services import periods, valuation


class Valuation(Facade):
    """What stock is worth, what sales cost, landed costs, revaluations and closed periods."""

    # --- valuation -------------------------------------------------------------------------

    @overload
    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  sku: str | None = None,
                  by: Literal["item", "location", "warehouse"] = "item") -> list[ItemValue]: ...

    @overload
    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  by: Literal["owner"]) -> list[OwnerValue]: ...

    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  sku: str | None = None, by: str = "item"
                  ) -> list[ItemValue] | list[OwnerValue]:
        """Return what each item's stock is worth (FIFO or moving average, in its owner's
        currency), now or ``as_of`` any past moment (a date: its end in the owner's time
        zone); of one owner (or all), or one SKU (of ``owner``, default ``default``).

        ``by="location"`` or ``"warehouse"`` spreads each item's value over where its units
        lay (by units; the shares add up to the item's value exactly); ``by="owner"`` gives
        each owner's total.

        >>> inv.valuation(by="warehouse", as_of=date(2026, 3, 31))
        """
        if by == "owner":
            return valuation.owner_values(self._uow(write=False), as_of=as_of, owner=owner)
        return valuation.valuation(self._uow(write=False), as_of=as_of, owner=owner, sku=sku,
                                   by=by)

    def cogs(self, *, since: date | datetime, until: date | datetime,
             owner: str | None = None, sku: str | None = None, by: str = "item"
             ) -> list[ItemCogs]:
        """Return each item's cost of goods sold, revenue and margin over a period (dates
        are whole days in the owner's time zone, ``until`` included); ``by="month"`` (or
        ``"week"``, ``"day"``) gives a row per item and month with sales (``period``).

        >>> inv.cogs(since=date(2026, 1, 1), until=date(2026, 12, 31), by="month")
        """
        return valuation.cogs(self._uow(write=False), since=since, until=until, owner=owner,
                              sku=sku, by=by)

    def value_entries(self, *, sku: str, owner: str = "default",
                      since: date | datetime | None = None,
                      until: date | datetime | None = None) -> list[ValueEntry]:
        """Return the stored value of each movement of ``sku`` and every revaluation a
        backdated movement made, in business-time order (bounds as :meth:`cogs`).

        >>> [(e.category, e.value) for e in inv.value_entries(sku="MUG-BLUE")]
        [('receipt', Decimal('25.00')), ('sale', Decimal('-10.00'))]
        """
        return valuation.value_entries(self._uow(write=False), sku=sku, owner=owner, since=since,
                                       until=until)

    def add_landed_cost(self, reference: str, *, amount: Decimal, basis: str = "value",
                        receipts: Sequence[int] = (), purchase_order: str | None = None,
                        occurred_at: datetime | None = None, description: str = "",
                        owner: str = "default") -> LandedCost:
        """Add freight, duty or fees to receipts after the fact: ``amount`` spread over the
        ``receipts`` (movement ids) or a ``purchase_order``'s receipts by ``basis`` (``qty``,
        ``value`` or ``weight``; the last line takes the cent rounding leaves). The units
        still on hand carry it; the share of those gone is cost of goods sold. Recorded once
        per ``reference``.

        >>> inv.add_landed_cost("FREIGHT-7", amount=Decimal("120.00"), purchase_order="PO-7")
        """
        return self.execute(AddLandedCost(
            reference=reference, amount=amount, basis=basis, receipts=tuple(receipts),
            purchase_order=purchase_order, occurred_at=occurred_at, description=description,
            owner=owner))

    def revalue(self, sku: str, *, unit_cost: Decimal, reference: str,
                occurred_at: datetime | None = None, owner: str = "default") -> Revaluation:
        """Give the units of ``sku`` on hand that came in without a cost (valued at zero,
        reported uncosted) a ``unit_cost`` as of ``occurred_at`` (default now); recorded
        once per ``reference``."""
        return self.execute(Revalue(reference=reference, sku=sku, unit_cost=unit_cost,
                                    occurred_at=occurred_at, owner=owner))

    def export_journal(self, since: date, until: date, *, owner: str = "default",
                       format: str = "csv", accounts: Mapping[str, str] | None = None,
                       tax_rate: str = "Tax Exempt", again: bool = False) -> list[str]:
        """Return ``owner``'s inventory journal of the days ``since`` to ``until``, summed
        and balanced per account, as the files of ``format``: ``csv``, ``qbo`` (QuickBooks
        Online) or ``xero`` (300 lines a file). ``accounts`` names the accounts (inventory,
        cogs, grni, shrinkage, revaluation). A period exported before is refused unless
        ``again``."""
        return self.execute(ExportJournal(since=since, until=until, owner=owner, format=format,
                                          accounts=accounts, tax_rate=tax_rate, again=again))

    def close_period(self, until: date, *, owner: str = "default") -> date:
        """Close ``owner``'s books through the day ``until`` (in the owner's time zone): no
        movement may then be dated before its end (``PeriodClosed``)."""
        return self.execute(ClosePeriod(until=until, owner=owner))

    def reopen_period(self, *, owner: str = "default", through: date | None = None
                      ) -> date | None:
        """Move ``owner``'s closed bound back to ``through`` (None: nothing closed)."""
        return self.execute(ReopenPeriod(through=through, owner=owner)).through

    def closed_through(self, *, owner: str = "default") -> date | None:
        """Return the day ``owner``'s books are closed through, if any."""
        return periods.closed_through(self._uow(write=False), owner=owner)

