"""CSV through the `onhand` command line: imports (movements, items, Shopify) and exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import onhand
from tests.e2e.runner import SAMPLE, Cli, one_error_line, write
from tests.factories import mug, stocked

# --- imports and exports ----------------------------------------------------------------------


MOVEMENTS = """kind,sku,qty,location,source,target,reason,unit_cost,occurred_at
receipt,MUG-BLUE,10,WH1/A-01,,,,2.50,2026-03-01T09:00:00Z
transfer,MUG-BLUE,4,,WH1/A-01,WH2,,,2026-03-02T09:00:00Z
adjustment,MUG-BLUE,-1,WH2,,,damaged,,2026-03-03T09:00:00Z
"""


def test_importing_movements_posts_every_row_as_one_batch(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    result = cli("import", "movements", write(tmp_path, "moves.csv", MOVEMENTS))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "imported 3 rows; 3 movements written"
    assert inv.stock(sku="MUG-BLUE", location="WH2").on_hand == 3
    assert [m.kind for m in inv.history(sku="MUG-BLUE")] == ["receipt", "transfer", "adjustment"]


def test_an_import_is_audited_once_as_the_cli_user_and_a_dry_run_not_at_all(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    moves = write(tmp_path, "moves.csv", MOVEMENTS)
    assert cli("import", "movements", moves, "--dry-run").exit_code == 0
    assert cli("import", "movements", moves).exit_code == 0
    entries = json.loads(cli("audit", "--json", "--action", "imports.movements").stdout)
    assert [(e["owner"], e["target"], e["detail"]) for e in entries] == [
        ("default", "3 rows", {"rows": 3, "written": 3})]
    assert entries[0]["actor"].startswith("cli:")
    assert entries[0]["movement_ids"] == [m.id for m in inv.history(sku="MUG-BLUE")]


def test_a_bad_movements_file_reports_every_bad_row_by_line_and_writes_nothing(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    bad = MOVEMENTS + ("shipment,NO-SUCH,1,WH1/A-01,,,,,\n"
                       "\n"
                       "receipt,MUG-BLUE,2.5,WH1/A-01,,,,,\n"
                       "shipment,MUG-BLUE,1,WH9,,,,,\n"
                       "receipt,MUG-BLUE,1,WH1,,,,,yesterday\n")
    result = cli("import", "movements", write(tmp_path, "bad.csv", bad))
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        "line 5: unknown sku 'NO-SUCH'",
        "line 7: qty must be a whole number (the item has no decimals)",
        "line 8: unknown location 'WH9'",
        "line 9: occurred_at is not an ISO 8601 time",
        "error: 4 problems in 7 rows; nothing was written",
    ]
    assert inv.history() == []


def test_a_shortage_in_an_imported_batch_names_the_row_that_causes_it(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    short = "kind,sku,qty,location\nreceipt,MUG-BLUE,2,WH1\nshipment,MUG-BLUE,3,WH1\n"
    result = cli("import", "movements", write(tmp_path, "short.csv", short), "--json")
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert [(r["line"], r["message"]) for r in report["rejected"]] == [
        (3, "insufficient stock of 'MUG-BLUE' at 'WH1': requested 3, available 2")]
    assert inv.history() == []


def test_a_dry_run_checks_every_row_and_writes_nothing(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    result = cli("import", "movements", write(tmp_path, "moves.csv", MOVEMENTS), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nothing was written" in result.stdout
    assert inv.history() == []


def test_an_unknown_column_rejects_the_file_at_its_header(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", "movements", write(tmp_path, "x.csv", "kind,sku,qty,referance\n"))
    assert result.exit_code == 4
    assert one_error_line(result).startswith("error: line 1: unknown column 'referance'")


def test_the_movements_template_is_a_file_that_imports(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    target = tmp_path / "template.csv"
    assert cli("import", "movements", "--template", str(target)).exit_code == 0
    assert cli("import", "movements", "--template").stdout == target.read_text()
    result = cli("import", "movements", str(target))
    assert result.exit_code == 0, result.output
    assert inv.stock(sku="MUG-BLUE").on_hand == 24 - 2 - 1


def test_importing_items_is_all_or_nothing_and_reports_every_bad_row(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    mug(inv)
    bad = ("sku,name,unit,decimals,barcodes\n"
           "ROPE-6MM,Rope 6 mm,m,2,\n"
           "MUG-BLUE,Blue mug again,each,0,\n"
           "CUP-1,Cup,each,9,\n"
           "ROPE-6MM,Rope twice,m,2,\n"
           "CUP-2,Cup,each,0,4006381333932\n")
    result = cli("import", "items", write(tmp_path, "items.csv", bad))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[:4] == [
        "line 3: sku 'MUG-BLUE' already exists",
        "line 4: decimals must be an integer from 0 to 6",
        "line 5: sku 'ROPE-6MM' already exists",
        "line 6: barcode '4006381333932' has a wrong GTIN check digit",
    ]
    assert [item.sku for item in inv.items()] == ["MUG-BLUE"]


def test_items_export_to_a_file_that_imports_into_another_database(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    template = cli("import", "items", "--template").stdout
    assert cli("import", "items", "-", input=template).exit_code == 0
    exported = cli("export", "items", "-")
    other = onhand.open(f"sqlite:///{tmp_path / 'other.db'}")
    report = other.import_items(exported.stdout)
    assert report.ok and report.written == 2
    assert other.items() == inv.items()
    other.close()


def test_the_ledger_exports_to_csv_oldest_first(cli: Cli, inv: onhand.Inventory,
                                               tmp_path: Path) -> None:
    mug(inv)
    inv.import_movements(MOVEMENTS)
    target = tmp_path / "ledger.csv"
    result = cli("export", "movements", str(target), "--since", "2026-03-02")
    assert result.stdout.strip() == f"exported 2 movements to {target}"
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [(r["kind"], r["qty"], r["source"], r["target"]) for r in rows] == [
        ("transfer", "4", "WH1/A-01", "WH2"), ("adjustment", "1", "WH2", "loss")]
    assert len(list(csv.DictReader(io.StringIO(cli("export", "movements").stdout)))) == 3


def test_the_ledger_export_pages_through_shared_instants_without_skipping_or_repeating(
    cli: Cli, inv: onhand.Inventory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("onhand.services.exports.PAGE", 2)
    mug(inv)
    inv.post_batch([{"kind": "receipt", "sku": "MUG-BLUE", "qty": n, "location": "WH1"}
                    for n in range(1, 6)])  # five movements at one instant
    inv.receive(sku="MUG-BLUE", qty=6, location="WH2",
                occurred_at=datetime(2026, 1, 1, tzinfo=UTC))  # a later id, an earlier time
    inv.ship(sku="MUG-BLUE", qty=7, location="WH1")
    rows = list(csv.DictReader(io.StringIO(cli("export", "movements").stdout)))
    assert [r["qty"] for r in rows] == ["6", "1", "2", "3", "4", "5", "7"]


def test_a_shopify_export_opens_balances_then_counts_the_differences(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    places = ["--map", "Main Warehouse=WH1", "--map", "Brooklyn Store=WH2"]
    refused = cli("import", "shopify", str(SAMPLE), *places)
    assert refused.exit_code == 4
    assert "line 2: unknown sku 'TEE-RED-S'" in refused.stderr
    assert "line 14: unknown sku 'CANDLE-LAV-200'" in refused.stderr
    opened = cli("import", "shopify", str(SAMPLE), *places, "--create")
    assert opened.exit_code == 0, opened.output
    assert inv.item("TEE-RED-M").name == "Organic Cotton Tee - Red / M"
    assert inv.item("TOTE-LINEN").name == "Linen Tote Bag"
    assert inv.stock(sku="MUG-BLUE", location="WH1").on_hand == 48
    assert {m.kind for m in inv.history()} == {"receipt"}
    changed = SAMPLE.read_text().replace("0,4,44,48", "0,4,40,44").replace("0,0,0,3,3", "0,0,0,5,5")
    counted = cli("import", "shopify", write(tmp_path, "later.csv", changed), *places)
    assert counted.exit_code == 0, counted.output
    counts = [(m.sku, m.qty, m.source, m.target, m.reason) for m in inv.history()
              if m.kind == "count"]
    assert counts == [("MUG-BLUE", 4, "WH1", "loss", "import"),
                      ("MUG-SAND", 2, "loss", "WH2", "import")]
    assert inv.stock(sku="MUG-SAND", location="WH2").on_hand == 5


def test_a_shopify_count_down_takes_stock_out_of_the_bins_below_the_location(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    stocked(inv, qty=30, location="WH1/A-02")
    inv.receive(sku="MUG-BLUE", qty=5, location="WH1/A-01")
    export = SAMPLE.read_text().splitlines()[0] + "\n" + (
        "stoneware-mug,Stoneware Mug,Color,Blue,,,,,MUG-BLUE,691200,PT,WH1,0,0,0,20,20\n")
    result = cli("import", "shopify", write(tmp_path, "wh1.csv", export))
    assert result.exit_code == 0, result.output
    assert inv.stock(sku="MUG-BLUE", location="WH1").by_location == {
        "WH1/A-02": 20}


def test_importing_the_same_file_again_under_its_key_writes_nothing_and_says_so(
    cli: Cli, inv: onhand.Inventory, tmp_path: Path,
) -> None:
    stocked(inv, qty=3)
    moves = tmp_path / "moves.csv"
    moves.write_text("kind,sku,qty,location\nshipment,MUG-BLUE,3,WH1/A-01\n")
    first = cli("import", "movements", str(moves), "--key", "batch-1")
    assert first.exit_code == 0, first.output
    again = cli("import", "movements", str(moves), "--key", "batch-1")
    assert again.exit_code == 0, again.output  # not "insufficient stock": it is a retry
    assert "already imported under this key (1 movements); nothing was written" in again.stdout
    assert inv.stock(sku="MUG-BLUE").on_hand == 0
