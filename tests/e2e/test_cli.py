"""The `onhand` command line, end to end through Typer's runner (and once as a real process)."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

import onhand
from onhand.cli import app
from tests.e2e.runner import Cli, one_error_line
from tests.factories import mug, rope, stocked

# --- catalog ----------------------------------------------------------------------------------


def test_init_creates_the_database_and_names_it(cli: Cli) -> None:
    result = cli("init")
    assert result.exit_code == 0
    assert result.stdout.startswith("database ready: ")


def test_items_are_added_listed_and_shown_with_their_stock(cli: Cli,
                                                          inv: onhand.Inventory) -> None:
    added = cli("item", "add", "ROPE-10MM", "Rope 10 mm", "--unit", "m", "--decimals", "2",
                "--barcode", "4006381333931")
    assert added.exit_code == 0, added.output
    inv.receive(sku="ROPE-10MM", qty=Decimal("12.5"), location="WH1/A-01")
    listed = json.loads(cli("item", "list", "--json").stdout)
    assert [(i["sku"], i["unit"], i["decimals"], i["barcodes"]) for i in listed] == [
        ("ROPE-10MM", "m", 2, ["4006381333931"])]
    shown = json.loads(cli("item", "show", "ROPE-10MM", "--json").stdout)
    assert shown["stock"]["on_hand"] == "12.50"
    assert shown["stock"]["by_location"] == {"WH1/A-01": "12.50"}
    assert "ROPE-10MM" in cli("item", "list").stdout


def test_an_added_item_is_audited_as_the_cli_user(cli: Cli) -> None:
    assert cli("item", "add", "CUP-1", "Cup").exit_code == 0
    entries = json.loads(cli("audit", "--json", "--action", "items.add").stdout)
    assert [(e["target"], e["owner"], e["actor"]) for e in entries] == [
        ("CUP-1", "default", f"cli:{getpass.getuser()}")]


def test_locations_are_added_and_listed_with_the_virtual_ones(cli: Cli) -> None:
    assert cli("location", "add", "WH3").exit_code == 0
    assert cli("location", "add", "WH3/B-07", "--name", "Bay 7").exit_code == 0
    places = {p["path"]: p for p in json.loads(cli("location", "list", "--json").stdout)}
    assert places["WH3/B-07"] == {"path": "WH3/B-07", "kind": "internal", "name": "Bay 7",
                                  "sellable": True}
    assert places["customer"]["kind"] == "virtual"


def test_owners_are_added_with_a_currency_and_a_time_zone_and_listed(cli: Cli) -> None:
    added = cli("owner", "add", "globex", "--currency", "EUR", "--time-zone", "Europe/Paris")
    assert (added.exit_code, added.stdout.strip()) == (0, "added owner globex")
    assert json.loads(cli("owner", "list", "--json").stdout) == [
        {"code": "default", "name": "Default", "currency": "USD", "time_zone": "UTC"},
        {"code": "globex", "name": "globex", "currency": "EUR", "time_zone": "Europe/Paris"}]
    assert "Europe/Paris" in cli("owner", "list").stdout
    refused = cli("owner", "add", "initech", "--currency", "EURO")
    assert refused.exit_code != 0 and "currency" in refused.stderr


# --- postings ---------------------------------------------------------------------------------


def test_receiving_and_shipping_change_the_stock_and_a_retried_key_posts_once(
    cli: Cli, inv: onhand.Inventory,
) -> None:
    mug(inv)
    for _ in range(2):
        received = cli("receive", "MUG-BLUE", "10", "--location", "WH1/A-01", "--cost", "2.50",
                       "--ref", "PO-7", "--key", "k1", "--json")
        assert received.exit_code == 0, received.output
    receipt = json.loads(received.stdout)
    assert (receipt["kind"], receipt["qty"], receipt["unit_cost"]) == ("receipt", "10", "2.50")
    shipped = cli("ship", "MUG-BLUE", "3", "-l", "WH1/A-01", "--ref", "SO-1")
    assert shipped.stdout.startswith(f"#{receipt['id'] + 1} shipment 3 MUG-BLUE WH1/A-01 ->")
    level = json.loads(cli("stock", "MUG-BLUE", "--json").stdout)
    assert (level["on_hand"], level["available"]) == ("7", "7")


def test_adjust_takes_a_negative_quantity_as_an_argument(cli: Cli,
                                                        inv: onhand.Inventory) -> None:
    stocked(inv, qty=10)
    result = cli("adjust", "MUG-BLUE", "-2", "--location", "WH1/A-01", "--reason", "damaged")
    assert result.exit_code == 0, result.output
    assert "adjustment 2 MUG-BLUE WH1/A-01 -> loss (damaged)" in result.stdout
    assert inv.stock(sku="MUG-BLUE").on_hand == 8


def test_scrap_transfer_return_and_reverse_route_stock_between_locations(
    cli: Cli, inv: onhand.Inventory,
) -> None:
    stocked(inv, qty=10)
    assert cli("scrap", "MUG-BLUE", "1", "-l", "WH1/A-01", "--reason", "broken").exit_code == 0
    moved = cli("transfer", "MUG-BLUE", "4", "--from", "WH1/A-01", "--to", "WH2", "--json")
    assert json.loads(moved.stdout)["target"] == "WH2"
    shipment = json.loads(cli("ship", "MUG-BLUE", "2", "-l", "WH2", "--json").stdout)
    back = cli("return", "MUG-BLUE", "1", "-l", "WH2", "--shipment", str(shipment["id"]),
               "--json")
    assert back.exit_code == 0, back.output
    refused = cli("reverse", str(shipment["id"]), "--reason", "typo")  # it has a return
    assert (refused.exit_code, one_error_line(refused)) == (
        5, f"error: shipment {shipment['id']} has returns; reverse them first")
    assert cli("reverse", str(json.loads(back.stdout)["id"]), "--reason", "typo").exit_code == 0
    undone = json.loads(cli("reverse", str(shipment["id"]), "--reason", "typo", "--json").stdout)
    assert undone["reverses"] == shipment["id"]
    assert inv.stock(sku="MUG-BLUE", location="WH2").on_hand == 4 - 2 + 1 - 1 + 2
    assert inv.stock(sku="MUG-BLUE").on_hand == 10 - 1


def test_quantities_typed_on_the_command_line_stay_exact(cli: Cli,
                                                        inv: onhand.Inventory) -> None:
    rope(inv)
    for _ in range(3):
        assert cli("receive", "ROPE-10MM", "0.1", "-l", "WH1").exit_code == 0
    assert inv.stock(sku="ROPE-10MM").on_hand == Decimal("0.30")
    assert json.loads(cli("stock", "ROPE-10MM", "--json").stdout)["on_hand"] == "0.30"


def test_a_backdated_receipt_shows_in_stock_as_of_a_later_time_only(
    cli: Cli, inv: onhand.Inventory,
) -> None:
    mug(inv)
    cli("receive", "MUG-BLUE", "5", "-l", "WH2", "--at", "2026-01-10T09:00:00+01:00")
    cli("receive", "MUG-BLUE", "7", "-l", "WH2", "--at", "2026-02-01T09:00:00Z")
    before = json.loads(cli("stock", "MUG-BLUE", "--as-of", "2026-01-31", "--json").stdout)
    assert before["on_hand"] == "5"
    everything = json.loads(cli("stock", "--json").stdout)
    assert [(s["sku"], s["on_hand"]) for s in everything] == [("MUG-BLUE", "12")]
    moves = json.loads(cli("history", "MUG-BLUE", "--since", "2026-02-01", "--json").stdout)
    assert [m["qty"] for m in moves] == ["7"]
    assert moves[0]["occurred_at"] == "2026-02-01T09:00:00+00:00"


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "message"), [
    (["ship", "MUG-BLUE", "4", "-l", "WH1/A-01"], 5,
     "error: insufficient stock of 'MUG-BLUE' at 'WH1/A-01': requested 4, available 3"),
    (["ship", "NO-SUCH-SKU", "1", "-l", "WH1/A-01"], 3, "error: unknown sku 'NO-SUCH-SKU'"),
    (["ship", "MUG-BLUE", "1", "-l", "WH9"], 3, "error: unknown location 'WH9'"),
    (["ship", "MUG-BLUE", "1.5", "-l", "WH1/A-01"], 4,
     "error: qty must be a whole number (the item has no decimals)"),
    (["ship", "MUG-BLUE", "lots", "-l", "WH1/A-01"], 4,
     "error: qty is not a plain number like 3, -2 or 1.25"),
    (["receive", "MUG-BLUE", "1e3", "-l", "WH1"], 4,
     "error: qty is not a plain number like 3, -2 or 1.25"),
    (["receive", "MUG-BLUE", "-3", "-l", "WH1"], 4, "error: qty must be positive"),
    (["receive", "MUG-BLUE", "1", "-l", "WH1", "--cost", "cheap"], 4,
     "error: unit_cost is not a plain amount like 2.50"),
    (["receive", "MUG-BLUE", "1", "-l", "WH1", "--at", "2026-01-10T09:00"], 4,
     "error: occurred_at must carry a UTC offset (e.g. 2026-01-31T12:00Z)"),
    (["item", "add", "MUG-BLUE", "Another mug"], 5, "error: sku 'MUG-BLUE' already exists"),
    (["reverse", "999", "--reason", "typo"], 3, "error: unknown movement 999"),
])
def test_a_user_error_prints_one_line_and_exits_with_the_code_of_its_kind(
    cli: Cli, inv: onhand.Inventory, args: list[str], code: int, message: str,
) -> None:
    stocked(inv, qty=3)
    result = cli(*args)
    assert result.exit_code == code
    assert one_error_line(result) == message
    assert inv.stock(sku="MUG-BLUE").on_hand == 3


def test_a_wrong_command_line_is_a_usage_error(cli: Cli) -> None:
    result = cli("adjust", "MUG-BLUE", "-2", "--location", "WH1")
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.stderr


def test_verify_passes_on_a_sound_ledger_and_fails_on_a_tampered_one(
    cli: Cli, inv: onhand.Inventory, database_url: str,
) -> None:
    stocked(inv, qty=3)
    assert cli("verify").stdout.startswith("ok: 1 movements")
    assert json.loads(cli("verify", "--json").stdout)["ok"] is True
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE balances SET qty = qty + 100"))  # behind onhand's back
    engine.dispose()
    failed = cli("verify")
    assert failed.exit_code == 1
    assert "balance row says" in failed.stderr
    assert failed.stderr.splitlines()[-1].startswith("error: verify found")
    assert json.loads(cli("verify", "--json").stdout)["ok"] is False


# --- the demo and the real program ------------------------------------------------------------


def test_the_demo_builds_a_sound_database_and_running_it_again_adds_nothing(
    cli: Cli, inv: onhand.Inventory,
) -> None:
    built = cli("demo")
    assert built.exit_code == 0, built.output
    assert "demo built: 34 items" in built.stdout and "MUG-BLUE" in built.stdout
    movements = len(inv.history(limit=100_000))
    assert movements > 1000
    assert {m.kind for m in inv.history(limit=100_000)} == {
        "receipt", "shipment", "return", "scrap", "adjustment", "transfer"}
    assert inv.verify().ok
    again = cli("demo")
    assert again.exit_code == 0 and "already there" in again.stdout
    assert len(inv.history(limit=100_000)) == movements


def test_the_demo_refuses_a_database_that_holds_other_items(cli: Cli,
                                                           inv: onhand.Inventory) -> None:
    mug(inv, "OWN-ITEM")
    result = cli("demo")
    assert result.exit_code == 5
    assert one_error_line(result) == ("error: this database already holds items; build the "
                                      "demo into an empty database")


def test_the_installed_console_script_reports_errors_in_one_line(database_url: str) -> None:
    script = Path(sys.executable).parent / "onhand"
    ran = subprocess.run([str(script), "--db", database_url, "ship", "MUG-BLUE", "1", "-l", "WH1"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert (ran.returncode, ran.stderr, ran.stdout) == (3, "error: unknown sku 'MUG-BLUE'\n", "")
    listed = subprocess.run([sys.executable, "-m", "onhand", "--db", database_url, "location",
                             "list", "--json"], capture_output=True, text=True, timeout=60,
                            check=True)
    assert {p["path"] for p in json.loads(listed.stdout)} >= {"supplier", "customer", "loss"}
    missing = subprocess.run([str(script), "--db", database_url, "adjust", "MUG-BLUE", "-2",
                              "-l", "WH1"], capture_output=True, text=True, timeout=60, check=False)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == "error: Missing option '--reason'. (see onhand adjust --help)\n"


def test_a_database_that_cannot_be_opened_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'shop.db'}"
    result = CliRunner().invoke(app, ["--db", url, "stock"])
    assert result.exit_code == 7
    assert one_error_line(result).startswith(f"error: cannot open the database {url}: ")
