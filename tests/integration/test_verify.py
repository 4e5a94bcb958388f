"""verify(): the ledger is append-only, and tampering behind onhand's back is found and named."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

import onhand
from onhand.db.tables import balances, items, locations, movements
from onhand.domain.movements import chain_hash
from tests.factories import mug, rope, stocked


def history(inv: onhand.Inventory) -> list[onhand.Movement]:
    """Post a small, healthy history of two items and return it, oldest first."""
    stocked(inv, qty=10)  # 1: receipt of 10 mugs at WH1/A-01
    inv.ship(sku="MUG-BLUE", qty=3, location="WH1/A-01", reference="SO-1")
    inv.transfer(sku="MUG-BLUE", qty=2, source="WH1/A-01", target="WH2")
    inv.receive(sku="MUG-BLUE", qty=5, location="WH2", reference="PO-8")
    rope(inv)
    inv.post_batch([
        {"kind": "receipt", "sku": "ROPE-10MM", "qty": 20, "location": "WH1/A-02"},
        {"kind": "scrap", "sku": "ROPE-10MM", "qty": 1, "location": "WH1/A-02",
         "reason": "frayed"},
    ])
    return inv.history(limit=1000)


def mugs(inv: onhand.Inventory) -> list[onhand.Movement]:
    return [m for m in inv.history(limit=1000) if m.sku == "MUG-BLUE"]


def execute(inv: onhand.Inventory, statement: Any) -> None:
    """Run one statement behind onhand's back, in its own transaction."""
    with inv.engine.begin() as conn:
        conn.execute(text(statement) if isinstance(statement, str) else statement)


def drop_append_only_triggers(inv: onhand.Inventory) -> None:
    if inv.engine.dialect.name == "postgresql":
        execute(inv, "DROP TRIGGER movements_append_only ON movements")
    else:
        execute(inv, "DROP TRIGGER movements_no_update")
        execute(inv, "DROP TRIGGER movements_no_delete")


def problems(report: onhand.VerifyReport, check: str) -> list[onhand.Problem]:
    return [p for p in report.problems if p.check == check]


def named(report: onhand.VerifyReport, check: str = "chain") -> set[int]:
    return {i for p in problems(report, check) for i in p.movement_ids}


def test_verify_is_ok_on_a_healthy_ledger(inv: onhand.Inventory) -> None:
    written = history(inv)
    inv.reverse(written[1].id, reason="wrong order")
    report = inv.verify()
    assert report.ok
    assert report.problems == []
    assert report.movements == len(written) + 1
    assert report.balances >= 6


def test_verify_is_ok_on_an_empty_ledger(inv: onhand.Inventory) -> None:
    report = inv.verify()
    assert (report.ok, report.problems, report.movements) == (True, [], 0)


def test_the_movements_table_rejects_an_update(inv: onhand.Inventory) -> None:
    written = history(inv)
    with pytest.raises(DBAPIError, match="append-only"):
        execute(inv, update(movements).where(movements.c.id == written[0].id).values(qty=1))
    assert inv.history(limit=1000) == written
    assert inv.verify().ok


def test_the_movements_table_rejects_a_delete(inv: onhand.Inventory) -> None:
    written = history(inv)
    with pytest.raises(DBAPIError, match="append-only"):
        execute(inv, movements.delete().where(movements.c.id == written[-1].id))
    with pytest.raises(DBAPIError, match="append-only"):
        execute(inv, movements.delete())
    assert inv.history(limit=1000) == written
    assert inv.verify().ok


def test_a_changed_quantity_is_found_by_the_balances_and_the_chain_names_the_row(
    inv: onhand.Inventory,
) -> None:
    history(inv)
    shipment = mugs(inv)[1]
    drop_append_only_triggers(inv)
    execute(inv, update(movements).where(movements.c.id == shipment.id).values(qty=1))
    report = inv.verify()
    assert not report.ok
    assert named(report) == {shipment.id}
    balance = problems(report, "balance")
    assert {"'MUG-BLUE' at 'WH1/A-01'", "'MUG-BLUE' at 'customer'"} == {
        p.detail.split(":")[0] for p in balance}


def test_a_changed_reference_that_moves_no_stock_is_found_by_the_chain_alone(
    inv: onhand.Inventory,
) -> None:
    history(inv)
    receipt = mugs(inv)[-1]
    drop_append_only_triggers(inv)
    execute(inv, update(movements).where(movements.c.id == receipt.id)
            .values(reference="PO-9"))
    report = inv.verify()
    assert not report.ok
    assert [p.check for p in report.problems] == ["chain"]
    assert named(report) == {receipt.id}


def test_a_row_rewritten_with_its_own_hash_recomputed_breaks_the_next_link(
    inv: onhand.Inventory,
) -> None:
    history(inv)
    receipt, shipment, transfer = mugs(inv)[:3]
    drop_append_only_triggers(inv)
    with inv.engine.begin() as conn:
        previous = conn.execute(select(movements.c.hash)
                                .where(movements.c.id == receipt.id)).scalar_one()
        forged = chain_hash(previous, replace(shipment, reference="SO-2"))
        conn.execute(update(movements).where(movements.c.id == shipment.id)
                     .values(reference="SO-2", hash=forged))
    report = inv.verify()
    assert not report.ok
    assert named(report) == {transfer.id}


def test_a_deleted_middle_row_leaves_a_gap_named_at_the_next_row(inv: onhand.Inventory) -> None:
    history(inv)
    receipt, shipment, transfer, _ = mugs(inv)
    drop_append_only_triggers(inv)
    execute(inv, movements.delete().where(movements.c.id == shipment.id))
    report = inv.verify()
    assert not report.ok
    assert named(report) == {transfer.id}
    assert any(f"sequence {transfer.seq} after {receipt.seq}" in p.detail
               for p in problems(report, "chain"))
    assert problems(report, "balance")


def test_a_deleted_last_row_leaves_the_balances_disagreeing_with_the_ledger(
    inv: onhand.Inventory,
) -> None:
    history(inv)
    last = mugs(inv)[-1]
    drop_append_only_triggers(inv)
    execute(inv, movements.delete().where(movements.c.id == last.id))
    report = inv.verify()
    assert not report.ok
    balance = problems(report, "balance")
    assert {p.detail.split(":")[0] for p in balance} == {"'MUG-BLUE' at 'WH2'",
                                                        "'MUG-BLUE' at 'supplier'"}
    assert all(f"ends at sequence {last.seq - 1}" in p.detail for p in balance)


def test_an_inserted_row_is_named_even_with_the_triggers_in_place(
    inv: onhand.Inventory,
) -> None:
    history(inv)
    last = mugs(inv)[-1]
    with inv.engine.begin() as conn:
        row = conn.execute(select(movements).where(movements.c.id == last.id)).one()._asdict()
        row |= {"id": last.id + 100, "seq": last.seq + 1, "reference": "PO-FAKE"}
        conn.execute(insert(movements).values(**row))
    report = inv.verify()
    assert not report.ok
    assert named(report) == {last.id + 100}
    assert problems(report, "balance")


def test_a_row_inserted_with_a_sequence_gap_is_named(inv: onhand.Inventory) -> None:
    history(inv)
    last = mugs(inv)[-1]
    with inv.engine.begin() as conn:
        row = conn.execute(select(movements).where(movements.c.id == last.id)).one()._asdict()
        row |= {"id": last.id + 100, "seq": last.seq + 5}
        conn.execute(insert(movements).values(**row))
    report = inv.verify()
    assert named(report) == {last.id + 100}
    assert any("rows missing or inserted" in p.detail for p in problems(report, "chain"))


def _balance_of(inv: onhand.Inventory, sku: str, path: str) -> Any:
    item_id = select(items.c.id).where(items.c.sku == sku).scalar_subquery()
    location_id = select(locations.c.id).where(locations.c.path == path).scalar_subquery()
    return (balances.c.item_id == item_id) & (balances.c.location_id == location_id)


def test_a_changed_balance_row_is_found_and_named(inv: onhand.Inventory) -> None:
    history(inv)
    execute(inv, update(balances).where(_balance_of(inv, "MUG-BLUE", "WH2"))
            .values(qty=balances.c.qty + 1))
    report = inv.verify()
    assert not report.ok
    assert [p.detail.split(":")[0] for p in problems(report, "balance")] == [
        "'MUG-BLUE' at 'WH2'"]
    assert "says 8, ledger says 7" in problems(report, "balance")[0].detail
    assert len(problems(report, "double-entry")) == 1
    assert "MUG-BLUE" in problems(report, "double-entry")[0].detail
    assert problems(report, "chain") == []


def test_a_balance_row_below_zero_is_reported_as_negative_stock(inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=1, location="WH2")
    execute(inv, update(balances).where(_balance_of(inv, "MUG-BLUE", "WH2")).values(qty=-1))
    report = inv.verify()
    assert not report.ok
    assert [p.detail.split(" is ")[0] for p in problems(report, "negative")] == [
        "'MUG-BLUE' at 'WH2'"]


def test_reservation_counters_that_disagree_with_the_order_lines_are_found(
    inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=10)
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 4}])
    assert inv.verify().ok
    execute(inv, "UPDATE item_warehouses SET reserved = reserved + 3")
    checks = {problem.check for problem in inv.verify().problems}
    assert checks == {"reservations"}


def test_more_reserved_than_sellable_stock_is_found_as_oversold(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 10}])
    execute(inv, "UPDATE balances SET qty = qty - 2 WHERE qty = 10")
    checks = {problem.check for problem in inv.verify().problems}
    assert "oversold" in checks


def test_a_deleted_event_leaves_a_gap_that_is_found(inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 1}])
    execute(inv, "DELETE FROM events WHERE id = 1")
    problems = inv.verify().problems
    assert [p.check for p in problems] == ["events"]
