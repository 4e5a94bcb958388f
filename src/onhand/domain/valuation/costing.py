"""Costing: the value of each movement of one item (and owner), by FIFO layers or moving average.

One :class:`Valuation` follows one item and owner through its movements in business-time
order. Quantities are scaled integers inside (the item's ``decimals``) and money is whole minor
units, so every figure is exact; the only rounding is :func:`divide_half_up`. The rules are
in the package docstring (``onhand.domain.valuation``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from onhand.domain.items import COST_METHODS
from onhand.domain.movements import check_unit_cost
from onhand.domain.quantities import MAX_UNITS, Quantity, from_units, parse_qty, to_units
from onhand.domain.valuation.currencies import Currency, currency, divide_half_up
from onhand.errors import InvalidInput, InvalidQuantity, InvalidTime

IN, OUT, NONE = 1, -1, 0  # the direction of a movement's value: into stock, out of it, neither


@dataclass(frozen=True, slots=True)
class UnitCost:
    """An exact unit cost: ``value`` for ``qty`` units, kept as a ratio so it is never rounded."""

    value: Decimal
    qty: Quantity


@dataclass(frozen=True, slots=True)
class Take:
    """Units an outbound movement took at one cost, and their value.

    ``layer`` is the key of the FIFO layer they came from (``None`` under the average);
    ``below_zero`` marks units that left beyond the stock, at the last known unit cost;
    ``uncosted`` units that had come in without a cost (a return brings them back so).
    """

    qty: Quantity
    value: Decimal
    layer: int | None = None
    below_zero: bool = False
    uncosted: bool = False


@dataclass(frozen=True, slots=True)
class Valued:
    """The value one movement carries, and where it came from.

    ``value`` is never negative; ``direction`` says whether it entered stock (``IN``), left it
    (``OUT``, its cost of goods sold) or neither (a transfer). ``correction`` is the extra cost
    of goods sold an inbound movement posts for units that had left below zero at the last
    known cost (negative when they cost less); ``uncosted`` marks a value of zero for want of
    a cost.
    """

    key: int
    qty: Quantity
    value: Decimal
    direction: int
    takes: tuple[Take, ...] = ()
    correction: Decimal = Decimal(0)
    uncosted: bool = False

    @property
    def change(self) -> Decimal:
        """The change in the stock's value: + an inbound value, − COGS, − a correction."""
        return self.direction * self.value - self.correction

    @property
    def shortfall(self) -> Quantity:
        """How many units left below zero (valued at the last known unit cost)."""
        return sum((take.qty for take in self.takes if take.below_zero), start=0)


@dataclass(frozen=True, slots=True)
class Shipped:
    """The outbound movement a customer return refers to: its takes, and what came back already."""

    takes: tuple[Take, ...]
    returned: Quantity = 0


@dataclass(frozen=True, slots=True)
class Layer:
    """FIFO: units that came in together, their value, and what of them is still in stock.

    ``qty`` and ``value`` are as they came in; ``remaining`` and ``remaining_value`` what is
    left after the takes (the taken value is always ``round(value × taken ÷ qty)``).
    """

    key: int
    occurred_at: datetime
    qty: Quantity
    value: Decimal
    remaining: Quantity
    remaining_value: Decimal
    uncosted: bool = False


@dataclass(frozen=True, slots=True)
class ValuationState:
    """What an item's stock is worth: on hand, value, open FIFO layers, the current unit cost.

    Below zero, ``on_hand`` and ``value`` are negative: units that left before they came in,
    at the last known unit cost. ``uncosted`` counts units on hand that came in without a cost
    (under the average, at most that many: a pool cannot tell which units left).
    """

    method: str
    currency: str
    decimals: int
    on_hand: Quantity
    value: Decimal
    layers: tuple[Layer, ...] = ()
    uncosted: Quantity = 0
    unit_cost: UnitCost | None = None


@dataclass(frozen=True, slots=True)
class _Rate:
    value: Decimal  # money for ``units`` scaled units
    units: int


@dataclass(frozen=True, slots=True)
class _Part:
    units: int
    minor: int
    layer: int | None = None  # FIFO: the layer's key
    below_zero: bool = False
    uncosted: bool = False


@dataclass(slots=True)
class _Open:
    key: int
    at: datetime
    units: int  # as received: the basis of the cumulative rule
    minor: int
    taken: int = 0
    taken_minor: int = 0  # always share(minor, taken, units)
    uncosted: bool = False


def share(value: int, part: int, whole: int) -> int:
    """Return ``round(value × part ÷ whole)`` half-up, and exactly ``value`` when part is whole."""
    return value if part == whole else divide_half_up(value * part, whole)


class Valuation:
    """Values the movements of one item and owner, one at a time, in business-time order.

    >>> book = Valuation("fifo", "USD")
    >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    >>> book.receive(10, Decimal("2.50"), key=1, occurred_at=at).value
    Decimal('25.00')
    >>> book.outbound(4, key=2).value
    Decimal('10.00')
    """

    def __init__(self, method: str, currency_code: str | Currency, *, decimals: int = 0) -> None:
        if method not in COST_METHODS:
            raise InvalidInput(f"cost_method must be one of {', '.join(COST_METHODS)}",
                               field="cost_method", value=method)
        self.method = method
        self.currency = (currency_code if isinstance(currency_code, Currency)
                         else currency(currency_code))
        self.decimals = decimals
        self._one = to_units(1, decimals)
        self._units = 0  # on hand, scaled; negative below zero
        self._minor = 0  # the stock's value in minor units: the sum of the movements' values
        self._layers: deque[_Open] = deque()  # FIFO, oldest first; empty below zero
        self._uncosted = 0
        # the current unit cost, or the last one known; (minor, units) until it is needed
        self._last: _Rate | tuple[int, int] | None = None
        self._zero = self.currency.amount(0)

    # --- the movements ------------------------------------------------------------------

    def receive(self, qty: Quantity, unit_cost: Decimal | None, *, key: int,
                occurred_at: datetime) -> Valued:
        """Value a receipt at ``qty × unit_cost``; without a cost at zero, marked uncosted."""
        units = self._units_of(qty)
        rate = None if unit_cost is None else self._given(unit_cost, "receipt")
        return self._inbound(units, 0 if rate is None else self._price(rate, units), rate,
                             key=key, at=occurred_at)

    def outbound(self, qty: Quantity, *, key: int) -> Valued:
        """Value a shipment, scrap or negative adjustment: its cost of goods sold."""
        return self._outbound(self._units_of(qty), key=key)

    def gain(self, qty: Quantity, *, key: int, occurred_at: datetime,
             unit_cost: Decimal | None = None) -> Valued:
        """Value a positive adjustment or count gain at ``unit_cost``, else the current cost."""
        units = self._units_of(qty)
        rate = self._given_or_current(unit_cost, "adjustment")
        return self._inbound(units, self._price(rate, units), rate, key=key, at=occurred_at)

    def customer_return(self, qty: Quantity, *, key: int, occurred_at: datetime,
                        shipped: Shipped | None = None,
                        unit_cost: Decimal | None = None) -> Valued:
        """Value a customer return at the cost its shipment left with, else as a gain.

        Linked, the returned units undo the shipment's takes from its last one back (those
        returned already skipped), so a FIFO return re-enters at the cost those units left
        at; under the average that is the shipment's own cost per unit.
        """
        units = self._units_of(qty)
        if shipped is None:
            rate = self._given_or_current(unit_cost, "return")
            return self._inbound(units, self._price(rate, units), rate, key=key, at=occurred_at)
        minor, uncosted = self._returned_value(shipped, units, qty)
        back = None if uncosted else _Rate(self.currency.amount(minor), units)
        return self._inbound(units, minor, back, key=key, at=occurred_at)

    def supplier_return(self, qty: Quantity, *, key: int, receipt: int | None = None) -> Valued:
        """Value a return to the supplier: FIFO from the layer of ``receipt`` first.

        Whatever that layer no longer holds comes from the oldest layers; under the average
        it leaves at the average, as any outbound movement.
        """
        first = receipt if self.method == "fifo" else None
        return self._outbound(self._units_of(qty), key=key, first=first)

    def landed_cost(self, amount: Decimal, *, key: int, receipt: int, qty: Quantity
                    ) -> Valued:
        """Raise the value of the receipt ``receipt`` (of ``qty`` units) by ``amount``:
        freight, duty or fees that came after it.

        The units of it still on hand carry the amount; the share of those gone (sold,
        scrapped, returned) is cost of goods sold, the ``correction``. FIFO: the receipt's
        layer is worth ``amount`` more, and what it gave up is recounted by the cumulative
        rule (``round((V + amount) × t ÷ Q)``), the difference going to COGS. Average: the
        units it could still account for, ``min(on hand, qty)``, keep their share of the
        amount (rounded once); the rest is COGS. Nothing of it on hand: all of it is COGS.
        """
        minor = self.currency.to_minor(amount, field="amount")
        received = self._units_of(qty)
        if self.method == "fifo":
            layer = next((o for o in self._layers if o.key == receipt), None)
            sold = minor
            if layer is not None:
                taken_minor = share(layer.minor + minor, layer.taken, layer.units)
                sold = taken_minor - layer.taken_minor
                layer.minor, layer.taken_minor = layer.minor + minor, taken_minor
        else:
            held = min(max(self._units, 0), received)
            sold = minor - share(minor, held, received)
        self._minor += minor - sold
        self._remember(None)
        return Valued(key, self._qty(0), self.currency.amount(minor), IN,
                      correction=self.currency.amount(sold))

    def revalue(self, unit_cost: Decimal, *, key: int) -> Valued:
        """Give the units on hand that came in without a cost ``unit_cost``: their value,
        rounded once per FIFO layer (under the average, once), is added to the stock.

        FIFO: each uncosted layer's units still here become a layer of their own, worth
        ``round(units × unit_cost)``; average: the uncosted units join the pool at that cost.
        Units that left before are not touched (they left at zero). ``qty`` on the result is
        the units revalued.
        """
        rate = self._given(unit_cost, "receipt")  # a cost as a receipt takes one
        units = minor = 0
        if self.method == "fifo":
            for index, layer in enumerate(self._layers):
                if layer.uncosted:  # what it still holds (a landed cost's share) stays
                    left = layer.units - layer.taken
                    price = self._price(rate, left)
                    self._layers[index] = _Open(layer.key, layer.at, left,
                                                price + layer.minor - layer.taken_minor)
                    units, minor = units + left, minor + price
        elif self._uncosted > 0:
            units = self._uncosted
            minor = self._price(rate, units)
        self._uncosted -= units
        self._minor += minor
        self._remember(rate)
        return Valued(key, self._qty(units), self.currency.amount(minor), IN)

    # --- what the stock is worth ---------------------------------------------------------

    @property
    def unit_cost(self) -> UnitCost | None:
        """The current unit cost (value ÷ costed units on hand), else the last one known."""
        last = self._last_rate()
        return None if last is None else self._public(last)

    @property
    def uncosted(self) -> Quantity:
        """Units on hand that came in without a cost (see :class:`ValuationState`)."""
        return self._qty(self._uncosted)

    @property
    def uncosted_units(self) -> int:
        """:attr:`uncosted` as scaled units."""
        return self._uncosted

    def state(self) -> ValuationState:
        """Return what the stock is worth now, with its open FIFO layers."""
        amount, qty = self.currency.amount, self._qty
        layers = tuple(Layer(o.key, o.at, qty(o.units), amount(o.minor), qty(o.units - o.taken),
                             amount(o.minor - o.taken_minor), o.uncosted) for o in self._layers)
        return ValuationState(self.method, self.currency.code, self.decimals, qty(self._units),
                              amount(self._minor), layers, qty(self._uncosted), self.unit_cost)

    @classmethod
    def resume(cls, state: ValuationState) -> Valuation:
        """Return a valuation that carries on from ``state`` (as :meth:`state` returned it)."""
        book = cls(state.method, state.currency, decimals=state.decimals)
        to_minor, scaled = book.currency.to_minor, book._scaled
        book._units, book._minor = scaled(state.on_hand), to_minor(state.value)
        book._uncosted = scaled(state.uncosted)
        for layer in state.layers:
            received, value = scaled(layer.qty), to_minor(layer.value)
            taken = received - scaled(layer.remaining)
            taken_minor = value - to_minor(layer.remaining_value)
            if taken_minor != share(value, taken, received):
                raise ValueError(f"layer {layer.key} has a taken value off the cumulative rule")
            book._layers.append(_Open(layer.key, layer.occurred_at, received, value, taken,
                                      taken_minor, layer.uncosted))
        if state.unit_cost is not None:
            book._last = _Rate(state.unit_cost.value, scaled(state.unit_cost.qty))
        held = (sum(o.units - o.taken for o in book._layers), sum(o.minor - o.taken_minor
                                                                   for o in book._layers))
        if book.method == "fifo" and book._units > 0 and held != (book._units, book._minor):
            raise ValueError("the layers do not add up to the stock on hand and its value")
        return book

    # --- inbound: cover what left below zero, then open a layer / join the average --------

    def _inbound(self, units: int, minor: int, rate: _Rate | None, *, key: int,
                 at: datetime) -> Valued:
        _check_time(at)
        covered = min(units, max(-self._units, 0))
        taken_minor = share(minor, covered, units) if covered else 0
        correction = 0
        if covered:  # these units stand in for those that left below zero
            booked = share(-self._minor, covered, -self._units)
            correction = taken_minor - booked
            self._units += covered
            self._minor += booked
        rest = units - covered
        if rest:
            if self.method == "fifo":
                self._open(_Open(key, at, units, minor, covered, taken_minor, rate is None))
            self._units += rest
            self._minor += minor - taken_minor
            self._uncosted += rest if rate is None else 0
        self._remember(rate)
        return Valued(key, self._qty(units), self.currency.amount(minor), IN,
                      correction=self.currency.amount(correction) if correction else self._zero,
                      uncosted=rate is None)

    def _open(self, layer: _Open) -> None:
        """Add a layer in business-time order (then posting order): at the end, as a rule."""
        index = len(self._layers)
        while index and (self._layers[index - 1].at, self._layers[index - 1].key) > (
                layer.at, layer.key):
            index -= 1
        self._layers.insert(index, layer)

    # --- outbound: FIFO layers or the average, then below zero at the last known cost ----

    def _outbound(self, units: int, *, key: int, first: int | None = None) -> Valued:
        covered = min(units, max(self._units, 0))
        if self.method == "fifo":
            parts = self._take_layers(covered, first)
        else:
            parts = [_Part(covered, share(self._minor, covered, self._units),
                           uncosted=self._uncosted > 0)] if covered else []
        if units > covered:  # the ledger let stock go below zero: the last known cost
            short, last = units - covered, self._last_rate()
            parts.append(_Part(short, 0 if last is None else self._price(last, short),
                               below_zero=True, uncosted=last is None))
        minor = sum(part.minor for part in parts)
        self._units -= units
        self._minor -= minor
        if self.method == "average":
            self._uncosted = min(self._uncosted, max(self._units, 0))
        self._remember(None)
        amount, qty = self.currency.amount, self._qty
        takes = tuple(Take(qty(p.units), amount(p.minor), p.layer, p.below_zero, p.uncosted)
                      for p in parts)
        return Valued(key, qty(units), amount(minor), OUT, takes,
                      uncosted=any(part.uncosted for part in parts))

    def _take_layers(self, units: int, first: int | None) -> list[_Part]:
        """Take ``units`` from the layer ``first`` (if open), then from the oldest layers."""
        parts: list[_Part] = []
        chosen = [o for o in self._layers if o.key == first] if first is not None else []
        for layer in chosen:
            units -= self._take_from(layer, min(units, layer.units - layer.taken), parts)
        while units:
            layer = self._layers[0]
            units -= self._take_from(layer, min(units, layer.units - layer.taken), parts)
        return parts

    def _take_from(self, layer: _Open, units: int, parts: list[_Part]) -> int:
        """Take ``units`` from ``layer`` by the cumulative rule; return how many were taken."""
        if not units:
            return 0
        taken = layer.taken + units
        taken_minor = share(layer.minor, taken, layer.units)
        parts.append(_Part(units, taken_minor - layer.taken_minor, layer.key,
                           uncosted=layer.uncosted))
        layer.taken, layer.taken_minor = taken, taken_minor
        self._uncosted -= units if layer.uncosted else 0
        if taken == layer.units:
            if self._layers[0] is layer:
                self._layers.popleft()
            else:
                self._layers.remove(layer)
        return units

    # --- costs -----------------------------------------------------------------------------

    def _returned_value(self, shipped: Shipped, units: int, qty: Quantity) -> tuple[int, bool]:
        """Undo the shipment's takes from the last one back, past those returned already;
        return their value and whether every unit of them had come in without a cost."""
        takes = [(self._scaled(t.qty), self.currency.to_minor(t.value, field="shipped"),
                  t.uncosted) for t in shipped.takes]
        skip = self._scaled(shipped.returned) if shipped.returned else 0
        left = sum(t_units for t_units, _, _ in takes) - skip
        if units > left:
            raise InvalidQuantity(f"exceeds what the shipment shipped and has not had returned "
                                  f"({self._qty(max(left, 0))})", value=qty)
        minor, uncosted = 0, True
        for t_units, t_minor, t_uncosted in reversed(takes):
            if not units:
                break
            if skip >= t_units:
                skip -= t_units
                continue
            part = min(units, t_units - skip)
            minor += share(t_minor, skip + part, t_units) - share(t_minor, skip, t_units)
            units, skip, uncosted = units - part, 0, uncosted and t_uncosted
        return minor, uncosted

    def _remember(self, rate: _Rate | None) -> None:
        """Keep the current unit cost: the costed stock's, else the inbound's, else the last."""
        costed = self._units - self._uncosted
        if self._units > 0 and costed > 0:
            per = costed if self.method == "fifo" else self._units
            self._last = (self._minor, per)  # made a rate only when needed
        elif rate is not None:
            self._last = rate

    def _given_or_current(self, unit_cost: Decimal | None, kind: str) -> _Rate:
        if unit_cost is not None:
            return self._given(unit_cost, kind)
        last = self._last_rate()
        if last is None:
            raise InvalidInput("unit_cost is required: the item has no known cost yet",
                               field="unit_cost")
        return last

    def _last_rate(self) -> _Rate | None:
        last = self._last
        if isinstance(last, tuple):
            last = self._last = _Rate(self.currency.amount(last[0]), last[1])
        return last

    def _given(self, unit_cost: object, kind: str) -> _Rate:
        cost = check_unit_cost(unit_cost, kind)
        assert cost is not None  # not None in, not None out
        return _Rate(cost, self._one)

    def _price(self, rate: _Rate, units: int) -> int:
        """Return the value of ``units`` at ``rate`` in minor units, rounded once, half-up."""
        numerator, denominator = rate.value.as_integer_ratio()
        return divide_half_up(numerator * 10**self.currency.digits * units,
                              denominator * rate.units)

    # --- quantities ------------------------------------------------------------------------

    def _units_of(self, qty: Quantity) -> int:
        if type(qty) is int and 0 < qty < MAX_UNITS and not self.decimals:
            return qty  # the usual case, valid as it is
        return to_units(parse_qty(qty, self.decimals), self.decimals)

    def _scaled(self, qty: Quantity) -> int:
        return to_units(qty, self.decimals)

    def _qty(self, units: int) -> Quantity:
        return from_units(units, self.decimals)

    def _public(self, rate: _Rate) -> UnitCost:
        return UnitCost(rate.value, self._qty(rate.units))


def _check_time(at: object) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTime("must be a timezone-aware datetime", value=at)
