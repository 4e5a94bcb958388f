"""Transfers between warehouses: their reads and writes.

Reads answer ``Transfer`` as the domain shows it; the write paths read a ``StoredTransfer``
and its ``StoredTransferLine`` (the ids and units they update).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Row

from onhand.db.documents import Documents, DocumentStore, times
from onhand.db.tables import document_movements, locations, owners, transfer_lines, transfers
from onhand.domain.quantities import from_units
from onhand.domain.transfers import Transfer, TransferLine
from onhand.errors import UnknownTransfer


@dataclass(frozen=True, slots=True)
class StoredTransfer:
    """A transfer's ids, as its write paths need them."""

    id: int
    owner_id: int
    reference: str
    source_id: int  # a warehouse
    target_id: int  # a warehouse
    status: str


@dataclass(frozen=True, slots=True)
class StoredTransferLine:
    """One line of a transfer in units: dispatched, received, lost on the way."""

    id: int
    line: int
    item_id: int
    lot: str  # "" without a lot
    qty: int
    received: int
    lost: int


class SentLine(NamedTuple):
    """A line of a new transfer: the item, its lot ("" for none) and the units sent."""

    item_id: int
    lot: str
    qty: int


_source, _target = locations.alias("source"), locations.alias("target")
_TRANSFERS = Documents(
    transfers, transfer_lines, transfer_lines.c.transfer_id, document_movements.c.transfer_line_id,
    select(transfers, owners.c.code.label("owner_code"), _source.c.path.label("source_path"),
           _target.c.path.label("target_path"))
    .join(owners, owners.c.id == transfers.c.owner_id)
    .join(_source, _source.c.id == transfers.c.source_id)
    .join(_target, _target.c.id == transfers.c.target_id))


class TransferStore(DocumentStore):
    """Reads and writes transfers inside the unit of work's transaction."""

    documents = _TRANSFERS

    def insert(self, *, owner_id: int, reference: str, source_id: int, target_id: int,
               lines: Sequence[SentLine], now: datetime) -> int:
        """Insert a transfer in transit and its lines (numbered in order); return its id."""
        return _TRANSFERS.insert(self.conn, {
            "owner_id": owner_id, "reference": reference, "source_id": source_id,
            "target_id": target_id, "status": "in_transit", "created_at": now,
            "updated_at": now},
            [{"item_id": line.item_id, "lot": line.lot, "qty": line.qty, "received": 0,
              "lost": 0} for line in lines])

    def find(self, owner_id: int, reference: str) -> StoredTransfer | None:
        """Return a transfer's ids by its owner and reference."""
        row = _TRANSFERS.find(self.conn, owner_id, reference)
        return None if row is None else _stored(row)

    def stored(self, transfer_id: int) -> StoredTransfer:
        """Return a transfer's ids by id."""
        return _stored(_TRANSFERS.get(self.conn, transfer_id))

    def lines(self, transfer_id: int) -> list[StoredTransferLine]:
        """Return a transfer's lines by line number."""
        return [StoredTransferLine(id=int(r.id), line=int(r.line), item_id=int(r.item_id),
                                   lot=r.lot, qty=int(r.qty), received=int(r.received),
                                   lost=int(r.lost))
                for r in _TRANSFERS.line_rows(self.conn, transfer_id)]

    def get(self, owner_id: int, reference: str) -> Transfer:
        """Return a transfer by its owner and reference, or raise ``UnknownTransfer``."""
        row = _TRANSFERS.find(self.conn, owner_id, reference)
        if row is None:
            raise UnknownTransfer(reference)
        return self._transfer(row)

    def transfer(self, transfer_id: int) -> Transfer:
        """Return a transfer by id, with its lines and movements."""
        return self._transfer(_TRANSFERS.get(self.conn, transfer_id))

    def change_line(self, line_id: int, *, received: int, lost: int) -> None:
        """Add what arrived and what was lost to a line."""
        _TRANSFERS.change_line(self.conn, line_id, {"received": received, "lost": lost})

    def _transfer(self, row: Row[Any]) -> Transfer:
        """Return the transfer whose head (with its names) is ``row``."""
        lines = tuple(
            TransferLine(line=int(r.line), sku=r.sku, lot=r.lot or None,
                         qty=from_units(int(r.qty), int(r.decimals)),
                         received=from_units(int(r.received), int(r.decimals)),
                         lost=from_units(int(r.lost), int(r.decimals)))
            for r in _TRANSFERS.line_rows(self.conn, row.id))
        created, updated = times(row)
        return Transfer(
            reference=row.reference, owner=row.owner_code, source=row.source_path,
            target=row.target_path, status=row.status, created_at=created, updated_at=updated,
            lines=lines, movement_ids=_TRANSFERS.movement_ids(self.conn, int(row.id)))


def _stored(row: Row[Any]) -> StoredTransfer:
    return StoredTransfer(id=int(row.id), owner_id=int(row.owner_id), reference=row.reference,
                          source_id=int(row.source_id), target_id=int(row.target_id),
                          status=row.status)
