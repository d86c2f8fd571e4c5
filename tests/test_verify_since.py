"""verify --since-checkpoint: a passing verify records where it left off (the verified head),
and the incremental check proves only what came after it, trusting the rest; backups share it.

The tampering here is done as in tests/test_verify_faults.py, by hand on the file with the
guards dropped; the faults the full verify names are catalogued there."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from piecepay.operations.verify import CHECKS, SINCE_CHECKS
from tests.conftest import Ledger, Result

BOTH_STORES = True


@pytest.fixture
def checked(contract: Ledger) -> Ledger:
    """A contract with a top-up and a pending bill of 2 x 5.00, verified in full: its head is recorded."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "100")
    contract.ok("bill", "photos/ana", "--pieces", "2", "--note", "first")
    proof = contract.ok("verify")
    assert (proof["since_checkpoint"], proof["checkpoint_recorded"]) == (None, True)
    return contract


def head_of(ledger: Ledger) -> tuple[int, str, str, str]:
    """The verified head the ledger records: entry, hash, sums (JSON text), when."""
    ((entry, digest, sums, at),) = ledger.query("SELECT entry_id, hash, sums, verified_at FROM verified_head")
    return entry, digest, sums, at


def since(ledger: Ledger) -> Result:
    return ledger.run("--json", "verify", "--since-checkpoint")


def assert_fault(result: Result, code: str, message: str) -> None:
    assert (result.code, result.out) == (5, ""), result.err
    assert result.error == {"code": code, "message": f"verify failed: {message}"}


@contextmanager
def forged(ledger: Ledger) -> Iterator[sqlite3.Connection]:
    """Plain sqlite3 on the file in one transaction, every trigger dropped and put back after."""
    conn = sqlite3.connect(ledger.db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    guards = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in guards:
        conn.execute(f'DROP TRIGGER "{name}"')
    try:
        yield conn
        for _, sql in guards:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def bill(ledger: Ledger, pieces: str = "1", **more: str) -> dict[str, Any]:
    extra = [item for name, value in more.items() for item in (f"--{name}", value)]
    done: dict[str, Any] = ledger.ok("bill", "photos/ana", "--pieces", pieces, *extra)
    return done


def last_entry(ledger: Ledger) -> int:
    return int(ledger.query("SELECT MAX(id) FROM entries")[0][0])


# --------------------------------------------------------------------------- what it proves, and records


def test_it_proves_what_came_after_the_checkpoint_and_moves_it_on(checked: Ledger) -> None:
    recorded = head_of(checked)[0]
    released = bill(checked)
    checked.ok("release", str(released["id"]))
    bill(checked, "3")
    proof = checked.ok("verify", "--since-checkpoint")
    log = checked.ok("log")
    assert (proof["entries"], proof["head"]) == (len(log), log[-1]["hash"])
    assert proof["since_checkpoint"] == recorded < len(log)
    assert proof["checks"] == list(SINCE_CHECKS)
    assert proof["checkpoint_recorded"] is True
    assert head_of(checked)[:2] == (len(log), log[-1]["hash"])
    again = checked.ok("verify", "--since-checkpoint")  # nothing new: from the new checkpoint on
    assert (again["since_checkpoint"], again["entries"], again["head"]) == (len(log), len(log), log[-1]["hash"])
    full = checked.ok("verify")
    assert (full["since_checkpoint"], full["entries"], full["head"]) == (None, len(log), log[-1]["hash"])
    assert full["checks"] == list(CHECKS)


def test_the_checkpoint_sums_are_the_postings_up_to_it(checked: Ledger) -> None:
    """The recorded sums are each account's postings summed, so an incremental check of the
    totals adds only the new postings to them."""
    bill(checked)
    checked.ok("verify", "--since-checkpoint")
    entry, _, sums, _ = head_of(checked)
    summed: dict[str, list[int]] = {}
    columns = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
    for account, side, phase, total in checked.query(
        f"SELECT account_id, side, phase, SUM(amount) FROM postings WHERE entry_id <= {entry} GROUP BY 1, 2, 3"
    ):
        summed.setdefault(str(account), [0, 0, 0, 0])[columns.index(f"{side}s_{phase}")] = int(total)
    assert json.loads(sums) == summed
    assert summed  # the top-up and the bills moved money


def test_without_a_checkpoint_every_entry_is_checked(ledger: Ledger) -> None:
    """A ledger never verified records no head; --since-checkpoint then checks everything,
    says so, and records the head for the next time."""
    assert ledger.query("SELECT COUNT(*) FROM verified_head") == [(0,)]
    plain = ledger.run("verify", "--since-checkpoint")
    assert (plain.code, plain.err) == (0, "")
    assert plain.out.endswith(f"{len(CHECKS)} checks passed on every entry (no checkpoint was recorded yet)\n")
    assert head_of(ledger)[0] == 1
    proof = ledger.ok("verify", "--since-checkpoint")
    assert (proof["since_checkpoint"], proof["entries"]) == (1, 1)


def test_the_summary_says_where_the_check_started(checked: Ledger) -> None:
    recorded = head_of(checked)[0]
    bill(checked)
    log = checked.ok("log")
    plain = checked.run("verify", "--since-checkpoint")
    accounts = checked.ok("verify")["accounts"]
    assert (plain.code, plain.err) == (0, "")
    assert plain.out == (
        f"ok: entries {len(log)}, head {log[-1]['hash']}; {accounts} accounts, {len(SINCE_CHECKS)} checks passed "
        f"on the entries after the checkpoint at entry {recorded}\n"
    )


def test_the_checkpoint_never_moves_back(checked: Ledger) -> None:
    """A later head stays recorded when a verify proves an earlier one (an old copy's, say)."""
    entry, digest, _, _ = head_of(checked)
    bill(checked)
    checked.ok("verify")
    later = head_of(checked)
    assert later[0] == entry + 1  # the bill's entry
    checked.ok("verify", "--expect", f"{entry}:{digest}")
    assert head_of(checked)[:2] == later[:2]


# --------------------------------------------------------------------------- what it catches, what it trusts


@pytest.mark.sqlite_only
def test_an_entry_after_the_checkpoint_altered_is_caught(checked: Ledger) -> None:
    bill(checked)
    new = last_entry(checked)
    with forged(checked) as conn:
        conn.execute("UPDATE entries SET memo = 'bill 9: 1 photo' WHERE id = ?", (new,))
    assert_fault(since(checked), "entry_altered", f"entry {new} (bill) was altered: its hash does not match")


@pytest.mark.sqlite_only
def test_an_entry_after_the_checkpoint_missing_is_caught(checked: Ledger) -> None:
    recorded = head_of(checked)[0]
    bill(checked)
    bill(checked)
    with forged(checked) as conn:
        conn.execute("DELETE FROM postings WHERE entry_id = ?", (recorded + 1,))
        conn.execute("DELETE FROM entries WHERE id = ?", (recorded + 1,))
    assert_fault(since(checked), "entry_missing", f"entry {recorded + 1} is missing (next is {recorded + 2})")


@pytest.mark.sqlite_only
def test_an_entry_before_the_checkpoint_altered_is_trusted_until_the_full_verify(checked: Ledger) -> None:
    """What the incremental check does not prove: the entries up to the checkpoint. An edit of
    one of them passes it, and the full verify (the default) names it."""
    with forged(checked) as conn:
        conn.execute("UPDATE entries SET memo = 'campaign photos: Restaurant photos, 50 USD per photo' WHERE id = 2")
    assert since(checked).code == 0
    assert_fault(
        checked.run("--json", "verify"),
        "entry_altered",
        "entry 2 (campaign_created) was altered: its hash does not match",
    )


@pytest.mark.sqlite_only
def test_the_checkpoint_entry_altered_is_caught(checked: Ledger) -> None:
    """The entry the checkpoint names is recomputed from what it holds, not only compared."""
    recorded = head_of(checked)[0]
    with forged(checked) as conn:
        conn.execute("UPDATE entries SET memo = 'bill 1: 1 photo' WHERE id = ?", (recorded,))
    kind = checked.query(f"SELECT kind FROM entries WHERE id = {recorded}")[0][0]
    assert_fault(since(checked), "entry_altered", f"entry {recorded} ({kind}) was altered: its hash does not match")


@pytest.mark.sqlite_only
def test_a_checkpoint_naming_another_hash_is_caught(checked: Ledger) -> None:
    """The journal rewritten up to the checkpoint (or the checkpoint forged): its entry does
    not have the hash it recorded."""
    entry, digest, _, at = head_of(checked)
    other = "2" * 64
    with forged(checked) as conn:
        conn.execute("UPDATE verified_head SET hash = ?", (other,))
    assert_fault(
        since(checked),
        "verified_head_mismatch",
        f"entry {entry} has hash {digest}, not {other} as the checkpoint of {at} says: "
        "the journal up to it was rewritten",
    )


@pytest.mark.sqlite_only
def test_a_checkpoint_past_the_journal_is_caught(checked: Ledger) -> None:
    entry, _, _, at = head_of(checked)
    with forged(checked) as conn:
        conn.execute("UPDATE verified_head SET entry_id = ?", (entry + 5,))
    assert_fault(
        since(checked),
        "verified_head_mismatch",
        f"the checkpoint of {at} names entry {entry + 5}, which is not in the ledger: "
        "it was truncated or rolled back to an older copy",
    )


@pytest.mark.sqlite_only
def test_a_checkpoint_with_unreadable_sums_is_caught(checked: Ledger) -> None:
    at = head_of(checked)[3]
    with forged(checked) as conn:
        conn.execute("UPDATE verified_head SET sums = '{}x'")
    assert_fault(since(checked), "verified_head_mismatch", f"the checkpoint of {at} holds unreadable sums")


@pytest.mark.sqlite_only
def test_an_account_the_checkpoint_counts_that_is_gone_is_caught(checked: Ledger) -> None:
    _, _, sums, at = head_of(checked)
    counted = json.loads(sums)
    counted["99"] = [0, 0, 0, 0]
    with forged(checked) as conn:
        conn.execute("UPDATE verified_head SET sums = ?", (json.dumps(counted, sort_keys=True, separators=(",", ":")),))
    assert_fault(since(checked), "account_missing", f"account 99, which the checkpoint of {at} counts, is gone")


@pytest.mark.sqlite_only
def test_totals_edited_after_the_checkpoint_are_caught(checked: Ledger) -> None:
    """The worker's pending credits raised in the account only: the checkpoint's sums plus
    the new postings do not add up to it."""
    bill(checked)
    with forged(checked) as conn:
        conn.execute("UPDATE accounts SET credits_pending = credits_pending + 100 WHERE name = 'worker:ana'")
    assert_fault(
        since(checked),
        "stored_total_mismatch",
        "account worker:ana (USD) stores credits_pending 1600, its postings sum to 1500",
    )


@pytest.mark.sqlite_only
def test_totals_forged_with_the_checkpoint_sums_pass_only_the_incremental_check(checked: Ledger) -> None:
    """A forger who raises the worker's earnings and the checkpoint's sums alike passes the
    incremental check, which trusts the sums; the full verify proves the totals against every
    posting, and the checkpoint's sums against the postings up to it."""
    _, _, sums, _ = head_of(checked)
    counted = json.loads(sums)
    worker = str(checked.query("SELECT id FROM accounts WHERE name = 'worker:ana'")[0][0])
    counted[worker][3] += 5000
    with forged(checked) as conn:
        conn.execute("UPDATE accounts SET credits_posted = credits_posted + 5000 WHERE name = 'worker:ana'")
        conn.execute("UPDATE verified_head SET sums = ?", (json.dumps(counted, sort_keys=True, separators=(",", ":")),))
    assert since(checked).code == 0
    assert_fault(
        checked.run("--json", "verify"),
        "stored_total_mismatch",
        "account worker:ana (USD) stores credits_posted 5000, its postings sum to 0",
    )


@pytest.mark.sqlite_only
def test_a_row_sealed_after_the_checkpoint_changed_is_caught(checked: Ledger) -> None:
    new = bill(checked, note="second")
    with forged(checked) as conn:
        conn.execute("UPDATE bills SET note = 'third' WHERE id = ?", (new["id"],))
    sealer = last_entry(checked)  # the bill's entry
    assert_fault(
        since(checked),
        "fact_altered",
        f"bills row {new['id']} differs from what entry {sealer} sealed (changed: note)",
    )


@pytest.mark.sqlite_only
def test_a_row_sealed_after_the_checkpoint_deleted_is_caught(checked: Ledger) -> None:
    new = bill(checked)
    sealer = last_entry(checked)
    with forged(checked) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM bills WHERE id = ?", (new["id"],))
    assert_fault(
        since(checked), "fact_missing", f"bills row {new['id']}, sealed by entry {sealer}, is gone from the ledger"
    )


@pytest.mark.sqlite_only
def test_a_row_only_sealed_before_the_checkpoint_changed_is_trusted_until_the_full_verify(checked: Ledger) -> None:
    """The rows no entry after the checkpoint sealed are not read by the incremental check."""
    with forged(checked) as conn:
        conn.execute("UPDATE workers SET name = 'Mallory' WHERE handle = 'ana'")
    assert since(checked).code == 0
    assert checked.run("--json", "verify").error["code"] == "fact_altered"


# --------------------------------------------------------------------------- backups share it


@pytest.mark.sqlite_only
def test_a_backup_checks_only_what_is_new_and_records_the_head_it_proved(checked: Ledger, tmp_path: Path) -> None:
    """The copy carries the checkpoint, so its check starts there (an edit before it passes, as
    with verify --since-checkpoint); the head the copy proves is recorded in the ledger too."""
    with forged(checked) as conn:
        conn.execute("UPDATE entries SET memo = 'campaign photos: Restaurant photos, 50 USD per photo' WHERE id = 2")
    bill(checked)
    done = checked.ok("backup", str(tmp_path / "copy.db"))
    log = checked.ok("log")
    assert (done["entries"], done["head"]) == (len(log), log[-1]["hash"])
    assert head_of(checked)[:2] == (len(log), log[-1]["hash"])
    assert head_of(Ledger(tmp_path / "copy.db"))[:2] == (len(log), log[-1]["hash"])
    assert checked.run("--json", "verify").error["code"] == "entry_altered"


@pytest.mark.sqlite_only
def test_a_backup_refuses_an_edit_after_the_checkpoint(checked: Ledger, tmp_path: Path) -> None:
    bill(checked)
    new = last_entry(checked)
    with forged(checked) as conn:
        conn.execute("UPDATE entries SET memo = 'bill 9: 1 photo' WHERE id = ?", (new,))
    result = checked.run("--json", "backup", str(tmp_path / "copy.db"))
    assert result.code == 5
    assert result.error == {
        "code": "entry_altered",
        "message": f"backup copy failed its check, nothing replaced: verify failed: entry {new} (bill) was altered: "
        "its hash does not match",
    }
    assert not (tmp_path / "copy.db").exists()


def test_a_backup_of_a_ledger_never_verified_is_checked_in_full(contract: Ledger, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    done = contract.ok("backup", str(tmp_path / "copy.db"))
    assert head_of(Ledger(tmp_path / "copy.db"))[:2] == (done["entries"], done["head"])
    assert head_of(contract)[:2] == (done["entries"], done["head"])
