"""Movements: the immutable ledger entries, how each kind routes stock, and their fingerprints.

Every kind moves a positive quantity from one location to another (double entry); the
sign of an adjustment only chooses the direction: ``adjust(qty=-2)`` is 2 units from the
location to ``loss``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from onhand.domain.commands import Command
from onhand.domain.locations import CUSTOMER, LOSS, SUPPLIER, TRANSIT, is_virtual
from onhand.domain.quantities import Quantity
from onhand.errors import InvalidInput, InvalidLocation

KINDS = ("receipt", "shipment", "return", "adjustment", "scrap", "transfer", "count")
NEEDS_REASON = ("adjustment", "scrap", "count")
# kinds that record what physically happened: they may take stock that orders reserved
# (a count always; the others when flagged as damage)
DAMAGE_KINDS = ("scrap", "transfer", "adjustment")
TAKES_COST = ("receipt", "return", "adjustment", "count")
MAX_TEXT = 200
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger entry: ``qty`` of an item (and lot) moved from ``source`` to ``target``."""

    id: int
    kind: str
    sku: str
    owner: str
    qty: Quantity
    source: str
    target: str
    lot: str | None
    reference: str | None
    reason: str | None
    unit_cost: Decimal | None
    occurred_at: datetime
    recorded_at: datetime
    reverses: int | None
    seq: int
    shipment_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the movement as JSON-ready values (Decimals and times as strings)."""
        return {
            "id": self.id, "kind": self.kind, "sku": self.sku, "owner": self.owner,
            "qty": str(self.qty), "source": self.source, "target": self.target, "lot": self.lot,
            "reference": self.reference, "reason": self.reason,
            "unit_cost": None if self.unit_cost is None else str(self.unit_cost),
            "occurred_at": self.occurred_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(), "reverses": self.reverses,
            "shipment_id": self.shipment_id, "seq": self.seq,
        }


@dataclass(frozen=True, slots=True)
class MovementRequest:
    """What a caller asks to post: the keywords of ``receive``, ``ship``… plus ``kind``."""

    kind: str
    sku: str
    qty: object
    owner: str = "default"
    location: str | None = None
    source: str | None = None
    target: str | None = None
    lot: str | None = None
    reference: str | None = None
    reason: str | None = None
    unit_cost: object = None
    occurred_at: datetime | None = None
    shipment_id: int | None = None
    # recorded damage (a scrap, a transfer to a non-sellable location, a negative
    # adjustment): the units are gone whatever was promised, so it may take reserved
    # stock, and the newest reservations become backorders
    damage: bool | None = None

    def identity(self) -> dict[str, Any]:
        """Return what makes two requests the same, for idempotency keys.

        A defaulted ``occurred_at`` is left out: a retry that leaves it to "now" is the same
        request although "now" has moved on.
        """
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__
                if getattr(self, name) not in (None, "")}  # "" is "not given", as None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostMovement(Command[Movement]):
    """Post one movement; with ``key``, a retry is applied once and answered the same."""

    action = "movements.post"
    request: MovementRequest
    owner: str = "default"
    key: str | None = None

    def target(self, result: Any) -> str | None:
        return self.request.sku


@dataclass(frozen=True, kw_only=True, slots=True)
class PostBatch(Command[list[Movement]]):
    """Post many movements at once, all or nothing; an error names its 1-based ``line``."""

    action = "movements.batch"
    requests: tuple[MovementRequest, ...]
    owner: str = "default"
    key: str | None = None
    max_lines: int = 100_000

    def target(self, result: Any) -> str | None:
        return f"{len(self.requests)} lines"


@dataclass(frozen=True, kw_only=True, slots=True)
class Reverse(Command[Movement]):
    """Post a movement, dated now, that undoes ``movement_id`` (each movement reverses once);
    ``owner=None``: whichever owner it belongs to (ids are unique across owners)."""

    action = "movements.reverse"
    movement_id: int
    reason: str
    owner: str | None = "default"
    key: str | None = None

    def target(self, result: Any) -> str | None:
        return str(self.movement_id)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)  # 5 and Decimal("5.0") are the same quantity
    if isinstance(value, Decimal):
        return ["decimal", str(value.normalize())]
    return value if isinstance(value, (int, str)) else repr(value)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a movement takes stock from and to, and how much (always positive)."""

    source: str
    target: str
    qty: Quantity


def route(kind: str, qty: Quantity, *, location: str | None, source: str | None,
          target: str | None) -> Route:
    """Return the source and target a movement of ``kind`` uses, or raise ``InvalidLocation``."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind", value=kind)
    if kind == "transfer":
        return _transfer_route(qty, source, target)
    where = _internal(location, "location")
    if kind == "receipt":
        return Route(SUPPLIER, where, qty)
    if kind == "shipment":
        return Route(where, CUSTOMER, qty)
    if kind == "return":
        return Route(CUSTOMER, where, qty)
    if kind == "scrap":
        return Route(where, LOSS, qty)
    # adjustment and count are signed: a gain comes from loss, a loss goes to it
    return Route(LOSS, where, qty) if qty > 0 else Route(where, LOSS, -qty)


def _transfer_route(qty: Quantity, source: str | None, target: str | None) -> Route:
    if source is None:
        raise InvalidInput("source is required for a transfer", field="source")
    if target is None:
        raise InvalidInput("target is required for a transfer", field="target")
    for field, path in (("source", source), ("target", target)):
        if is_virtual(path) and path != TRANSIT:
            raise InvalidLocation("is virtual; a transfer moves stock between internal "
                                  "locations (or via 'transit')", location=path, field=field)
    if source == target:
        raise InvalidLocation("is both source and target of the transfer", location=source,
                              field="target")
    return Route(source, target, qty)


def _internal(location: str | None, field: str) -> str:
    if location is None:
        raise InvalidInput(f"{field} is required", field=field)
    if is_virtual(location):
        raise InvalidLocation("is virtual; this movement needs an internal location",
                              location=location, field=field)
    return location


def check_text(value: object, field: str, *, required: bool = False) -> str | None:
    """Return an optional free-text field (reference, reason, lot) stripped, or raise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidInput(f"{field} must be text of at most {MAX_TEXT} characters", field=field)
    return value.strip()


def check_reference(value: object) -> str:
    """Return a document's reference (an order, hold, purchase order or transfer): required
    text without '/', since it names the document in a URL path."""
    reference = check_text(value, "reference", required=True)
    assert reference is not None
    if "/" in reference:
        raise InvalidInput("reference must not contain '/' (it names the document in URLs)",
                           field="reference", value=reference)
    return reference


LAST_COST = "last"  # a receipt's unit_cost: the item's last receipt cost (none if it has none)


def check_unit_cost(value: object, kind: str) -> Decimal | None:
    """Return a unit cost as a non-negative Decimal, or raise; only inbound kinds take one."""
    if value is None:
        return None
    if kind not in TAKES_COST:
        raise InvalidInput(f"unit_cost is not accepted on a {kind}; its cost comes from stock",
                           field="unit_cost")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise InvalidInput(f"unit_cost must be a Decimal or int, not {type(value).__name__}",
                           field="unit_cost", value=repr(value))
    cost = Decimal(value)
    if not cost.is_finite() or cost < 0:
        raise InvalidInput("unit_cost must be a finite amount of zero or more", field="unit_cost",
                           value=str(cost))
    if cost.as_tuple().exponent < -10 or cost.adjusted() > 15:  # type: ignore[operator]
        raise InvalidInput("unit_cost has more than 10 decimal places or 16 digits",
                           field="unit_cost", value=str(cost))
    return cost


def fingerprint(request: dict[str, Any] | list[dict[str, Any]]) -> str:
    """Return a stable digest of a request, to tell a retry from a different request."""
    text = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(previous: str, movement: Movement) -> str:
    """Return the hash that links a movement to the one before it in its item's chain.

    It covers every field of the movement and the previous link, so changing, removing or
    inserting a row breaks the chain from there on; ``verify`` recomputes it. Fields are
    joined by a unit separator; an absent optional field is a NUL, never the text "None".
    """
    m = movement
    text = (
        f"{previous}\x1f{m.id}\x1f{m.kind}\x1f{m.owner}\x1f{m.sku}\x1f{m.seq}\x1f{m.qty}"
        f"\x1f{m.source}\x1f{m.target}\x1f{_opt(m.lot)}\x1f{_opt(m.reference)}"
        f"\x1f{_opt(m.reason)}\x1f{_opt(m.unit_cost)}\x1f{m.occurred_at.isoformat()}"
        f"\x1f{m.recorded_at.isoformat()}\x1f{_opt(m.reverses)}\x1f{_opt(m.shipment_id)}"
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _opt(value: object) -> object:
    return "\x00" if value is None else value
