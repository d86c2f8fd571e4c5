"""Nothing lost: what piecepay does with files that are not (or not yet, or no longer) a ledger.

Only ``init`` creates a ledger; a typo names a missing file and is refused; an empty or
foreign file is not a ledger; a newer one is left alone; a read-only one can be read;
exports and backups never land on the ledger or its SQLite files; a backup never replaces
a newer one; and a killed writer's temporary files are swept whatever the target's name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from piecepay.store.migrations import LATEST_VERSION
from tests.conftest import ROOT, Ledger, run_cli

LEGACY = ROOT / "tests" / "data" / "ledger-schema2.db"
# A ledger the previous release wrote at schema 5 (2026-11-02): campaign photos (budget 500,
# review window 14 days), worker ana, contract photos/ana with 100.00 USD in escrow under a
# cap of 50.00, bills 1 (3 photos, released), 2 (2, rejected: blurry) and 3 (4, pending).
SCHEMA_5 = ROOT / "tests" / "data" / "schema5.db"
SCHEMA_5_HEAD = "11:8fea849191630b3f5dabee28573345af7b47fbf38ac661133f2206313c72a24b"
ACTIVITY_INDEXES = (  # what m005_activity_index makes
    "idx_entries_contract_id_effective_date",
    "idx_bills_contract_id_status_effective_date",
    "idx_campaigns_review_days",
    "idx_bills_entry_id",
    "idx_bills_resolve_entry_id",
    "idx_milestones_entry_id",
)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _entries(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    finally:
        conn.close()


# --------------------------------------------------------------------------- only init creates


def test_init_creates_a_ledger_whose_first_entry_records_it(tmp_path: Path) -> None:
    db = tmp_path / "new" / "books.db"  # init makes the folder it was asked to use
    fresh = Ledger(db)
    made = fresh.ok("--actor", "owner", "init")
    assert made["path"] == str(db) and db.is_file()
    (entry,) = fresh.ok("log")
    assert (entry["kind"], entry["memo"], entry["actor"]) == ("checkpoint", "ledger created", "owner")
    assert fresh.run("verify").code == 0
    assert _files(db.parent) == ["books.db"]  # built beside it and linked into place whole


def test_init_never_touches_an_existing_file(ledger: Ledger, tmp_path: Path) -> None:
    ledger.ok("worker", "add", "ana")
    before = ledger.db.read_bytes()
    again = ledger.run("--json", "init")
    assert (again.code, again.error["code"]) == (1, "ledger_exists")
    assert ledger.db.read_bytes() == before
    other = tmp_path / "notes.txt"
    other.write_text("mine\n")
    refused = Ledger(other).run("--json", "init")
    assert (refused.code, refused.error["code"]) == (1, "ledger_exists")
    assert other.read_text() == "mine\n"


@pytest.mark.parametrize("args", [("bill", "--pieces", "1"), ("campaign", "list"), ("report",), ("verify",)])
def test_a_typo_in_the_ledger_path_is_refused_not_a_new_ledger(ledger: Ledger, args: tuple[str, ...]) -> None:
    """PIECEPAY_DB=ledgr.db must not fork the books into a new empty file (or folder)."""
    for typo in (ledger.db.with_name("ledgr.db"), ledger.db.parent / "no" / "such" / "ledger.db"):
        result = ledger.run("--json", *args, env={"PIECEPAY_DB": str(typo)}, db=False)
        assert (result.code, result.error["code"]) == (3, "ledger_not_found")
        assert str(typo) in result.error["message"] and "piecepay init" in result.error["message"]
        assert not typo.exists() and not (ledger.db.parent / "no").exists()


# --------------------------------------------------------------------------- empty, foreign, newer


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00"], ids=["zero-length", "header-only"])
@pytest.mark.parametrize("args", [("verify",), ("report",), ("bill", "--pieces", "1"), ("backup", "copy.db")])
def test_an_empty_file_is_not_a_ledger(tmp_path: Path, content: bytes, args: tuple[str, ...]) -> None:
    db = tmp_path / "ledger.db"
    db.write_bytes(content)
    result = Ledger(db).run("--json", *args)
    assert (result.code, result.error["code"]) == (5, "not_a_ledger")
    assert db.read_bytes() == content and _files(tmp_path) == ["ledger.db"]


def test_a_foreign_sqlite_database_is_not_a_ledger(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("PRAGMA user_version = 2")  # even one that claims a piecepay schema version
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for args in (("verify",), ("campaign", "list")):
        result = Ledger(db).run("--json", *args)
        assert (result.code, result.error["code"]) == (5, "not_a_ledger")
    assert db.read_bytes() == before


def test_the_nightly_backup_of_an_emptied_ledger_keeps_the_last_good_backup(ledger: Ledger, tmp_path: Path) -> None:
    ledger.ok("worker", "add", "ana")
    latest = tmp_path / "latest.db"
    assert ledger.ok("backup", str(latest))["verified"] is True
    good = latest.read_bytes()
    ledger.db.write_bytes(b"")  # the ledger was truncated by accident
    result = ledger.run("--json", "backup", str(latest))
    assert (result.code, result.error["code"]) == (5, "not_a_ledger")
    assert latest.read_bytes() == good


# --------------------------------------------------------------------------- targets


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_export_onto_the_ledger_or_its_files_is_refused_and_the_ledger_verifies(contract: Ledger, suffix: str) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    target = f"{contract.db}{suffix}"
    for args in (("export", "--out", target), ("backup", target)):
        before = contract.dump()
        result = contract.run("--json", *args, env={"PIECEPAY_DB": str(contract.db)}, db=False)
        assert (result.code, result.error["code"]) == (2, "bad_target"), args
        assert contract.dump() == before
    assert contract.run("verify").code == 0


def test_export_onto_the_wal_of_a_ledger_held_open_loses_nothing(contract: Ledger) -> None:
    """Another process holds the ledger open with committed entries still in its -wal."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(contract.db)!r})\n"
            "c.execute('SELECT COUNT(*) FROM entries').fetchone()\n"
            "print('open', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        for pieces in ("1", "2"):
            contract.ok("milestone", "add", "photos/ana", "--top-up", pieces)
        wal = Path(f"{contract.db}-wal")
        assert wal.exists() and wal.stat().st_size > 0
        entries = _entries(contract.db)
        result = run_cli("--json", "--db", str(contract.db), "export", "--out", str(wal))
        assert result.returncode == 2, result.stderr
        assert _entries(contract.db) == entries
    finally:
        holder.kill()
        holder.wait()
    assert contract.ok("verify")["entries"] == entries


def test_links_to_the_ledger_are_refused_by_identity(contract: Ledger, tmp_path: Path) -> None:
    hard = tmp_path / "hard.db"
    os.link(contract.db, hard)
    soft = tmp_path / "elsewhere" / "soft.csv"
    soft.parent.mkdir()
    soft.symlink_to(contract.db)
    before = contract.dump()
    for target in (hard, soft):
        for args in (("export", "--out", str(target)), ("backup", str(target))):
            result = contract.run("--json", *args)
            assert (result.code, result.error["code"]) == (2, "bad_target"), (args, result.err)
    assert contract.dump() == before and contract.run("verify").code == 0


@pytest.mark.parametrize("target", ["/dev/null", "/dev/full"])
def test_device_nodes_are_not_replaced(contract: Ledger, target: str) -> None:
    if not Path(target).exists():
        pytest.skip(f"{target} is missing here")
    info = os.stat(target)
    for args in (("export", "--out", target), ("backup", target)):
        result = contract.run("--json", *args)
        assert (result.code, result.error["code"]) == (2, "bad_target")
    assert os.stat(target).st_rdev == info.st_rdev and not Path(target).is_file()


def test_a_folder_is_not_a_target(contract: Ledger, tmp_path: Path) -> None:
    for args in (("export", "--out", str(tmp_path)), ("backup", str(tmp_path))):
        result = contract.run("--json", *args)
        assert (result.code, result.error["code"]) == (2, "bad_target")


# --------------------------------------------------------------------------- backups that only move forward


def test_a_backup_replaces_only_a_backup_its_journal_extends(contract: Ledger, tmp_path: Path) -> None:
    latest = tmp_path / "latest.db"
    first = contract.ok("backup", str(latest))
    assert first["head"] == contract.ok("verify")["head"]
    again = contract.ok("backup", str(latest))  # nothing new: the same head extends itself
    assert again["entries"] == first["entries"]
    contract.ok("milestone", "add", "photos/ana", "--top-up", "10")
    assert contract.ok("backup", str(latest))["entries"] > first["entries"]
    newer = latest.read_bytes()
    # a ledger with fewer entries than the backup does not extend it
    fresh = Ledger(tmp_path / "other.db")
    fresh.ok("init")
    refused = fresh.run("--json", "backup", str(latest))
    assert (refused.code, refused.error["code"]) == (1, "backup_not_extended")
    assert latest.read_bytes() == newer
    forced = fresh.ok("backup", str(latest), "--force")
    assert forced["entries"] == 1 and latest.read_bytes() != newer


def test_a_diverging_ledger_does_not_replace_the_backup(contract: Ledger, tmp_path: Path) -> None:
    """Same length or longer, but a different history: refused unless --force."""
    latest = tmp_path / "latest.db"
    contract.ok("backup", str(latest))
    twin = Ledger(tmp_path / "twin.db")
    twin.ok("init")
    for args in (
        ("campaign", "create", "Other", "--slug", "other", "--rate", "1"),
        ("worker", "add", "zed"),
        ("worker", "add", "yan"),
        ("worker", "add", "xia"),
        ("worker", "add", "wu"),
        ("worker", "add", "val"),
    ):
        twin.ok(*args)
    assert twin.ok("verify")["entries"] >= contract.ok("verify")["entries"]
    before = latest.read_bytes()
    result = twin.run("--json", "backup", str(latest))
    assert (result.code, result.error["code"]) == (1, "backup_not_extended")
    assert latest.read_bytes() == before


def test_a_file_that_is_not_a_backup_is_replaced_only_with_force(contract: Ledger, tmp_path: Path) -> None:
    target = tmp_path / "notes.db"
    target.write_text("not a ledger\n")
    result = contract.run("--json", "backup", str(target))
    assert (result.code, result.error["code"]) == (1, "backup_target_not_a_ledger")
    assert target.read_text() == "not a ledger\n"
    assert contract.ok("backup", str(target), "--force")["verified"] is True


def test_killed_backups_leave_nothing_behind_whatever_their_names(contract: Ledger, tmp_path: Path) -> None:
    """Cron names backups by date; each killed run's temporary copy (and SQLite's journal of
    it) must be swept by a later run even though its target name never comes back."""
    for pieces in range(1, 30):
        contract.ok("milestone", "add", "photos/ana", "--top-up", str(pieces))
    backups = tmp_path / "backups"
    backups.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = 0
    for day in range(1, 16):
        target = backups / f"ledger-2026-11-{day:02d}.db"
        proc = subprocess.Popen(
            [sys.executable, "-m", "piecepay", "--db", str(contract.db), "backup", str(target)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.12 + 0.02 * (day % 7))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
    # dead writers' leftovers, as a killed run leaves them mid-copy
    (backups / ".ledger-2026-10-31.db.piecepay-999999.tmp").write_bytes(b"partial")
    (backups / ".ledger-2026-10-31.db.piecepay-999999.tmp-journal").write_bytes(b"journal")
    kept = backups / ".my-own-notes.tmp"
    kept.write_text("not piecepay's")
    final = backups / "ledger-2026-11-30.db"
    assert contract.ok("backup", str(final))["verified"] is True
    left = [name for name in _files(backups) if "piecepay-" in name]
    assert left == [], left
    assert kept.exists()
    assert killed > 0


def test_killed_exports_are_swept_by_an_export_to_another_name(contract: Ledger, tmp_path: Path) -> None:
    (tmp_path / ".books-2026-11-01.csv.piecepay-999998.tmp").write_text("half")
    contract.ok("export", "--out", str(tmp_path / "books-2026-11-02.csv"))
    assert [n for n in _files(tmp_path) if "piecepay-" in n] == []


# --------------------------------------------------------------------------- read-only ledgers


def _read_only_runner(folder: Path) -> list[str] | None:
    """A command prefix that runs piecepay with ``folder`` read-only, or None if this machine cannot.

    As root, permissions do not stop writes, so the folder is bind-mounted read-only in a
    private mount namespace (a read-only medium); otherwise file modes do it."""
    if os.geteuid() != 0:
        return []
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
        str(folder),
    ]


def _run_read_only(folder: Path, prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "piecepay", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_ledger_on_read_only_media_can_be_read_but_not_written(contract: Ledger, tmp_path: Path) -> None:
    contract.ok("milestone", "add", "photos/ana", "--top-up", "20")
    contract.ok("bill", "--pieces", "1")
    folder = contract.db.parent
    out = tmp_path.parent / f"{tmp_path.name}-out"
    out.mkdir()
    prefix = _read_only_runner(folder)
    if prefix is None:
        if os.environ.get("CI") == "true":
            pytest.fail("cannot make a read-only medium here (needs unshare as root, or a non-root user)")
        pytest.skip("cannot make a read-only medium here")
    if not prefix:
        folder.chmod(0o555)
        contract.db.chmod(0o444)
    try:
        before = contract.db.read_bytes()
        db = str(contract.db)
        for args in (
            ("report",),
            ("log",),
            ("verify",),
            ("verify", "--since-checkpoint"),
            ("campaign", "list"),
            ("export", "--format", "hledger", "--out", str(out / "books.journal")),
            ("backup", str(out / "copy.db")),
            ("sweep", "--dry-run"),
            ("anchor", str(out / "anchors.txt")),
        ):
            result = _run_read_only(folder, prefix, "--db", db, *args)
            assert result.returncode == 0, (args, result.stderr)
        for args in (("bill", "--pieces", "1"), ("export", "--cursor", "c"), ("worker", "add", "ben"), ("sweep",)):
            result = _run_read_only(folder, prefix, "--db", db, *args)
            assert result.returncode == 5, (args, result.stderr)
            assert "read-only" in result.stderr and result.stderr.count("\n") == 1
        assert contract.db.read_bytes() == before
        assert Ledger(out / "copy.db").run("verify").code == 0
    finally:
        if not prefix:
            folder.chmod(0o755)
            contract.db.chmod(0o644)


# --------------------------------------------------------------------------- a newer ledger


def test_a_newer_ledger_is_refused_before_the_file_is_touched(contract: Ledger) -> None:
    conn = sqlite3.connect(contract.db)
    conn.execute("PRAGMA journal_mode=DELETE")  # as a newer piecepay might leave it
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = contract.db.read_bytes()
    for args in (("report",), ("verify",), ("bill", "--pieces", "1")):
        result = contract.run("--json", *args)
        assert (result.code, result.error["code"]) == (5, "schema_too_new")
    assert contract.db.read_bytes() == before
    assert _files(contract.db.parent) == ["ledger.db"]


# --------------------------------------------------------------------------- upgrading a 0.1.0 ledger


def test_a_schema_2_ledger_is_sealed_into_the_chain_and_keeps_its_history(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    shutil.copyfile(LEGACY, db)
    old = Ledger(db)
    log = old.ok("log")
    assert [e["kind"] for e in log][:5] == ["top_up", "bill", "release", "bill", "payout"]
    assert log[-1]["kind"] == "checkpoint" and "sealed" in log[-1]["memo"]
    facts = old.ok("verify")
    assert facts["entries"] == len(log)
    anchor = f"{facts['entries']}:{facts['head']}"
    assert old.ok("bill", "photos/ana", "--pieces", "1")["status"] == "pending"
    assert old.ok("verify", "--expect", anchor)["ok"] is True
    replay = old.run("--json", "bill", "photos/ana", "--pieces", "9", "--key", "b1")  # a key from 0.1.0
    assert replay.code == 4


def test_a_schema_3_ledger_is_upgraded_with_an_entry_that_seals_nothing_new(contract: Ledger) -> None:
    """A ledger from before the verified head (schema 3: its facts are sealed already) gets the
    table and one checkpoint entry recording the upgrade, which seals no fact again (so an
    upgrade costs the same whatever the ledger's size); its history still proves out."""
    contract.ok("milestone", "add", "photos/ana", "--top-up", "20")
    head = contract.ok("verify")
    conn = sqlite3.connect(contract.db)
    conn.execute("DROP TABLE verified_head")
    conn.execute("DELETE FROM migrations WHERE name = 'm004_verified_head'")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    log = contract.ok("log")  # opening it upgrades it
    assert (len(log), log[-1]["kind"], log[-1]["memo"]) == (
        head["entries"] + 1,
        "checkpoint",
        f"schema {LATEST_VERSION}: upgraded from schema 3",
    )
    assert contract.query(f"SELECT facts FROM entries WHERE id = {len(log)}") == [("{}",)]
    assert ("m004_verified_head",) in contract.query("SELECT name FROM migrations ORDER BY name")
    assert contract.ok("verify", "--expect", f"{head['entries']}:{head['head']}")["entries"] == len(log)


def test_a_schema_2_ledger_with_an_altered_last_entry_is_not_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    shutil.copyfile(LEGACY, db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET memo = 'payout 0.01 USD to ana' WHERE id = 5")
    conn.commit()
    conn.close()
    result = Ledger(db).run("--json", "report")
    assert (result.code, result.error["code"]) == (5, "ledger_tampered")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


def test_a_ledger_without_the_activity_indexes_gains_them_and_seals_nothing_again(ledger: Ledger) -> None:
    """Migrations that change no fact (an index) are applied without sealing everything
    again: a ledger of a million bills upgrades in the time its indexes take."""
    ledger.ok("worker", "add", "ana")
    conn = sqlite3.connect(ledger.db)
    for index in ACTIVITY_INDEXES:
        conn.execute(f"DROP INDEX {index}")
    conn.execute("CREATE INDEX idx_entries_contract_id ON entries (contract_id)")  # what it replaces
    conn.execute("CREATE INDEX idx_bills_contract_id_status ON bills (contract_id, status)")
    conn.execute("DELETE FROM migrations WHERE name = 'm005_activity_index'")
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION - 1}")
    conn.commit()
    conn.close()
    ((entries,),) = ledger.query("SELECT COUNT(*) FROM entries")
    ledger.ok("worker", "add", "bo")  # opening it upgrades it
    upgrade, added = ledger.ok("log")[entries:]
    assert (upgrade["kind"], added["kind"]) == ("checkpoint", "worker_added")
    assert upgrade["memo"].endswith(f"upgraded from schema {LATEST_VERSION - 1}")
    ((sealed,),) = ledger.query(f"SELECT facts FROM entries WHERE id = {entries + 1}")
    assert sealed == "{}"  # an index seals no fact: the upgrade costs what the indexes cost
    names = {name for (name,) in ledger.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(ACTIVITY_INDEXES) <= names
    assert not {"idx_entries_contract_id", "idx_bills_contract_id_status"} & names
    assert ledger.ok("verify")["ok"] is True


def test_a_ledger_of_the_previous_release_is_upgraded_and_takes_revisions(tmp_path: Path) -> None:
    """A schema 5 file, as the previous release wrote it, is upgraded when first opened (even
    to read): the revisions table, the campaigns' revision and reversal windows (empty: 7 and
    30 days), the new guards, and one checkpoint entry that seals again only the campaigns,
    whose rows gained the two columns. Its history proves out against the head it had, and
    its bills then go through revisions and reversals like any."""
    db = tmp_path / "ledger.db"
    shutil.copyfile(SCHEMA_5, db)
    ledger = Ledger(db, today="2026-11-20")
    listed = ledger.ok("bill", "list")  # opening it upgrades it
    assert [(b["id"], b["status"], b["review_closes"]) for b in listed] == [
        (1, "released", None),
        (2, "rejected", None),
        (3, "pending", "2026-11-16"),
    ]
    upgrade = ledger.ok("log")[-1]
    assert (upgrade["id"], upgrade["kind"], upgrade["memo"]) == (
        12,
        "checkpoint",
        f"schema {LATEST_VERSION}: upgraded from schema 5",
    )
    ((sealed,),) = ledger.query("SELECT facts FROM entries WHERE id = 12")
    assert list(json.loads(sealed)) == ["campaigns", "contracts"]
    assert json.loads(sealed)["campaigns"]["1"]["revision_days"] is None
    shown = ledger.ok("campaign", "show", "photos")
    assert (shown["revision_days"], shown["reversal_days"]) == (7, 30)
    assert ledger.ok("verify", "--expect", SCHEMA_5_HEAD)["entries"] == 12
    assert ledger.ok("revise", "3", "--reason", "crop the edges")["status"] == "revising"
    assert ledger.ok("release", "2")["status"] == "released"  # rejected 18 days ago: within 30
    assert ledger.ok("resubmit", "3", "--pieces", "3")["amount"] == "15.00"
    assert ledger.ok("verify", "--expect", SCHEMA_5_HEAD)["entries"] == 15
