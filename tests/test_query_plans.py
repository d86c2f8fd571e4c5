"""Reads whose cost follows what they print: no statement that report, log --last,
campaign show, bill or sweep runs scans a history table (bills, entries, postings).

Every statement a command runs is captured through SQLite's trace callback and asked for
its plan with EXPLAIN QUERY PLAN. A ``SCAN`` of a history table fails the test; reading
the journal's last rows in id order (``ORDER BY id DESC LIMIT n``, which SQLite walks from
the end of the table and stops) is the one scan allowed.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import piecepay.store.connection as connection
from piecepay.cli import main
from tests.conftest import Ledger

HISTORY_SCAN = re.compile(r"^SCAN (bills|entries|postings)\b")
TAIL_READ = re.compile(r"FROM entries ORDER BY id DESC LIMIT \d+", re.IGNORECASE)
COMMANDS = [
    ("report",),
    ("report", "--by", "contract"),
    ("report", "--by", "worker"),
    ("log", "--last", "5"),
    ("campaign", "show", "rows"),
    ("bill", "rows/bo", "--pieces", "1"),
    ("sweep", "--dry-run"),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with a few hundred bills, released, rejected and pending, on two contracts."""
    ledger = Ledger(tmp_path_factory.mktemp("plans") / "ledger.db")
    ledger.ok("init")
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "0.01")
    for worker in ("ana", "bo"):
        ledger.ok("worker", "add", worker)
        ledger.ok("offer", "create", "rows", worker)
        ledger.ok("offer", "accept", f"rows/{worker}")
        ledger.ok("milestone", "add", f"rows/{worker}", "--top-up", "100")
    rows = ledger.db.parent / "rows.csv"
    rows.write_text("contract,pieces\n" + "rows/ana,1\nrows/bo,2\n" * 150, encoding="utf-8")
    ledger.ok("bill", "--from", str(rows))
    for bill in range(1, 40):
        ledger.ok("release", str(bill))
    for bill in range(40, 60):
        ledger.ok("reject", str(bill), "--reason", "blurry")
    return ledger.db


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


def scans(db: Path, sql: list[str]) -> list[tuple[str, str]]:
    found = []
    conn = sqlite3.connect(db)
    try:
        for statement in sql:
            if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                continue
            if re.search(r"\btouched\b", statement):
                continue  # the write session's own temporary table of rows to seal
            for *_, detail in conn.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall():
                if HISTORY_SCAN.match(detail) and not TAIL_READ.search(statement):
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
