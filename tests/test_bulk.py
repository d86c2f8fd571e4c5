"""bill --from FILE: many bills, every rule, all-or-nothing or --partial, each row once."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL


@pytest.fixture
def rows(ledger: Ledger) -> Ledger:
    """Campaign rows at 0.01 a row with two contracts, ana with 1.00 in escrow and a 0.50
    milestone cap, bo with 100.00."""
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01")
    for worker in ("ana", "bo"):
        ledger.ok("worker", "add", worker)
        ledger.ok("offer", "create", "rows", worker)
        ledger.ok("offer", "accept", f"rows/{worker}")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "1", "--cap", "0.50")
    ledger.ok("milestone", "add", "rows/bo", "--top-up", "100")
    return ledger


def write(path: Path, header: str, *lines: str) -> str:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return str(path)


def pending(ledger: Ledger) -> dict[str, str]:
    return {r["contract"]: r["pieces_pending"] for r in ledger.ok("report", "--by", "contract")["rows"]}


def test_every_row_is_billed_in_one_go(rows: Ledger, tmp_path: Path) -> None:
    source = write(
        tmp_path / "a.csv",
        "contract,pieces,note,minutes,date,proof",
        "rows/ana,20,first,5,,",
        "rows/bo,30,,,,https://x/1",
        "rows/ana,30,,,,",
    )
    done = rows.ok("bill", "--from", source)
    assert (done["rows"], done["billed"], done["replayed"], done["refused"]) == (3, 3, 0, [])
    assert done["amounts"] == [{"amount": "0.80", "amount_minor": 80, "currency": "USD"}]
    assert pending(rows) == {"rows/ana": "50", "rows/bo": "30"}
    bills = [e for e in rows.ok("log") if e["kind"] == "bill"]
    assert [b["memo"].split(":")[0] for b in bills] == ["bill 1", "bill 2", "bill 3"]  # file order
    assert rows.ok("verify")["entries"] > 0


def test_a_row_past_a_cap_refuses_the_whole_file_naming_the_row(rows: Ledger, tmp_path: Path) -> None:
    # the cap is 0.50: rows 2 and 3 fit it together exactly, row 4 is one cent past it
    source = write(tmp_path / "a.csv", "contract,pieces", "rows/ana,20", "rows/ana,30", "rows/ana,1", "rows/bo,5")
    before = rows.dump()
    refused = rows.run("--json", "bill", "--from", source)
    assert refused.code == 1
    assert refused.error == {
        "code": "exceeds_milestone_cap",
        "message": "row 4: milestone cap 0.50 USD has 0.00 USD left; this bill is 0.01 USD; nothing billed",
    }
    assert rows.dump() == before


def test_partial_writes_the_good_rows_and_lists_the_refused(rows: Ledger, tmp_path: Path) -> None:
    source = write(
        tmp_path / "a.csv", "contract,pieces", "rows/ana,50", "rows/ana,1", "rows/nobody,1", "rows/bo,x", "rows/bo,7"
    )
    result = rows.run("--json", "bill", "--from", source, "--partial")
    assert result.code == 1  # rows were refused: a cron job hears of it
    done = result.json
    assert (done["rows"], done["billed"], done["replayed"]) == (5, 2, 0)
    assert [(r["row"], r["code"]) for r in done["refused"]] == [
        (3, "exceeds_milestone_cap"),
        (4, "contract_not_found"),
        (5, "bad_number"),
    ]
    with open(done["result"], newline="", encoding="utf-8") as stream:
        listed = list(csv.DictReader(stream))
    assert [(r["row"], r["code"]) for r in listed] == [
        ("3", "exceeds_milestone_cap"),
        ("4", "contract_not_found"),
        ("5", "bad_number"),
    ]
    assert pending(rows) == {"rows/ana": "50", "rows/bo": "7"}


def test_partial_reads_the_books_afresh_when_another_writer_billed_between_batches(
    rows: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--partial keeps what it read from one batch to the next only while the journal ends
    where its last batch left it; a bill written in between is counted against the cap."""
    from piecepay.locations import ledger_location
    from piecepay.operations import bulk
    from piecepay.operations.bills import BillRequest, bill
    from piecepay.session import open_session

    batches = bulk._batches

    def another_bill_after_the_first(rows_of: Any) -> Any:
        for number, batch in enumerate(batches(rows_of)):
            if number == 1:  # the first batch is committed: another writer bills 30 of ana's 50-piece cap
                other = open_session(ledger_location(str(rows.db)), "other", datetime.now(UTC), write=True)
                try:
                    bill(other, BillRequest("rows/ana", Decimal(30)))
                finally:
                    other.close()
            yield batch

    monkeypatch.setattr(bulk, "BATCH", 1)
    monkeypatch.setattr(bulk, "_batches", another_bill_after_the_first)
    source = write(tmp_path / "a.csv", "contract,pieces", "rows/ana,20", "rows/ana,20", "rows/bo,5", "rows/bo,5")
    result = rows.run("--json", "bill", "--from", source, "--partial")
    assert result.code == 1
    assert (result.json["billed"], [(r["row"], r["code"]) for r in result.json["refused"]]) == (
        3,
        [(3, "exceeds_milestone_cap")],
    )
    assert pending(rows) == {"rows/ana": "50", "rows/bo": "10"}
    assert rows.ok("verify")["entries"] > 0


def test_running_a_file_again_writes_nothing_twice(rows: Ledger, tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", "contract,pieces,key", "rows/bo,1,", "rows/bo,2,mine-2", "rows/bo,3,")
    assert rows.ok("bill", "--from", source)["billed"] == 3
    before = rows.dump()
    again = rows.ok("bill", "--from", source)
    assert (again["billed"], again["replayed"]) == (0, 3)
    assert rows.dump() == before
    # the same key with another request is a conflict, named by its row
    other = write(tmp_path / "b.csv", "contract,pieces,key", "rows/bo,9,mine-2")
    conflict = rows.run("--json", "bill", "--from", other)
    assert (conflict.code, conflict.error["code"]) == (4, "key_reused_with_different_request")
    assert conflict.error["message"].startswith("row 2: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("contract\nrows/bo\n", "needs the columns contract, pieces"),
        ("contract,pieces,colour\nrows/bo,1,red\n", "needs the columns"),
        ("contract,pieces,pieces\nrows/bo,1,2\n", "needs the columns"),
    ],
)
def test_a_file_without_the_right_columns_is_refused_whole(
    rows: Ledger, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    before = rows.dump()
    result = rows.run("--json", "bill", "--from", str(path))
    assert (result.code, result.error["code"]) == (2, "bad_csv")
    assert message in result.error["message"]
    assert rows.dump() == before


def test_from_stdin_and_conflicting_options(rows: Ledger, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "piecepay", "--json", "--db", str(rows.db), "bill", "--from", "-"],
        input="contract,pieces\nrows/bo,4\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert pending(rows)["rows/bo"] == "4"
    for extra in (["--pieces", "1"], ["rows/bo"], ["--key", "k"]):
        result = rows.run("--json", "bill", "--from", "-", *extra)
        assert (result.code, result.error["code"]) == (2, "conflicting_options")
    assert rows.run("--json", "bill", "--partial", "--pieces", "1").error["code"] == "conflicting_options"


def test_a_killed_run_then_a_rerun_bills_each_row_exactly_once(rows: Ledger, tmp_path: Path) -> None:
    """--partial commits in batches: kill -9 lands between or inside them; the re-run
    writes the rows not yet written, and each row is billed once."""
    count = 30_000
    rows.ok("milestone", "add", "rows/bo", "--top-up", "300")  # room for every row
    source = write(tmp_path / "big.csv", "contract,pieces", *(["rows/bo,1"] * count))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "piecepay", "--db", str(rows.db), "bill", "--from", source, "--partial"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        ((written,),) = rows.query("SELECT COUNT(*) FROM bills")
        if written >= 2000:  # the first batch is in
            break
        time.sleep(0.05)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    ((after_kill,),) = rows.query("SELECT COUNT(*) FROM bills")
    assert after_kill < count or not killed
    again = rows.ok("bill", "--from", source, "--partial")
    assert again["billed"] + again["replayed"] == count
    assert again["replayed"] == after_kill
    ((bills,),) = rows.query("SELECT COUNT(*) FROM bills")
    assert bills == count
    assert pending(rows)["rows/bo"] == str(count)
    assert rows.ok("verify")["entries"] > count


def test_a_rows_key_replays_as_a_single_keyed_bill_and_refuses_another_request(rows: Ledger, tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", "contract,pieces,key", "rows/bo,2,k-1", "rows/bo,3,")
    assert rows.ok("bill", "--from", source)["billed"] == 2
    before = rows.dump()
    again = rows.ok("bill", "rows/bo", "--pieces", "2.000", "--key", "k-1")
    assert (again["id"], again["pieces"], again["status"]) == (1, "2", "pending")
    assert rows.dump() == before
    other = rows.run("--json", "bill", "rows/bo", "--pieces", "4", "--key", "k-1")
    assert (other.code, other.error["code"]) == (4, "key_reused_with_different_request")
    assert other.error["message"].endswith("pieces was '2', now '4'")


def test_a_key_twice_in_one_file_bills_once_or_is_a_conflict(rows: Ledger, tmp_path: Path) -> None:
    same = write(tmp_path / "a.csv", "contract,pieces,key", "rows/bo,2,k", "rows/bo,1,", "rows/bo,2,k")
    done = rows.ok("bill", "--from", same)
    assert (done["billed"], done["replayed"]) == (2, 1)
    assert pending(rows)["rows/bo"] == "3"
    other = write(tmp_path / "b.csv", "contract,pieces,key", "rows/bo,5,j", "rows/bo,6,j")
    before = rows.dump()
    conflict = rows.run("--json", "bill", "--from", other)
    assert (conflict.code, conflict.error["code"]) == (4, "key_reused_with_different_request")
    assert conflict.error["message"].startswith("row 3: ")
    assert rows.dump() == before
    partial = rows.run("--json", "bill", "--from", other, "--partial")
    assert (partial.json["billed"], [r["row"] for r in partial.json["refused"]]) == (1, [3])
    assert pending(rows)["rows/bo"] == "8"


def test_a_cap_reached_in_a_later_batch(rows: Ledger, tmp_path: Path) -> None:
    """Batches carry the balances of the rows before them: ana's 0.50 cap holds 50 rows of
    one piece, the 2,051st row of the file (line 2,052) is the first past it."""
    lines = ["rows/bo,1"] * 2000 + ["rows/ana,1"] * 50 + ["rows/ana,1", "rows/bo,1"]
    source = write(tmp_path / "a.csv", "contract,pieces", *lines)
    before = rows.dump()
    whole = rows.run("--json", "bill", "--from", source)
    assert whole.code == 1
    assert whole.error["message"] == (
        "row 2052: milestone cap 0.50 USD has 0.00 USD left; this bill is 0.01 USD; nothing billed"
    )
    assert rows.dump() == before
    partial = rows.run("--json", "bill", "--from", source, "--partial")
    assert (partial.json["billed"], [r["row"] for r in partial.json["refused"]]) == (2051, [2052])
    assert pending(rows) == {"rows/ana": "50", "rows/bo": "2001"}
    assert rows.ok("verify")["entries"] > 2051


def test_a_worker_whose_rows_are_all_refused_gets_no_account(rows: Ledger, tmp_path: Path) -> None:
    source = write(tmp_path / "a.csv", "contract,pieces", "rows/ana,51", "rows/bo,1")
    result = rows.run("--json", "bill", "--from", source, "--partial")
    assert (result.code, result.json["billed"]) == (1, 1)
    assert rows.query("SELECT name FROM accounts WHERE name LIKE 'worker:%' ORDER BY name") == [("worker:bo",)]
    assert rows.ok("verify")["entries"] > 0


def test_the_columns_bulk_billing_writes_are_every_column_of_bills(rows: Ledger) -> None:
    """Bulk billing seals each bill from the values it inserts, naming every column."""
    from piecepay.store.sqlite import BILL_COLUMNS

    if rows.on_server:
        found = rows.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'bills' ORDER BY ordinal_position"
        )
    else:
        found = rows.query("SELECT name FROM pragma_table_info('bills') ORDER BY cid")
    assert tuple(name for (name,) in found) == BILL_COLUMNS


def test_hostile_cells_are_refused_by_their_row_and_shown_escaped(rows: Ledger, tmp_path: Path) -> None:
    source = write(
        tmp_path / "a.csv",
        "contract,pieces,note,key",
        "rows/bo,1,\x1b[2Jcleared,",
        "rows/bo,1,fine,\u202ekey",
        "=cmd|' /C calc'!A0,1,,",
        "rows/bo,1,ok,",
    )
    result = rows.run("--json", "bill", "--from", source, "--partial", "--result", str(tmp_path / "out.csv"))
    assert result.code == 1
    assert [(r["row"], r["code"]) for r in result.json["refused"]] == [
        (2, "unsafe_text"),
        (3, "unsafe_text"),
        (4, "contract_not_found"),
    ]
    listed = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "\x1b" not in listed and "\u202e" not in listed
    assert listed.endswith("\n4,contract_not_found,no contract '=cmd|' /C calc'!A0'\n")  # no cell starts a formula
    assert pending(rows)["rows/bo"] == "1"
    whole = rows.run("bill", "--from", source)
    assert whole.code == 2 and "\\x1b" in whole.err and "\x1b" not in whole.err
