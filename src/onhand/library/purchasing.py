"""Suppliers, purchase orders and two-step transfers between warehouses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from onhand.domain.purchasing import (
    AddSupplier,
    CancelPurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    PurchaseOrder,
    ReceivePurchaseOrder,
    ReturnToSupplier,
)
from onhand.domain.transfers import DispatchTransfer, ReceiveTransfer, Transfer
from onhand.library.base import Facade
from onhand.services import purchasing, transfers


class Purchasing(Facade):
    """Suppliers, purchase orders and two-step transfers between warehouses."""

    # --- purchasing and transfers --------------------------------------------------------------

    def add_supplier(self, code: str, name: str | None = None, *, owner: str = "default") -> str:
        """Create a supplier (unique code per owner)."""
        return self.execute(AddSupplier(code=code, name=name, owner=owner))["code"]

    def suppliers(self, *, owner: str | None = None) -> list[dict[str, str]]:
        """Return suppliers as {owner, code, name}."""
        return purchasing.list_suppliers(self._uow(write=False), owner=owner)

    def create_purchase_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                              supplier: str, warehouse: str, owner: str = "default",
                              expected_on: date | None = None, tolerance: object = None,
                              confirm: bool = False) -> PurchaseOrder:
        """Create a purchase order (draft, or confirmed with ``confirm``) into a warehouse.

        ``lines``: ``[{"sku", "qty", "unit_cost"}]``. ``tolerance``: over-receipt allowed,
        in percent (default: the ``over_receipt_percent`` setting).

        >>> inv.create_purchase_order("PO-7", [{"sku": "MUG-1", "qty": 100,
        ...     "unit_cost": Decimal("2.10")}], supplier="ACME", warehouse="WH1",
        ...     confirm=True)  # doctest: +SKIP
        """
        return self.execute(CreatePurchaseOrder(
            reference=reference, supplier=supplier, warehouse=warehouse, lines=lines,
            owner=owner, expected_on=expected_on, tolerance=tolerance, confirm=confirm))

    def confirm_purchase_order(self, reference: str, *, owner: str = "default") -> PurchaseOrder:
        """Confirm a draft purchase order: its lines become incoming."""
        return self.execute(ConfirmPurchaseOrder(reference=reference, owner=owner))

    def receive_purchase_order(self, reference: str,
                               lines: Sequence[Mapping[str, Any]] | None = None, *,
                               location: str | None = None, owner: str = "default",
                               key: str | None = None) -> PurchaseOrder:
        """Receive a purchase order, fully or by ``lines`` (sku, qty, location, lot,
        expires_on); the receipts fill waiting backorders."""
        return self.execute(ReceivePurchaseOrder(reference=reference, lines=lines,
                                                 location=location, owner=owner, key=key))

    def cancel_purchase_order(self, reference: str,
                              lines: Sequence[Mapping[str, Any]] | None = None, *,
                              owner: str = "default") -> PurchaseOrder:
        """Cancel what is still to come on a purchase order (or ``lines`` of it)."""
        return self.execute(CancelPurchaseOrder(reference=reference, lines=lines, owner=owner))

    def return_to_supplier(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                           reason: str, owner: str = "default",
                           key: str | None = None) -> PurchaseOrder:
        """Send received units of a purchase order back to its supplier."""
        return self.execute(ReturnToSupplier(reference=reference, lines=lines, reason=reason,
                                             owner=owner, key=key))

    def purchase_order(self, reference: str, *, owner: str = "default") -> PurchaseOrder:
        """Return a purchase order by its reference."""
        return purchasing.get_purchase_order(self._uow(write=False), reference=reference,
                                             owner=owner)

    def purchase_orders(self, *, owner: str | None = None, status: str | None = None,
                        limit: int = 100, after: PurchaseOrder | None = None
                        ) -> list[PurchaseOrder]:
        """Return purchase orders oldest first; the next page starts ``after`` the last one
        of this one."""
        return [po for _, po in purchasing.list_purchase_orders(
            self._uow(write=False), owner=owner, status=status, limit=limit,
            after=0 if after is None else after)]

    def dispatch_transfer(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                          source: str, target: str, owner: str = "default") -> Transfer:
        """Send stock between warehouses: into transit now, received at ``target`` later."""
        return self.execute(DispatchTransfer(reference=reference, source=source,
                                             destination=target, lines=lines, owner=owner))

    def receive_transfer(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None,
                         *, location: str | None = None, reason: str | None = None,
                         owner: str = "default", key: str | None = None) -> Transfer:
        """Receive a transfer at its target; what did not arrive goes to loss (``reason``)."""
        return self.execute(ReceiveTransfer(reference=reference, lines=lines,
                                            location=location, reason=reason, owner=owner,
                                            key=key))

    def transfer_document(self, reference: str, *, owner: str = "default") -> Transfer:
        """Return a two-step transfer by its reference."""
        return transfers.get_transfer(self._uow(write=False), reference=reference, owner=owner)

