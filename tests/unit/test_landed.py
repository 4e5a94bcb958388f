"""Landed costs in the pure engine: the spread over receipts, and what a receipt's layer or
the average does with the amount. Figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onhand.domain.valuation import Valuation
from onhand.domain.valuation.landed import spread
from onhand.errors import InvalidInput

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_last_line_takes_the_cent_rounding_leaves() -> None:
    assert spread(10000, [D(1), D(1), D(1)], basis="qty") == [3333, 3333, 3334]
    assert spread(1000, [D("10.0"), D(5)], basis="weight") == [667, 333]  # 666.67, rest


@given(st.integers(1, 10**9), st.lists(st.decimals(0, 10**6, places=3), min_size=1,
                                       max_size=12))
def test_shares_add_up_exactly_and_each_but_the_last_is_its_rounded_share(
        minor: int, weights: list[D]) -> None:
    total = sum(weights, start=D(0))
    if total <= 0:
        with pytest.raises(InvalidInput):
            spread(minor, weights, basis="qty")
        return
    shares = spread(minor, weights, basis="qty")
    assert sum(shares) == minor
    for share, weight in zip(shares[:-1], weights[:-1], strict=True):
        assert abs(D(share) - D(minor) * weight / total) <= D("0.5")


def test_fifo_a_landed_cost_raises_the_layer_and_sends_the_gone_share_to_cogs() -> None:
    """10 at 1.00 (layer 1,000 cents), 4 taken (400). +5.00: the layer is worth 1,500 and
    has given round(1,500 × 4 ÷ 10) = 600, so 2.00 is COGS and 3.00 stays: 6 units worth
    9.00, which the next 6 out take exactly."""
    book = Valuation("fifo", "USD")
    book.receive(10, D("1.00"), key=1, occurred_at=AT)
    book.outbound(4, key=2)
    valued = book.landed_cost(D("5.00"), key=-1, receipt=1, qty=10)
    assert (valued.value, valued.correction, valued.change) == (D("5.00"), D("2.00"),
                                                                D("3.00"))
    assert book.state().value == D("9.00")
    assert book.outbound(6, key=3).value == D("9.00")


def test_fifo_a_landed_cost_on_a_receipt_all_gone_is_all_cogs() -> None:
    book = Valuation("fifo", "USD")
    book.receive(2, D("1.00"), key=1, occurred_at=AT)
    book.receive(2, D("3.00"), key=2, occurred_at=AT)
    book.outbound(2, key=3)
    valued = book.landed_cost(D("1.00"), key=-1, receipt=1, qty=2)
    assert (valued.correction, book.state().value) == (D("1.00"), D("6.00"))


def test_average_the_units_still_accountable_keep_their_share() -> None:
    """10 at 1.00, 7 out: min(3, 10) = 3 of 10 can still be here: round(1,000 × 3 ÷ 10) =
    3.00 stays of 10.00, 7.00 is COGS."""
    book = Valuation("average", "USD")
    book.receive(10, D("1.00"), key=1, occurred_at=AT)
    book.outbound(7, key=2)
    valued = book.landed_cost(D("10.00"), key=-1, receipt=1, qty=10)
    assert (valued.correction, book.state().value) == (D("7.00"), D("6.00"))
