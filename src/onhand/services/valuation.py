"""Valuation reports: what stock was worth at any moment, and what each sale cost.

The figures are sums of the stored value entries (``onhand.services.valuer``), which are
brought up to date first: a report waits for the movements posted before it to be valued.
They equal a replay of the ledger from scratch at any date, backdated movements included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from onhand.db.uow import UnitOfWork
from onhand.domain.quantities import Quantity, from_units, to_units
from onhand.domain.times import check_day, day_bound, utcnow
from onhand.domain.valuation import Currency, ItemCogs, ItemValue, OwnerValue, ValueEntry, share
from onhand.domain.valuation import currency as valuation_currency
from onhand.domain.valuation import journal as journals
from onhand.domain.valuation.journal import ExportJournal
from onhand.errors import Conflict, InvalidInput, InvalidTime
from onhand.services.executor import handles
from onhand.services.valuer import catch_up

_TICK = timedelta(microseconds=1)  # times are stored to the microsecond
VALUATION_BY = ("item", "location", "warehouse")  # and owner: owner_values
COGS_BY = ("item", "day", "week", "month")
# the sign that turns a category's change of stock value into the journal's amount
_JOURNAL_SIGN = {"receipt": 1, "customer_return": 1, "gain": 1, "supplier_return": -1,
                 "sale": -1, "loss": -1, "correction": -1, "landed_cost": 1,
                 "revaluation": 1}


def valuation(uow: UnitOfWork, *, as_of: date | datetime | None = None,
              owner: str | None = None, sku: str | None = None, by: str = "item"
              ) -> list[ItemValue]:
    """Return what each item's stock (of one owner, or all) was worth now or ``as_of`` (an
    aware time, or a date: its end in each owner's time zone), ``by`` item, location or
    warehouse (the item's value spread over where its units lay)."""
    if by not in VALUATION_BY:
        raise InvalidInput(f"by must be one of {', '.join(VALUATION_BY)}", field="by",
                           value=by)
    _value_pending(uow, owner, sku)
    with uow:
        found = []
        for code, zone in _zones(uow, owner, sku).items():
            owner_id, item_id = _ids(uow, code, sku)
            before = _first_not_counted(as_of, zone)
            items = _item_values(uow, code, owner_id, item_id, before)
            found += (list(items.values()) if by == "item"
                      else _spread(uow, items, owner_id, item_id, before, by))
        return sorted(found, key=lambda row: (row.owner, row.sku, row.location or ""))


def owner_values(uow: UnitOfWork, *, as_of: date | datetime | None = None,
                 owner: str | None = None) -> list[OwnerValue]:
    """Return what all the stock of each owner (or of one) was worth now or ``as_of``."""
    _value_pending(uow, owner, None)
    with uow:
        found = []
        for code, zone in _zones(uow, owner, None).items():
            owner_id, _ = _ids(uow, code, None)
            items = _item_values(uow, code, owner_id, None, _first_not_counted(as_of, zone))
            found.append(_owner_total(code, owner_currency(uow, code), list(items.values())))
        return sorted(found, key=lambda row: row.owner)  # code point order


def _first_not_counted(as_of: date | datetime | None, zone: ZoneInfo) -> datetime:
    """The first moment a value as of ``as_of`` leaves out: after the time given (or now),
    or the start of the next day."""
    if as_of is None:
        return utcnow() + _TICK
    return day_bound(as_of, "as_of", zone, end=True) + (
        _TICK if isinstance(as_of, datetime) else timedelta(0))


def _item_values(uow: UnitOfWork, owner: str, owner_id: int, item_id: int | None,
                 before: datetime) -> dict[tuple[int, int], ItemValue]:
    """Return each of the owner's items' value before ``before``, from its stored entries,
    by (item id, decimals)."""
    totals = uow.valuations.totals_before(owner_id, item_id, before)
    currency = owner_currency(uow, owner)
    found = {}
    for item in uow.queries.valued_items(owner_id, item_id):
        units, amount, uncosted = totals.get(int(item.id), (0, 0, 0))
        decimals = int(item.decimals)
        found[(int(item.id), decimals)] = ItemValue(
            owner, item.sku, currency.code, item.cost_method, from_units(units, decimals),
            currency.amount(amount), from_units(uncosted, decimals))
    return found


def _owner_total(owner: str, currency: Currency, items: list[ItemValue]) -> OwnerValue:
    held = [item for item in items if item.on_hand]
    return OwnerValue(owner, currency.code, len(held),
                      sum((item.value for item in items), start=currency.amount(0)),
                      sum(1 for item in held if item.uncosted))


def _spread(uow: UnitOfWork, items: dict[tuple[int, int], ItemValue], owner_id: int,
            item_id: int | None, before: datetime, by: str) -> list[ItemValue]:
    """Spread each item's value over the locations (or warehouses) its units lay at, by
    units, each share rounded by the cumulative rule so the shares add up exactly."""
    places: dict[int, dict[str, int]] = {}
    for (held, location_id), units in uow.valuations.holdings(owner_id, item_id,
                                                              before).items():
        if units:
            at = places.setdefault(held, {})
            name = _place_name(uow, location_id, by)
            at[name] = at.get(name, 0) + units
    return [row for (held, decimals), item in items.items()
            for row in _shares(item, sorted(places.get(held, {}).items()), decimals)]


def _shares(item: ItemValue, at: list[tuple[str, int]], decimals: int) -> list[ItemValue]:
    """Spread the item's value over the places holding units, by units; a place below zero
    (where the item allows it) shows its units at no value, and with no place above zero
    the value stays with the last place."""
    currency = valuation_currency(item.currency)
    held = [(path, units) for path, units in at if units > 0]
    total, minor = sum(units for _, units in held), currency.to_minor(item.value)
    uncosted = to_units(item.uncosted, decimals)
    rows, counted = [], 0
    for path, units in at:
        if units > 0:
            value = share(minor, counted + units, total) - share(minor, counted, total)
            unvalued = share(uncosted, counted + units, total) - share(uncosted, counted, total)
            counted += units
        else:
            value = minor if not held and path == at[-1][0] else 0
            unvalued = 0
        rows.append(replace(item, on_hand=from_units(units, decimals),
                            value=currency.amount(value),
                            uncosted=from_units(unvalued, decimals), location=path))
    return rows


def _place_name(uow: UnitOfWork, location_id: int, by: str) -> str:
    """Return the path of a location, or of the warehouse it lies in (transit as itself)."""
    place = uow.refs.location_by_id(location_id)
    if by == "location" or place.warehouse_id is None:
        return place.path
    return uow.refs.location_by_id(place.warehouse_id).path


def cogs(uow: UnitOfWork, *, since: date | datetime, until: date | datetime,
         owner: str | None = None, sku: str | None = None, by: str = "item"
         ) -> list[ItemCogs]:
    """Return each item's cost of goods sold, revenue and margin over a period, ``by`` item
    (the whole period, every item) or by ``day``, ``week`` (from Monday) or ``month`` in the
    owner's time zone (a row per item and period with sales, ``period`` its first day).

    A date is a whole day in the owner's time zone (``until`` included); a time is an aware
    moment (``until`` excluded).
    """
    if by not in COGS_BY:
        raise InvalidInput(f"by must be one of {', '.join(COGS_BY)}", field="by", value=by)
    _value_pending(uow, owner, sku)
    with uow:
        found = []
        for code, zone in _zones(uow, owner, sku).items():
            start = day_bound(since, "since", zone, end=False)
            stop = day_bound(until, "until", zone, end=True)
            if start >= stop:
                raise InvalidTime("must come before until", field="since", value=str(since))
            owner_id, item_id = _ids(uow, code, sku)
            prices = uow.queries.sale_prices(owner_id)
            grouped: dict[tuple[int, date | None], list[Any]] = {}
            for row in uow.valuations.sales_between(owner_id, item_id, start, stop):
                period = None if by == "item" else _period_start(row.occurred_at, zone, by)
                grouped.setdefault((int(row.item_id), period), []).append(row)
            currency = owner_currency(uow, code)
            items = {int(item.id): item for item in uow.queries.valued_items(owner_id, item_id)}
            if by == "item":
                found += [_period(code, item, currency, grouped.get((key, None), []), prices)
                          for key, item in items.items()]
            else:
                found += [replace(_period(code, items[key], currency, rows, prices),
                                  period=period) for (key, period), rows in grouped.items()]
        return sorted(found, key=lambda row: (row.owner, row.sku, row.period or date.min))


def _period_start(moment: datetime, zone: ZoneInfo, by: str) -> date:
    """Return the first day of the day, week (Monday) or month ``moment`` falls in, where
    the owner is."""
    day = moment.astimezone(zone).date()
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if by == "month" else day


def value_entries(uow: UnitOfWork, *, sku: str, owner: str = "default",
                  since: date | datetime | None = None, until: date | datetime | None = None
                  ) -> list[ValueEntry]:
    """Return the stored changes of one item's stock value (each movement's value, then any
    revaluation) within a period, in business-time order (bounds as :func:`cogs`)."""
    _value_pending(uow, owner, sku)
    with uow:
        zone = _zones(uow, owner, sku)[owner]
        start = None if since is None else day_bound(since, "since", zone, end=False)
        stop = None if until is None else day_bound(until, "until", zone, end=True)
        if start is not None and stop is not None and start >= stop:
            raise InvalidTime("must come before until", field="since", value=str(since))
        owner_id, item_id = _ids(uow, owner, sku)
        assert item_id is not None  # a SKU names one item
        item = uow.queries.item(item_id)
        currency = owner_currency(uow, owner)
        found = [ValueEntry(None if r.movement_id is None else int(r.movement_id),
                            r.occurred_at, r.category,
                            from_units(int(r.units), item.decimals),
                            currency.amount(int(r.amount)),
                            from_units(int(r.uncosted), item.decimals),
                            None if r.cause_id is None else int(r.cause_id))
                 for r in uow.valuations.entries(item_id, start, stop)]
        return found


def _zones(uow: UnitOfWork, owner: str | None, sku: str | None) -> dict[str, ZoneInfo]:
    """Return the time zone of each owner (or of ``owner``), by code."""
    if owner is not None:
        uow.refs.owner_id(owner)  # an unknown owner is UnknownOwner
    elif sku is not None:
        owner = "default"  # a SKU is an owner's: the default one's unless named
    return {o.code: ZoneInfo(o.time_zone) for o in uow.queries.owners()
            if owner is None or o.code == owner}


def _value_pending(uow: UnitOfWork, owner: str | None, sku: str | None) -> None:
    """Value what was posted before a report reads it, in a write of its own and only when
    some movement (of the owner, or of the SKU) is not valued yet: a report is a plain read,
    on a snapshot taken after it (the server's sweeper usually leaves nothing to do)."""
    with uow.reader() as probe:
        if owner is None and sku is not None:
            owner = "default"  # a SKU is an owner's: the default one's unless named
        owner_id, item_id = (None, None) if owner is None else _ids(probe, owner, sku)
        if not probe.valuations.pending(owner_id, item_id):
            return
    writer = uow.writer()
    with writer:
        catch_up(writer, owner_id=owner_id, item_id=item_id)
        writer.commit()


def _ids(uow: UnitOfWork, owner: str, sku: str | None) -> tuple[int, int | None]:
    """Return the ids of the owner and of its SKU (or None)."""
    catalog = uow.refs
    owner_id = catalog.owner_id(owner)
    return owner_id, None if sku is None else catalog.item(owner_id, sku, owner).id


def owner_currency(uow: UnitOfWork, owner: str) -> Currency:
    """Return the currency ``owner`` values its stock in."""
    return valuation_currency(next(o.currency for o in uow.queries.owners() if o.code == owner))


def _period(owner: str, item: Any, currency: Currency, entries: list[Any],
            prices: dict[int, Decimal]) -> ItemCogs:
    """Sum one item's sales, customer returns and corrections of a period."""
    decimals = int(item.decimals)
    sold = returned = unpriced = 0  # scaled units
    cost = revenue = 0  # minor units
    for row in entries:
        units = int(row.units)
        cost -= int(row.amount)
        if not units:
            continue  # a revaluation or correction: cost only
        if row.category == "sale" and units < 0:
            sold -= units
            price = prices.get(int(row.movement_id))
            if price is None:
                unpriced -= units
                continue
        else:  # back from a customer (units > 0), or a return reversed (units < 0)
            returned += units
            price = prices.get(_returned_shipment(row) or 0)
            if price is None:
                continue
        qty: Quantity = from_units(abs(units), decimals)
        revenue += (-1 if units > 0 else 1) * currency.to_minor(currency.round(price * qty))
    return ItemCogs(owner, item.sku, currency.code, from_units(sold, decimals),
                    from_units(returned, decimals), currency.amount(cost),
                    currency.amount(revenue), currency.amount(revenue - cost),
                    from_units(unpriced, decimals))


def _returned_shipment(row: Any) -> int | None:
    """Return the shipment whose units a customer return (or its reversal) moves."""
    if int(row.units) > 0:  # a return names its shipment, or reverses it
        found = row.shipment_id if row.shipment_id is not None else row.reverses
    else:
        found = row.reversed_shipment
    return None if found is None else int(found)


# --- the journal ------------------------------------------------------------------------------


@handles(ExportJournal)
def export(uow: UnitOfWork, command: ExportJournal) -> list[str]:
    """Export and record an owner's journal of a period (``journals.export``)."""
    return export_journal(uow, since=command.since, until=command.until, owner=command.owner,
                          fmt=command.format, accounts=command.accounts,
                          tax_rate=command.tax_rate, again=command.again)


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
        owner_id = uow.refs.owner_id(owner)
        zone = _zones(uow, owner, None)[owner]
        start, stop = day_bound(first, "since", zone, end=False), day_bound(last, "until", zone, end=True)
        done = uow.queries.journal_exports(owner_id, first, last)
        if done and not again:
            raise Conflict(f"{owner}'s journal of {done[0][0]} to {done[0][1]} was exported "
                           "already; export again only on purpose (again)", field="since")
        catch_up(uow, owner_id=owner_id)
        totals = uow.valuations.category_totals(owner_id, start, stop)
        currency = owner_currency(uow, owner)
        amounts = {category: currency.amount(_JOURNAL_SIGN[category] * total)
                   for category, total in totals.items()}
        found = journals.journal(owner, currency.code, first, last, amounts, codes)
        uow.periods.record_journal_export(owner_id, first, last, fmt, utcnow())
        files = journals.export(found, fmt, number=len(done) + 1, tax_rate=tax_rate)
        uow.commit()
        return files

