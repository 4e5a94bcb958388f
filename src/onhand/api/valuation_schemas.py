"""Request and response bodies of the journal export, closed periods and value entries (the
valuation reports' are in ``schemas``).

Days travel as text and are read by :mod:`onhand.domain.times`, as in queries, so a time
where a day is due is refused naming its field, with the same words everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StringConstraints

from onhand.api.schemas import Reply, Request
from onhand.domain.times import check_day, parse_day_or_time
from onhand.domain.valuation import ValueEntry
from onhand.domain.valuation.journal import DEFAULT_ACCOUNTS

Day = Annotated[str, StringConstraints(max_length=64),
                Field(examples=["2026-03-31"],
                      description="A date: a whole day where the owner is (its time zone)")]
Account = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def day_of(text: str, field: str) -> date:
    """Return the day ``text`` names, or raise ``InvalidTime`` naming ``field``."""
    return check_day(parse_day_or_time(text, field=field), field)


# --- the journal -------------------------------------------------------------------------------


def _account(role: str) -> Any:
    return Field(default=None, description=f"default: {DEFAULT_ACCOUNTS[role]}")


class AccountsIn(Request):
    """The account (its name or code in the books) each role books to; a role left out keeps
    its default. Another role is refused (422, naming it)."""

    inventory: Account | None = _account("inventory")
    cogs: Account | None = _account("cogs")
    grni: Account | None = _account("grni")
    shrinkage: Account | None = _account("shrinkage")
    revaluation: Account | None = _account("revaluation")

    def given(self) -> dict[str, str]:
        """Return the roles given and their accounts."""
        return self.model_dump(exclude_none=True)


class JournalExportIn(Request):
    since: Day = Field(description="The first day of the period (where the owner is)")
    until: Day = Field(description="The last day of the period, included")
    format: Literal["csv", "qbo", "xero"] = Field(
        default="csv", description="csv (plain), qbo (QuickBooks Online's journal import) or "
                                   "xero (Xero's manual journal import)")
    accounts: AccountsIn | None = None
    tax_rate: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        default="Tax Exempt", description="Xero's TaxRate column")
    again: StrictBool = Field(default=False, description="Export a period that overlaps one "
                                                         "exported before (else 409)")

    def days(self) -> tuple[date, date]:
        """Return the first and last days of the period."""
        return day_of(self.since, "since"), day_of(self.until, "until")


class JournalFileOut(Reply):
    name: str = Field(description="A file name to save it under")
    content: str = Field(description="The file's text: CSV, a header line first")


class JournalExportOut(Reply):
    """An owner's journal of a period, one line per account, summed and balanced."""

    owner: str
    since: date
    until: date
    format: str
    files: list[JournalFileOut] = Field(description="One file; xero: one per 300 lines")

    @classmethod
    def of(cls, owner: str, since: date, until: date, fmt: str,
           files: list[str]) -> JournalExportOut:
        def name(number: int) -> str:
            suffix = f"-{number}" if len(files) > 1 else ""
            return f"journal-{owner}-{since}-{until}-{fmt}{suffix}.csv"

        return cls(owner=owner, since=since, until=until, format=fmt,
                   files=[JournalFileOut(name=name(number), content=text)
                          for number, text in enumerate(files, start=1)])


# --- periods -----------------------------------------------------------------------------------


class PeriodCloseIn(Request):
    until: Day = Field(description="The last day to close (it must have ended where the owner "
                                   "is)")

    def day(self) -> date:
        return day_of(self.until, "until")


class PeriodReopenIn(Request):
    through: Day | None = Field(description="Keep the books closed through this earlier day; "
                                            "null: reopen every day")

    def day(self) -> date | None:
        return None if self.through is None else day_of(self.through, "through")


class PeriodOut(Reply):
    owner: str
    closed_through: date | None = Field(description="The last day closed, where the owner "
                                                    "is; null: none")


# --- value entries -----------------------------------------------------------------------------


class ValueEntryOut(Reply):
    """One stored change of an item's stock value, in its owner's currency."""

    movement_id: int | None = Field(description="The movement valued (or revalued); null: a "
                                                 "revaluation of uncosted stock")
    occurred_at: datetime = Field(description="When, in business time (a revaluation caused "
                                              "by a backdated posting: the movement's time)")
    category: str = Field(description="receipt, supplier_return, sale, customer_return, loss, "
                                      "gain, correction, landed_cost or revaluation")
    qty: str = Field(description="Units in (positive) or out (negative); 0 when only value "
                                 "moves (a correction, landed cost, revaluation, or an entry "
                                 "with a cause_id)")
    value: str = Field(description="The change of the stock's value (a sale's: minus its "
                                   "cost)")
    uncosted: str = Field(description="The change of the units on hand that came in "
                                      "without a cost (valued at 0)")
    cause_id: int | None = Field(description="The difference a later posting dated before "
                                             "the movement made to its value: that posting's "
                                             "movement id (negative: a landed cost or a "
                                             "revaluation of uncosted stock); null: the "
                                             "movement's own value")

    @classmethod
    def of(cls, entry: ValueEntry) -> ValueEntryOut:
        return cls.model_validate(entry.to_dict())
