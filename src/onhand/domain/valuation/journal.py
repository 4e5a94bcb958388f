"""The journal of a period: inventory's movements in value, as an accountant books them.

Each valued movement of a period falls in one category, booked as a debit and a credit:

=================  ===============  ================
category           debit            credit
=================  ===============  ================
receipt            inventory        grni (goods received not invoiced)
supplier_return    grni             inventory
sale               cogs             inventory
customer_return    inventory        cogs
loss               shrinkage        inventory
gain               inventory        shrinkage
correction         cogs             inventory (or the reverse when negative)
landed_cost        inventory        grni (freight, duty or fees not invoiced yet)
revaluation        inventory        revaluation (uncosted stock given a cost)
=================  ===============  ================

The journal sums each account's debits and credits over the period and books one line per
account with its net: it always balances. The export formats are QuickBooks Online's
journal import (``Journal No, Journal Date, Account Name, Debits, Credits, Description,
Name``; dates MM/DD/YYYY), Xero's manual journal import (``Narration, Date, Description,
AccountCode, TaxRate, Amount``; a positive amount is a debit; dates ``30 Jun 2026``; at most
300 lines a file) and a plain CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.errors import InvalidInput

ACCOUNTS = ("inventory", "cogs", "grni", "shrinkage", "revaluation")
DEFAULT_ACCOUNTS = {"inventory": "Inventory Asset", "cogs": "Cost of Goods Sold",
                    "grni": "Goods Received Not Invoiced", "shrinkage": "Inventory Shrinkage",
                    "revaluation": "Inventory Revaluation"}
BOOKING = {  # category: (debit, credit) for a positive amount
    "receipt": ("inventory", "grni"), "supplier_return": ("grni", "inventory"),
    "sale": ("cogs", "inventory"), "customer_return": ("inventory", "cogs"),
    "loss": ("shrinkage", "inventory"), "gain": ("inventory", "shrinkage"),
    "correction": ("cogs", "inventory"),
    "landed_cost": ("inventory", "grni"),
    "revaluation": ("inventory", "revaluation"),
}
FORMATS = ("csv", "qbo", "xero")
XERO_MAX_LINES = 300


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One account's net for the period: a debit or a credit (the other is zero)."""

    account: str  # the role: inventory, cogs, grni, shrinkage, revaluation
    code: str  # the account's name or code in the books it is exported to
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class Journal:
    """One owner's journal of a period, balanced."""

    owner: str
    currency: str
    since: date
    until: date
    lines: tuple[JournalLine, ...]

    @property
    def narration(self) -> str:
        return f"onhand inventory {self.owner} {self.since.isoformat()} to {self.until.isoformat()}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportJournal(Command[list[str]]):
    """Export ``owner``'s journal of the days ``since`` to ``until`` (in its time zone) as the
    files of ``format`` (``csv``, ``qbo``, ``xero``), booked to ``accounts`` (role: name or
    code; the others by default), and record the export: a period that overlaps one exported
    before is refused unless ``again``."""

    action = "journals.export"
    since: date
    until: date
    owner: str = "default"
    format: str = "csv"
    accounts: Mapping[str, str] | None = None
    tax_rate: str = "Tax Exempt"
    again: bool = False

    def target(self, result: Any) -> str | None:
        return f"{self.since}..{self.until}"

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"format": self.format, "again": self.again}


def accounts(given: Mapping[str, str] | None) -> dict[str, str]:
    """Return the account names or codes to book to: the defaults, overridden by ``given``."""
    chosen = dict(DEFAULT_ACCOUNTS)
    for role, code in (given or {}).items():
        if role not in ACCOUNTS:
            raise InvalidInput(f"accounts: {role!r} is not one of {', '.join(ACCOUNTS)}",
                               field="accounts", value=role)
        if not isinstance(code, str) or not code.strip() or len(code) > 100:
            raise InvalidInput(f"accounts: the {role} account must be 1 to 100 characters",
                               field="accounts", value=repr(code))
        chosen[role] = code.strip()
    return chosen


def journal(owner: str, currency: str, since: date, until: date,
            amounts: Mapping[str, Decimal], codes: Mapping[str, str]) -> Journal:
    """Book each category's amount of the period; return one net line per account."""
    net = dict.fromkeys(ACCOUNTS, Decimal(0))
    for category, amount in amounts.items():
        debit, credit = BOOKING[category]
        net[debit] += amount
        net[credit] -= amount
    zero = {role: abs(value) * 0 for role, value in net.items()}  # 0 in the currency's places
    lines = tuple(JournalLine(role, codes[role], value if value > 0 else zero[role],
                              -value if value < 0 else zero[role])
                  for role, value in net.items() if value)
    assert sum(line.debit - line.credit for line in lines) == 0, "a journal balances"
    return Journal(owner, currency, since, until, lines)


def export(found: Journal, fmt: str, *, number: int = 1, tax_rate: str = "Tax Exempt"
           ) -> list[str]:
    """Return the journal as the files of ``fmt`` (Xero: one per 300 lines; else one)."""
    if fmt == "qbo":
        return [_csv(["Journal No", "Journal Date", "Account Name", "Debits", "Credits",
                      "Description", "Name"],
                     [[str(number), found.until.strftime("%m/%d/%Y"), line.code,
                       _amount(line.debit), _amount(line.credit), found.narration, ""]
                      for line in found.lines])]
    if fmt == "xero":
        rows = [[found.narration, found.until.strftime("%d %b %Y"), line.account, line.code,
                 tax_rate, str(line.debit - line.credit)] for line in found.lines]
        header = ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount"]
        return [_csv(header, rows[start:start + XERO_MAX_LINES])
                for start in range(0, max(len(rows), 1), XERO_MAX_LINES)]
    if fmt == "csv":
        return [_csv(["owner", "currency", "since", "until", "account", "code", "debit",
                      "credit"],
                     [[found.owner, found.currency, found.since.isoformat(),
                       found.until.isoformat(), line.account, line.code, str(line.debit),
                       str(line.credit)] for line in found.lines])]
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format",
                       value=fmt)


def _amount(value: Decimal) -> str:
    return str(value) if value else ""


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
