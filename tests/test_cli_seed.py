"""The seed scenario from the README, end to end through the real command line."""

from __future__ import annotations

from tests.conftest import Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL


def test_seed_scenario(contract: Ledger) -> None:
    ledger = contract
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "25")
    first = ledger.ok("bill", "--pieces", "5")
    assert (first["amount"], first["amount_minor"], first["currency"]) == ("25.00", 2500, "USD")
    assert ledger.ok("release", str(first["id"]))["status"] == "released"

    more = ledger.run("bill", "--pieces", "1")
    assert more.code == 1
    assert "milestone cap 25.00 USD has 0.00 USD left" in more.err

    ledger.ok("milestone", "add", "photos/ana", "--cap", "25")
    over = ledger.run("--json", "bill", "--pieces", "6")
    assert over.code == 1
    assert over.error["code"] == "exceeds_milestone_cap"
    assert "this bill is 30.00 USD" in over.error["message"]
    second = ledger.ok("bill", "--pieces", "5")
    ledger.ok("release", str(second["id"]))

    ended = ledger.ok("end", "photos/ana")
    assert (ended["refunded"], ended["status"]) == ("50.00", "ended")

    report = ledger.ok("report")
    (row,) = report["rows"]
    assert row["campaign"] == "photos"
    assert (row["funded"], row["released"], row["refunded"], row["escrow"], row["available"]) == (
        "100.00",
        "50.00",
        "50.00",
        "0.00",
        "0.00",
    )
    assert (row["funded_minor"], row["released_minor"], row["refunded_minor"]) == (10000, 5000, 5000)
    assert row["pieces_released"] == "10"
    assert report["totals"] == [{k: v for k, v in row.items() if k in report["totals"][0]}]
    assert ledger.run("verify").code == 0


def test_seed_scenario_table_output(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "25")
    contract.ok("release", str(contract.ok("bill", "--pieces", "5")["id"]))
    contract.ok("end", "photos/ana")
    table = contract.run("report")
    assert table.code == 0
    header, line = table.out.splitlines()[:2]
    assert header.split()[:4] == ["Campaign", "Unit", "Cur", "Funded"]
    assert line.split()[:7] == ["photos", "photo", "USD", "100.00", "25.00", "75.00", "0.00"]
