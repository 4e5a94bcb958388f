"""The `onhand` command line for purchasing and transfers: supplier, po and transfer commands."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import onhand
from onhand.services import audit
from tests.e2e.runner import Cli, one_error_line
from tests.factories import mug


def ok(result: Any) -> Any:
    """Return the JSON a command printed, checking it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ordered(cli: Cli, inv: onhand.Inventory, *extra: str) -> dict[str, Any]:
    """Add a mug and ACME, and order 10 mugs at 2.10 into WH1 (confirmed); return the order."""
    mug(inv)
    assert cli("supplier", "add", "ACME", "--name", "Acme Ltd").exit_code == 0
    found: dict[str, Any] = ok(cli("po", "create", "PO-7", "--supplier", "ACME",
                                   "--warehouse", "WH1", "--line", "MUG-BLUE:10:2.10",
                                   "--confirm", *extra, "--json"))
    return found


def test_suppliers_are_added_and_listed(cli: Cli) -> None:
    assert cli("supplier", "add", "ACME", "--name", "Acme Ltd").stdout == "added supplier ACME\n"
    assert ok(cli("supplier", "list", "--json")) == [
        {"owner": "default", "code": "ACME", "name": "Acme Ltd"}]
    again = cli("supplier", "add", "ACME")
    assert again.exit_code == 5
    assert "already exists" in one_error_line(again)


def test_a_purchase_order_is_created_received_in_part_and_its_rest_cancelled(
        cli: Cli, inv: onhand.Inventory) -> None:
    made = ordered(cli, inv)
    assert (made["status"], made["lines"][0]["incoming"], made["lines"][0]["unit_cost"]) == (
        "confirmed", "10", "2.10")
    assert ok(cli("stock", "MUG-BLUE", "--json"))["incoming"] == "10"
    received = ok(cli("po", "receive", "PO-7", "--line", "MUG-BLUE:4", "-l", "WH1/A-01",
                      "--json"))
    assert (received["lines"][0]["received"], received["lines"][0]["incoming"]) == ("4", "6")
    assert inv.history(sku="MUG-BLUE")[-1].unit_cost == Decimal("2.10")
    cancelled = ok(cli("po", "cancel", "PO-7", "--json"))
    assert cancelled["status"] == "closed"
    assert ok(cli("po", "show", "PO-7", "--json"))["lines"][0]["cancelled"] == "6"
    assert [po["reference"] for po in ok(cli("po", "list", "--status", "closed", "--json"))] \
        == ["PO-7"]
    assert "PO-7" in cli("po", "show", "PO-7").stdout
    assert "closed" in cli("po", "list").stdout


def test_a_draft_is_confirmed_before_it_is_received(cli: Cli, inv: onhand.Inventory) -> None:
    mug(inv)
    inv.add_supplier("ACME")
    draft = ok(cli("po", "create", "PO-8", "--supplier", "ACME", "--warehouse", "WH1",
                   "--line", "MUG-BLUE:5", "--expected", "2031-03-01", "--tolerance", "10",
                   "--json"))
    assert (draft["status"], draft["expected_on"], draft["tolerance"]) == (
        "draft", "2031-03-01", "10")
    early = cli("po", "receive", "PO-8")
    assert early.exit_code == 5
    assert "draft" in one_error_line(early)
    assert ok(cli("po", "confirm", "PO-8", "--json"))["status"] == "confirmed"
    assert ok(cli("po", "receive", "PO-8", "--line", "MUG-BLUE:5", "--json"))["status"] == \
        "closed"


def test_receiving_beyond_the_tolerance_fails_naming_the_line_and_writes_nothing(
        cli: Cli, inv: onhand.Inventory) -> None:
    ordered(cli, inv)
    refused = cli("po", "receive", "PO-7", "--line", "MUG-BLUE:11")
    assert refused.exit_code == 4
    assert "line 1" in one_error_line(refused)
    assert inv.stock(sku="MUG-BLUE").on_hand == 0


def test_lots_and_expiry_are_received_with_the_line(cli: Cli, inv: onhand.Inventory) -> None:
    inv.add_item(sku="MILK-1L", name="Milk", tracking="lot")
    inv.add_supplier("ACME")
    ok(cli("po", "create", "PO-9", "--supplier", "ACME", "--warehouse", "WH1", "--line",
           "MILK-1L:6", "--confirm", "--json"))
    no_lot = cli("po", "receive", "PO-9", "--line", "MILK-1L:2")
    assert no_lot.exit_code == 4 and "lot is required" in one_error_line(no_lot)
    ok(cli("po", "receive", "PO-9", "--line", "MILK-1L:2:B-7:2031-01-31", "--json"))
    assert inv.stock(sku="MILK-1L", lot="B-7").on_hand == 2
    clash = cli("po", "receive", "PO-9", "--line", "MILK-1L:2:B-7:2031-02-28")
    assert clash.exit_code == 4 and "expires" in one_error_line(clash)
    bad_date = cli("po", "receive", "PO-9", "--line", "MILK-1L:2:B-7:31/01/2031")
    assert bad_date.exit_code == 4 and "expires_on" in one_error_line(bad_date)


def test_a_return_to_the_supplier_leaves_at_the_received_cost(cli: Cli,
                                                              inv: onhand.Inventory) -> None:
    ordered(cli, inv)
    ok(cli("po", "receive", "PO-7", "-l", "WH1/A-01", "--json"))
    sent = ok(cli("po", "return", "PO-7", "--line", "MUG-BLUE:2", "-l", "WH1/A-01",
                  "--reason", "chipped", "--json"))
    assert sent["lines"][0]["returned"] == "2"
    back = inv.history(sku="MUG-BLUE")[-1]
    assert (back.kind, back.unit_cost, back.reason) == ("supplier_return", Decimal("2.10"),
                                                        "chipped")
    too_many = cli("po", "return", "PO-7", "--line", "MUG-BLUE:9", "-l", "WH1/A-01",
                   "--reason", "chipped")
    assert too_many.exit_code == 4


def test_bad_lines_and_unknown_orders_fail_with_one_error_line(cli: Cli,
                                                               inv: onhand.Inventory) -> None:
    ordered(cli, inv)
    shape = cli("po", "create", "PO-X", "--supplier", "ACME", "--warehouse", "WH1",
                "--line", "MUG-BLUE")
    assert shape.exit_code == 4 and "SKU:QTY[:COST]" in one_error_line(shape)
    cost = cli("po", "create", "PO-X", "--supplier", "ACME", "--warehouse", "WH1",
               "--line", "MUG-BLUE:1:cheap")
    assert cost.exit_code == 4 and "unit_cost" in one_error_line(cost)
    unknown = cli("po", "show", "PO-404")
    assert unknown.exit_code == 3 and "PO-404" in one_error_line(unknown)
    nobody = cli("po", "create", "PO-X", "--supplier", "NOBODY", "--warehouse", "WH1",
                 "--line", "MUG-BLUE:1")
    assert nobody.exit_code == 3
    assert [po.reference for po in inv.purchase_orders()] == ["PO-7"]


def test_a_transfer_is_dispatched_and_received_short_with_a_reason(
        cli: Cli, inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=10, location="WH1/A-01")
    sent = ok(cli("transfer", "dispatch", "TR-1", "--from", "WH1", "--to", "WH2",
                  "--line", "MUG-BLUE:4", "--json"))
    assert sent["status"] == "in_transit"
    assert ok(cli("stock", "MUG-BLUE", "--json"))["in_transit"] == "4"
    short = cli("transfer", "receive", "TR-1", "--line", "MUG-BLUE:3")
    assert short.exit_code == 4 and "reason" in one_error_line(short)
    got = ok(cli("transfer", "receive", "TR-1", "--line", "MUG-BLUE:3", "--reason", "crushed",
                 "--json"))
    assert (got["status"], got["lines"][0]["received"], got["lines"][0]["lost"]) == (
        "received", "3", "1")
    assert ok(cli("transfer", "show", "TR-1", "--json")) == got
    assert "received" in cli("transfer", "show", "TR-1").stdout
    twice = cli("transfer", "receive", "TR-1")
    assert twice.exit_code == 5
    assert inv.stock(sku="MUG-BLUE").by_warehouse["WH2"].on_hand == 3
    assert inv.verify().ok


def test_a_dispatch_may_not_take_reserved_stock(cli: Cli, inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01")
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 4}], warehouse="WH1")
    refused = cli("transfer", "dispatch", "TR-1", "--from", "WH1", "--to", "WH2",
                  "--line", "MUG-BLUE:2")
    assert refused.exit_code == 5 and "reserved" in one_error_line(refused)


def test_a_one_step_transfer_still_moves_stock_at_once(cli: Cli, inv: onhand.Inventory) -> None:
    mug(inv)
    inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01")
    moved = ok(cli("transfer", "MUG-BLUE", "2", "--from", "WH1/A-01", "--to", "WH2", "--json"))
    assert (moved["kind"], moved["target"]) == ("transfer", "WH2")
    assert cli("transfer", "--from", "WH1/A-01", "--to", "WH2", "MUG-BLUE", "1").exit_code == 0
    assert inv.stock(sku="MUG-BLUE", location="WH2").on_hand == 3


def test_every_write_is_audited_with_the_cli_actor(cli: Cli, inv: onhand.Inventory) -> None:
    ordered(cli, inv)
    ok(cli("po", "receive", "PO-7", "--json"))
    ok(cli("transfer", "dispatch", "TR-1", "--from", "WH1", "--to", "WH2", "--line",
           "MUG-BLUE:1", "--json"))
    entries = [e for e in audit.entries(inv.unit_of_work(write=False))
               if not e.actor.startswith("lib:")]  # the test's own setup: the item, locations
    assert [(e.action, e.target) for e in entries] == [
        ("suppliers.add", "ACME"), ("purchase_orders.create", "PO-7"),
        ("purchase_orders.receive", "PO-7"), ("transfers.dispatch", "TR-1")]
    assert all(e.actor.startswith("cli:") for e in entries)
    assert entries[2].detail == {"status": "closed"}
