"""End to end: ``onhand valuation`` and ``onhand cogs`` as a user types them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import onhand
from onhand.services import audit
from tests.e2e.runner import Cli, one_error_line
from tests.factories import mug


@pytest.fixture
def sold(inv: onhand.Inventory) -> onhand.Inventory:
    """FIFO: 10 at 2.00 on Mar 2, 5 at 3.00 on Mar 3, 12 shipped on Mar 4 (COGS 20.00 + 2 ×
    3.00 = 26.00), leaving 3 at 3.00 = 9.00."""
    mug(inv)
    for day, qty, cost in ((2, 10, "2.00"), (3, 5, "3.00")):
        inv.receive(sku="MUG-BLUE", qty=qty, location="WH1/A-01", unit_cost=Decimal(cost),
                    occurred_at=datetime(2026, 3, day, 12, tzinfo=UTC))
    inv.ship(sku="MUG-BLUE", qty=12, location="WH1/A-01",
             occurred_at=datetime(2026, 3, 4, 12, tzinfo=UTC))
    return inv


def test_valuation_shows_the_value_now_and_at_a_date(cli: Cli, sold: onhand.Inventory) -> None:
    [now] = json.loads(cli("valuation", "--json").stdout)
    assert (now["sku"], now["on_hand"], now["value"], now["currency"]) == (
        "MUG-BLUE", "3", "9.00", "USD")
    [before] = json.loads(cli("valuation", "--as-of", "2026-03-03", "--json").stdout)
    assert (before["on_hand"], before["value"]) == ("15", "35.00")
    table = cli("valuation", "--sku", "MUG-BLUE")
    assert table.exit_code == 0 and "9.00" in table.stdout and "fifo" in table.stdout


def test_cogs_prints_the_periods_cost_as_json_and_csv(cli: Cli, sold: onhand.Inventory) -> None:
    [march] = json.loads(cli("cogs", "--since", "2026-03-01", "--until", "2026-03-31",
                             "--json").stdout)
    assert (march["sold"], march["cogs"], march["unpriced"]) == ("12", "26.00", "12")
    rows = list(csv.DictReader(io.StringIO(
        cli("cogs", "--since", "2026-03-04", "--until", "2026-03-04", "--csv").stdout)))
    assert [(r["sku"], r["sold"], r["cogs"]) for r in rows] == [("MUG-BLUE", "12", "26.00")]
    empty = cli("cogs", "--since", "2026-04-01", "--until", "2026-04-30", "--csv").stdout
    assert empty.splitlines()[0].startswith("owner,sku,currency,sold,")
    [month] = json.loads(cli("cogs", "--since", "2026-01-01", "--until", "2026-12-31",
                             "--by", "month", "--json").stdout)
    assert (month["period"], month["sold"], month["cogs"]) == ("2026-03-01", "12", "26.00")


def test_a_bad_date_is_one_error_line_naming_it(cli: Cli, sold: onhand.Inventory) -> None:
    bad = cli("valuation", "--as-of", "March")
    assert bad.exit_code == 4 and "as_of" in one_error_line(bad)
    backwards = cli("cogs", "--since", "2026-03-02", "--until", "2026-03-01")
    assert backwards.exit_code == 4 and "since" in one_error_line(backwards)


def test_a_closed_period_refuses_backdated_movements_until_reopened(
        cli: Cli, sold: onhand.Inventory) -> None:
    closed = cli("close-period", "--until", "2026-03-31")
    assert (closed.exit_code, closed.stdout) == (0, "default: closed through 2026-03-31\n")
    late = cli("receive", "MUG-BLUE", "1", "--location", "WH1/A-01", "--at", "2026-03-20")
    assert (late.exit_code, one_error_line(late)) == (
        5, "error: 2026-03-20T00:00:00+00:00 falls in a period owner 'default' has closed: "
           "movements must be dated from 2026-04-01T00:00:00+00:00")
    reopened = cli("reopen-period", "--through", "2026-03-10")
    assert (reopened.exit_code, reopened.stdout) == (0, "default: closed through 2026-03-10\n")
    assert cli("receive", "MUG-BLUE", "1", "--location", "WH1/A-01",
               "--at", "2026-03-20").exit_code == 0
    assert sold.closed_through() == date(2026, 3, 10)
    entries = [(e.action, e.target, e.detail) for e in audit.entries(
        sold.unit_of_work(write=False), limit=10) if e.action.startswith("periods.")]
    assert entries == [("periods.close", "2026-03-31", {"until": "2026-03-31"}),
                       ("periods.reopen", "2026-03-10",
                        {"through": "2026-03-10", "was": "2026-03-31"})]
    refused = cli("close-period", "--until", "2026-03-31T12:00Z")
    assert refused.exit_code == 4 and "until" in one_error_line(refused)


def test_the_journal_is_exported_once_per_period_unless_asked_again(
        cli: Cli, sold: onhand.Inventory, tmp_path: Path) -> None:
    """Receipts 20.00 + 15.00 = 35.00; the sale of 12 cost 26.00; inventory nets 9.00."""
    printed = cli("export-journal", "--since", "2026-03-01", "--until", "2026-03-31",
                  "--account", "inventory=1400")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout.splitlines()[1:] == [
        "default,USD,2026-03-01,2026-03-31,inventory,1400,9.00,0.00",
        "default,USD,2026-03-01,2026-03-31,cogs,Cost of Goods Sold,26.00,0.00",
        "default,USD,2026-03-01,2026-03-31,grni,Goods Received Not Invoiced,0.00,35.00"]
    twice = cli("export-journal", "--since", "2026-03-04", "--until", "2026-03-04")
    assert twice.exit_code == 5 and "exported already" in one_error_line(twice)
    written = cli("export-journal", "--since", "2026-03-01", "--until", "2026-03-31",
                  "--format", "qbo", "--again", "--out", str(tmp_path))
    [path] = written.stdout.split()
    assert Path(path).read_text().startswith(
        "Journal No,Journal Date,Account Name,Debits,Credits,Description,Name\n"
        "2,03/31/2026,Inventory Asset,9.00,,")
    bad = cli("export-journal", "--since", "2026-03-01", "--until", "2026-03-31",
              "--account", "inventory", "--again")
    assert bad.exit_code == 4 and "ROLE=CODE" in one_error_line(bad)


def test_valuation_by_warehouse_and_owner_and_each_movements_value(
        cli: Cli, sold: onhand.Inventory) -> None:
    """The 3 left at 3.00 lie in WH1: by warehouse one row, 9.00; the owner's total 9.00.
    The value entries: +20.00, +15.00, then the sale of 12 at −26.00; a receipt of 2 at
    1.00 dated Mar 1 then makes the sale take 2 × 1.00 + 10 × 2.00 = 22.00, a revaluation
    of +4.00 dated Mar 4."""
    [wh1] = json.loads(cli("valuation", "--by", "warehouse", "--json").stdout)
    assert (wh1["location"], wh1["on_hand"], wh1["value"]) == ("WH1", "3", "9.00")
    [total] = json.loads(cli("valuation", "--by", "owner", "--json").stdout)
    assert (total["owner"], total["items"], total["value"]) == ("default", "1", "9.00")
    sold.receive(sku="MUG-BLUE", qty=2, location="WH1/A-01", unit_cost=Decimal("1.00"),
                 occurred_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    found = json.loads(cli("value-entries", "--sku", "MUG-BLUE", "--json").stdout)
    assert [(e["category"], e["qty"], e["value"], e["cause_id"] is not None) for e in found] == [
        ("receipt", "2", "2.00", False), ("receipt", "10", "20.00", False),
        ("receipt", "5", "15.00", False), ("sale", "-12", "-26.00", False),
        ("sale", "0", "4.00", True)]
    table = cli("value-entries", "--sku", "MUG-BLUE")
    assert table.exit_code == 0 and "backdated #" in table.stdout
    bad = cli("valuation", "--by", "shelf")
    assert bad.exit_code == 4 and "by must be one of" in one_error_line(bad)
