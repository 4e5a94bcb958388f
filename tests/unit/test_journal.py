"""The journal of a period: booked per category, netted per account, always balanced."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.valuation.journal import (
    BOOKING,
    DEFAULT_ACCOUNTS,
    Journal,
    JournalLine,
    accounts,
    export,
    journal,
)
from onhand.errors import InvalidInput

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False,
                    allow_infinity=False)


@given(st.dictionaries(st.sampled_from(sorted(BOOKING)), money))
def test_any_period_balances_and_nets_each_account_to_one_side(
        amounts: dict[str, Decimal]) -> None:
    found = journal("default", "USD", *MARCH, amounts, DEFAULT_ACCOUNTS)
    assert sum(line.debit for line in found.lines) == sum(line.credit for line in found.lines)
    assert all(min(line.debit, line.credit) == 0 for line in found.lines)
    assert len({line.account for line in found.lines}) == len(found.lines)


def test_a_sale_debits_cogs_and_credits_inventory() -> None:
    found = journal("default", "USD", *MARCH, {"sale": Decimal("7.50")}, DEFAULT_ACCOUNTS)
    assert [(line.account, line.debit, line.credit) for line in found.lines] == [
        ("inventory", Decimal("0.00"), Decimal("7.50")),
        ("cogs", Decimal("7.50"), Decimal("0.00"))]


def test_a_negative_correction_books_the_other_way() -> None:
    """Units that left below zero at 2.00 and were covered at 0.75: COGS comes down 1.25 and
    the stock's value (negative until covered) goes up 1.25: Dr inventory, Cr COGS."""
    found = journal("default", "USD", *MARCH, {"correction": Decimal("-1.25")},
                    DEFAULT_ACCOUNTS)
    assert [(line.account, line.debit, line.credit) for line in found.lines] == [
        ("inventory", Decimal("1.25"), Decimal("0.00")),
        ("cogs", Decimal("0.00"), Decimal("1.25"))]


def test_a_revaluation_of_uncosted_stock_debits_inventory() -> None:
    found = journal("default", "USD", *MARCH, {"revaluation": Decimal("9.00")},
                    DEFAULT_ACCOUNTS)
    assert [(line.account, line.debit, line.credit) for line in found.lines] == [
        ("inventory", Decimal("9.00"), Decimal("0.00")),
        ("revaluation", Decimal("0.00"), Decimal("9.00"))]


def test_xero_takes_at_most_300_lines_a_file() -> None:
    lines = tuple(JournalLine("inventory", str(n), Decimal(1), Decimal(0)) for n in range(301))
    files = export(Journal("default", "USD", *MARCH, lines), "xero")
    assert [len(text.splitlines()) - 1 for text in files] == [300, 1]
    assert all(text.startswith("Narration,Date,Description,AccountCode,TaxRate,Amount\n")
               for text in files)


@pytest.mark.parametrize("given_accounts", [{"sales": "4000"}, {"cogs": ""}, {"cogs": 5000}])
def test_an_unknown_or_empty_account_is_refused_naming_accounts(
        given_accounts: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        accounts(given_accounts)  # type: ignore[arg-type]
    assert caught.value.field == "accounts"
