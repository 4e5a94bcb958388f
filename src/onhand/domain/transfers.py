"""Transfers between warehouses in two steps: the document and its commands.

A transfer moves stock in two steps: dispatch (source → transit) and receipt at the target;
what does not arrive is posted to loss with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onhand.domain.commands import Command, OnDocument
from onhand.domain.quantities import Quantity


@dataclass(frozen=True, slots=True)
class TransferLine:
    """One line of a transfer: dispatched, received at the target, lost on the way."""

    line: int
    sku: str
    lot: str | None
    qty: Quantity
    received: Quantity
    lost: Quantity

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready values."""
        return {"line": self.line, "sku": self.sku, "lot": self.lot, "qty": str(self.qty),
                "received": str(self.received), "lost": str(self.lost)}


@dataclass(frozen=True, slots=True)
class Transfer:
    """Stock sent from one warehouse to another through ``transit``."""

    reference: str
    owner: str
    source: str
    target: str
    status: str
    created_at: datetime
    updated_at: datetime
    lines: tuple[TransferLine, ...]
    movement_ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the transfer as JSON-ready values."""
        return {"reference": self.reference, "owner": self.owner, "source": self.source,
                "target": self.target, "status": self.status,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(),
                "lines": [line.to_dict() for line in self.lines],
                "movement_ids": list(self.movement_ids)}


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchTransfer(OnDocument, Command[Transfer]):
    """Send stock from warehouse ``source`` to warehouse ``destination`` (into transit).

    ``lines``: ``[{"sku", "qty", "location", "lot"}]``; without a location, the units are
    picked first expired then first in. A retry with the same reference answers the transfer
    already dispatched. (``destination``, not ``target``: ``target()`` names what the audit
    entry acted on.)
    """

    action = "transfers.dispatch"
    reference: str
    source: str
    destination: str
    lines: Sequence[Mapping[str, Any]]
    owner: str = "default"


@dataclass(frozen=True, kw_only=True, slots=True)
class ReceiveTransfer(OnDocument, Command[Transfer]):
    """Receive a dispatched transfer at ``location`` (default: the target warehouse).

    Without ``lines`` everything arrived; with them (``[{"sku", "qty", "lot"}]``) the rest is
    lost on the way and posted to loss, which needs a ``reason``. ``key``: a retry with it
    is answered once.
    """

    action = "transfers.receive"
    reference: str
    lines: Sequence[Mapping[str, Any]] | None = None
    location: str | None = None
    reason: str | None = None
    owner: str = "default"
    key: str | None = None
