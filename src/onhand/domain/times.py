"""Business time: aware UTC datetimes, and how far into the future one may post."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from onhand.errors import InvalidTime

FUTURE_TOLERANCE = timedelta(minutes=5)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def check_occurred_at(value: object, now: datetime, *, field: str = "occurred_at") -> datetime:
    """Return ``value`` in UTC if it is an aware datetime no more than 5 minutes ahead of ``now``."""
    if not isinstance(value, datetime):
        raise InvalidTime("must be a datetime", field=field, value=value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTime("must be timezone-aware (naive datetimes are ambiguous)", field=field,
                          value=value)
    value = value.astimezone(UTC)
    if value > now + FUTURE_TOLERANCE:
        raise InvalidTime("is more than 5 minutes in the future", field=field, value=value.isoformat())
    return value


def parse_time(text: str, *, field: str = "occurred_at", start_of_day: bool = False) -> datetime:
    """Return the aware datetime an ISO 8601 string names.

    A date alone means the end of that day in UTC ("stock as of 2026-10-01" includes the
    day), or its start with ``start_of_day`` (a posting "on 2026-10-01", a ``since``).
    """
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = datetime.fromisoformat(cleaned).replace(tzinfo=UTC)
            return day if start_of_day else day + timedelta(days=1) - timedelta(microseconds=1)
        value = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
        if value.tzinfo is None:
            raise InvalidTime("must carry a UTC offset (e.g. 2026-01-31T12:00Z)", field=field,
                              value=text)
        return value.astimezone(UTC)
    except ValueError:
        raise InvalidTime("is not an ISO 8601 time", field=field, value=text) from None
    except OverflowError:  # 9999-12-31's end, or year 1 with an offset, in UTC: past datetime's range
        raise InvalidTime("is out of range", field=field, value=text) from None


def parse_day_or_time(text: str, *, field: str) -> date | datetime:
    """Return the day or the aware moment an ISO 8601 string names.

    A date alone (``2026-10-01``) stays a ``date``: a whole day, which reports read in the
    owner's time zone; anything longer is a time with its offset, in UTC (``parse_time``).
    A day must have a start and an end in every time zone, so 0001-01-01 and 9999-12-31 are
    out of range.
    """
    cleaned = text.strip()
    if len(cleaned) > len("2026-10-01"):
        return parse_time(cleaned, field=field)
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidTime("is neither a date (2026-10-01) nor an ISO 8601 time with an offset",
                          field=field, value=text) from None
    if day in (date.min, date.max):
        raise InvalidTime("is out of range", field=field, value=text)
    return day


def check_day(value: object, field: str) -> date:
    """Return ``value`` if it is a date (a whole day, not a moment), else raise naming it."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidTime("must be a date (a whole day in the owner's time zone)", field=field,
                          value=str(value))
    return value


def day_bound(value: object, field: str, zone: ZoneInfo, *, end: bool) -> datetime:
    """Return a period bound as an aware UTC time: a date's start in ``zone`` (for an
    ``end``, the next day's start), or an aware time as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidTime("must be an aware datetime or a date", field=field, value=value)
        return value.astimezone(UTC)
    day = check_day(value, field)
    try:
        return datetime.combine(day + timedelta(days=1) if end else day, time(0),
                                zone).astimezone(UTC)
    except OverflowError:
        raise InvalidTime("is out of range", field=field, value=str(value)) from None
