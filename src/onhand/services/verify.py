"""Checking a live database against the invariants: balances, double entry, the hash chain."""

from __future__ import annotations

from collections import defaultdict

from onhand.db.uow import UnitOfWork
from onhand.domain.movements import GENESIS, chain_hash
from onhand.domain.stock import Problem, VerifyReport


def verify(uow: UnitOfWork) -> VerifyReport:
    """Recompute every balance from the ledger and walk every item's hash chain.

    Detects balance rows that disagree with the ledger, items whose balances do not sum to
    zero, negative stock where it is not allowed, and movement rows changed, deleted or
    inserted behind onhand's back (a broken link, a gap in an item's sequence numbers, or a
    chain that does not end at the head recorded on the item).
    """
    problems: list[Problem] = []
    with uow:
        conn = uow.queries.conn
        fold = uow.queries.ledger_fold()
        stored = uow.queries.all_balances()
        heads = uow.queries.chain_heads()
        for key in sorted(set(fold) | set(stored)):
            if fold.get(key, 0) != stored.get(key, 0):
                problems.append(Problem("balance", _describe(uow, key) + (
                    f": balance row says {stored.get(key, 0)}, ledger says {fold.get(key, 0)}")))
        sums: dict[tuple[int, str], int] = defaultdict(int)
        for (item_id, location_id, lot), qty in stored.items():
            sums[(item_id, lot)] += qty
            ref = uow.catalog.location_by_id(conn, location_id)
            if qty < 0 and not ref.virtual and not heads[item_id][2]:
                problems.append(Problem("negative", _describe(uow, (item_id, location_id, lot))
                                        + f" is {qty} but the item does not allow negative stock"))
        for (item_id, lot), total in sorted(sums.items()):
            if total != 0:
                problems.append(Problem("double-entry", f"item {item_id} lot {lot!r}: balances "
                                        f"over all locations sum to {total}, not 0"))
        problems += _chain_problems(uow, heads)
        count = sum(heads[i][0] for i in heads)
    return VerifyReport(ok=not problems, problems=problems, movements=count, balances=len(stored))


def _chain_problems(uow: UnitOfWork, heads: dict[int, tuple[int, str, bool]]) -> list[Problem]:
    problems: list[Problem] = []
    walked: dict[int, tuple[int, str]] = {}
    for row in uow.queries.ledger_in_chain_order():
        seq, head = walked.get(row.item_id, (0, GENESIS))
        movement = uow.queries.to_movement(row)
        if row.seq != seq + 1:
            problems.append(Problem("chain", f"item {movement.sku!r}: movement {row.id} has "
                                    f"sequence {row.seq} after {seq} (rows missing or inserted)",
                                    (int(row.id),)))
        link = chain_hash(head, movement)
        if link != row.hash:
            problems.append(Problem("chain", f"item {movement.sku!r}: movement {row.id} does not "
                                    "match its hash (changed behind onhand's back)", (int(row.id),)))
        walked[row.item_id] = (int(row.seq), row.hash)
    for item_id, (seq, head, _) in heads.items():
        if walked.get(item_id, (0, GENESIS)) != (seq, head):
            problems.append(Problem("chain", f"item {item_id}: the ledger ends at sequence "
                                    f"{walked.get(item_id, (0, ''))[0]} but the item's head says "
                                    f"{seq} (rows deleted at the end, or the head was changed)"))
    return problems


def _describe(uow: UnitOfWork, key: tuple[int, int, str]) -> str:
    conn = uow.queries.conn
    item = uow.catalog.item_by_id(conn, key[0])
    where = uow.catalog.location_by_id(conn, key[1]).path
    lot = f" lot {key[2]!r}" if key[2] else ""
    return f"{item.sku!r}{lot} at {where!r}"
