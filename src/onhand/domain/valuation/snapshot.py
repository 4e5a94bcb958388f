"""Snapshots: an item's valuation state and an outbound movement's takes, as JSON text.

The stored values of an item are kept up to date by carrying on from a saved state (the
item's latest, or a checkpoint before a backdated movement) instead of replaying its whole
history. Figures travel as text (``Decimal`` and quantities exact), times as ISO 8601.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from onhand.domain.quantities import Quantity
from onhand.domain.valuation.costing import Layer, Take, UnitCost, ValuationState


def dump_state(state: ValuationState, returned: dict[int, Quantity]) -> str:
    """Return ``state`` and the units returned so far of each shipment, as JSON text."""
    cost = state.unit_cost
    return json.dumps({
        "method": state.method, "currency": state.currency, "decimals": state.decimals,
        "on_hand": str(state.on_hand), "value": str(state.value),
        "uncosted": str(state.uncosted),
        "unit_cost": None if cost is None else [str(cost.value), str(cost.qty)],
        "layers": [[layer.key, layer.occurred_at.isoformat(), str(layer.qty), str(layer.value),
                    str(layer.remaining), str(layer.remaining_value), layer.uncosted]
                   for layer in state.layers],
        "returned": [[key, str(qty)] for key, qty in sorted(returned.items())],
    }, separators=(",", ":"))


def load_state(text: str) -> tuple[ValuationState, dict[int, Quantity]]:
    """Return the state and returned units that :func:`dump_state` wrote."""
    data = json.loads(text)
    decimals = int(data["decimals"])

    def qty(value: str) -> Quantity:
        return Decimal(value) if decimals else int(value)

    cost = data["unit_cost"]
    layers = tuple(Layer(int(key), datetime.fromisoformat(at), qty(received), Decimal(value),
                         qty(remaining), Decimal(left), bool(uncosted))
                   for key, at, received, value, remaining, left, uncosted in data["layers"])
    state = ValuationState(data["method"], data["currency"], decimals, qty(data["on_hand"]),
                           Decimal(data["value"]), layers, qty(data["uncosted"]),
                           None if cost is None else UnitCost(Decimal(cost[0]), qty(cost[1])))
    return state, {int(key): qty(units) for key, units in data["returned"]}


def dump_takes(takes: tuple[Take, ...]) -> str:
    """Return an outbound movement's takes as JSON text (what a linked return undoes)."""
    # written by hand: it runs for every outbound movement, and json.dumps costs 3× as much
    return "[" + ",".join(f'["{t.qty}","{t.value}",{"null" if t.layer is None else t.layer},'
                          f'{"true" if t.below_zero else "false"},'
                          f'{"true" if t.uncosted else "false"}]' for t in takes) + "]"


def load_takes(text: str) -> tuple[Take, ...]:
    """Return the takes :func:`dump_takes` wrote."""
    return tuple(Take(_number(qty), Decimal(value), layer, bool(below), bool(uncosted))
                 for qty, value, layer, below, uncosted in json.loads(text))


def _number(text: str) -> Quantity:
    """A quantity as written: an ``int`` for an item without decimals."""
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)
