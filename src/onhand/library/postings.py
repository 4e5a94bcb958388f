"""Postings to the ledger and the reads of stock and history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from onhand.domain.movements import Movement, MovementRequest, PostBatch, PostMovement, Reverse
from onhand.domain.quantities import Quantity
from onhand.domain.stock import Stock, VerifyReport
from onhand.errors import InvalidInput, OnhandError
from onhand.library.base import Facade
from onhand.services import (
    movements,
    stock,
    verify,
)

_REQUEST_FIELDS = frozenset(MovementRequest.__dataclass_fields__)


class Common(TypedDict, total=False):
    """The keywords every posting takes besides its own (all optional)."""

    owner: str  # whose stock; default "default"
    lot: str | None  # lot or batch code
    reference: str | None  # e.g. the purchase or sales order, "PO-7"
    key: str | None  # idempotency key: a retry with it is applied once
    occurred_at: datetime | None  # business time, aware; default now


class Postings(Facade):
    """Postings to the ledger and the reads of stock and history."""

    # --- postings ----------------------------------------------------------------------------

    def receive(self, *, sku: str, qty: Quantity, location: str,
                unit_cost: Decimal | None = None, **common: Unpack[Common]) -> Movement:
        """Receive stock from a supplier into ``location``."""
        return self._post("receipt", sku=sku, qty=qty, location=location,
                          unit_cost=unit_cost, **common)

    def ship(self, *, sku: str, qty: Quantity, location: str, **common: Unpack[Common]) -> Movement:
        """Ship stock from ``location`` to a customer."""
        return self._post("shipment", sku=sku, qty=qty, location=location, **common)

    def return_(self, *, sku: str, qty: Quantity, location: str, shipment_id: int | None = None,
                unit_cost: Decimal | None = None, **common: Unpack[Common]) -> Movement:
        """Take back stock a customer returns (of shipment ``shipment_id`` when given)."""
        return self._post("return", sku=sku, qty=qty, location=location,
                          shipment_id=shipment_id, unit_cost=unit_cost, **common)

    def adjust(self, *, sku: str, qty: Quantity, location: str, reason: str,
               unit_cost: Decimal | None = None, **common: Unpack[Common]) -> Movement:
        """Correct a balance by a signed ``qty`` against ``loss``; a reason is required."""
        return self._post("adjustment", sku=sku, qty=qty, location=location, reason=reason,
                          unit_cost=unit_cost, **common)

    def scrap(self, *, sku: str, qty: Quantity, location: str, reason: str,
              damage: bool = False, **common: Unpack[Common]) -> Movement:
        """Write off stock to ``loss``; a reason is required.

        A scrap may not take units open orders reserved, unless it records ``damage``
        (the units are gone): then the newest reservations become backorders.
        """
        return self._post("scrap", sku=sku, qty=qty, location=location, reason=reason,
                          damage=damage or None, **common)

    def transfer(self, *, sku: str, qty: Quantity, source: str, target: str,
                 damage: bool = False, **common: Unpack[Common]) -> Movement:
        """Move stock between internal locations (or to and from ``transit``).

        ``damage``: the move records damage (into a non-sellable location), and may take
        reserved units, which become backorders.
        """
        return self._post("transfer", sku=sku, qty=qty, source=source, target=target,
                          damage=damage or None, **common)

    def post_batch(self, lines: Iterable[Mapping[str, Any]], *, key: str | None = None,
                   owner: str = "default") -> list[Movement]:
        """Post many movements at once, all or nothing; an error names its 1-based ``line``."""
        requests = tuple(_request(line, owner, n) for n, line in enumerate(lines, start=1))
        return self.execute(PostBatch(requests=requests, owner=owner, key=key,
                                      max_lines=self.settings.max_batch_lines))

    def check_batch(self, lines: Iterable[Mapping[str, Any]], *,
                    owner: str = "default") -> list[OnhandError]:
        """Return every error ``post_batch(lines)`` would raise (all bad lines), writing nothing."""
        requests, errors = [], []
        for n, line in enumerate(lines, start=1):
            try:
                requests.append(_request(line, owner, n))
            except OnhandError as error:
                errors.append(error)
        return errors or movements.check(self._uow(), requests)

    def reverse(self, movement_id: int, *, reason: str, owner: str = "default",
                key: str | None = None) -> Movement:
        """Post a movement, dated now, that undoes ``movement_id`` (once)."""
        return self.execute(Reverse(movement_id=movement_id, reason=reason, owner=owner,
                                    key=key))

    def _post(self, kind: str, *, key: str | None = None, owner: str = "default",
              **fields: Any) -> Movement:
        request = _request({"kind": kind, **fields}, owner, None)
        return self.execute(PostMovement(request=request, owner=owner, key=key))

    # --- reads -------------------------------------------------------------------------------

    def stock(self, *, sku: str, owner: str = "default", location: str | None = None,
              lot: str | None = None, as_of: datetime | None = None) -> Stock:
        """Return the stock of ``sku`` at ``location`` and below (None: all internal ones)."""
        return stock.stock(self._uow(write=False), sku=sku, owner=owner, location=location,
                           lot=lot, as_of=as_of)

    def levels(self, *, owner: str | None = None, location: str | None = None,
               as_of: datetime | None = None) -> list[Stock]:
        """Return the stock of every item that has some, within ``location``."""
        return stock.levels(self._uow(write=False), owner=owner, location=location, as_of=as_of)

    def history(self, *, sku: str | None = None, owner: str = "default",
                location: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 100,
                after: Movement | None = None) -> list[Movement]:
        """Return movements oldest first, filtered by item, location and business time."""
        return stock.history(self._uow(write=False), sku=sku, owner=owner, location=location,
                             since=since, until=until, limit=limit, after=after)

    def verify(self) -> VerifyReport:
        """Check balances, double entry and the tamper-evident chain against the ledger."""
        return verify.verify(self._uow(write=False))



def _request(line: Mapping[str, Any], owner: str, number: int | None) -> MovementRequest:
    """Return a batch line (or a single call's keywords) as a request, rejecting strange keys."""
    try:
        if not isinstance(line, Mapping):
            raise InvalidInput("each batch line must be a mapping of keywords", field="lines")
        unknown = sorted(set(line) - _REQUEST_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown field {unknown[0]!r}", field=unknown[0])
        for needed in ("kind", "sku", "qty"):
            if needed not in line:
                raise InvalidInput(f"{needed} is required", field=needed)
        if line.get("owner", owner) != owner:  # one batch, one owner: its key and its scope
            raise InvalidInput(f"a batch line cannot name another owner than the batch's "
                               f"({owner!r})", field="owner")
        return MovementRequest(**{**line, "owner": owner})
    except InvalidInput as error:
        if number is not None:
            error.at_line(number)
        raise


