"""The executor, the one way in for every write: the audit entry, one commit, nothing written
on failure — shown once here for every command, from the library face — and background jobs
run once per period across every server, audited once per run that changed something."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

import onhand
from onhand.domain.access import AddUser, AuditEntry
from onhand.domain.commands import Command
from onhand.domain.imports import ImportMovements
from onhand.domain.jobs import Schedule, Sweep, ValueMovements
from onhand.domain.movements import Reverse
from onhand.services import audit, executor, jobs
from tests.factories import mug, stocked

HOUR = timedelta(hours=1)


def trail(inv: onhand.Inventory, **filters: Any) -> list[AuditEntry]:
    return audit.entries(inv.unit_of_work(write=False), **filters)


@pytest.fixture
def servers(database_url: str) -> Iterator[list[onhand.Inventory]]:
    """Three inventories on one database, as three server processes would hold."""
    opened = [onhand.open(database_url) for _ in range(3)]
    yield opened
    for inv in opened:
        inv.close()


def test_a_library_write_is_audited_as_the_process_user_with_its_movements(
        inv: onhand.Inventory) -> None:
    receipt = stocked(inv)
    entries = trail(inv, action="movements.post")
    assert [(e.actor.split(":")[0], e.target, e.movement_ids, e.owner) for e in entries] == [
        ("lib", "MUG-BLUE", (receipt.id,), "default")]
    assert [e.action for e in trail(inv)][-2:] == ["items.add", "movements.post"]


def test_an_actor_given_to_open_is_the_one_the_trail_records(database_url: str) -> None:
    with onhand.open(database_url, actor="channel:shopify") as inv:
        mug(inv)
        assert [e.actor for e in trail(inv, action="items.add")] == ["channel:shopify"]


def test_a_failed_command_writes_neither_its_work_nor_an_audit_entry(
        inv: onhand.Inventory) -> None:
    stocked(inv, qty=2)
    before = trail(inv)
    with pytest.raises(onhand.InsufficientStock):
        inv.ship(sku="MUG-BLUE", qty=3, location="WH1/A-01")
    assert trail(inv) == before
    assert inv.stock(sku="MUG-BLUE").on_hand == 2


def test_a_command_runs_through_execute_like_the_facade_method(inv: onhand.Inventory) -> None:
    receipt = stocked(inv, qty=4)
    undone = inv.execute(Reverse(movement_id=receipt.id, reason="typo"))
    assert undone.reverses == receipt.id and inv.stock(sku="MUG-BLUE").on_hand == 0
    assert [e.target for e in trail(inv, action="movements.reverse")] == [str(receipt.id)]


def test_a_command_with_no_handler_is_refused_before_anything_runs(inv: onhand.Inventory) -> None:
    class Nothing(Command[None]):
        action = "nothing.do"

    before = trail(inv)
    with pytest.raises(TypeError, match="Nothing has no handler"):
        inv.execute(Nothing())
    assert trail(inv) == before


def test_a_retry_with_its_key_is_answered_without_a_second_audit_entry(
        inv: onhand.Inventory) -> None:
    mug(inv)
    first = inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01", key="k1")
    again = inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01", key="k1")
    assert again.id == first.id and inv.stock(sku="MUG-BLUE").on_hand == 5
    assert [e.movement_ids for e in trail(inv, action="movements.post")] == [(first.id,)]


def test_an_order_created_again_under_its_reference_is_audited_once(
        inv: onhand.Inventory) -> None:
    stocked(inv)
    for _ in range(2):
        inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 2}])
    assert [e.target for e in trail(inv, action="orders.create")] == ["SO-1"]


def test_an_actor_that_does_not_fit_the_trail_is_refused_when_opening(database_url: str) -> None:
    with pytest.raises(onhand.InvalidInput) as caught:
        onhand.open(database_url, actor="x" * 101)
    assert caught.value.field == "actor"


def test_a_new_users_password_is_hashed_before_the_write_and_kept_nowhere_in_the_trail(
        inv: onhand.Inventory) -> None:
    command = AddUser(username="alice", password="correct horse battery", role="viewer")
    ready = executor.prepared(command)
    assert ready.password is None and ready.password_hash is not None
    assert ready.password_hash.startswith("$argon2id$")
    inv.execute(command)
    (entry,) = trail(inv, action="users.add")
    assert "correct horse" not in repr(entry) and "argon2" not in repr(entry)


def test_an_import_file_is_parsed_before_its_transaction_opens() -> None:
    text = "kind,sku,qty,location\nreceipt,MUG-BLUE,3,WH1/A-01\nreceipt,MUG-BLUE,x,WH1/A-01\n"
    ready = executor.prepared(ImportMovements(text=text))
    assert ready.parsed is not None
    assert (ready.parsed.rows, len(ready.parsed.good), [r.line for r in ready.parsed.rejected]) \
        == (2, 1, [3])


def test_a_second_handler_for_a_command_is_refused() -> None:
    with pytest.raises(TypeError, match="Reverse already has a handler"):
        executor.handles(Reverse)(lambda uow, command: None)


# --- background jobs -------------------------------------------------------------------------


def test_a_job_is_claimed_by_one_server_per_period(servers: list[onhand.Inventory]) -> None:
    schedule = Schedule(ValueMovements(), HOUR)
    ran = [inv.executor.run_due(schedule, holder=f"server-{n}") for n, inv in enumerate(servers)]
    assert ran == [True, False, False]
    (state,) = jobs.states(servers[0].unit_of_work(write=False))
    assert (state.name, state.runs, state.holder, state.last_error) == ("valuer", 1, "server-0",
                                                                        None)
    assert state.last_finished_at is not None and state.next_run_at > state.last_finished_at


def test_a_job_runs_again_once_its_period_is_over(servers: list[onhand.Inventory]) -> None:
    schedule = Schedule(ValueMovements(), timedelta(milliseconds=200))
    assert servers[0].executor.run_due(schedule, holder="a")
    assert not servers[1].executor.run_due(schedule, holder="b")
    time.sleep(0.25)
    assert servers[1].executor.run_due(schedule, holder="b")
    assert [s.runs for s in jobs.states(servers[0].unit_of_work(write=False))] == [2]


def test_servers_racing_for_a_due_job_run_it_once(servers: list[onhand.Inventory]) -> None:
    schedule = Schedule(Sweep(), HOUR)
    start = threading.Barrier(len(servers) * 2)
    ran: list[bool] = []

    def race(inv: onhand.Inventory, name: str) -> None:
        start.wait()
        ran.append(inv.executor.run_due(schedule, holder=name))

    threads = [threading.Thread(target=race, args=(inv, f"s{n}-{m}"))
               for n, inv in enumerate(servers) for m in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == [False] * 5 + [True]
    assert [s.runs for s in jobs.states(servers[0].unit_of_work(write=False))] == [1]


def test_an_idle_server_claims_no_job_and_writes_nothing(inv: onhand.Inventory) -> None:
    assert jobs.tick(inv.executor, jobs.schedules(5), "me") == []
    assert jobs.states(inv.unit_of_work(write=False)) == []
    assert [e for e in trail(inv) if e.actor.startswith("system:")] == []


def test_a_job_run_is_audited_once_as_the_system_and_an_idle_run_not_at_all(
        inv: onhand.Inventory) -> None:
    mug(inv, cost_required=True)
    for n in range(3):
        inv.receive(sku="MUG-BLUE", qty=1, location="WH1/A-01", unit_cost=Decimal("2.00"),
                    reference=f"PO-{n}")
    plan = [Schedule(ValueMovements(), timedelta(0))]
    assert jobs.tick(inv.executor, plan, "me") == ["valuer"]
    runs = trail(inv, action="jobs.valuer")
    assert [(e.actor, e.detail) for e in runs] == [("system:valuer", {"valued": 3})]
    assert jobs.tick(inv.executor, plan, "me") == []  # nothing left to value: not even claimed
    assert len(trail(inv, action="jobs.valuer")) == 1


def test_a_failing_job_records_its_error_and_the_other_jobs_still_run(
        inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(uow: object) -> int:
        raise RuntimeError("the valuer broke")

    monkeypatch.setattr(jobs.valuer, "catch_up_all", broken)
    monkeypatch.setattr(jobs, "has_work", lambda uow, command: True)
    plan = [Schedule(ValueMovements(), HOUR), Schedule(Sweep(), HOUR)]
    assert jobs.tick(inv.executor, plan, "me") == ["sweep"]
    states = {s.name: s for s in jobs.states(inv.unit_of_work(write=False))}
    assert states["valuer"].last_error == "RuntimeError: the valuer broke"
    assert states["sweep"].last_error is None
