"""Reads whose cost follows what they print: no statement that report, log --last,
campaign show, bill, revise, resubmit, sweep, payees, pay or statement runs scans a history table (bills, entries,
postings, revisions), and
what SQLite does for each of these commands stays the same when the history grows.

Every statement a command runs is captured through SQLite's trace callback and asked for
its plan with EXPLAIN QUERY PLAN. A ``SCAN`` of a history table, by its name or by the
alias the statement gives it (in a subquery too), fails the test; reading the journal's
last rows in id order (``ORDER BY id DESC LIMIT n``, which SQLite walks from the end of
the table and stops) is the one scan allowed. A plan cannot show how much of an index a
search walks (every entry of a contract, say), so the same commands are also counted in
SQLite's virtual-machine steps on a ledger with a short history and on one with six
times as many bills and entries: the counts must stay level.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import piecepay.store.connection as connection
from piecepay.cli import main
from tests.conftest import Ledger

HISTORY_TABLES = ("bills", "entries", "postings", "revisions")
SCANNED = re.compile(r"^SCAN (\w+)")
NAMED = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
TAIL_READ = re.compile(r"FROM entries ORDER BY id DESC LIMIT \d+", re.IGNORECASE)
COMMANDS = [
    ("report",),
    ("report", "--by", "contract"),
    ("report", "--by", "worker"),
    ("log", "--last", "5"),
    ("campaign", "show", "rows"),
    ("bill", "rows/bo", "--pieces", "1"),
    ("revise", "70", "--reason", "crop it"),
    ("resubmit", "70", "--pieces", "1"),
    ("sweep", "--dry-run"),
    ("payees", "--year", str(date.today().year)),  # the history's entries are dated today
    ("pay", "--month", "2001-01"),  # no bill in it: a month's bills are a range of dates, never a scan
    ("pay", "--week", "2001-W01", "--campaign", "rows"),
    ("statement", "ana", "--period", "2001-01"),  # a worker's entries are ranges of dates, never a scan
]


LEVEL = 1.05  # how much more work the longer history may take: a B-tree a level deeper, not a scan
STEP = 10  # virtual-machine instructions per count


def build_history(db: Path, rows_per_worker: int) -> Path:
    """A ledger of two contracts with ``3 * rows_per_worker`` pieces billed over
    ``2 * rows_per_worker`` bills: the first 39 released (and 0.05 of ana's paid out), the
    next 20 rejected, the rest pending, ten of them sent back for a revision and five of
    those resubmitted."""
    ledger = Ledger(db)
    ledger.ok("init")
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01")
    for worker in ("ana", "bo"):
        ledger.ok("worker", "add", worker)
        ledger.ok("offer", "create", "rows", worker)
        ledger.ok("offer", "accept", f"rows/{worker}")
        ledger.ok("milestone", "add", f"rows/{worker}", "--top-up", "100")
    rows = ledger.db.parent / "rows.csv"
    rows.write_text("contract,pieces\n" + "rows/ana,1\nrows/bo,2\n" * rows_per_worker, encoding="utf-8")
    ledger.ok("bill", "--from", str(rows))
    for bill in range(1, 40):
        ledger.ok("release", str(bill))
    ledger.ok("payout", "ana", "--amount", "0.05")
    for bill in range(40, 60):
        ledger.ok("reject", str(bill), "--reason", "blurry")
    for bill in range(80, 90):
        ledger.ok("revise", str(bill), "--reason", "crop it")
    for bill in range(80, 85):
        ledger.ok("resubmit", str(bill))
    return ledger.db


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with a few hundred bills, released, rejected and pending, on two contracts."""
    return build_history(tmp_path_factory.mktemp("plans") / "ledger.db", 150)


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same ledger twice over, once with six times its bills (all the more of them pending)."""
    folder = tmp_path_factory.mktemp("levels")
    return build_history(folder / "short.db", 150), build_history(folder / "long.db", 900)


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []
    real = connection._connect

    def traced(path: Path, writable: bool) -> sqlite3.Connection:
        conn = real(path, writable)
        conn.set_trace_callback(seen.append)
        return conn

    connection._connect = traced  # type: ignore[assignment]
    try:
        yield seen
    finally:
        connection._connect = real  # type: ignore[assignment]


@contextlib.contextmanager
def steps() -> Iterator[list[int]]:
    """Count the virtual-machine steps of every connection opened inside the block."""
    counted = [0]
    real = connection._connect

    def tick() -> int:
        counted[0] += 1
        return 0  # go on

    def counting(path: Path, writable: bool) -> sqlite3.Connection:
        conn = real(path, writable)
        conn.set_progress_handler(tick, STEP)
        return conn

    connection._connect = counting  # type: ignore[assignment]
    try:
        yield counted
    finally:
        connection._connect = real  # type: ignore[assignment]


def history_names(statement: str) -> set[str]:
    """The history tables a statement reads, by name and by each alias it gives them."""
    names = set()
    for table, alias in NAMED.findall(statement):
        if table.lower() in HISTORY_TABLES:
            names.add(table.lower())
            if alias and alias.upper() not in SQL_WORDS:
                names.add(alias.lower())
    return names


SQL_WORDS = {"WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "USING", "ORDER", "GROUP", "LIMIT", "UNION"}


def scans(db: Path, sql: list[str]) -> list[tuple[str, str]]:
    found = []
    conn = sqlite3.connect(db)
    try:
        for statement in sql:
            if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                continue
            if re.search(r"\btouched\b", statement):
                continue  # the write session's own temporary table of rows to seal
            history = history_names(statement)
            for *_, detail in conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall():
                scanned = SCANNED.match(detail)
                if scanned and scanned[1].lower() in history and not TAIL_READ.search(statement):
                    found.append((detail, statement))
    finally:
        conn.close()
    return found


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_statement_scans_a_history_table(history: Path, args: tuple[str, ...]) -> None:
    with statements() as sql, contextlib.redirect_stdout(io.StringIO()):
        assert main(["--db", str(history), *args]) == 0
    assert len(sql) > 3  # the trace saw the command's statements
    assert scans(history, sql) == []


def test_the_check_bites_on_a_statement_that_scans(history: Path) -> None:
    assert scans(history, ["SELECT SUM(amount_minor) FROM bills WHERE note = 'x'"]) != []
    assert scans(history, ["SELECT * FROM entries ORDER BY id DESC LIMIT 1"]) == []
    by_alias = "SELECT b.id FROM bills b JOIN contracts c ON c.id = b.contract_id WHERE b.status = 'pending'"
    assert [detail.split()[:2] for detail, _ in scans(history, [by_alias])] == [["SCAN", "b"]]
    correlated = "SELECT c.id, (SELECT COUNT(*) FROM entries AS e WHERE e.memo = c.rate) FROM contracts c"
    assert [detail.split()[:2] for detail, _ in scans(history, [correlated])] == [["SCAN", "e"]]
    assert scans(history, ["SELECT b.id FROM bills b WHERE b.id = 1"]) == []


def work(db: Path, args: tuple[str, ...]) -> int:
    with steps() as counted, contextlib.redirect_stdout(io.StringIO()):
        assert main(["--db", str(db), *args]) == 0
    return counted[0]


# The cap check of a bill still sums the open milestone's bills (a maintained figure per
# milestone would make it one read); when it does, this mark fails and can go.
CAP_CHECK = pytest.mark.xfail(strict=True, reason="the cap check sums the bills of the open milestone")


LEVEL_COMMANDS = [pytest.param(args, marks=CAP_CHECK) if args[0] == "bill" else args for args in COMMANDS]


@pytest.mark.parametrize("args", LEVEL_COMMANDS, ids=" ".join)
def test_the_work_of_each_command_stays_level_as_the_history_grows(
    histories: tuple[Path, Path], args: tuple[str, ...]
) -> None:
    short, long = (work(db, args) for db in histories)
    assert short > 0
    assert long <= short * LEVEL, f"{long} steps on six times the history, {short} on the short one"


def test_the_count_bites_on_a_read_of_the_whole_history(histories: tuple[Path, Path]) -> None:
    short, long = (work(db, ("log",)) for db in histories)  # the whole journal
    assert long > short * 3
