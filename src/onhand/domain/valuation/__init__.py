"""Valuation: what an item's stock is worth and what each movement cost, to the minor unit.

Valuation is per item and owner, not per location (a transfer keeps value). Each item has a
cost method, ``fifo`` or ``average``; each owner a currency whose minor unit comes from
ISO 4217 (:func:`currency`). Money is ``Decimal`` outside and whole minor units inside;
quantities are the item's scaled integers inside. These rules follow DESIGN.md §6:

**One rounding per movement, half-up.** A movement's value is rounded once, half-up (away
from zero on a tie, not Python's half-to-even), to the currency's minor unit. The stock's value
is the sum of its movements' values (and corrections), so it never drifts; at zero units it is
exactly zero.

**Moving average.** An outbound movement is valued ``round(value × qty ÷ on_hand)`` from the
stored totals, never from a rounded unit cost; the last unit out takes exactly the value left.
A receipt changes the average; an outbound movement never does, beyond the rounding of its
own value. A return to the supplier is an outbound movement like any other: at the average.

**FIFO and the cumulative rule for a partial take.** An outbound movement consumes the oldest
open layers, by ``occurred_at`` then posting order. A layer keeps what came in, ``qty`` Q at
``value`` V (that movement's rounded value), and how many units have been taken, t. The value
taken from it so far is always ``round(V × t ÷ Q)``, a function of t alone, so a take of n
units is worth ``round(V × (t + n) ÷ Q) − round(V × t ÷ Q)``, and exactly what is left when
t + n = Q. An outbound movement takes whole layers (exact, no rounding) and at most one layer
in part: its value is rounded once. It cannot drift: a layer's remaining value is
``V − round(V × t ÷ Q)``, never a sum of separately rounded pieces, so the pieces telescope to
V and the layer empties to exactly zero; one shipment of 5 costs what shipments of 2 and 3
cost together; and the oldest units' cost is always within half a minor unit of their exact
share of each layer. (A return to the supplier takes from the layer of the receipt it returns
first, then from the oldest: in that rare case two layers may be taken in part, each by the
same rule.)

**Returns.** A customer return linked to its shipment re-enters at the cost it left with: it
undoes the shipment's takes from the last one back (by the same cumulative rule, counted from
the end), so a FIFO return of 20 of a shipment that took 200 at 12 and then 20 at 15 comes
back at 15 (a new layer, dated the return); under the average it is the shipment's own cost
per unit. Unlinked, a return is valued like a gain.

**Gains.** A positive adjustment or count gain is valued at the cost given, else the current
unit cost (value ÷ costed units on hand, or the last one known); with neither it is an
``InvalidInput`` naming ``unit_cost``.

**Below zero.** Where the ledger lets stock go negative, the units beyond the stock leave at
the last known unit cost (at zero, marked uncosted, if there never was one). The inbound
movement that covers them is valued at its own cost as always, and posts a ``correction``:
the covered units at that cost minus what they left with, an extra cost of goods sold
(negative when they cost less), returned on :class:`Valued` so a caller can record it.

**Uncosted stock.** Stock received without a cost is valued at zero and reported as
uncosted (``Valued.uncosted``, ``ValuationState.uncosted``) until revalued.

**Replay.** :func:`replay` values an item's movements from scratch through the same code as
the incremental path; a backdated posting is checked against it.
"""

from onhand.domain.valuation.costing import (
    IN,
    NONE,
    OUT,
    Layer,
    Shipped,
    Take,
    UnitCost,
    Valuation,
    ValuationState,
    Valued,
    share,
)
from onhand.domain.valuation.currencies import (
    MINOR_UNITS,
    NO_MINOR_UNIT,
    Currency,
    currency,
    divide_half_up,
)
from onhand.domain.valuation.journal import ExportJournal
from onhand.domain.valuation.landed import AddLandedCost
from onhand.domain.valuation.replay import ENTRY_KINDS, Entry, Replay, replay
from onhand.domain.valuation.reports import (
    ItemCogs,
    ItemValue,
    OwnerValue,
    Revaluation,
    Revalue,
    ValueEntry,
)

__all__ = [
    "ENTRY_KINDS",
    "IN",
    "MINOR_UNITS",
    "NONE",
    "NO_MINOR_UNIT",
    "OUT",
    "AddLandedCost",
    "Currency",
    "Entry",
    "ExportJournal",
    "ItemCogs",
    "ItemValue",
    "Layer",
    "OwnerValue",
    "Replay",
    "Revaluation",
    "Revalue",
    "Shipped",
    "Take",
    "UnitCost",
    "Valuation",
    "ValuationState",
    "Valued",
    "ValueEntry",
    "currency",
    "divide_half_up",
    "replay",
    "share",
]
