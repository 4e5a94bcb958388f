"""Owners: whose stock it is (a merchant, or each client of a 3PL), in which currency, and in
which time zone its days end (a period closes at the end of a day in the owner's zone)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any, NamedTuple

from onhand.domain.commands import Command
from onhand.domain.valuation import currency
from onhand.errors import InvalidInput

_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class Owner(NamedTuple):
    """An owner as listed: its code, name, ISO 4217 currency and IANA time zone."""

    code: str
    name: str
    currency: str = "USD"
    time_zone: str = "UTC"


@dataclass(frozen=True, kw_only=True, slots=True)
class AddOwner(Command[Owner]):
    """Create an owner whose stock is valued in ``currency`` (ISO 4217) and whose days end in
    ``time_zone`` (IANA); ``name`` defaults to the code. Owners are shared: no scope."""

    action = "owners.add"
    code: str
    name: str | None = None
    currency: str = "USD"
    time_zone: str = "UTC"

    def target(self, result: Any) -> str | None:
        return self.code


def check_code(code: object) -> str:
    """Return an owner code if it is 1-64 lowercase letters, digits, '.', '_' or '-'."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise InvalidInput("owner must be 1 to 64 lowercase letters, digits, '.', '_' or '-'",
                           field="owner", value=code)
    return code


def check_currency(code: object) -> str:
    """Return an ISO 4217 currency code in capitals, or raise naming ``currency``."""
    return currency(code).code


def check_time_zone(name: object) -> str:
    """Return an IANA time zone name (``Europe/Paris``, ``UTC``), or raise naming it."""
    if isinstance(name, str) and name.strip() == name and name:
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidInput("time_zone must be an IANA time zone name such as Europe/Paris or UTC",
                       field="time_zone", value=name if isinstance(name, str) else repr(name))
