"""Exact quantities: validation against an item's decimals and the scaled integers stored."""

from __future__ import annotations

import re
from decimal import Decimal

from onhand.errors import InvalidQuantity

Quantity = int | Decimal
MAX_DECIMALS = 6
MAX_UNITS = 10**15  # scaled magnitude; keeps every sum inside a signed 64-bit integer
_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_SCALE: tuple[int, ...] = tuple(10**n for n in range(MAX_DECIMALS + 1))


def parse_qty(
    value: object, decimals: int, *, field: str = "qty", signed: bool = False
) -> Quantity:
    """Return ``value`` as an exact quantity with at most ``decimals`` places, or raise.

    Accepts ``int`` and ``Decimal`` (and, for text input from files and the CLI, strings
    go through :func:`parse_qty_text` first). Zero is never a movement; negative only when
    ``signed`` (adjustments).
    """
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        kind = type(value).__name__
        raise InvalidQuantity(f"must be an int or Decimal, not {kind}", value=value, field=field)
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidQuantity("must be a finite number", value=value, field=field)
    if value == 0:
        raise InvalidQuantity("must not be zero", value=value, field=field)
    if value < 0 and not signed:
        raise InvalidQuantity("must be positive", value=value, field=field)
    units = to_units(value, decimals, field=field)
    if abs(units) >= MAX_UNITS:
        raise InvalidQuantity("is too large", value=value, field=field)
    return from_units(units, decimals)


def parse_qty_text(text: str, decimals: int, *, field: str = "qty", signed: bool = False) -> Quantity:
    """Return the quantity written in ``text`` (``"3"``, ``"-2"``, ``"1.25"``), or raise."""
    return parse_qty(parse_number(text, field=field), decimals, field=field, signed=signed)


def parse_number(text: str, *, field: str = "qty") -> Quantity:
    """Return the exact number a plain decimal ``text`` writes (``"3"``, ``"-2"``, ``"1.25"``).

    Only the form is checked: no exponent, no ``_``, no NaN, so a typo cannot post
    ("1e3" is not 13). The item's decimals and the sign are the ledger's rules.
    """
    cleaned = text.strip()
    if not _PLAIN_NUMBER.match(cleaned):
        raise InvalidQuantity("is not a plain number like 3, -2 or 1.25", value=text, field=field)
    return int(cleaned) if "." not in cleaned else Decimal(cleaned)


def to_units(value: Quantity, decimals: int, *, field: str = "qty") -> int:
    """Return ``value`` scaled to an integer count of ``10**-decimals`` units, exactly."""
    if isinstance(value, int):
        return value * _SCALE[decimals]
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        reason = ("must be a whole number (the item has no decimals)" if decimals == 0 else
                  f"has more than {decimals} decimal place{'s' if decimals != 1 else ''}")
        raise InvalidQuantity(reason, value=value, field=field)
    return int(scaled)


def from_units(units: int, decimals: int) -> Quantity:
    """Return the quantity a scaled integer stands for: an ``int`` when the item has no decimals."""
    if decimals == 0:
        return units
    return Decimal(units).scaleb(-decimals)
