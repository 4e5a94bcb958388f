"""The rule that no balance goes below zero at any time: first_dip over a timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onhand.domain.stock import Dip, Problem, Step, VerifyReport, first_dip

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = 1 << 62


def day(n: int) -> datetime:
    return MONDAY + timedelta(days=n)


def test_a_timeline_that_stays_at_or_above_zero_has_no_dip() -> None:
    steps = [Step(day(0), 1, 10), Step(day(1), 2, -4), Step(day(2), LATER, -6, line=0)]
    assert first_dip(0, steps) is None


def test_taking_more_than_there_is_dips_and_blames_the_new_line() -> None:
    dip = first_dip(3, [Step(day(0), LATER, -4, line=0)])
    assert dip == Dip(line=0, at=day(0), requested=4, available=3)


def test_a_backdated_outbound_line_is_blamed_for_a_dip_caused_later() -> None:
    stored = [Step(day(0), 1, 10), Step(day(2), 2, -8)]
    new = Step(day(1), LATER, -5, line=0)
    dip = first_dip(0, [*stored, new])
    assert dip is not None
    assert (dip.line, dip.at, dip.requested, dip.available) == (0, day(2), 5, 2)


def test_a_backdated_outbound_line_that_leaves_enough_for_later_ones_is_fine() -> None:
    stored = [Step(day(0), 1, 10), Step(day(2), 2, -8)]
    assert first_dip(0, [*stored, Step(day(1), LATER, -2, line=0)]) is None


def test_steps_are_walked_in_time_order_whatever_order_they_come_in() -> None:
    steps = [Step(day(1), LATER, -5, line=0), Step(day(0), 1, 5)]
    assert first_dip(0, steps) is None
    assert first_dip(0, [Step(day(0), LATER, -5, line=0), Step(day(1), 1, 5)]) is not None


def test_at_the_same_instant_the_tie_breaker_orders_the_steps() -> None:
    receipt_first = [Step(day(0), 1, 5), Step(day(0), LATER, -5, line=0)]
    assert first_dip(0, receipt_first) is None
    shipment_first = [Step(day(0), 1, -5, line=0), Step(day(0), 2, 5)]
    assert first_dip(0, shipment_first) is not None


def test_the_latest_new_outbound_line_before_the_dip_is_blamed() -> None:
    steps = [Step(day(0), LATER, -2, line=0), Step(day(1), LATER + 1, -3, line=1)]
    dip = first_dip(4, steps)
    assert dip is not None
    assert (dip.line, dip.requested, dip.available) == (1, 3, 2)


def test_a_stored_balance_below_zero_without_a_new_outbound_line_is_not_blamed_on_anyone() -> None:
    assert first_dip(0, [Step(day(0), 1, -1)]) is None


def test_inbound_new_lines_are_never_blamed() -> None:
    assert first_dip(0, [Step(day(0), LATER, 5, line=0), Step(day(1), 1, -5)]) is None


def test_a_report_with_problems_is_not_ok_and_lists_their_rows() -> None:
    report = VerifyReport(ok=False, problems=[Problem("chain", "broken", (7,))], movements=3,
                          balances=2)
    assert report.to_dict()["problems"] == [
        {"check": "chain", "detail": "broken", "movement_ids": [7]}]
    assert report.to_dict()["ok"] is False
