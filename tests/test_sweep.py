"""The sweep applies the clock: auto-release, deadline ends with refunds, dormancy, warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.conftest import ROOT, Ledger

BOTH_STORES = True  # every test here runs on a file and on PostgreSQL


def _setup(ledger: Ledger) -> None:
    """Two campaigns: photos (7-day review, deadline Oct 20) and rows (no deadline, 14 days)."""
    day = "2026-10-01"
    ledger.ok(
        "campaign", "create", "Photos", "--rate", "5", "--review-days", "7", "--deadline", "2026-10-20", today=day
    )
    ledger.ok("campaign", "create", "Rows", "--rate", "0.01", "--unit", "row", today=day)
    for handle in ("ana", "ben", "dara"):
        ledger.ok("worker", "add", handle, today=day)
    for ref in ("photos/ana", "photos/ben", "rows/dara"):
        campaign, worker = ref.split("/")
        ledger.ok("offer", "create", campaign, worker, today=day)
        ledger.ok("offer", "accept", ref, today=day)
        ledger.ok("milestone", "add", ref, "--top-up", "100", today=day)
    ledger.ok("bill", "photos/ana", "--pieces", "2", "--date", "2026-10-02", today="2026-10-05")  # due 10-09
    ledger.ok("bill", "photos/ana", "--pieces", "3", "--date", "2026-10-04", today="2026-10-05")  # due 10-11
    ledger.ok("bill", "photos/ben", "--pieces", "1", "--date", "2026-10-03", today="2026-10-05")  # due 10-10
    ledger.ok("bill", "rows/dara", "--pieces", "100", "--date", "2026-10-05", today="2026-10-05")  # due 10-19


def _sweep(ledger: Ledger, today: str, *args: str) -> list[dict[str, object]]:
    result = ledger.ok("sweep", *args, today=today)
    assert isinstance(result, list)
    return result


def test_sweep_releases_exactly_the_bills_past_their_window(ledger: Ledger) -> None:
    _setup(ledger)
    actions = _sweep(ledger, "2026-10-10")
    done = [(a["action"], a["bill_id"], a["date"]) for a in actions if a["status"] == "done"]
    assert done == [("release", 1, "2026-10-09"), ("release", 3, "2026-10-10")]
    warned = [(a["action"], a["bill_id"]) for a in actions if a["status"] == "notice"]
    assert warned == [("release_soon", 2)]  # due 10-11, within the 3-day warning
    bills = {b["bill_id"]: b for b in ledger.ok("log") if b["kind"] == "release"}
    assert set(bills) == {1, 3}
    assert all("auto-released" in b["memo"] for b in bills.values())
    assert ledger.run("verify").code == 0


def test_a_second_sweep_and_a_dry_run_change_nothing(ledger: Ledger) -> None:
    _setup(ledger)
    planned = _sweep(ledger, "2026-10-12", "--dry-run")
    assert [a["status"] for a in planned if a["action"] == "release"] == ["planned"] * 3
    before = ledger.dump()
    _sweep(ledger, "2026-10-12", "--dry-run")
    assert ledger.dump() == before
    first = _sweep(ledger, "2026-10-12")
    assert [(a["action"], a["bill_id"]) for a in first if a["status"] == "done"] == [
        ("release", 1),
        ("release", 2),
        ("release", 3),
    ]
    after_first = ledger.dump()
    second = _sweep(ledger, "2026-10-12")
    assert [a for a in second if a["status"] == "done"] == []
    assert ledger.dump() == after_first


def test_deadline_ends_contracts_with_their_refunds_once_nothing_is_pending(ledger: Ledger) -> None:
    _setup(ledger)
    ledger.ok("bill", "photos/ben", "--pieces", "4", "--date", "2026-10-18", today="2026-10-18")  # due 10-25
    actions = _sweep(ledger, "2026-10-22")
    ended = {a["contract"]: a for a in actions if a["action"] == "end"}
    assert set(ended) == {"photos/ana"}  # ben still has a bill inside its review window
    assert (ended["photos/ana"]["amount"], ended["photos/ana"]["status"]) == ("75.00", "done")
    waiting = [a["contract"] for a in actions if a["action"] == "end_waiting"]
    assert waiting == ["photos/ben"]
    later = _sweep(ledger, "2026-10-25")
    assert [(a["action"], a["contract"], a.get("amount")) for a in later if a["status"] == "done"] == [
        ("release", "photos/ben", "20.00"),
        ("end", "photos/ben", "75.00"),
    ]
    rows = {r["contract"]: r for r in ledger.ok("report", "--by", "contract")["rows"]}
    assert (rows["photos/ana"]["refunded"], rows["photos/ana"]["released"]) == ("75.00", "25.00")
    assert (rows["photos/ben"]["refunded"], rows["photos/ben"]["released"]) == ("75.00", "25.00")
    assert rows["rows/dara"]["status"] == "active"
    assert ledger.run("bill", "photos/ana", "--pieces", "1", today="2026-10-25").code == 1


def test_each_day_the_plan_releases_and_warns_of_exactly_the_bills_due(ledger: Ledger) -> None:
    """Day by day across two review windows (7 and 14 days) and a deadline: a bill is released
    from its due date on, announced in the three days before, and an end past the deadline
    waits for exactly the bills still inside their window."""
    _setup(ledger)
    ledger.ok("bill", "photos/ben", "--pieces", "4", "--date", "2026-10-18", today="2026-10-18")
    due = {
        1: date(2026, 10, 9),
        2: date(2026, 10, 11),
        3: date(2026, 10, 10),
        4: date(2026, 10, 19),
        5: date(2026, 10, 25),
    }
    contract = {1: "photos/ana", 2: "photos/ana", 3: "photos/ben", 4: "rows/dara", 5: "photos/ben"}
    deadline = date(2026, 10, 20)
    for day in (date(2026, 10, 5) + timedelta(days=n) for n in range(23)):
        plan = _sweep(ledger, day.isoformat(), "--dry-run")
        bills = [(a["action"], a["bill_id"], a["date"]) for a in plan if a["action"].startswith("release")]
        expected = [
            ("release" if when <= day else "release_soon", bill, when.isoformat())
            for bill, when in sorted(due.items())
            if when <= day + timedelta(days=3)
        ]
        assert bills == expected, day
        ends = [(a["action"], a["contract"], a["note"]) for a in plan if a["action"] in ("end", "end_waiting")]
        expected_ends = []
        for ref in ("photos/ana", "photos/ben") if day > deadline else ():
            waiting = sum(1 for bill, when in due.items() if contract[bill] == ref and when > day)
            note = "deadline 2026-10-20 passed" + (f"; {waiting} bill(s) still pending" if waiting else "")
            expected_ends.append(("end_waiting" if waiting else "end", ref, note))
        assert ends == expected_ends, day


@pytest.mark.sqlite_only
def test_dormant_contracts_and_coming_deadlines_are_reported(ledger: Ledger) -> None:
    _setup(ledger)
    _sweep(ledger, "2026-10-30")
    notices = _sweep(ledger, "2027-02-01", "--dormant-days", "90")
    dormant = [(a["contract"], a["date"]) for a in notices if a["action"] == "dormant"]
    assert dormant == [("rows/dara", "2026-10-19")]  # its last entry: the auto-release
    soon = _sweep(ledger, "2026-10-18", "--dry-run")
    assert soon == []  # photos contracts already ended; rows has no deadline
    fresh = Ledger(ledger.db.with_name("fresh.db"))
    fresh.ok("init")
    _setup(fresh)
    coming = _sweep(fresh, "2026-10-18", "--dry-run")
    assert {a["contract"] for a in coming if a["action"] == "end_soon"} == {"photos/ana", "photos/ben"}


def test_sweeps_at_once_release_each_bill_once_and_report_each_action_done_once(ledger: Ledger) -> None:
    _setup(ledger)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIECEPAY_TODAY": "2026-10-30"}
    cmd = [sys.executable, "-m", "piecepay", "--json", "--db", str(ledger.db), "sweep"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(16)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 16, outputs
    with_actions = [json.loads(out) for out, _ in outputs]
    releases = [a for actions in with_actions for a in actions if a["action"] == "release"]
    assert {a["bill_id"] for a in releases} == {1, 2, 3, 4}
    done = [
        (a["action"], a.get("bill_id"), a["contract"]) for acts in with_actions for a in acts if a["status"] == "done"
    ]
    # summed over every run, each release and each end is reported done exactly once
    assert sorted(a for a, _, _ in done) == ["end", "end", "release", "release", "release", "release"], done
    assert len(set(done)) == len(done)
    statuses = {a["status"] for acts in with_actions for a in acts if a["action"] in ("release", "end")}
    assert statuses <= {"done", "already_done"} or all(
        s.startswith("skipped") for s in statuses - {"done", "already_done"}
    )
    log = ledger.ok("log")
    assert sorted(e["bill_id"] for e in log if e["kind"] == "release") == [1, 2, 3, 4]
    assert sum(1 for e in log if e["kind"] == "refund") == 2
    assert ledger.run("verify").code == 0
