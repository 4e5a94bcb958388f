"""Sales orders and holds, the server's sweep, the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from onhand.domain.jobs import Sweep, ValueMovements
from onhand.domain.orders import (
    CancelOrder,
    ConfirmHold,
    CreateOrder,
    Event,
    Order,
    PlaceHold,
    ReleaseHold,
    ReturnOrder,
    ShipOrder,
    UpdateOrder,
)
from onhand.library.base import Facade
from onhand.services import (
    events,
    fulfilment,
    orders,
)


class Orders(Facade):
    """Sales orders and holds, the server's sweep, the outbox."""

    # --- orders and holds ---------------------------------------------------------------------

    def create_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                     owner: str = "default", policy: str | None = None,
                     warehouse: str | None = None, any_warehouse: bool | None = None,
                     priority: int = 0, cancel_after: datetime | None = None) -> Order:
        """Create a sales order and reserve its lines at once (all or nothing).

        ``lines``: ``[{"sku": "MUG-1", "qty": 2, "unit_price": Decimal("9.50")}]``.
        ``policy`` ``reject`` (default, or the items' own) raises ``InsufficientStock`` when
        short; ``backorder`` reserves what exists and backorders the rest, filled
        automatically as stock arrives, highest ``priority`` first, then oldest.

        >>> inv.create_order("SHOP-1001", [{"sku": "MUG-1", "qty": 2}])  # doctest: +SKIP
        """
        return self.execute(CreateOrder(
            reference=reference, lines=lines, owner=owner, policy=policy, warehouse=warehouse,
            any_warehouse=any_warehouse, priority=priority, cancel_after=cancel_after))

    def update_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                     owner: str = "default") -> Order:
        """Set the ordered quantity of SKUs before they ship (0 removes a line)."""
        return self.execute(UpdateOrder(reference=reference, lines=lines, owner=owner))

    def ship_order(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None, *,
                   owner: str = "default", key: str | None = None) -> Order:
        """Ship an order's reserved units (all, or ``lines`` quantities), picking FEFO/FIFO."""
        return self.execute(ShipOrder(reference=reference, lines=lines, owner=owner, key=key))

    def pick_list(self, reference: str, *, owner: str = "default") -> list[fulfilment.Pick]:
        """Return where to take an order's reserved units from, without shipping."""
        return fulfilment.pick_list(self._uow(write=False), reference=reference, owner=owner)

    def cancel_order(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None, *,
                     owner: str = "default", reason: str | None = None) -> Order:
        """Cancel what is left of an order, or ``lines`` quantities; reservations are freed."""
        return self.execute(CancelOrder(reference=reference, lines=lines, owner=owner,
                                        reason=reason))

    def return_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                     location: str, reason: str, owner: str = "default",
                     key: str | None = None) -> Order:
        """Take back shipped units (an RMA) into ``location`` (sellable or not), with a reason."""
        return self.execute(ReturnOrder(reference=reference, lines=lines, location=location,
                                        reason=reason, owner=owner, key=key))

    def place_hold(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                   ttl: timedelta, owner: str = "default", warehouse: str | None = None) -> Order:
        """Reserve a cart's lines for ``ttl``; once it ends they are no longer reserved."""
        return self.execute(PlaceHold(reference=reference, lines=lines, ttl=ttl, owner=owner,
                                      warehouse=warehouse))

    def confirm_hold(self, reference: str, *, owner: str = "default") -> Order:
        """Turn a live hold into an order (its units stay reserved)."""
        return self.execute(ConfirmHold(reference=reference, owner=owner))

    def release_hold(self, reference: str, *, owner: str = "default") -> Order:
        """Give a hold's units back at once."""
        return self.execute(ReleaseHold(reference=reference, owner=owner))

    def order(self, reference: str, *, owner: str = "default") -> Order:
        """Return an order or hold by its reference."""
        return orders.get_order(self._uow(write=False), reference=reference, owner=owner)

    def orders(self, *, owner: str | None = None, status: str | None = None,
               limit: int = 100, after: Order | None = None) -> list[Order]:
        """Return orders oldest first, of one owner (or all), with one status (or any);
        the next page starts ``after`` the last order of this one."""
        return [order for _, order in orders.list_orders(
            self._uow(write=False), owner=owner, status=status, limit=limit,
            after=0 if after is None else after)]

    def sweep(self) -> tuple[int, int]:
        """Expire holds whose time ran out and cancel backorders past their deadline.

        The server runs this every few seconds; returns (holds expired, orders cancelled).
        """
        return self.execute(Sweep())

    def catch_up_valuation(self) -> int:
        """Value every movement posted since the last time; return how many were valued.

        Postings never wait for valuation: reports, period closes and this (which the server
        runs every few seconds) value what was posted before them.
        """
        return self.execute(ValueMovements())

    def events(self, *, cursor: int = 0, limit: int = 100,
               owner: str | None = None) -> list[Event]:
        """Return outbox events after ``cursor`` in commit order: poll with the last id seen."""
        return events.events(self._uow(write=False), cursor=cursor, limit=limit, owner=owner)

