"""The library's entry point: ``onhand.open(url)`` returns an :class:`Inventory`.

Each method is one use case in one transaction; the write methods take the keywords
``owner``, ``lot``, ``reference``, ``key`` (idempotency) and ``occurred_at`` (business time)
and return the movement(s) they wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, TextIO, TypedDict, Unpack, overload

from onhand.config import Settings
from onhand.db import migrate
from onhand.db.catalog import Catalog
from onhand.db.engine import make_engine
from onhand.db.uow import UnitOfWork
from onhand.domain.imports import ImportReport, Progress
from onhand.domain.items import Item
from onhand.domain.locations import Location
from onhand.domain.movements import Movement, MovementRequest
from onhand.domain.orders import Event, Order
from onhand.domain.owners import Owner
from onhand.domain.purchasing import PurchaseOrder, Transfer
from onhand.domain.quantities import Quantity
from onhand.domain.stock import Stock, VerifyReport
from onhand.domain.valuation import ItemCogs, ItemValue, OwnerValue, Revaluation, ValueEntry
from onhand.domain.valuation.landed import LandedCost
from onhand.errors import InvalidInput, OnhandError
from onhand.services import (
    catalog,
    demo,
    events,
    exports,
    fulfilment,
    imports,
    landed_costs,
    movements,
    orders,
    periods,
    placing,
    purchasing,
    receiving,
    revaluations,
    shopify,
    stock,
    transfers,
    valuation,
    valuer,
    verify,
)
from onhand.services.demo import DemoSummary

_REQUEST_FIELDS = frozenset(MovementRequest.__dataclass_fields__)


class Common(TypedDict, total=False):
    """The keywords every posting takes besides its own (all optional)."""

    owner: str  # whose stock; default "default"
    lot: str | None  # lot or batch code
    reference: str | None  # e.g. the purchase or sales order, "PO-7"
    key: str | None  # idempotency key: a retry with it is applied once
    occurred_at: datetime | None  # business time, aware; default now


class Inventory:
    """A stock ledger in one database: the catalog, postings, stock levels and history.

    >>> inv = onhand.open("sqlite:///shop.db")  # doctest: +SKIP
    >>> inv.receive(sku="MUG-1", qty=10, location="WH1/A-01")  # doctest: +SKIP
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self._catalog = Catalog()

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        """Return a new unit of work on this database, for adapters that call services."""
        return UnitOfWork(self.engine, self._catalog, write=write)

    _uow = unit_of_work

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- catalog -----------------------------------------------------------------------------

    def add_owner(self, code: str, name: str | None = None, *, currency: str = "USD",
                  time_zone: str = "UTC") -> str:
        """Create an owner (a 3PL's client) whose stock is valued in ``currency`` (ISO 4217)
        and whose days end in ``time_zone`` (IANA); the owner ``default`` always exists
        (USD, UTC)."""
        return catalog.add_owner(self._uow(), code=code, name=name, currency=currency,
                                 time_zone=time_zone).code

    def owners(self) -> list[Owner]:
        """Return every owner, ordered by code."""
        return catalog.list_owners(self._uow(write=False))

    def add_location(self, path: str, name: str | None = None, *,
                     sellable: bool | None = None) -> str:
        """Create an internal location by path; the parent must exist first.

        A top-level location is a warehouse. ``sellable=False`` keeps its stock out of
        available (damaged, quarantine, returns inspection); default: as its parent.
        """
        return catalog.add_location(self._uow(), path=path, name=name, sellable=sellable).path

    def set_sellable(self, path: str, sellable: bool) -> None:
        """Flag a location (and everything below it) sellable or not."""
        catalog.set_sellable(self._uow(), path=path, sellable=sellable)

    def set_safety_stock(self, *, sku: str, warehouse: str, qty: Quantity,
                         owner: str = "default") -> None:
        """Keep ``qty`` of an item in a warehouse out of what orders may reserve."""
        catalog.set_safety_stock(self._uow(), sku=sku, warehouse=warehouse, qty=qty, owner=owner)

    def add_item(self, *, sku: str, name: str, owner: str = "default", unit: str = "each",
                 decimals: int = 0, barcodes: Iterable[str] = (), allow_negative: bool = False,
                 tracking: str = "none", cost_method: str = "fifo",
                 order_policy: str = "reject", weight: Decimal | None = None,
                 cost_required: bool = False) -> Item:
        """Create an item; its SKU is unique per owner, its decimals fixed for life.

        ``order_policy``: what an order short of this item does when it names no policy
        (``reject`` or ``backorder``); ``weight``: of one unit, in any unit of weight used
        throughout (landed costs can be spread by it); ``cost_required``: a valued item,
        whose receipts must carry a unit cost.
        """
        if isinstance(barcodes, str):
            raise InvalidInput("barcodes must be a list of codes, not one string",
                               field="barcodes")
        item = Item(sku=sku, name=name, owner=owner, unit=unit, decimals=decimals,
                    barcodes=tuple(barcodes), allow_negative=allow_negative,
                    tracking=tracking, cost_method=cost_method, order_policy=order_policy,
                    weight=weight, cost_required=cost_required)
        return catalog.add_item(self._uow(), item)

    def item(self, sku: str, *, owner: str = "default") -> Item:
        """Return the item with this SKU (or barcode)."""
        return catalog.get_item(self._uow(write=False), sku=sku, owner=owner)

    def items(self, *, owner: str | None = None) -> list[Item]:
        """Return the items of one owner (or all), ordered by SKU."""
        return catalog.list_items(self._uow(write=False), owner=owner)

    def locations(self) -> list[Location]:
        """Return every location (path, kind, name, sellable), ordered by path."""
        return catalog.list_locations(self._uow(write=False))

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
        requests = [_request(line, owner, n) for n, line in enumerate(lines, start=1)]
        return movements.post(self._uow(), requests, owner=owner, key=key,
                              max_lines=self.settings.max_batch_lines)

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
        return movements.reverse(self._uow(), movement_id=movement_id, reason=reason,
                                 owner=owner, key=key)

    def _post(self, kind: str, *, key: str | None = None, owner: str = "default",
              **fields: Any) -> Movement:
        request = _request({"kind": kind, **fields}, owner, None)
        return movements.post(self._uow(), [request], owner=owner, key=key, batch=False)[0]

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
        terms = placing.Terms(policy=policy, warehouse=warehouse, any_warehouse=any_warehouse,
                             priority=priority, cancel_after=cancel_after)
        return placing.create_order(self._uow(), reference=reference, lines=lines, owner=owner,
                                   terms=terms)

    def update_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                     owner: str = "default") -> Order:
        """Set the ordered quantity of SKUs before they ship (0 removes a line)."""
        return placing.update_order(self._uow(), reference=reference, lines=lines, owner=owner)

    def ship_order(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None, *,
                   owner: str = "default", key: str | None = None) -> Order:
        """Ship an order's reserved units (all, or ``lines`` quantities), picking FEFO/FIFO."""
        return fulfilment.ship_order(self._uow(), reference=reference, lines=lines,
                                     owner=owner, key=key)

    def pick_list(self, reference: str, *, owner: str = "default") -> list[fulfilment.Pick]:
        """Return where to take an order's reserved units from, without shipping."""
        return fulfilment.pick_list(self._uow(write=False), reference=reference, owner=owner)

    def cancel_order(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None, *,
                     owner: str = "default", reason: str | None = None) -> Order:
        """Cancel what is left of an order, or ``lines`` quantities; reservations are freed."""
        return orders.cancel_order(self._uow(), reference=reference, lines=lines, owner=owner,
                                   reason=reason)

    def return_order(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                     location: str, reason: str, owner: str = "default",
                     key: str | None = None) -> Order:
        """Take back shipped units (an RMA) into ``location`` (sellable or not), with a reason."""
        return fulfilment.return_order(self._uow(), reference=reference, lines=lines,
                                       location=location, reason=reason, owner=owner, key=key)

    def place_hold(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                   ttl: timedelta, owner: str = "default", warehouse: str | None = None) -> Order:
        """Reserve a cart's lines for ``ttl``; once it ends they are no longer reserved."""
        return placing.place_hold(self._uow(), reference=reference, lines=lines, ttl=ttl,
                                 owner=owner, warehouse=warehouse)

    def confirm_hold(self, reference: str, *, owner: str = "default") -> Order:
        """Turn a live hold into an order (its units stay reserved)."""
        return orders.confirm_hold(self._uow(), reference=reference, owner=owner)

    def release_hold(self, reference: str, *, owner: str = "default") -> Order:
        """Give a hold's units back at once."""
        return orders.release_hold(self._uow(), reference=reference, owner=owner)

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
        return (orders.expire_holds(self._uow()), orders.cancel_overdue(self._uow()))

    def catch_up_valuation(self) -> int:
        """Value every movement posted since the last time; return how many were valued.

        Postings never wait for valuation: reports, period closes and this (which the server
        runs every few seconds) value what was posted before them.
        """
        return valuer.catch_up_all(self._uow())

    def events(self, *, cursor: int = 0, limit: int = 100,
               owner: str | None = None) -> list[Event]:
        """Return outbox events after ``cursor`` in commit order: poll with the last id seen."""
        return events.events(self._uow(write=False), cursor=cursor, limit=limit, owner=owner)

    # --- purchasing and transfers --------------------------------------------------------------

    def add_supplier(self, code: str, name: str | None = None, *, owner: str = "default") -> str:
        """Create a supplier (unique code per owner)."""
        return purchasing.add_supplier(self._uow(), code=code, name=name, owner=owner)

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
        return purchasing.create_purchase_order(
            self._uow(), reference=reference, supplier=supplier, warehouse=warehouse,
            lines=lines, owner=owner, expected_on=expected_on, confirm=confirm,
            tolerance=self.settings.over_receipt_percent if tolerance is None else tolerance)

    def confirm_purchase_order(self, reference: str, *, owner: str = "default") -> PurchaseOrder:
        """Confirm a draft purchase order: its lines become incoming."""
        return purchasing.confirm_purchase_order(self._uow(), reference=reference, owner=owner)

    def receive_purchase_order(self, reference: str,
                               lines: Sequence[Mapping[str, Any]] | None = None, *,
                               location: str | None = None, owner: str = "default",
                               key: str | None = None) -> PurchaseOrder:
        """Receive a purchase order, fully or by ``lines`` (sku, qty, location, lot,
        expires_on); the receipts fill waiting backorders."""
        return receiving.receive_purchase_order(self._uow(), reference=reference, lines=lines,
                                                location=location, owner=owner, key=key)

    def cancel_purchase_order(self, reference: str,
                              lines: Sequence[Mapping[str, Any]] | None = None, *,
                              owner: str = "default") -> PurchaseOrder:
        """Cancel what is still to come on a purchase order (or ``lines`` of it)."""
        return purchasing.cancel_purchase_order(self._uow(), reference=reference, lines=lines,
                                                owner=owner)

    def return_to_supplier(self, reference: str, lines: Sequence[Mapping[str, Any]], *,
                           reason: str, owner: str = "default",
                           key: str | None = None) -> PurchaseOrder:
        """Send received units of a purchase order back to its supplier."""
        return receiving.return_to_supplier(self._uow(), reference=reference, lines=lines,
                                            reason=reason, owner=owner, key=key)

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
        return transfers.dispatch_transfer(self._uow(), reference=reference, source=source,
                                           target=target, lines=lines, owner=owner)

    def receive_transfer(self, reference: str, lines: Sequence[Mapping[str, Any]] | None = None,
                         *, location: str | None = None, reason: str | None = None,
                         owner: str = "default", key: str | None = None) -> Transfer:
        """Receive a transfer at its target; what did not arrive goes to loss (``reason``)."""
        return transfers.receive_transfer(self._uow(), reference=reference, lines=lines,
                                          location=location, reason=reason, owner=owner,
                                          key=key)

    def transfer_document(self, reference: str, *, owner: str = "default") -> Transfer:
        """Return a two-step transfer by its reference."""
        return transfers.get_transfer(self._uow(write=False), reference=reference, owner=owner)

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

    # --- valuation -------------------------------------------------------------------------

    @overload
    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  sku: str | None = None,
                  by: Literal["item", "location", "warehouse"] = "item") -> list[ItemValue]: ...

    @overload
    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  by: Literal["owner"]) -> list[OwnerValue]: ...

    def valuation(self, *, as_of: date | datetime | None = None, owner: str | None = None,
                  sku: str | None = None, by: str = "item"
                  ) -> list[ItemValue] | list[OwnerValue]:
        """Return what each item's stock is worth (FIFO or moving average, in its owner's
        currency), now or ``as_of`` any past moment (a date: its end in the owner's time
        zone); of one owner (or all), or one SKU (of ``owner``, default ``default``).

        ``by="location"`` or ``"warehouse"`` spreads each item's value over where its units
        lay (by units; the shares add up to the item's value exactly); ``by="owner"`` gives
        each owner's total.

        >>> inv.valuation(by="warehouse", as_of=date(2026, 3, 31))
        """
        if by == "owner":
            return valuation.owner_values(self._uow(write=False), as_of=as_of, owner=owner)
        return valuation.valuation(self._uow(write=False), as_of=as_of, owner=owner, sku=sku,
                                   by=by)

    def cogs(self, *, since: date | datetime, until: date | datetime,
             owner: str | None = None, sku: str | None = None, by: str = "item"
             ) -> list[ItemCogs]:
        """Return each item's cost of goods sold, revenue and margin over a period (dates
        are whole days in the owner's time zone, ``until`` included); ``by="month"`` (or
        ``"week"``, ``"day"``) gives a row per item and month with sales (``period``).

        >>> inv.cogs(since=date(2026, 1, 1), until=date(2026, 12, 31), by="month")
        """
        return valuation.cogs(self._uow(write=False), since=since, until=until, owner=owner,
                              sku=sku, by=by)

    def value_entries(self, *, sku: str, owner: str = "default",
                      since: date | datetime | None = None,
                      until: date | datetime | None = None) -> list[ValueEntry]:
        """Return the stored value of each movement of ``sku`` and every revaluation a
        backdated movement made, in business-time order (bounds as :meth:`cogs`).

        >>> [(e.category, e.value) for e in inv.value_entries(sku="MUG-BLUE")]
        [('receipt', Decimal('25.00')), ('sale', Decimal('-10.00'))]
        """
        return valuation.value_entries(self._uow(write=False), sku=sku, owner=owner, since=since,
                                       until=until)

    def add_landed_cost(self, reference: str, *, amount: Decimal, basis: str = "value",
                        receipts: Sequence[int] = (), purchase_order: str | None = None,
                        occurred_at: datetime | None = None, description: str = "",
                        owner: str = "default") -> LandedCost:
        """Add freight, duty or fees to receipts after the fact: ``amount`` spread over the
        ``receipts`` (movement ids) or a ``purchase_order``'s receipts by ``basis`` (``qty``,
        ``value`` or ``weight``; the last line takes the cent rounding leaves). The units
        still on hand carry it; the share of those gone is cost of goods sold. Recorded once
        per ``reference``.

        >>> inv.add_landed_cost("FREIGHT-7", amount=Decimal("120.00"), purchase_order="PO-7")
        """
        return landed_costs.add_landed_cost(
            self._uow(), reference=reference, amount=amount, basis=basis, receipts=receipts,
            purchase_order=purchase_order, occurred_at=occurred_at, description=description,
            owner=owner)

    def revalue(self, sku: str, *, unit_cost: Decimal, reference: str,
                occurred_at: datetime | None = None, owner: str = "default") -> Revaluation:
        """Give the units of ``sku`` on hand that came in without a cost (valued at zero,
        reported uncosted) a ``unit_cost`` as of ``occurred_at`` (default now); recorded
        once per ``reference``."""
        return revaluations.revalue(self._uow(), reference=reference, sku=sku,
                                    unit_cost=unit_cost, occurred_at=occurred_at, owner=owner)

    def export_journal(self, since: date, until: date, *, owner: str = "default",
                       format: str = "csv", accounts: Mapping[str, str] | None = None,
                       tax_rate: str = "Tax Exempt", again: bool = False) -> list[str]:
        """Return ``owner``'s inventory journal of the days ``since`` to ``until``, summed
        and balanced per account, as the files of ``format``: ``csv``, ``qbo`` (QuickBooks
        Online) or ``xero`` (300 lines a file). ``accounts`` names the accounts (inventory,
        cogs, grni, shrinkage, revaluation). A period exported before is refused unless
        ``again``."""
        return valuation.export_journal(self._uow(), since=since, until=until, owner=owner,
                                        fmt=format, accounts=accounts, tax_rate=tax_rate,
                                        again=again)

    def close_period(self, until: date, *, owner: str = "default") -> date:
        """Close ``owner``'s books through the day ``until`` (in the owner's time zone): no
        movement may then be dated before its end (``PeriodClosed``)."""
        return periods.close_period(self._uow(), until=until, owner=owner)

    def reopen_period(self, *, owner: str = "default", through: date | None = None
                      ) -> date | None:
        """Move ``owner``'s closed bound back to ``through`` (None: nothing closed)."""
        return periods.reopen_period(self._uow(), owner=owner, through=through)

    def closed_through(self, *, owner: str = "default") -> date | None:
        """Return the day ``owner``'s books are closed through, if any."""
        return periods.closed_through(self._uow(write=False), owner=owner)

    def verify(self) -> VerifyReport:
        """Check balances, double entry and the tamper-evident chain against the ledger."""
        return verify.verify(self._uow(write=False))

    # --- bulk: many items, CSV imports and exports, the demo ----------------------------------

    def check_items(self, items: Sequence[Item]) -> list[OnhandError]:
        """Return every error ``add_items(items)`` would raise (each with its ``line``)."""
        return catalog.check_items(self._uow(), items)

    def add_items(self, items: Sequence[Item]) -> list[Item]:
        """Create many items in one transaction, all or nothing; an error names its ``line``."""
        return catalog.add_items(self._uow(), items)

    def import_movements(self, text: str, *, owner: str = "default", key: str | None = None,
                         dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
        """Post the movements of a CSV file as one batch; report every bad row by CSV line.

        >>> inv.import_movements(open("moves.csv").read()).ok  # doctest: +SKIP
        True
        """
        return imports.import_movements(self._uow(), text, owner=owner, key=key,
                                        dry_run=dry_run, progress=progress,
                                        max_lines=self.settings.max_batch_lines)

    def import_items(self, text: str, *, owner: str = "default", dry_run: bool = False,
                     progress: Progress | None = None) -> ImportReport:
        """Create the items of a CSV file, all or nothing; report every bad row by CSV line."""
        return imports.import_items(self._uow(), text, owner=owner, dry_run=dry_run,
                                    progress=progress)

    def import_shopify(self, text: str, *, owner: str = "default", create: bool = False,
                       dry_run: bool = False, locations: Mapping[str, str] | None = None,
                       reference: str | None = "shopify", key: str | None = None,
                       progress: Progress | None = None) -> ImportReport:
        """Make balances agree with a Shopify inventory export's "On hand" column."""
        return shopify.import_shopify(
            self._uow(), text, owner=owner, create=create, dry_run=dry_run,
            locations=locations, reference=reference, key=key, progress=progress,
            max_lines=self.settings.max_batch_lines)

    def export_movements(self, out: TextIO, *, owner: str = "default",
                         since: datetime | None = None, until: datetime | None = None) -> int:
        """Write the ledger to ``out`` as CSV, oldest first; return how many movements."""
        return exports.export_movements(self._uow(write=False), out, owner=owner, since=since,
                                        until=until)

    def export_items(self, out: TextIO, *, owner: str = "default") -> int:
        """Write the items to ``out`` as a CSV file the items import reads; return the count."""
        return exports.export_items(self._uow(write=False), out, owner=owner)

    def build_demo(self, *, progress: Progress | None = None) -> DemoSummary:
        """Fill an empty database with the demo: warehouses, items, four months of history."""
        return demo.build(self._uow(), progress=progress)


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


def open(url: str | None = None, **settings: Any) -> Inventory:  # noqa: A001 - the promised name
    """Open (creating or migrating) the inventory database at ``url``.

    ``url`` is a SQLAlchemy URL: ``sqlite:///shop.db`` (the default, from
    ``ONHAND_DATABASE_URL`` when set) or ``postgresql+psycopg://user@host/db``.

    >>> inv = onhand.open("sqlite:///shop.db")  # doctest: +SKIP
    """
    inventory = Inventory(Settings.load(database_url=url, **settings))
    migrate.upgrade(inventory.engine)
    return inventory
