"""Concurrent writers: threads and processes posting to the same balances at once.

Whatever the interleaving, balances end exact (the sum of what succeeded), no balance is
ever below zero in business-time order, verify() is ok, and the only error a writer may
meet is InsufficientStock. A key retried concurrently writes once.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import onhand
from tests.factories import mug

THREADS = 8
PROCESSES = 4
ROUNDS = 25
SKU = "MUG-BLUE"
A, B = "WH1/A-01", "WH2"


@dataclass
class Outcome:
    """What one writer saw: the movements it wrote, its shortages and any other error."""

    written: list[onhand.Movement] = field(default_factory=list)
    short: int = 0
    unexpected: list[str] = field(default_factory=list)

    def post(self, write: Callable[..., onhand.Movement], **request: Any) -> None:
        try:
            self.written.append(write(**request))
        except onhand.InsufficientStock:
            self.short += 1
        except Exception as error:  # noqa: BLE001 - every other error is a finding
            self.unexpected.append(repr(error))


def shuttle(inv: onhand.Inventory, seed: int, rounds: int = ROUNDS) -> Outcome:
    """Transfer small random quantities back and forth between A and B."""
    rng = random.Random(seed)
    outcome = Outcome()
    for _ in range(rounds):
        source, target = rng.choice([(A, B), (B, A)])
        qty = rng.randint(1, 4)
        outcome.post(inv.transfer, sku=SKU, qty=qty, source=source, target=target)
    return outcome


def shuttle_in_a_new_process(url: str, seed: int) -> tuple[list[tuple[int, str, str]], int,
                                                                list[str]]:
    """Open the database in this (spawned) process and shuttle; return plain values."""
    try:
        with onhand.open(url) as inv:
            outcome = shuttle(inv, seed)
    except Exception as error:  # noqa: BLE001 - reported to the parent as a finding
        return [], 0, [repr(error)]
    return ([(int(m.qty), m.source, m.target) for m in outcome.written], outcome.short,
            outcome.unexpected)


def run_threads(work: Callable[[int], Outcome], threads: int = THREADS) -> list[Outcome]:
    """Run ``work(seed)`` on ``threads`` threads released at the same moment."""
    start = threading.Barrier(threads)

    def together(seed: int) -> Outcome:
        start.wait()
        return work(seed)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(together, range(threads)))


def assert_never_negative(inv: onhand.Inventory, *places: str) -> None:
    """Fold the ledger in business-time order: no balance of ``places`` is ever below zero."""
    balance = dict.fromkeys(places, 0)
    for m in inv.history(sku=SKU, limit=100_000):
        for place, sign in ((m.source, -1), (m.target, 1)):
            if place in balance:
                balance[place] += sign * m.qty
                assert balance[place] >= 0, f"{place} went to {balance[place]} at movement {m.id}"


def net(moves: list[tuple[int, str, str]], place: str) -> int:
    return sum(qty if target == place else -qty if source == place else 0
               for qty, source, target in moves)


def assert_exact(inv: onhand.Inventory, moves: list[tuple[int, str, str]], opening: dict[str, int],
                 unexpected: list[str]) -> None:
    assert unexpected == []
    for place, start in opening.items():
        assert inv.stock(sku=SKU, location=place).on_hand == start + net(moves, place), place
    assert inv.stock(sku=SKU).on_hand == sum(opening.values())
    assert len(inv.history(sku=SKU, limit=100_000)) == len(opening) + len(moves)
    assert_never_negative(inv, A, B)
    report = inv.verify()
    assert report.ok, report.problems


def open_with_stock(inv: onhand.Inventory, opening: dict[str, int]) -> None:
    mug(inv)
    for place, qty in opening.items():
        inv.receive(sku=SKU, qty=qty, location=place)


def test_threads_transferring_back_and_forth_leave_exact_balances(inv: onhand.Inventory) -> None:
    opening = {A: 6, B: 4}
    open_with_stock(inv, opening)
    outcomes = run_threads(lambda seed: shuttle(inv, seed))
    moves = [(int(m.qty), m.source, m.target) for o in outcomes for m in o.written]
    assert moves, "no transfer went through"
    assert_exact(inv, moves, opening, [e for o in outcomes for e in o.unexpected])


def test_separate_processes_transferring_back_and_forth_leave_exact_balances(
    inv: onhand.Inventory, database_url: str,
) -> None:
    opening = {A: 6, B: 4}
    open_with_stock(inv, opening)
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(shuttle_in_a_new_process,
                               [(database_url, seed) for seed in range(PROCESSES)])
    moves = [move for written, _, _ in results for move in written]
    assert moves, "no transfer went through"
    assert_exact(inv, moves, opening, [e for _, _, unexpected in results for e in unexpected])


def test_shipments_competing_for_limited_stock_never_oversell(inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=60, location=A)
    largest = 3

    def sell(seed: int) -> Outcome:
        rng, outcome = random.Random(seed), Outcome()
        for _ in range(ROUNDS):
            qty = rng.randint(1, largest)
            outcome.post(inv.ship, sku=SKU, qty=qty, location=A)
        return outcome

    outcomes = run_threads(sell)
    shipped = sum(int(m.qty) for o in outcomes for m in o.written)
    assert [e for o in outcomes for e in o.unexpected] == []
    assert inv.stock(sku=SKU).on_hand == 60 - shipped >= 0
    if any(o.short for o in outcomes):  # a refusal is only right when too little was left
        assert 60 - shipped < largest
    assert_never_negative(inv, A)
    assert inv.verify().ok


def test_concurrent_retries_of_the_same_key_write_once(inv: onhand.Inventory) -> None:
    mug(inv)

    def scan(_: int) -> Outcome:
        outcome = Outcome()
        outcome.post(inv.receive, sku=SKU, qty=5, location=A, key="scan-1")
        return outcome

    outcomes = run_threads(scan)
    assert [e for o in outcomes for e in o.unexpected] == []
    answers = {m for o in outcomes for m in o.written}
    assert len(answers) == 1, "every retry must get the first result"
    assert sum(len(o.written) for o in outcomes) == THREADS
    assert inv.history(sku=SKU) == list(answers)
    assert inv.stock(sku=SKU).on_hand == 5
    assert inv.verify().ok


def test_concurrent_retries_of_a_shipment_that_takes_the_last_units_all_get_its_result(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=5, location=A)

    def sell(_: int) -> Outcome:  # a retry must not be checked again against the stock it took
        outcome = Outcome()
        outcome.post(inv.ship, sku=SKU, qty=5, location=A, key="order-1")
        return outcome

    outcomes = run_threads(sell)
    assert [e for o in outcomes for e in o.unexpected] == []
    assert not any(o.short for o in outcomes)
    assert len({m for o in outcomes for m in o.written}) == 1
    assert inv.stock(sku=SKU).on_hand == 0


def test_concurrent_returns_of_one_shipment_take_back_no_more_than_it_shipped(
    inv: onhand.Inventory,
) -> None:
    mug(inv)
    inv.receive(sku=SKU, qty=10, location=A)
    shipment = inv.ship(sku=SKU, qty=3, location=A)
    taken: list[onhand.Movement] = []

    def give_back(_: int) -> Outcome:
        try:
            taken.append(inv.return_(sku=SKU, qty=2, location=A, shipment_id=shipment.id))
        except onhand.InvalidQuantity:
            pass  # the shipment has no 2 units left to take back
        return Outcome()

    run_threads(give_back)
    assert len(taken) == 1
    assert inv.stock(sku=SKU).on_hand == 9
    assert inv.verify().ok


def test_concurrent_reversals_of_one_movement_reverse_it_once(inv: onhand.Inventory) -> None:
    mug(inv)
    receipt = inv.receive(sku=SKU, qty=5, location=A)
    errors: list[str] = []
    reversals: list[onhand.Movement] = []

    def undo(_: int) -> Outcome:
        try:
            reversals.append(inv.reverse(receipt.id, reason="typo"))
        except onhand.AlreadyReversed:
            pass
        except Exception as error:  # noqa: BLE001 - every other error is a finding
            errors.append(repr(error))
        return Outcome()

    run_threads(undo)
    assert errors == []
    assert len(reversals) == 1
    assert inv.stock(sku=SKU).on_hand == 0
    assert len(inv.history(sku=SKU)) == 2
    assert inv.verify().ok
