"""Valuation reports: what stock was worth at any moment, and what each sale cost.

Each item's movements up to the moment asked are replayed through the valuation engine
(``onhand.domain.valuation``), in business-time order and from scratch, so the figures are
exact at any date, backdated movements included.

How a ledger movement counts (valuation is per item and owner, not per location): stock is
what internal locations and ``transit`` hold, and a move between two of them keeps its
value. From the supplier it is a receipt at its unit cost; from a customer a return, at the
cost its shipment left with when it names one; from ``loss`` a gain at its unit cost or the
current one. To a customer it is a shipment (cost of goods sold); to ``loss`` a scrap or
loss; to the supplier a return at the cost of what it returns. A reversal undoes its
original at the original's cost. A gain with no cost given or known comes in at zero and
is reported as uncosted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from onhand.db.catalog import LocationRef
from onhand.db.uow import UnitOfWork
from onhand.domain.locations import CUSTOMER, SUPPLIER, TRANSIT
from onhand.domain.quantities import Quantity, from_units
from onhand.domain.times import check_day, day_bound, utcnow
from onhand.domain.valuation import Entry, ItemCogs, ItemValue, Replay, replay
from onhand.domain.valuation import currency as valuation_currency
from onhand.domain.valuation import journal as journals
from onhand.errors import Conflict, InvalidInput, InvalidTime

_TICK = timedelta(microseconds=1)  # times are stored to the microsecond
# what a movement is to the COGS report: a sale, a customer return, or a reversed return
SALE, CUSTOMER_RETURN, UNRETURNED = "sale", "customer_return", "unreturned"


@dataclass(frozen=True, slots=True)
class _Book:
    """One item's movements up to a moment, replayed."""

    owner_id: int
    owner: str
    sku: str
    rows: dict[int, Any]  # by movement id
    roles: dict[int, str]  # SALE or CUSTOMER_RETURN, by movement id
    kinds: dict[int, str]  # what valuation saw each movement as (Entry.kind), by id
    replayed: Replay


def valuation(uow: UnitOfWork, *, as_of: date | datetime | None = None,
              owner: str | None = None, sku: str | None = None) -> list[ItemValue]:
    """Return the value of each item's stock (of one owner, or all) now or ``as_of``: an
    aware time, or a date (its end in each owner's time zone)."""
    with uow:
        found = []
        for code, zone in _zones(uow, owner, sku).items():
            # the first moment not counted: after the time given (or now), or the next day
            before = (utcnow() if as_of is None else day_bound(as_of, "as_of", zone, end=True)) + (
                _TICK if as_of is None or isinstance(as_of, datetime) else timedelta(0))
            found += [ItemValue(book.owner, book.sku, state.currency, state.method,
                                state.on_hand, state.value, state.uncosted)
                      for book in _books(uow, code, sku, before)
                      for state in (book.replayed.state,)]
        return sorted(found, key=lambda row: (row.owner, row.sku))  # code point order


def cogs(uow: UnitOfWork, *, since: date | datetime, until: date | datetime,
         owner: str | None = None, sku: str | None = None) -> list[ItemCogs]:
    """Return each item's cost of goods sold, revenue and margin over a period.

    A date is a whole day in the owner's time zone (``until`` included); a time is an aware
    moment (``until`` excluded).
    """
    with uow:
        found = []
        for code, zone in _zones(uow, owner, sku).items():
            start = day_bound(since, "since", zone, end=False)
            stop = day_bound(until, "until", zone, end=True)
            if start >= stop:
                raise InvalidTime("must come before until", field="since", value=str(since))
            prices = uow.queries.sale_prices(uow.catalog.owner_id(uow.repo.conn, code))
            found += [_period(book, start, stop, prices)
                      for book in _books(uow, code, sku, stop)]
        return sorted(found, key=lambda row: (row.owner, row.sku))  # code point order


def _zones(uow: UnitOfWork, owner: str | None, sku: str | None) -> dict[str, ZoneInfo]:
    """Return the time zone of each owner (or of ``owner``), by code."""
    if owner is not None:
        uow.catalog.owner_id(uow.repo.conn, owner)  # an unknown owner is UnknownOwner
    elif sku is not None:
        owner = "default"  # a SKU is an owner's: the default one's unless named
    return {o.code: ZoneInfo(o.time_zone) for o in uow.queries.owners()
            if owner is None or o.code == owner}


def _books(uow: UnitOfWork, owner: str, sku: str | None, before: datetime
           ) -> Iterator[_Book]:
    """Yield each item of ``owner`` (or only ``sku``) with its movements dated before
    ``before``, replayed."""
    conn, catalog = uow.repo.conn, uow.catalog
    owner_id = catalog.owner_id(conn, owner)
    item_id = None if sku is None else catalog.item(conn, owner_id, sku, owner).id
    currencies = {o.code: o.currency for o in uow.queries.owners()}
    moved = uow.queries.valuation_movements(owner_id, item_id, before)
    by_item = {key: list(rows) for key, rows in groupby(moved, key=lambda r: int(r.item_id))}
    for item in uow.queries.valued_items(owner_id, item_id):
        code = catalog.owner_code(conn, int(item.owner_id))
        rows = by_item.get(int(item.id), [])
        roles: dict[int, str] = {}
        entries = [_entry(uow, row, int(item.decimals), roles) for row in rows]
        yield _Book(int(item.owner_id), code, item.sku, {int(r.id): r for r in rows}, roles,
                    {entry.key: entry.kind for entry in entries},
                    replay(entries, method=item.cost_method, currency=currencies[code],
                           decimals=int(item.decimals), lenient=True))


def _entry(uow: UnitOfWork, row: Any, decimals: int, roles: dict[int, str]) -> Entry:
    """Return what valuation sees of one movement; note the sales and customer returns."""
    source, target = _place(uow, row.source_id), _place(uow, row.target_id)
    key, qty, at = int(row.id), from_units(int(row.qty), decimals), row.occurred_at
    reverses = None if row.reverses is None else int(row.reverses)
    if _holds(source) == _holds(target):
        return Entry(key, "transfer", qty, at)
    if _holds(target):  # into stock
        if reverses is not None:
            if roles.get(reverses) == SALE:
                roles[key] = CUSTOMER_RETURN
            return Entry(key, "return", qty, at, shipment=reverses)
        if source.path == CUSTOMER:
            roles[key] = CUSTOMER_RETURN
            return Entry(key, "return", qty, at, row.unit_cost,
                         shipment=None if row.shipment_id is None else int(row.shipment_id))
        kind = "receipt" if source.path == SUPPLIER else "adjustment"
        return Entry(key, kind, qty, at, row.unit_cost)
    if reverses is not None:
        if roles.get(reverses) == CUSTOMER_RETURN:
            roles[key] = UNRETURNED
        return Entry(key, "supplier_return", qty, at, receipt=reverses)
    if target.path == CUSTOMER:
        roles[key] = SALE
        return Entry(key, "shipment", qty, at)
    return Entry(key, "supplier_return" if target.path == SUPPLIER else "scrap", qty, at)


def _period(book: _Book, start: datetime, stop: datetime, prices: dict[int, Decimal]
            ) -> ItemCogs:
    """Sum one item's sales and customer returns within [start, stop)."""
    sold: Quantity = 0
    returned: Quantity = 0
    unpriced: Quantity = 0
    cost = revenue = Decimal(0) * book.replayed.state.value  # zero in the currency's places
    currency = valuation_currency(book.replayed.state.currency)
    for valued in book.replayed.values:
        row = book.rows[valued.key]
        if not start <= row.occurred_at < stop:
            continue
        cost += valued.correction
        role = book.roles.get(valued.key)
        if role == SALE:
            sold, cost = sold + valued.qty, cost + valued.value
            price = prices.get(valued.key)
            if price is None:
                unpriced += valued.qty
            else:
                revenue += currency.round(price * valued.qty)
        elif role in (CUSTOMER_RETURN, UNRETURNED):
            sign = 1 if role == CUSTOMER_RETURN else -1  # a reversed return undoes its return
            returned, cost = returned + sign * valued.qty, cost - sign * valued.value
            price = prices.get(_shipment_of(book, valued.key if sign > 0 else
                                            int(row.reverses)) or 0)
            if price is not None:
                revenue -= sign * currency.round(price * valued.qty)
    return ItemCogs(book.owner, book.sku, book.replayed.state.currency, sold, returned, cost,
                    revenue, revenue - cost, unpriced)


def _shipment_of(book: _Book, key: int) -> int | None:
    """Return the shipment a customer return takes back (it names it, or reverses it)."""
    row = book.rows[key]
    found = row.reverses if row.reverses is not None else row.shipment_id
    return None if found is None else int(found)


def _place(uow: UnitOfWork, location_id: int) -> LocationRef:
    return uow.catalog.location_by_id(uow.repo.conn, int(location_id))


def _holds(place: LocationRef) -> bool:
    """Whether stock here is the owner's stock: an internal location, or in transit."""
    return not place.virtual or place.path == TRANSIT


# --- the journal ------------------------------------------------------------------------------


def export_journal(uow: UnitOfWork, *, since: date, until: date, owner: str = "default",
                   fmt: str = "csv", accounts: Mapping[str, str] | None = None,
                   tax_rate: str = "Tax Exempt", again: bool = False) -> list[str]:
    """Return ``owner``'s journal of the days ``since`` to ``until`` (in its time zone) as
    the files of ``fmt`` (``csv``, ``qbo``, ``xero``), and record the export. A period that
    overlaps one exported before is refused unless ``again``."""
    codes = journals.accounts(accounts)
    if fmt not in journals.FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(journals.FORMATS)}",
                           field="format", value=fmt)
    first, last = check_day(since, "since"), check_day(until, "until")
    if first > last:
        raise InvalidTime("must not come after until", field="since", value=str(since))
    with uow:
        owner_id = uow.catalog.owner_id(uow.repo.conn, owner)
        zone = _zones(uow, owner, None)[owner]
        start, stop = day_bound(first, "since", zone, end=False), day_bound(last, "until", zone, end=True)
        done = uow.queries.journal_exports(owner_id, first, last)
        if done and not again:
            raise Conflict(f"{owner}'s journal of {done[0][0]} to {done[0][1]} was exported "
                           "already; export again only on purpose (again)", field="since")
        amounts: dict[str, Decimal] = {}
        currency = next(o.currency for o in uow.queries.owners() if o.code == owner)
        for book in _books(uow, owner, None, stop):
            for category, amount in _categories(book, start, stop):
                amounts[category] = amounts.get(category, Decimal(0)) + amount
        found = journals.journal(owner, currency, first, last, amounts, codes)
        uow.repo.record_journal_export(owner_id, first, last, fmt, utcnow())
        files = journals.export(found, fmt, number=len(done) + 1, tax_rate=tax_rate)
        uow.commit()
        return files


def _categories(book: _Book, start: datetime, stop: datetime) -> Iterator[tuple[str, Decimal]]:
    """Yield the journal category and amount of each valued movement within [start, stop)."""
    for valued in book.replayed.values:
        row = book.rows[valued.key]
        if not start <= row.occurred_at < stop:
            continue
        if valued.correction:
            yield "correction", valued.correction
        if not valued.value:
            continue
        if row.reverses is not None and int(row.reverses) in book.rows:
            # a reversal is booked as what it undoes, the other way
            yield _category(book, int(row.reverses)), -valued.value
        else:
            yield _category(book, valued.key), valued.value


def _category(book: _Book, key: int) -> str:
    """Return the journal category of a movement that reverses nothing."""
    kind, role = book.kinds[key], book.roles.get(key)
    return {"receipt": "receipt", "supplier_return": "supplier_return", "shipment": "sale",
            "scrap": "loss", "adjustment": "gain", "transfer": "transfer",
            "return": "customer_return" if role == CUSTOMER_RETURN else "gain"}[kind]
