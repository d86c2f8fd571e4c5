"""Process-level tests: concurrent writers, kill -9 mid-write, tampering, newer schemas."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, Ledger, run_cli


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PIECEPAY_TODAY", None)
    return env


def _start_bill(db: Path, *extra: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "piecepay", "--json", "--db", str(db), "bill", "photos/ana", "--pieces", "1"]
    return subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def test_twenty_concurrent_bills_against_room_for_seven(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "35")
    procs = [_start_bill(contract.db) for _ in range(20)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0] * 7 + [1] * 13, results
    refusals = {json.loads(err)["error"]["code"] for code, _, err in results if code == 1}
    assert refusals == {"exceeds_escrow"}
    assert not any("locked" in err for _, _, err in results)
    assert contract.run("verify").code == 0
    (row,) = contract.ok("report")["rows"]
    assert (row["reserved"], row["available"], row["pieces_pending"]) == ("35.00", "0.00", "7")


def test_concurrent_retries_with_one_key_write_one_bill(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    procs = [_start_bill(contract.db, "--key", "same-key") for _ in range(10)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 10, results
    assert len({out for _, out, _ in results}) == 1
    with sqlite3.connect(contract.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM bills").fetchone()[0] == 1


def test_kill_9_mid_write_never_leaves_half_a_bill(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10000")
    rng = random.Random(20261122)
    killed = 0
    for _ in range(30):
        proc = _start_bill(contract.db)
        time.sleep(rng.uniform(0.0, 0.25))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=60)
    assert killed > 0  # the test only means something if some processes died mid-way
    assert contract.run("verify").code == 0
    with sqlite3.connect(contract.db) as conn:
        bills = conn.execute("SELECT COUNT(*) FROM bills").fetchone()[0]
        entries = conn.execute("SELECT COUNT(*) FROM entries WHERE kind = 'bill'").fetchone()[0]
        pending = conn.execute("SELECT pieces_pending_milli FROM contracts").fetchone()[0]
    assert bills == entries == pending // 1000
    assert contract.ok("bill", "--pieces", "1")["status"] == "pending"


def _movements(ledger: Ledger) -> int:
    """A top-up, a released bill and a pending one; returns the release's entry id."""
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "100")
    ledger.ok("release", str(ledger.ok("bill", "--pieces", "2")["id"]))
    ledger.ok("bill", "--pieces", "1")
    return next(e["id"] for e in ledger.ok("log") if e["kind"] == "release")


def _tamper(db: Path, statement: str, trigger: str) -> None:
    conn = sqlite3.connect(db)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (trigger,)).fetchone()[0]
    conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute(statement)
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_verify_names_the_first_entry_whose_amount_was_altered(contract: Ledger) -> None:
    release = _movements(contract)
    _tamper(
        contract.db,
        f"UPDATE postings SET amount = amount + 1 WHERE entry_id = {release} AND side = 'debit' AND phase = 'posted'",
        "postings_no_update",
    )
    result = contract.run("--json", "verify")
    assert result.code == 5
    assert result.error["code"] == "entry_unbalanced"
    assert f"entry {release} " in result.error["message"]


def test_verify_names_an_entry_whose_memo_was_rewritten(contract: Ledger) -> None:
    _movements(contract)
    _tamper(contract.db, "UPDATE entries SET memo = 'nothing to see' WHERE id = 2", "entries_no_update")
    result = contract.run("--json", "verify")
    assert (result.code, result.error["code"]) == (5, "entry_altered")
    assert "entry 2 " in result.error["message"]


def test_the_journal_refuses_plain_updates_and_verify_misses_a_dropped_guard(contract: Ledger) -> None:
    release = _movements(contract)
    conn = sqlite3.connect(contract.db)
    try:
        conn.execute("UPDATE postings SET amount = 1 WHERE entry_id = ?", (release,))
        raise AssertionError("the append-only trigger let an UPDATE through")
    except sqlite3.IntegrityError as exc:
        assert "append-only" in str(exc)
    conn.execute("DROP TRIGGER entries_no_delete")
    conn.commit()
    conn.close()
    result = contract.run("--json", "verify")
    assert (result.code, result.error["code"]) == (5, "guard_missing")


def test_a_ledger_from_a_newer_piecepay_is_refused_and_left_alone(contract: Ledger) -> None:
    with sqlite3.connect(contract.db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = contract.db.read_bytes()
    result = run_cli("--json", "--db", str(contract.db), "report")
    assert result.returncode == 5
    assert json.loads(result.stderr)["error"]["code"] == "schema_too_new"
    assert contract.db.read_bytes() == before


def test_a_writer_locked_out_past_the_timeout_exits_5_in_one_line(contract: Ledger) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    holder = sqlite3.connect(contract.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_cli(
            "--db", str(contract.db), "bill", "photos/ana", "--pieces", "1", env={"PIECEPAY_BUSY_TIMEOUT": "0.3"}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 5
    assert result.stderr.count("\n") == 1 and "locked" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("--db", str(contract.db), "bill", "photos/ana", "--pieces", "1").returncode == 0


def test_a_second_connection_in_one_process_leaves_the_firsts_locks(contract: Ledger) -> None:
    """A served ledger opens a connection per request while others are open in the same
    process. Opening one must not drop the locks the others hold (closing any descriptor of a
    file drops all of a process's POSIX locks on it): else another process closing its own
    connection takes the write-ahead log and its index away under them, and they read garbage
    or fail with an I/O error."""
    from piecepay.store import connection

    getattr(connection, "_HEADERS", {}).clear()  # as in a new process: this one has read no header yet
    first = connection.open_ledger(contract.db, write=True)
    try:
        assert first.execute("SELECT count(*) FROM workers").fetchone()[0] == 1
        connection.open_ledger(contract.db, write=True).close()  # the next request's connection
        other = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT count(*) FROM workers').fetchall(); c.close()"
        )
        subprocess.run([sys.executable, "-c", other, str(contract.db)], check=True, timeout=60)
        assert contract.run("worker", "add", "bo").code == 0  # another writer, in its own connection
        assert Path(f"{contract.db}-shm").exists()
        assert [row[0] for row in first.execute("SELECT handle FROM workers ORDER BY id")] == ["ana", "bo"]
    finally:
        first.close()
