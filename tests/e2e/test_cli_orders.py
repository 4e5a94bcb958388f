"""The order, hold, events, safety-stock and sellable-location commands, end to end.

Each command runs through Typer's runner on the test's database (``events --follow`` once as
a real process, stopped with Ctrl-C); what it printed is checked against the inventory read
through the library, and every write against the audit trail.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

import onhand
from onhand.services import audit
from tests.e2e.runner import Cli, one_error_line
from tests.factories import mug, stocked


def out(result: Any) -> Any:
    """Return the JSON a successful command printed."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def actions(inv: onhand.Inventory) -> list[tuple[str, str | None]]:
    """Return the audit trail's (action, target) pairs of the CLI's writes, oldest first."""
    return [(entry.action, entry.target)
            for entry in audit.entries(inv.unit_of_work(write=False), limit=1000)
            if entry.actor.startswith("cli:")]  # not the library's, setting up the test


# --- orders ------------------------------------------------------------------------------------


def test_an_order_is_created_shipped_and_partly_returned(cli: Cli,
                                                         inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    created = out(cli("order", "create", "SHOP-1001", "--line", "MUG-BLUE:3:9.50", "--json"))
    assert (created["status"], created["lines"][0]["reserved"]) == ("open", "3")
    assert created["lines"][0]["unit_price"] == "9.50"
    picks = out(cli("order", "pick-list", "SHOP-1001", "--json"))
    assert picks == [{"line": 1, "sku": "MUG-BLUE", "location": "WH1/A-01", "lot": None,
                      "qty": "3"}]

    shipped = out(cli("order", "ship", "SHOP-1001", "--key", "ship-1", "--json"))
    again = out(cli("order", "ship", "SHOP-1001", "--key", "ship-1", "--json"))
    returned = cli("order", "return", "SHOP-1001", "--line", "MUG-BLUE:1", "-l", "WH2",
                   "--reason", "dented")

    assert (shipped["status"], again["movement_ids"]) == ("completed", shipped["movement_ids"])
    assert returned.exit_code == 0, returned.output
    assert "SHOP-1001 (default): completed" in returned.stdout
    assert inv.order("SHOP-1001").lines[0].returned == 1
    assert inv.stock(sku="MUG-BLUE").on_hand == 10 - 3 + 1
    # the retried ship was answered from its key: nothing written, nothing audited again
    assert actions(inv) == [("orders.create", "SHOP-1001"), ("orders.ship", "SHOP-1001"),
                            ("orders.return", "SHOP-1001")]
    entry = audit.entries(inv.unit_of_work(write=False), action="orders.create", limit=1)[0]
    assert entry.actor.startswith("cli:") and entry.detail == {"status": "open"}


def test_an_order_is_raised_cancelled_in_part_then_whole(cli: Cli,
                                                         inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    cli("order", "create", "SO-1", "--line", "MUG-BLUE:2")

    raised = out(cli("order", "update", "SO-1", "--line", "MUG-BLUE:5", "--json"))
    part = out(cli("order", "cancel", "SO-1", "--line", "MUG-BLUE:1", "--reason", "one less",
                   "--json"))
    whole = cli("order", "cancel", "SO-1")

    assert raised["lines"][0]["reserved"] == "5"
    assert (part["lines"][0]["reserved"], part["lines"][0]["cancelled"]) == ("4", "1")
    assert whole.exit_code == 0 and "SO-1 (default): cancelled" in whole.stdout
    assert inv.stock(sku="MUG-BLUE").reserved == 0


def test_a_backorder_is_filled_when_stock_arrives_and_orders_list_by_status(
        cli: Cli, inv: onhand.Inventory) -> None:
    stocked(inv, qty=2)
    back = out(cli("order", "create", "BACK-1", "--line", "MUG-BLUE:5", "--policy", "backorder",
                   "--warehouse", "WH1", "--priority", "3", "--json"))
    assert (back["lines"][0]["reserved"], back["lines"][0]["backordered"]) == ("2", "3")
    cli("order", "create", "SO-2", "--line", "MUG-BLUE:1", "--policy", "backorder")
    cli("order", "cancel", "SO-2")

    inv.receive(sku="MUG-BLUE", qty=3, location="WH1/A-01")

    assert out(cli("order", "show", "BACK-1", "--json"))["lines"][0]["backordered"] == "0"
    listed = out(cli("order", "list", "--status", "open", "--json"))
    assert [o["reference"] for o in listed] == ["BACK-1"]
    first = out(cli("order", "list", "--limit", "1", "--json"))
    rest = out(cli("order", "list", "--after", str(first[0]["id"]), "--json"))
    assert [o["reference"] for o in first + rest] == ["BACK-1", "SO-2"]
    assert "BACK-1" in cli("order", "list").stdout


# --- holds -------------------------------------------------------------------------------------


def test_a_hold_is_placed_then_confirmed_and_another_released(cli: Cli,
                                                              inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    held = out(cli("hold", "place", "CART-1", "--line", "MUG-BLUE:2", "--ttl", "10m", "--json"))
    assert held["status"] == "held" and held["expires_at"]
    cli("hold", "place", "CART-2", "--line", "MUG-BLUE:3", "--ttl", "90s")
    assert inv.stock(sku="MUG-BLUE").reserved == 5

    confirmed = out(cli("hold", "confirm", "CART-1", "--json"))
    released = cli("hold", "release", "CART-2")

    assert (confirmed["status"], confirmed["expires_at"]) == ("open", None)
    assert released.exit_code == 0 and "CART-2 (default): released" in released.stdout
    assert out(cli("hold", "show", "CART-2", "--json"))["status"] == "released"
    assert inv.stock(sku="MUG-BLUE").reserved == 2


def test_an_expired_hold_cannot_be_confirmed(cli: Cli, inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    inv.place_hold("CART-3", [{"sku": "MUG-BLUE", "qty": 1}], ttl=timedelta(seconds=1))
    time.sleep(1.1)

    result = cli("hold", "confirm", "CART-3")

    assert result.exit_code == 5
    assert one_error_line(result).startswith("error: hold 'CART-3' expired at ")


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "message"), [
    (["order", "show", "NOPE-1"], 3, "error: unknown order 'NOPE-1'"),
    (["order", "ship", "SO-1", "--owner", "acme"], 3, "error: unknown order 'SO-1'"),
    (["order", "ship", "SO-1", "--line", "MUG-BLUE:4"], 4,
     "error: line 1: qty exceeds what the order has reserved (3)"),
    (["order", "return", "SO-1", "--line", "MUG-BLUE:1", "-l", "WH1", "--reason", "dented"], 4,
     "error: line 1: qty exceeds what the order shipped and has not had returned (0)"),
    (["order", "create", "SO-2", "--line", "MUG-BLUE"], 4,
     "error: --line 'MUG-BLUE' is not SKU:QTY[:PRICE]"),
    (["order", "create", "SO-2", "--line", "MUG-BLUE:1:cheap"], 4,
     "error: unit_price is not a plain amount like 2.50"),
    (["order", "create", "SO-2", "--line", "MUG-BLUE:8"], 5,
     "error: line 1: insufficient stock of 'MUG-BLUE' at 'any warehouse': requested 8, "
     "available 7"),
    (["order", "create", "SO-1", "--line", "MUG-BLUE:2"], 5,
     "error: order 'SO-1' already exists with other lines or terms"),
    (["hold", "place", "CART-1", "--line", "MUG-BLUE:1", "--ttl", "soon"], 4,
     "error: --ttl 'soon' is not a duration like 90s, 15m, 2h or 1d"),
])
def test_an_order_error_prints_one_line_exits_with_its_code_and_writes_nothing(
        cli: Cli, inv: onhand.Inventory, args: list[str], code: int, message: str) -> None:
    stocked(inv, qty=10)
    inv.add_owner("acme")
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 3}])
    before = (inv.order("SO-1"), [e.id for e in inv.events(limit=1000)], actions(inv))

    result = cli(*args)

    assert (result.exit_code, one_error_line(result)) == (code, message)
    assert (inv.order("SO-1"), [e.id for e in inv.events(limit=1000)], actions(inv)) == before


# --- events ------------------------------------------------------------------------------------


def test_events_are_read_from_a_cursor_in_commit_order(cli: Cli, inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    first = out(cli("events", "--json"))
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 3}])

    fresh = out(cli("events", "--cursor", str(first["next_cursor"]), "--json"))

    assert [e["id"] for e in fresh["events"]] == list(
        range(first["next_cursor"] + 1, fresh["next_cursor"] + 1))
    assert any(e["type"] == "stock.changed" and e["data"]["available"] == "7"
               for e in fresh["events"])
    text = cli("events", "--cursor", str(first["next_cursor"]))
    assert text.stdout.startswith(f"#{first['next_cursor'] + 1} ")
    assert f"next: --cursor {fresh['next_cursor']}" in text.stderr


def _lines(stream: Any) -> queue.Queue[str]:
    """Return a queue filled with ``stream``'s lines by a reader thread."""
    found: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [found.put(line) for line in stream], daemon=True).start()
    return found


def test_events_follow_prints_new_events_until_interrupted(database_url: str,
                                                           inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    start = inv.events(limit=1000)[-1].id
    follow = subprocess.Popen(
        [sys.executable, "-m", "onhand", "--db", database_url, "events", "--follow", "--json",
         "--interval", "0.1", "--cursor", str(start)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # a shell's background job starts with Ctrl-C ignored; the command runs as in a terminal
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        printed = _lines(follow.stdout)
        time.sleep(1)  # the command is polling
        inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 3}])
        event = json.loads(printed.get(timeout=30))
        follow.send_signal(signal.SIGINT)
        _, errors = follow.communicate(timeout=30)
    finally:
        follow.kill()
        follow.communicate()

    assert (event["id"], event["type"]) == (start + 1, "stock.changed")
    assert follow.returncode == 0
    assert "stopped; resume with --cursor" in errors


# --- safety stock and sellable locations ---------------------------------------------------------


def test_safety_stock_and_a_non_sellable_location_keep_units_out_of_available(
        cli: Cli, inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch) -> None:
    stocked(inv, qty=10)
    assert cli("location", "add", "WH1/DAMAGED", "--not-sellable").exit_code == 0
    listed = json.loads(cli("location", "list", "--json").stdout)
    assert [place["sellable"] for place in listed if place["path"] == "WH1/DAMAGED"] == [False]
    inv.transfer(sku="MUG-BLUE", qty=2, source="WH1/A-01", target="WH1/DAMAGED")

    done = cli("safety-stock", "set", "MUG-BLUE", "3", "--warehouse", "WH1")

    assert done.stdout == "safety stock of MUG-BLUE in WH1: 3\n"
    level = out(cli("stock", "MUG-BLUE", "--json"))
    assert (level["non_sellable"], level["safety_stock"], level["available"]) == ("2", "3", "5")
    inv.create_order("SO-1", [{"sku": "MUG-BLUE", "qty": 1}])
    monkeypatch.setenv("COLUMNS", "200")  # the table on one line per row
    table = cli("stock", "MUG-BLUE").stdout.splitlines()
    header = next(line for line in table if "Reserved" in line)
    row = next(line for line in table if "MUG-BLUE" in line)
    assert [cell.strip() for cell in header.split("┃")[3:10]] == [
        "On hand", "Reserved", "Available", "Backordered", "Incoming", "In transit",
        "Not sellable"]
    assert [cell.strip() for cell in row.split("│")[3:10]] == ["10", "1", "4", "0", "0", "0",
                                                               "2"]
    assert cli("location", "set", "WH1/DAMAGED", "--sellable").exit_code == 0
    assert inv.stock(sku="MUG-BLUE").available == 6  # 10 - 1 reserved - 3 safety stock
    assert actions(inv) == [("locations.add", "WH1/DAMAGED"), ("stock.safety_stock", "MUG-BLUE"),
                            ("locations.sellable", "WH1/DAMAGED")]
    unsaid = cli("location", "set", "WH1/DAMAGED")
    assert (unsaid.exit_code, one_error_line(unsaid)) == (
        4, "error: say --sellable or --not-sellable")


def test_safety_stock_needs_a_warehouse_not_a_bin(cli: Cli, inv: onhand.Inventory) -> None:
    mug(inv)
    result = cli("safety-stock", "set", "MUG-BLUE", "1", "--warehouse", "WH1/A-01")
    assert result.exit_code == 4
    assert "is not a warehouse" in one_error_line(result)
