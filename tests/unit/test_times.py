"""Business time: aware UTC datetimes, at most 5 minutes ahead of now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from onhand.domain.times import (
    FUTURE_TOLERANCE,
    check_occurred_at,
    parse_day_or_time,
    parse_time,
    utcnow,
)
from onhand.errors import InvalidTime

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_now_is_an_aware_utc_datetime() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_an_aware_time_in_the_past_is_accepted_and_returned_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    value = datetime(2026, 11, 1, 10, 0, tzinfo=paris)
    checked = check_occurred_at(value, NOW)
    assert checked == value
    assert checked.utcoffset() == timedelta(0)
    assert checked.hour == 9


def test_a_naive_datetime_is_rejected() -> None:
    with pytest.raises(InvalidTime) as caught:
        check_occurred_at(datetime(2026, 11, 1, 9, 0), NOW)  # noqa: DTZ001 - naive on purpose
    assert caught.value.field == "occurred_at"
    assert "timezone-aware" in str(caught.value)


def test_something_other_than_a_datetime_is_rejected() -> None:
    for value in ("2026-11-01T09:00Z", 1_700_000_000, NOW.date()):
        with pytest.raises(InvalidTime):
            check_occurred_at(value, NOW)


def test_up_to_five_minutes_ahead_is_tolerated_for_clock_skew() -> None:
    assert FUTURE_TOLERANCE == timedelta(minutes=5)
    assert check_occurred_at(NOW + timedelta(minutes=5), NOW) == NOW + timedelta(minutes=5)


def test_more_than_five_minutes_ahead_is_rejected() -> None:
    with pytest.raises(InvalidTime) as caught:
        check_occurred_at(NOW + timedelta(minutes=5, microseconds=1), NOW)
    assert caught.value.field == "occurred_at"
    assert "future" in str(caught.value)


def test_the_error_names_the_field_it_checks() -> None:
    with pytest.raises(InvalidTime) as caught:
        check_occurred_at(datetime(2026, 1, 1), NOW, field="as_of")  # noqa: DTZ001
    assert caught.value.field == "as_of"


def test_an_iso_time_with_an_offset_or_z_is_parsed_to_utc() -> None:
    assert parse_time("2026-11-02T09:00Z") == NOW
    assert parse_time("2026-11-02T10:00+01:00") == NOW
    assert parse_time(" 2026-11-02T09:00:00+00:00 ").tzinfo is not None


def test_a_date_alone_means_the_end_of_that_day_in_utc() -> None:
    end = parse_time("2026-11-02")
    assert end == datetime(2026, 11, 2, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_time_without_an_offset_or_that_is_not_iso_is_rejected() -> None:
    for text in ("2026-11-02T09:00", "yesterday", "02/11/2026"):
        with pytest.raises(InvalidTime):
            parse_time(text)


def test_a_date_alone_means_its_end_or_with_start_of_day_its_start() -> None:
    from datetime import UTC, datetime

    from onhand.domain.times import parse_time

    assert parse_time("2026-10-01") == datetime(2026, 10, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_time("2026-10-01", start_of_day=True) == datetime(2026, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01T00:00+01:00",
                                  "9999-12-31T23:00-02:00"])
def test_a_time_beyond_what_a_datetime_holds_in_utc_is_rejected_naming_the_field(
        text: str) -> None:
    with pytest.raises(InvalidTime) as caught:
        parse_time(text, field="as_of")
    assert caught.value.field == "as_of" and "out of range" in str(caught.value)


def test_a_date_alone_stays_a_day_for_the_owners_time_zone_to_bound() -> None:
    assert parse_day_or_time("2026-11-02", field="as_of") == date(2026, 11, 2)
    assert type(parse_day_or_time(" 2026-11-02 ", field="as_of")) is date


def test_a_time_with_an_offset_is_that_moment_in_utc() -> None:
    assert parse_day_or_time("2026-11-02T10:00+01:00", field="since") == NOW
    assert parse_day_or_time("2026-11-02T09:00Z", field="since").utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["2026-11-31", "yesterday", "", "02/11/2026",
                                  "2026-11-02T09:00", "2026-11-02T25:00Z"])
def test_neither_a_date_nor_a_time_with_an_offset_is_rejected_naming_the_field(
        text: str) -> None:
    with pytest.raises(InvalidTime) as caught:
        parse_day_or_time(text, field="until")
    assert caught.value.field == "until"


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31"])
def test_a_day_without_a_start_or_end_in_every_time_zone_is_out_of_range(text: str) -> None:
    with pytest.raises(InvalidTime) as caught:
        parse_day_or_time(text, field="as_of")
    assert caught.value.field == "as_of" and "out of range" in str(caught.value)
