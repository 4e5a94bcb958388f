"""Locations: internal ones form a tree by path (``WH1/A-01``); four virtual ones stand outside.

Design decision: stock may sit at any internal location, a parent as well as a leaf (a
warehouse's own location is its dock or unsorted area); reading a location includes its
sub-locations. Virtual locations hold the other side of every movement and take no children.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from onhand.domain.commands import Command
from onhand.errors import InvalidLocation

SUPPLIER, CUSTOMER, LOSS, TRANSIT = "supplier", "customer", "loss", "transit"
VIRTUAL = (SUPPLIER, CUSTOMER, LOSS, TRANSIT)
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\- ]{0,63}$")
MAX_DEPTH = 8


class Location(NamedTuple):
    """A location as listed: its path, kind (internal or virtual), name, and whether its stock
    counts toward available (damaged, quarantine and returns-inspection places do not)."""

    path: str
    kind: str
    name: str
    sellable: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class AddLocation(Command[Location]):
    """Create an internal location by path, its parent first; ``sellable`` None: as its
    parent (a warehouse: sellable). Locations are shared by every owner: no scope."""

    action = "locations.add"
    path: str
    name: str | None = None
    sellable: bool | None = None

    def target(self, result: Any) -> str | None:
        return self.path


@dataclass(frozen=True, kw_only=True, slots=True)
class SetSellable(Command[None]):
    """Flag a location and everything below it sellable or not; reservations are settled
    again (stock no longer sellable may leave orders backordered)."""

    action = "locations.sellable"
    path: str
    sellable: bool

    def target(self, result: Any) -> str | None:
        return self.path

    def effect(self, result: Any) -> dict[str, Any] | None:
        return {"sellable": self.sellable}


def normalize_path(path: object, *, field: str = "location") -> str:
    """Return a location path with its segments checked, or raise ``InvalidLocation``."""
    if not isinstance(path, str) or not path.strip() or not path.isprintable():
        raise InvalidLocation("must be a non-empty path like 'WH1/A-01', without control "
                              "characters", location=str(path),
                              field=field)
    segments = [segment.strip() for segment in path.strip().strip("/").split("/")]
    if len(segments) > MAX_DEPTH:
        raise InvalidLocation(f"is deeper than {MAX_DEPTH} levels", location=path, field=field)
    for segment in segments:
        if not _SEGMENT.match(segment):
            raise InvalidLocation(
                "has a malformed segment (letters, digits, '.', '_', '-' and spaces; "
                "at most 64 characters, starting with a letter or digit)",
                location=path,
                field=field,
            )
    return "/".join(segments)


def parent_of(path: str) -> str | None:
    """Return the parent path of ``path`` (``None`` for a top-level location)."""
    head, _, _ = path.rpartition("/")
    return head or None


def warehouse_of(path: str) -> str:
    """Return the top-level location (the warehouse) that ``path`` lies in."""
    return path.split("/", 1)[0]


def is_virtual(path: str) -> bool:
    """Tell whether ``path`` names one of the virtual locations."""
    return path in VIRTUAL


def holds_stock(path: str) -> bool:
    """Tell whether stock at ``path`` is real and may not go below zero: internal or transit.

    ``supplier``, ``customer`` and ``loss`` stand for the outside world; their balances are
    the negative mirror of what came in, went out or was lost.
    """
    return path == TRANSIT or path not in VIRTUAL
