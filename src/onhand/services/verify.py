"""Checking a live database against the invariants: balances, double entry, the hash chain."""

from __future__ import annotations

from collections import defaultdict

from onhand.db.uow import UnitOfWork
from onhand.domain.movements import GENESIS, chain_hash
from onhand.domain.stock import Problem, VerifyReport
from onhand.domain.times import utcnow
from onhand.services import valuer

Key = tuple[int, int, str]


def verify(uow: UnitOfWork) -> VerifyReport:
    """Recompute every balance from the ledger and walk every item's hash chain.

    Detects balance rows that disagree with the ledger, stored values that disagree with a
    rebuild of the item's valuation from scratch, items whose balances do not sum to
    zero, negative stock where it is not allowed, and movement rows changed, deleted or
    inserted behind onhand's back: a changed row fails its hash, a deleted or inserted one
    breaks the gap-free sequence, and rows deleted at the end of an item's chain leave its
    balances disagreeing with the ledger.
    """
    problems: list[Problem] = []
    with uow:
        fold = uow.queries.ledger_fold()
        stored = uow.queries.all_balances()
        chain, ends = _chain_problems(uow)
        problems += _balance_problems(uow, fold, stored, ends)
        problems += chain
        problems += _promise_problems(uow)
        problems += _value_problems(uow)
    return VerifyReport(ok=not problems, problems=problems, movements=sum(ends.values()),
                        balances=len(stored))


def _balance_problems(uow: UnitOfWork, fold: dict[Key, int], stored: dict[Key, int],
                      ends: dict[int, int]) -> list[Problem]:
    problems = []
    for key in sorted(set(fold) | set(stored)):
        if fold.get(key, 0) != stored.get(key, 0):
            problems.append(Problem("balance", _describe(uow, key) + (
                f": balance row says {stored.get(key, 0)}, ledger says {fold.get(key, 0)} "
                f"(the item's ledger ends at sequence {ends.get(key[0], 0)}; a balance changed, "
                "or movements were deleted)")))
    allowed = uow.queries.negative_allowed()
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for (item_id, location_id, lot), qty in stored.items():
        sums[(item_id, lot)] += qty
        if qty < 0 and not allowed[item_id] and uow.refs.location_by_id(location_id).holds_stock:
            problems.append(Problem("negative", _describe(uow, (item_id, location_id, lot))
                                    + f" is {qty} but the item does not allow negative stock"))
    for (item_id, lot), total in sorted(sums.items()):
        if total != 0:
            problems.append(Problem("double-entry", f"{_describe_item(uow, item_id)} lot {lot!r}: "
                                    f"balances over all locations sum to {total}, not 0"))
    return problems


def _value_problems(uow: UnitOfWork) -> list[Problem]:
    """Check the stored values against a rebuild of every valued item from scratch."""
    return [Problem("valuation", f"{_describe_item(uow, entry['item_id'])} movement "
                    f"{entry['movement_id']}: its stored {entry['category']} value is off a "
                    f"rebuild by {-entry['amount']} minor units"
                    + (f" and {-entry['uncosted']} uncosted units" if entry["uncosted"] else "")
                    + (" and its takes differ" if entry["takes"] else ""),
                    (entry["movement_id"],))
            for entry in valuer.differences(uow)]


def _promise_problems(uow: UnitOfWork) -> list[Problem]:
    """Check what orders promise: the counters agree with the order lines, no warehouse has
    promised more than its sellable stock, and the outbox has no gap."""
    problems = []
    positions = uow.positions.all_positions(None, utcnow())
    from_lines = uow.positions.dues_from_lines()
    allowed = uow.queries.negative_allowed()
    for item_id, places in sorted(positions.items()):
        for warehouse_id, p in sorted(places.items()):
            where = f"{_describe_item(uow, item_id)} in " \
                    f"{uow.refs.location_by_id(warehouse_id).path!r}"
            counted = from_lines.get((item_id, warehouse_id), (0, 0))
            if (p.reserved, p.backordered) != counted:
                problems.append(Problem("reservations", f"{where}: counters say reserved "
                                        f"{p.reserved}, backordered {p.backordered}; the order "
                                        f"lines say {counted[0]}, {counted[1]}"))
            if p.overcommitted and not allowed[item_id]:
                problems.append(Problem("oversold", f"{where}: {p.reserved + p.held} reserved "
                                        f"but only {p.sellable} sellable on hand"))
    count, top, clock = uow.events.event_span()
    if count != top or top != clock:
        problems.append(Problem("events", f"{count} events numbered up to {top}, clock at "
                                f"{clock}: the outbox has a gap"))
    return problems


def _chain_problems(uow: UnitOfWork) -> tuple[list[Problem], dict[int, int]]:
    """Walk every item's chain; return the problems and each item's last sequence number."""
    problems: list[Problem] = []
    walked: dict[int, tuple[int, str]] = {}
    for row in uow.queries.ledger_in_chain_order():
        seq, head = walked.get(row.item_id, (0, GENESIS))
        movement = uow.queries.to_movement(row)
        if row.seq != seq + 1:
            problems.append(Problem("chain", f"item {movement.sku!r}: movement {row.id} has "
                                    f"sequence {row.seq} after {seq} (rows missing or inserted)",
                                    (int(row.id),)))
        if chain_hash(head, movement) != row.hash:
            problems.append(Problem("chain", f"item {movement.sku!r}: movement {row.id} does not "
                                    "match its hash (changed behind onhand's back)",
                                    (int(row.id),)))
        walked[row.item_id] = (int(row.seq), row.hash)
    return problems, {item_id: seq for item_id, (seq, _) in walked.items()}


def _describe_item(uow: UnitOfWork, item_id: int) -> str:
    return repr(uow.refs.item_by_id(item_id).sku)


def _describe(uow: UnitOfWork, key: Key) -> str:
    where = uow.refs.location_by_id(key[1]).path
    lot = f" lot {key[2]!r}" if key[2] else ""
    return f"{_describe_item(uow, key[0])}{lot} at {where!r}"
