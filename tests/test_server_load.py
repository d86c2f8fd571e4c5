"""A bounded load on real ``piecepay serve`` processes on loopback: 50 workers billing 100
times each at once (40 on PostgreSQL), against contracts whose caps let 80% through. No bill is lost or made
twice, the caps hold, a retried key replays, and ``verify`` passes; on a file with one server
and on PostgreSQL with two servers sharing the database. A server stopped with SIGTERM in the
middle of it loses no write it answered, and the requests it left unanswered, sent again to a
new server with their keys, each take effect once.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Ledger
from tests.load import Crowd, Run, Sent, drive, send, set_up_crowd
from tests.serving import TODAY, Server, start_server

BOTH_STORES = True
WORKERS, BILLS, CAP_BILLS = 50, 100, 80  # on both stores (PostgreSQL behind two servers)
DEADLINE = 240.0  # seconds for the whole load; past it the test fails


@pytest.fixture
def servers(ledger: Ledger, tmp_path: Path) -> Iterator[list[Server]]:
    """The servers a test starts (append them); each is stopped with SIGTERM after the test
    and must exit 0."""
    ledger.today = TODAY
    started: list[Server] = []
    yield started
    codes = [(server.stop(), server) for server in started]
    for code, server in codes:
        assert code == 0, f"piecepay serve exited {code} on SIGTERM: {server.log_text()}"


def start(ledger: Ledger, tmp_path: Path, started: list[Server]) -> Server:
    server = start_server(ledger.db, tmp_path)
    started.append(server)
    return server


def ledger_bills(ledger: Ledger) -> list[int]:
    return [int(row[0]) for row in ledger.query("SELECT id FROM bills")]


def bills_by_key(sent: list[Sent]) -> dict[str, set[int]]:
    """Every bill the clients were told of, by the key that asked for it."""
    told: dict[str, set[int]] = defaultdict(set)
    for s in sent:
        if s.bill is not None:
            told[s.key].add(s.bill)
    return told


def assert_each_key_one_bill(ledger: Ledger, sent: list[Sent]) -> None:
    """Every key that succeeded names one bill, no two keys the same one, and the ledger holds
    exactly those bills (no bill that no client was told of, none missing)."""
    told = bills_by_key(sent)
    assert all(len(ids) == 1 for ids in told.values()), {k: v for k, v in told.items() if len(v) > 1}
    named = [next(iter(ids)) for ids in told.values()]
    assert len(named) == len(set(named)), "two keys were answered with the same bill"
    in_ledger = ledger_bills(ledger)
    assert len(in_ledger) == len(set(in_ledger))
    assert sorted(in_ledger) == sorted(named)


def assert_caps_and_escrow_hold(ledger: Ledger, crowd: Crowd) -> None:
    """Each contract's bills stay within its milestone cap, its escrow's reservation is their
    sum, and its escrow is never below zero; ``verify`` passes."""
    rows = ledger.query(
        "SELECT c.id, m.cap_minor, COALESCE(SUM(b.amount_minor), 0), a.debits_pending,"
        " a.credits_posted - a.debits_posted - a.debits_pending"
        " FROM contracts c JOIN milestones m ON m.contract_id = c.id"
        " JOIN accounts a ON a.id = c.escrow_account_id LEFT JOIN bills b ON b.contract_id = c.id"
        " GROUP BY c.id, m.cap_minor, a.debits_pending, a.credits_posted, a.debits_posted"
    )
    assert len(rows) == len(crowd.tokens)
    for contract, cap, billed, reserved, available in rows:
        assert cap == crowd.cap_bills * 100
        assert billed <= cap, f"contract {contract} billed {billed} past its cap {cap}"
        assert reserved == billed, f"contract {contract} reserves {reserved}, its bills {billed}"
        assert available >= 0, f"contract {contract}'s escrow is {available}"
    verified = ledger.run("verify")
    assert verified.code == 0, verified.err


def assert_replays(run: Run) -> None:
    """Each second send of a key that had succeeded was answered as a replay of the same bill."""
    again = [s for s in run.sent if s.again]
    assert again, "no request was sent twice"
    first = {s.key: s.bill for s in run.first()}
    for s in again:
        assert (s.status, s.replayed, s.bill) == (200, True, first[s.key]), s


def test_fifty_workers_bill_at_once_and_nothing_is_lost_doubled_or_past_a_cap(
    ledger: Ledger, servers: list[Server], tmp_path: Path
) -> None:
    bills, cap_bills = BILLS, CAP_BILLS
    crowd = set_up_crowd(ledger, WORKERS, cap_bills)
    # on PostgreSQL two servers share the database, the workers spread across both
    for _ in range(2 if ledger.on_server else 1):
        start(ledger, tmp_path, servers)
    run = drive([server.url for server in servers], crowd, bills, time.monotonic() + DEADLINE)
    assert not run.errors, run.errors[:5]
    assert run.seconds < DEADLINE
    first = run.first()
    assert len(first) == WORKERS * bills
    assert all(s.status in (200, 201, 409) for s in run.sent), run.statuses()
    # nothing was answered 503 or lost on the wire on the way: every request went once
    assert [s for s in run.sent if s.attempts != 1] == []
    refused = [s for s in first if s.status == 409]
    assert {s.code for s in refused} == {"exceeds_milestone_cap"}
    done = Counter(s.handle for s in first if s.status in (200, 201))
    assert done == dict.fromkeys(crowd.handles, cap_bills)
    assert Counter(s.handle for s in refused) == dict.fromkeys(crowd.handles, bills - cap_bills)
    # a worker's bills go in order, so its refusals are its last ones
    for handle in crowd.handles:
        statuses = [s.status for s in first if s.handle == handle]
        assert 409 not in statuses[:cap_bills], handle
    assert_replays(run)
    assert_each_key_one_bill(ledger, run.sent)
    assert len(ledger_bills(ledger)) == WORKERS * cap_bills
    assert_caps_and_escrow_hold(ledger, crowd)


def test_sigterm_mid_load_loses_no_answered_write_and_retries_take_effect_once(
    ledger: Ledger, servers: list[Server], tmp_path: Path
) -> None:
    workers = 20
    crowd = set_up_crowd(ledger, workers, CAP_BILLS)
    for _ in range(2 if ledger.on_server else 1):
        start(ledger, tmp_path, servers)
    run = Run()
    deadline = time.monotonic() + DEADLINE
    load = threading.Thread(
        target=drive, args=([server.url for server in servers], crowd, BILLS, deadline), kwargs={"run": run}
    )
    load.start()
    while len(run.sent) < 300 and load.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    for server in servers:
        server.process.send_signal(signal.SIGTERM)
    load.join(max(0.0, deadline - time.monotonic()))
    assert not load.is_alive(), "the load did not stop after the servers did"
    for server in servers:
        assert server.process.wait(30) == 0, server.log_text()
    assert not run.errors, run.errors[:5]
    unanswered = [s for s in run.sent if s.status is None]
    assert unanswered, "every request was answered: the servers stopped too late to test anything"
    assert len(unanswered) <= workers  # a worker stops at its first unanswered request
    assert all(s.status in (200, 201, 409) for s in run.sent if s.status is not None), run.statuses()

    # every write a client was told of is in the ledger, once
    answered = {s.bill for s in run.sent if s.bill is not None}
    in_ledger = set(ledger_bills(ledger))
    assert answered <= in_ledger
    unclaimed = in_ledger - answered  # committed, but the answer was lost in the shutdown
    assert len(unclaimed) <= len(unanswered)
    verified = ledger.run("verify")
    assert verified.code == 0, verified.err

    # the same requests, with their keys, to a new server: a committed one replays, never twice
    server = start(ledger, tmp_path, servers)
    import httpx

    retried = []
    for lost in unanswered:
        headers = {"Authorization": f"Bearer {crowd.tokens[lost.handle]}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            retried.append(send(http, lost.handle, lost.key, 3, deadline))
    assert all(s.status in (200, 201, 409) for s in retried), [(s.key, s.status, s.code) for s in retried]
    assert all(s.replayed for s in retried if s.status == 200)
    # a replay names a bill the client was told of before, or one whose answer was lost
    replayed = {s.bill for s in retried if s.status == 200}
    assert replayed - answered == unclaimed, "a committed bill was made again, or a replay named a bill not made"
    assert_each_key_one_bill(ledger, run.sent + retried)
    assert_caps_and_escrow_hold(ledger, crowd)
