"""Request and response bodies of the journal export, closed periods, value entries, owners'
totals, landed costs and revaluations (the item reports' are in ``schemas``).

Days travel as text and are read by :mod:`onhand.domain.times`, as in queries, so a time
where a day is due is refused naming its field, with the same words everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StrictBool, StrictInt, StringConstraints

from onhand.api.order_schemas import Reference
from onhand.api.schemas import Code, Number, Reply, Request, Text
from onhand.domain.times import check_day, parse_day_or_time
from onhand.domain.valuation import OwnerValue, Revaluation, ValueEntry
from onhand.domain.valuation.journal import DEFAULT_ACCOUNTS
from onhand.domain.valuation.landed import LandedCost

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
                                             "movement id (2**50 and more: a landed cost "
                                             "line; 2**51 and more: a revaluation of "
                                             "uncosted stock); null: the movement's own value")

    @classmethod
    def of(cls, entry: ValueEntry) -> ValueEntryOut:
        return cls.model_validate(entry.to_dict())


# --- owners' totals ----------------------------------------------------------------------------


class OwnerValueOut(Reply):
    """What all of one owner's stock was worth at a moment, in its currency."""

    owner: str
    currency: str
    items: int = Field(description="Items with units on hand")
    value: str
    uncosted_items: int = Field(description="Items with units on hand that came in without a "
                                            "cost (valued at 0)")

    @classmethod
    def of(cls, total: OwnerValue) -> OwnerValueOut:
        return cls(owner=total.owner, currency=total.currency, items=total.items,
                   value=str(total.value), uncosted_items=total.uncosted_items)


# --- landed costs and revaluations -------------------------------------------------------------

MovementId = Annotated[int, Field(ge=1, le=2**62)]
Money = Annotated[Number | StrictInt, Field(examples=["120.00"])]


class LandedCostIn(Request):
    """Freight, duty or fees added to receipts after the fact: name the receipts or the
    purchase order (one of the two)."""

    reference: Reference = Field(description="E.g. the freight invoice's number; recorded "
                                             "once per owner")
    amount: Money = Field(description="Above zero, in the owner's currency (at most its "
                                      "minor unit's decimals)")
    basis: Literal["qty", "value", "weight"] = Field(
        default="value", description="Spread by units, by value (units × unit cost) or by "
                                     "weight (units × the item's weight)")
    receipts: Annotated[list[MovementId], Field(max_length=1000)] | None = Field(
        default=None, description="The receipts' movement ids")
    purchase_order: Reference | None = Field(default=None,
                                             description="Or: every receipt of this order")
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When it landed (default now); not before a receipt it "
                                  "raises, nor in a closed period")
    description: Text = ""


class LandedCostLineOut(Reply):
    movement_id: int = Field(description="The receipt")
    sku: str
    qty: str = Field(description="The receipt's units")
    amount: str = Field(description="Its share of the amount")


class LandedCostOut(Reply):
    """A landed cost and how it was spread over receipts, in the owner's currency."""

    reference: str
    owner: str
    amount: str
    currency: str
    basis: str
    occurred_at: datetime
    description: str
    lines: list[LandedCostLineOut] = Field(description="Each receipt's share; they add up to "
                                                       "the amount (the last takes the "
                                                       "rounding's cent)")

    @classmethod
    def of(cls, cost: LandedCost) -> LandedCostOut:
        return cls.model_validate(cost.to_dict())


class RevaluationIn(Request):
    """A unit cost for an item's units on hand that came in without one."""

    sku: Code
    unit_cost: Money = Field(description="The cost of one unit, in the owner's currency")
    reference: Reference = Field(description="Recorded once per owner")
    occurred_at: AwareDatetime | None = Field(
        default=None, description="As of when (default now); not in a closed period")


class RevaluationOut(Reply):
    """Uncosted units given a cost: how many, and the value added."""

    reference: str
    owner: str
    sku: str
    unit_cost: str
    occurred_at: datetime
    qty: str = Field(description="The units revalued: uncosted on hand then")
    value: str = Field(description="The value added, in the owner's currency")

    @classmethod
    def of(cls, done: Revaluation) -> RevaluationOut:
        return cls.model_validate(done.to_dict())
