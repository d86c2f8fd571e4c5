"""Concurrency on the PostgreSQL store: many processes, one escrow, one bill, one key.

Writers queue on the ledger's lock, so each decides on the balances the one before it
committed: exactly as many bills as the escrow has room for succeed, the rest are refused
by the rule (exit 1), and none fails with a lock or serialization error."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, Ledger, initialised, with_contract

PROCESSES = 32


def _start(db: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PIECEPAY_TODAY", None)
    command = [sys.executable, "-m", "piecepay", "--json", "--db", db, *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _all(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    return [(p.wait(timeout=180), *p.communicate()) for p in procs]


@pytest.fixture
def escrow_for_nine(pg_url: str) -> Ledger:
    ledger = with_contract(initialised(pg_url))
    ledger.ok("milestone", "add", "photos/ana", "--top-up", "45")
    return ledger


def test_32_processes_billing_one_escrow_with_room_for_nine(escrow_for_nine: Ledger, pg_url: str) -> None:
    results = _all([_start(pg_url, "bill", "photos/ana", "--pieces", "1") for _ in range(PROCESSES)])
    codes = sorted(code for code, _, _ in results)
    assert codes == [0] * 9 + [1] * (PROCESSES - 9), results
    refusals = {json.loads(err)["error"]["code"] for code, _, err in results if code == 1}
    assert refusals == {"exceeds_escrow"}
    assert not any(word in err.lower() for _, _, err in results for word in ("lock", "serializ", "deadlock"))
    assert escrow_for_nine.ok("verify")["entries"] == 6 + 9
    (row,) = escrow_for_nine.ok("report")["rows"]
    assert (row["reserved"], row["available"], row["pieces_pending"]) == ("45.00", "0.00", "9")


def test_32_concurrent_releases_of_one_bill_one_wins(escrow_for_nine: Ledger, pg_url: str) -> None:
    bill = escrow_for_nine.ok("bill", "photos/ana", "--pieces", "2")["id"]
    results = _all([_start(pg_url, "release", str(bill)) for _ in range(PROCESSES)])
    codes = sorted(code for code, _, _ in results)
    assert codes == [0] + [1] * (PROCESSES - 1), results
    refusals = {json.loads(err)["error"]["code"] for code, _, err in results if code == 1}
    assert refusals == {"bill_already_released"}
    assert escrow_for_nine.ok("verify")["entries"] == 6 + 2
    (row,) = escrow_for_nine.ok("report")["rows"]
    assert (row["released"], row["reserved"]) == ("10.00", "0.00")


def test_concurrent_retries_with_one_key_write_one_bill(escrow_for_nine: Ledger, pg_url: str) -> None:
    results = _all([_start(pg_url, "bill", "photos/ana", "--pieces", "1", "--key", "k1") for _ in range(12)])
    assert [code for code, _, _ in results] == [0] * 12, results
    assert len({out for _, out, _ in results}) == 1
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM bills").fetchone() == (1,)


def test_kill_9_mid_write_never_leaves_half_a_bill(escrow_for_nine: Ledger, pg_url: str) -> None:
    """A writer killed at any moment: the server rolls its transaction back (or it had
    committed whole); the lock it held is released with its connection."""
    import random
    import signal
    import time

    escrow_for_nine.ok("milestone", "add", "photos/ana", "--top-up", "10000")
    rng = random.Random(20261129)
    killed = 0
    for _ in range(20):
        proc = _start(pg_url, "bill", "photos/ana", "--pieces", "1")
        time.sleep(rng.uniform(0.1, 0.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.communicate(timeout=60)
    assert killed > 0
    assert escrow_for_nine.ok("verify")["entries"] > 0
    ((bills,),) = escrow_for_nine.query("SELECT COUNT(*) FROM bills")
    ((entries,),) = escrow_for_nine.query("SELECT COUNT(*) FROM entries WHERE kind = 'bill'")
    ((pending,),) = escrow_for_nine.query("SELECT pieces_pending_milli FROM contracts")
    assert bills == entries == pending // 1000
    assert escrow_for_nine.ok("bill", "photos/ana", "--pieces", "1")["status"] == "pending"
