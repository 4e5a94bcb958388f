"""Replay: rebuild an item's valuation from its movements, from scratch.

The incremental path (a :class:`Valuation` kept up to date posting by posting) and a rebuild
must agree; after a backdated posting, the movements from its date on are replayed and their
new values compared with the recorded ones (each difference becomes a revaluation entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from onhand.domain.quantities import Quantity
from onhand.domain.valuation.costing import (
    NONE,
    OUT,
    Shipped,
    Take,
    Valuation,
    ValuationState,
    Valued,
)
from onhand.domain.valuation.currencies import Currency
from onhand.errors import InvalidInput, UnknownMovement

ENTRY_KINDS = ("receipt", "shipment", "return", "adjustment", "scrap", "count", "transfer",
               "supplier_return", "landed_cost", "revaluation")


@dataclass(frozen=True, slots=True)
class Entry:
    """One movement of an item as valuation sees it.

    ``kind`` is the ledger's kind (``supplier_return`` too), or ``landed_cost``; ``qty`` is
    positive, except that an adjustment or count is signed. A return names the ``shipment``
    it returns (or none); a return to the supplier the ``receipt`` it returns; a landed cost
    the ``receipt`` it raises, its ``qty`` and the ``amount`` added; a ``revaluation`` gives
    uncosted units on hand its ``unit_cost``.
    """

    key: int
    kind: str
    qty: Quantity
    occurred_at: datetime
    unit_cost: Decimal | None = None
    shipment: int | None = None
    receipt: int | None = None
    amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Replay:
    """The value of every movement replayed (in business-time order) and the final state."""

    values: tuple[Valued, ...]
    state: ValuationState


def replay(entries: Iterable[Entry], *, method: str, currency: str | Currency,
           decimals: int = 0, lenient: bool = False) -> Replay:
    """Value an item's movements from scratch, by ``occurred_at`` then ``key`` (posting order).

    A return links to the ``shipment`` it undoes, which may be any outbound movement (a
    reversal of a scrap, too). ``lenient`` (for a ledger posted before its items were valued,
    where the ledger's own rules are looser): a return whose shipment cannot take it back (not
    replayed yet, or returned already) comes back unlinked, and a gain or unlinked return that
    has no cost, given or known, comes in at zero, marked uncosted, instead of raising.

    >>> replay([Entry(1, "receipt", 10, at, Decimal("2.50")), Entry(2, "shipment", 4, at)],
    ...        method="fifo", currency="USD").state.value
    Decimal('15.00')
    """
    book = Replayer(Valuation(method, currency, decimals=decimals), lenient=lenient)
    values = tuple(book.post(entry)
                   for entry in sorted(entries, key=lambda entry: (entry.occurred_at, entry.key)))
    return Replay(values, book.valuation.state())


class Replayer:
    """Posts entries one by one in business-time order, carrying on from a saved point.

    It keeps what linked returns need: the takes of each outbound movement it posted (those
    posted before it started come from ``takes_of``) and how much of each shipment came back
    (``returned``, saved with the state to carry on from).
    """

    def __init__(self, valuation: Valuation, *, lenient: bool = False,
                 returned: dict[int, Quantity] | None = None,
                 takes_of: Callable[[int], tuple[Take, ...] | None] | None = None) -> None:
        self.valuation = valuation
        self.lenient = lenient
        self.returned = {} if returned is None else returned
        self._shipments: dict[int, tuple[Take, ...]] = {}
        self._takes_of = takes_of

    def post(self, entry: Entry) -> Valued:
        """Value one entry (later in business time than every entry posted before)."""
        try:
            valued = _apply(self, entry)
        except (InvalidInput, UnknownMovement) as error:
            if not self.lenient:
                raise
            valued = _unlinked(self.valuation, entry, error)
        if valued.direction == OUT:
            self._shipments[entry.key] = valued.takes
        return valued

    def shipped(self, key: int) -> tuple[Take, ...] | None:
        """Return the takes of the outbound movement ``key``, if it was posted."""
        found = self._shipments.get(key)
        if found is None and self._takes_of is not None:
            found = self._takes_of(key)
            if found is not None:
                self._shipments[key] = found
        return found


def _apply(replayer: Replayer, entry: Entry) -> Valued:
    """Post one entry through the incremental path, with the shipment a return refers to."""
    book, key, at, qty = replayer.valuation, entry.key, entry.occurred_at, entry.qty
    if entry.kind == "receipt":
        return book.receive(qty, entry.unit_cost, key=key, occurred_at=at)
    if entry.kind in ("shipment", "scrap"):
        return book.outbound(qty, key=key)
    if entry.kind in ("adjustment", "count"):
        if qty < 0:
            return book.outbound(-qty, key=key)
        return book.gain(qty, key=key, occurred_at=at, unit_cost=entry.unit_cost)
    if entry.kind == "return":
        return _return(replayer, entry)
    if entry.kind == "supplier_return":
        return book.supplier_return(qty, key=key, receipt=entry.receipt)
    if entry.kind == "landed_cost" and entry.receipt is not None and entry.amount is not None:
        return book.landed_cost(entry.amount, key=key, receipt=entry.receipt, qty=qty)
    if entry.kind == "revaluation" and entry.unit_cost is not None:
        return book.revalue(entry.unit_cost, key=key)
    if entry.kind == "transfer":  # valuation is per item and owner: a transfer keeps value
        return Valued(key, qty, book.currency.amount(0), NONE)
    raise InvalidInput(f"kind must be one of {', '.join(ENTRY_KINDS)}", field="kind",
                       value=entry.kind)


def _unlinked(book: Valuation, entry: Entry, error: InvalidInput | UnknownMovement) -> Valued:
    """Value what a lenient replay could not link: a return as unlinked, and without any
    cost at zero, uncosted."""
    if entry.kind == "return" and entry.shipment is not None and error.field != "unit_cost":
        try:
            return book.customer_return(entry.qty, key=entry.key, occurred_at=entry.occurred_at,
                                        unit_cost=entry.unit_cost)
        except InvalidInput as again:
            error = again
    if error.field != "unit_cost":
        raise error
    return book.receive(entry.qty, None, key=entry.key, occurred_at=entry.occurred_at)


def _return(replayer: Replayer, entry: Entry) -> Valued:
    book, returned = replayer.valuation, replayer.returned
    if entry.shipment is None:
        return book.customer_return(entry.qty, key=entry.key, occurred_at=entry.occurred_at,
                                    unit_cost=entry.unit_cost)
    takes = replayer.shipped(entry.shipment)
    if takes is None:
        raise UnknownMovement(entry.shipment, field="shipment", kind="shipment")
    before = returned.get(entry.shipment, 0)
    valued = book.customer_return(entry.qty, key=entry.key, occurred_at=entry.occurred_at,
                                  shipped=Shipped(takes, before))
    returned[entry.shipment] = before + valued.qty
    return valued
