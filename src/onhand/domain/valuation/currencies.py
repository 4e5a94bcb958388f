"""Currencies: ISO 4217 minor units, and rounding money half-up to them (DESIGN.md §6).

The minor units are those of the ISO 4217 list (List One, published 2026-01-01), not CLDR's
display digits (CLDR shows 0 digits for some currencies whose ISO minor unit is 2). The
domain imports only the standard library, so the list is kept here; a unit test compares it
with the ``iso4217`` package, which carries the list as published.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from onhand.errors import InvalidInput

# ISO 4217 List One, published 2026-01-01: the codes by number of minor-unit digits
_MINOR_UNITS: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
       "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
       "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK "
       "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO "
       "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS "
       "SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST "
       "XAD XCD XCG YER ZAR ZMW ZWG",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
# codes whose minor unit ISO 4217 gives as "N.A." (metals, SDR, test and "no currency" codes)
NO_MINOR_UNIT = frozenset("XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX".split())
MINOR_UNITS: dict[str, int] = {code: digits for digits, codes in _MINOR_UNITS.items()
                               for code in codes.split()}
_WIDE = Context(prec=80)  # wide enough that quantize never runs out of digits


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the number of decimal digits of its minor unit."""

    code: str
    digits: int

    def round(self, amount: Decimal) -> Decimal:
        """Return ``amount`` rounded half-up (away from zero on a tie) to the minor unit.

        ``Currency("USD", 2).round(Decimal("0.125")) == Decimal("0.13")``, where Python's
        ``round`` would give 0.12.
        """
        return amount.quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_HALF_UP,
                               context=_WIDE)

    def amount(self, minor: int) -> Decimal:
        """Return ``minor`` units (cents, fils…) as a Decimal amount with the currency's digits."""
        return Decimal(minor).scaleb(-self.digits)

    def to_minor(self, amount: Decimal, *, field: str = "value") -> int:
        """Return an amount as a whole number of minor units; raise if it has more digits."""
        scaled = amount.scaleb(self.digits, context=_WIDE)
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            raise InvalidInput(f"{field} {amount} has more than {self.digits} decimal places "
                               f"for {self.code}", field=field, value=str(amount))
        return int(scaled)


def currency(code: object, *, field: str = "currency") -> Currency:
    """Return the ISO 4217 currency with this code (``"usd"`` is ``USD``), or raise.

    An unknown code, or one without a minor unit (gold ``XAU``, ``XXX``), is an
    ``InvalidInput`` naming ``field``.
    """
    if not isinstance(code, str):
        raise InvalidInput(f"{field} must be a three-letter ISO 4217 code", field=field,
                           value=repr(code))
    cleaned = code.strip().upper()
    if cleaned in NO_MINOR_UNIT:
        raise InvalidInput(f"{field} {cleaned!r} has no minor unit in ISO 4217, so stock cannot "
                           "be valued in it", field=field, value=code)
    if cleaned not in MINOR_UNITS:
        raise InvalidInput(f"{field} {code!r} is not an ISO 4217 currency code", field=field,
                           value=code)
    return Currency(cleaned, MINOR_UNITS[cleaned])


# amounts are stored as whole minor units in 64 bits: a value must stay below this (in the
# currency's units), which leaves room for three minor digits and for sums
MAX_AMOUNT = Decimal(10) ** 15


def divide_half_up(numerator: int, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded half-up (away from zero), exactly.

    The one rounding rule of valuation, on integers (minor units, scaled quantities), so no
    intermediate figure is ever rounded or held in a float.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient
