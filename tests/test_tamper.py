"""A catalogue of tamperings, each of which ``verify`` must catch.

The forger here has write access to the ledger file and knows SQL and piecepay's source:
it drops the guarding triggers (and puts them back when the point is not the guard itself,
so that what verify names is the tampering, not a missing trigger), edits rows, and in
the strongest cases recomputes the hash chain so that the file proves out on its own.
Those are caught only by an anchor taken before the tampering (``verify --expect N:HASH``,
``verify --anchors FILE``), which is why anchors exist.

Every ledger starts as a copy of one history built once through the real command line:

    1 checkpoint          6 top_up (photos/ana)   11 payout ana              16 offer_accepted ben
    2 campaign_created    7 bill 1 (released)     12 bill 3 (--key k1)       17 top_up (photos/ben)
    3 worker_added ana    8 bill 2 (rejected)     13 key_recorded k1         18 bill 4   <- EARLY anchor, backup
    4 offer_created       9 release bill 1        14 worker_added ben        19 release bill 4 (1 of 2)
    5 offer_accepted     10 reject bill 2         15 offer_created ben       20 worker_added cy <- LATE anchor
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from piecepay.journal import GENESIS_HASH, Posting, canonical_json, entry_hash, sealed_hash
from piecepay.store.facts import COVERED
from piecepay.store.journal import TOTAL_COLUMNS
from piecepay.store.migrations import GUARDS
from tests.conftest import ROOT, Ledger, Result

LEGACY = ROOT / "tests" / "data" / "ledger-schema2.db"

KINDS = [
    "checkpoint",
    "campaign_created",
    "worker_added",
    "offer_created",
    "offer_accepted",
    "top_up",
    "bill",
    "bill",
    "release",
    "reject",
    "payout",
    "bill",
    "key_recorded",
    "worker_added",
    "offer_created",
    "offer_accepted",
    "top_up",
    "bill",
    "release",
    "worker_added",
]
EARLY, LATE = 18, 20  # the entries the two anchors were taken at
BILL_1, BILL_2, BILL_3, BILL_4 = 7, 8, 12, 18  # the entries that wrote bills 1-4
RELEASE_1, PAYOUT, KEY_K1 = 9, 11, 13


# --------------------------------------------------------------------------- the forger


class Forger:
    """Plain sqlite3 on the ledger file, in one transaction, with every trigger dropped
    while it edits. On a clean exit the triggers are put back exactly as they were
    (unless ``restore_guards`` is False) and the edit is committed."""

    def __init__(self, db: Path, *, restore_guards: bool = True) -> None:
        self.db = db
        self.restore_guards = restore_guards

    def __enter__(self) -> Forger:
        self.conn = sqlite3.connect(self.db, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("BEGIN IMMEDIATE")
        rows = self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")
        self.guards = {row["name"]: row["sql"] for row in rows}
        for name in self.guards:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
                if self.restore_guards:
                    for sql in self.guards.values():
                        self.conn.execute(sql)
                self.conn.execute("COMMIT")
            else:
                self.conn.execute("ROLLBACK")
        finally:
            self.conn.close()

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.conn.execute(statement, params)

    def one(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(statement, params).fetchone()[0]

    def facts(self, eid: int) -> dict[str, Any]:
        return json.loads(self.one("SELECT facts FROM entries WHERE id = ?", (eid,)))

    def edit_image(self, eid: int, table: str, key: object, **changes: object) -> None:
        """Change the image entry ``eid`` sealed of one row (the row must be in it)."""
        facts = self.facts(eid)
        facts[table][str(key)].update(changes)
        self.sql("UPDATE entries SET facts = ? WHERE id = ?", (canonical_json(facts), eid))

    def sealer(self, table: str, key: object) -> int:
        """The last entry that sealed an image of the row, as verify compares it with."""
        for row in self.sql("SELECT id, facts FROM entries WHERE facts IS NOT NULL ORDER BY id DESC").fetchall():
            if str(key) in json.loads(row["facts"]).get(table, {}):
                return int(row["id"])
        raise AssertionError(f"no entry sealed {table} {key}")

    def shift_posting(self, posting_id: int, delta: int) -> None:
        """Add ``delta`` to a posting and to the account total it counts in."""
        p = self.sql("SELECT * FROM postings WHERE id = ?", (posting_id,)).fetchone()
        column = f"{p['side']}s_{p['phase']}"
        self.sql("UPDATE postings SET amount = amount + ? WHERE id = ?", (delta, posting_id))
        self.sql(f"UPDATE accounts SET {column} = {column} + ? WHERE id = ?", (delta, p["account_id"]))

    def postings_of(self, eid: int) -> list[sqlite3.Row]:
        return self.sql("SELECT * FROM postings WHERE entry_id = ? ORDER BY id", (eid,)).fetchall()

    def rechain(self, start: int) -> None:
        """Recompute ``prev_hash`` and ``hash`` of every entry from ``start`` on, the way
        verify recomputes them: the legacy hash for entries without facts, the sealed hash
        (account names and currencies, the stored facts) for the others."""
        names = {r["id"]: (r["name"], r["currency"]) for r in self.sql("SELECT id, name, currency FROM accounts")}
        prev = GENESIS_HASH if start == 1 else self.one("SELECT hash FROM entries WHERE id = ?", (start - 1,))
        for entry in self.sql("SELECT * FROM entries WHERE id >= ? ORDER BY id", (start,)).fetchall():
            eid = entry["id"]
            fields = {
                "id": eid,
                "kind": entry["kind"],
                "contract_id": entry["contract_id"],
                "bill_id": entry["bill_id"],
                "effective_date": entry["effective_date"],
                "recorded_at": entry["recorded_at"],
                "actor": entry["actor"],
                "memo": entry["memo"],
            }
            postings = [Posting(p["account_id"], p["side"], p["phase"], p["amount"]) for p in self.postings_of(eid)]
            if entry["facts"] is None:
                digest = entry_hash(prev, fields, postings)
            else:
                digest = sealed_hash(prev, fields, postings, names, json.loads(entry["facts"]))
            self.sql("UPDATE entries SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, eid))
            prev = digest
        self.rehead()

    def rehead(self) -> None:
        """Bring the record of the head verify last proved into line with the forged journal,
        as a forger who knows piecepay would: the hash now at its entry and the postings up to
        it summed again (no record at all once its entry is gone)."""
        head = self.sql("SELECT entry_id FROM verified_head").fetchone()
        if head is None:
            return
        found = self.sql("SELECT hash FROM entries WHERE id = ?", (head[0],)).fetchone()
        if found is None:
            self.sql("DELETE FROM verified_head")
            return
        sums: dict[str, list[int]] = {}
        for account, side, phase, total in self.sql(
            "SELECT account_id, side, phase, SUM(amount) FROM postings WHERE entry_id <= ? GROUP BY 1, 2, 3",
            (head[0],),
        ).fetchall():
            column = f"{side}s_{phase}"
            if column in TOTAL_COLUMNS:
                sums.setdefault(str(account), [0] * len(TOTAL_COLUMNS))[TOTAL_COLUMNS.index(column)] = total
        self.sql("UPDATE verified_head SET hash = ?, sums = ?", (found[0], canonical_json(sums)))

    def rewind(self, keep: int) -> None:
        """Delete every entry after ``keep`` with its postings, take the postings back out of
        the account totals, and put every row those entries sealed back to the image an
        earlier entry holds (or delete it if none does): the ledger as it was at ``keep``."""
        touched: set[tuple[str, str]] = set()
        for entry in self.sql("SELECT * FROM entries WHERE id > ? ORDER BY id DESC", (keep,)).fetchall():
            for p in self.postings_of(entry["id"]):
                self.shift_posting(p["id"], -p["amount"])
            for table, rows in json.loads(entry["facts"] or "{}").items():
                touched |= {(table, key) for key in rows}
            self.sql("DELETE FROM postings WHERE entry_id = ?", (entry["id"],))
            self.sql("DELETE FROM entries WHERE id = ?", (entry["id"],))
        for table, key in sorted(touched):
            key_column = COVERED[table][0]
            image = None
            for row in self.sql("SELECT facts FROM entries WHERE facts IS NOT NULL ORDER BY id DESC").fetchall():
                image = json.loads(row["facts"]).get(table, {}).get(key)
                if image is not None:
                    break
            current = self.sql(f"SELECT * FROM {table}").fetchall()
            match = [r for r in current if str(r[key_column]) == key]
            if image is None:
                self.sql(f"DELETE FROM {table} WHERE {key_column} = ?", (match[0][key_column],))
            else:
                columns = ", ".join(f"{name} = ?" for name in image)
                self.sql(
                    f"UPDATE {table} SET {columns} WHERE {key_column} = ?",
                    (*image.values(), image[key_column]),
                )
        self.rehead()


# --------------------------------------------------------------------------- the history


@dataclass
class Book:
    """A copy of the history, with its anchor file, its backup and the two anchored heads."""

    ledger: Ledger
    anchors: Path  # two lines: the head at EARLY, then the head at LATE
    backup: Path  # 'piecepay backup' taken at EARLY
    early: str  # EARLY:HASH as --expect takes it
    late: str  # LATE:HASH

    @property
    def db(self) -> Path:
        return self.ledger.db

    def verify(self, *args: str) -> Result:
        return self.ledger.run("--json", "verify", *args)

    def forge(self, *, restore_guards: bool = True) -> Forger:
        return Forger(self.db, restore_guards=restore_guards)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The history, built once per module through the real CLI and copied for each test (its
    first five commands make the ledger of conftest's ``contract`` fixture, which is
    function-scoped; building on it in every test would cost ~0.5 s a test)."""
    folder = tmp_path_factory.mktemp("history")
    book = Ledger(folder / "ledger.db")
    book.ok("init")
    book.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    book.ok("worker", "add", "ana")
    book.ok("offer", "create", "photos", "ana")
    book.ok("offer", "accept", "photos/ana")
    book.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "60")
    first = book.ok("bill", "photos/ana", "--pieces", "3", "--note", "first batch")
    second = book.ok("bill", "photos/ana", "--pieces", "2", "--note", "blurry")
    book.ok("release", str(first["id"]))
    book.ok("reject", str(second["id"]), "--reason", "out of focus")
    book.ok("payout", "ana", "--ref", "PP-1")
    book.ok("bill", "photos/ana", "--pieces", "1", "--key", "k1")
    book.ok("worker", "add", "ben")
    book.ok("offer", "create", "photos", "ben", "--rate", "4")
    book.ok("offer", "accept", "photos/ben")
    book.ok("milestone", "add", "photos/ben", "--top-up", "40")
    fourth = book.ok("bill", "photos/ben", "--pieces", "2")
    early = book.ok("verify")
    book.ok("backup", str(folder / "backup.db"))
    book.ok("anchor", str(folder / "anchors.txt"))
    book.ok("release", str(fourth["id"]), "--pieces", "1")
    book.ok("worker", "add", "cy")
    late = book.ok("verify")
    book.ok("anchor", str(folder / "anchors.txt"))
    assert [e["kind"] for e in book.ok("log")] == KINDS
    assert (early["entries"], late["entries"]) == (EARLY, LATE)
    assert [first["id"], second["id"], fourth["id"]] == [1, 2, 4]
    assert not Path(f"{book.db}-wal").exists()  # a plain copy of the file is the whole ledger
    return Book(
        book,
        folder / "anchors.txt",
        folder / "backup.db",
        f"{early['entries']}:{early['head']}",
        f"{late['entries']}:{late['head']}",
    )


@pytest.fixture
def book(template: Book, tmp_path: Path) -> Book:
    """A fresh copy of the history (ledger, anchor file, backup) for one test."""
    for source in (template.db, template.anchors, template.backup):
        shutil.copyfile(source, tmp_path / source.name)
    return Book(
        Ledger(tmp_path / template.db.name),
        tmp_path / template.anchors.name,
        tmp_path / template.backup.name,
        template.early,
        template.late,
    )


@pytest.fixture
def migrated(tmp_path: Path) -> Ledger:
    """The schema-2 ledger of piecepay 0.1.0 (legacy entries, hashed without facts), upgraded:
    entries 1-5 are legacy, entry 6 the checkpoint that seals every fact they wrote."""
    legacy = Ledger(tmp_path / "legacy.db")
    shutil.copyfile(LEGACY, legacy.db)
    assert legacy.ok("verify")["entries"] == 6
    assert [e["kind"] for e in legacy.ok("log")][-1] == "checkpoint"
    return legacy


def assert_fault(result: Result, code: str, *fragments: str) -> str:
    """verify (or anchor) exited 5 with error ``code`` and a message holding every fragment."""
    assert (result.code, result.out) == (5, ""), f"expected exit 5 ({code}), got {result.code}: {result.err}"
    error = result.error
    assert error["code"] == code, error
    assert error["message"].startswith("verify failed: "), error
    for fragment in fragments:
        assert fragment in error["message"], error
    return error["message"]


def assert_passes(book: Book) -> dict[str, Any]:
    """Plain verify (no anchor) proves the ledger out: the forgery is self-consistent."""
    result = book.verify()
    assert result.code == 0, f"the forgery should prove out without an anchor: {result.err}"
    return result.json


def head_hash(book: Book, anchor: str) -> str:
    number = int(anchor.split(":")[0])
    conn = sqlite3.connect(book.db)
    try:
        return conn.execute("SELECT hash FROM entries WHERE id = ?", (number,)).fetchone()[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------- controls


def test_the_untampered_history_verifies_with_every_anchor(book: Book) -> None:
    """Control: the ledger every tampering starts from proves out, with its anchor file and
    both heads as --expect, so each fault below is the tampering's doing."""
    facts = book.ledger.ok("verify", "--anchors", str(book.anchors), "--expect", book.early, "--expect", book.late)
    assert (facts["ok"], facts["entries"], facts["anchors_checked"]) == (True, LATE, 4)
    assert f"{facts['entries']}:{facts['head']}" == book.late
    assert len(book.anchors.read_text().splitlines()) == 2
    again = book.ledger.ok("anchor", str(book.anchors))  # still matches both lines: a third is added
    assert (again["anchors_checked"], again["entries"]) == (2, LATE)
    assert len(book.anchors.read_text().splitlines()) == 3


def test_the_forger_hashes_as_verify_does(book: Book) -> None:
    """Control for the forgeries: recomputing the whole chain of an unedited ledger, and
    dropping and restoring every guard, changes nothing, so a forgery that verify accepts
    without an anchor is accepted because it is self-consistent, not because the forger
    hashes differently."""
    before = book.ledger.dump()
    with book.forge() as forger:
        assert set(forger.guards) == set(GUARDS)
        forger.rechain(1)
    assert book.ledger.dump() == before
    assert book.verify("--expect", book.late).code == 0


def test_the_forger_rewinds_to_exactly_the_backup(book: Book) -> None:
    """Control for the truncation: rewinding the history to entry EARLY by hand gives the
    very head the backup (and the early anchor) holds."""
    with book.forge() as forger:
        forger.rewind(EARLY)
    facts = assert_passes(book)
    assert f"{facts['entries']}:{facts['head']}" == book.early


# --------------------------------------------------------------------------- the journal


def test_01_posting_amount_changed_on_one_side(book: Book) -> None:
    """A bill's reservation shrunk on the escrow side only (and its total with it): the
    entry no longer balances."""
    with book.forge() as forger:
        debit = forger.postings_of(BILL_1)[0]
        assert (debit["side"], debit["amount"]) == ("debit", 1500)
        forger.shift_posting(debit["id"], -100)
    assert_fault(book.verify(), "entry_unbalanced", f"entry {BILL_1} does not balance", "USD off by -100")


def test_02_posting_amounts_changed_on_both_sides(book: Book) -> None:
    """Both postings of a payout lowered, and the account totals with them, so the entry
    and the balances agree: the entry's hash still covers the amounts."""
    with book.forge() as forger:
        for p in forger.postings_of(PAYOUT):
            forger.shift_posting(p["id"], -500)
    assert_fault(book.verify(), "entry_altered", f"entry {PAYOUT} (payout) was altered")


def test_03_memo_rewritten(book: Book) -> None:
    """An entry's memo reworded: its hash no longer matches."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET memo = 'payout 150.00 USD to ana (PP-1)' WHERE id = ?", (PAYOUT,))
    assert_fault(book.verify(), "entry_altered", f"entry {PAYOUT} (payout) was altered: its hash does not match")


def test_04_edit_with_the_chain_recomputed_is_caught_by_the_anchors(book: Book) -> None:
    """An entry edited and every hash from it on recomputed: the chain is self-consistent,
    so plain verify passes, but both earlier anchors (--expect and the anchor file) see
    that the entries they vouch for have another hash now."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET memo = 'payout 150.00 USD to ana (PP-1)' WHERE id = ?", (PAYOUT,))
        forger.rechain(PAYOUT)
    assert assert_passes(book)["entries"] == LATE
    forged = head_hash(book, book.late)
    assert_fault(
        book.verify("--expect", book.late),
        "anchor_mismatch",
        f"entry {LATE} has hash {forged}, not {book.late.split(':')[1]} as --expect {LATE} says",
    )
    assert_fault(book.verify("--expect", book.early), "anchor_mismatch", f"entry {EARLY} has hash")
    assert_fault(
        book.verify("--anchors", str(book.anchors)),
        "anchor_mismatch",
        f"entry {EARLY} has hash",
        f"({book.anchors} line 1)",
    )


def test_05_edit_after_an_anchor_is_caught_by_a_later_anchor_only(book: Book) -> None:
    """An entry written after the early anchor edited and the chain recomputed: the early
    anchor still holds (what it vouches for is intact), the late one does not."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET actor = 'someone-else' WHERE id = ?", (LATE - 1,))
        forger.rechain(LATE - 1)
    assert book.verify("--expect", book.early).code == 0
    assert_fault(book.verify("--expect", book.late), "anchor_mismatch", f"entry {LATE} has hash")
    assert_fault(book.verify("--anchors", str(book.anchors)), "anchor_mismatch", f"({book.anchors} line 2)")


def test_06_truncated_and_made_consistent_is_caught_by_the_anchor(book: Book) -> None:
    """The last entries deleted with their postings, the account totals and every row they
    wrote put back as they were: the ledger proves out on its own, but the anchor says
    entry LATE existed."""
    with book.forge() as forger:
        forger.rewind(EARLY)
    assert assert_passes(book)["entries"] == EARLY
    message = f"says entry {LATE} existed, but the ledger has only {EARLY} entries"
    assert_fault(book.verify("--expect", book.late), "anchor_entry_missing", message)
    assert_fault(book.verify("--anchors", str(book.anchors)), "anchor_entry_missing", message, "line 2")


def test_07_entry_deleted_in_the_middle(book: Book) -> None:
    """An entry in the middle deleted with its postings (the totals fixed): a gap in the ids."""
    with book.forge() as forger:
        for p in forger.postings_of(PAYOUT):
            forger.shift_posting(p["id"], -p["amount"])
        forger.sql("DELETE FROM postings WHERE entry_id = ?", (PAYOUT,))
        forger.sql("DELETE FROM entries WHERE id = ?", (PAYOUT,))
    assert_fault(book.verify(), "entry_missing", f"entry {PAYOUT} is missing (next is {PAYOUT + 1})")


def test_08_two_entries_swapped(book: Book) -> None:
    """Two entries' places swapped (rows and postings): the one now in first place does
    not chain to the entry before it."""
    first, second = PAYOUT - 1, PAYOUT
    with book.forge() as forger:
        columns = [c[1] for c in forger.sql("PRAGMA table_info(entries)") if c[1] != "id"]
        rows = {eid: forger.sql("SELECT * FROM entries WHERE id = ?", (eid,)).fetchone() for eid in (first, second)}
        assignments = ", ".join(f"{c} = ?" for c in columns)
        for here, there in ((first, second), (second, first)):
            forger.sql(f"UPDATE entries SET {assignments} WHERE id = ?", (*[rows[there][c] for c in columns], here))
        forger.sql(
            "UPDATE postings SET entry_id = CASE entry_id WHEN ? THEN ? ELSE ? END WHERE entry_id IN (?, ?)",
            (first, second, first, first, second),
        )
        assert forger.one("SELECT kind FROM entries WHERE id = ?", (first,)) == "payout"
    assert_fault(book.verify(), "hash_chain_broken", f"entry {first} does not chain to entry {first - 1}")


def test_09_last_entry_altered_blocks_every_write(book: Book) -> None:
    """A write on a ledger whose last entry was altered is refused (exit 5, ledger_tampered)
    before anything is chained to it, and writes nothing; verify names the entry."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET memo = 'worker mallory' WHERE id = ?", (LATE,))
    before = book.ledger.dump()
    for args in (("bill", "photos/ana", "--pieces", "1"), ("worker", "add", "dee")):
        result = book.ledger.run("--json", *args)
        assert (result.code, result.out) == (5, ""), result
        assert result.error["code"] == "ledger_tampered", result.error
        assert f"last entry ({LATE}) does not match its hash" in result.error["message"]
    assert book.ledger.dump() == before
    assert_fault(book.verify(), "entry_altered", f"entry {LATE} (worker_added) was altered")


def test_10_rolled_back_to_an_older_backup_is_caught_by_a_later_anchor(book: Book) -> None:
    """An older backup (made by 'piecepay backup') copied over the ledger: it is a genuine,
    consistent ledger, so plain verify passes, but the anchor taken later says entry LATE
    existed."""
    for suffix in ("-wal", "-shm"):
        Path(f"{book.db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(book.backup, book.db)
    facts = assert_passes(book)
    assert f"{facts['entries']}:{facts['head']}" == book.early
    message = f"says entry {LATE} existed, but the ledger has only {EARLY} entries"
    assert_fault(book.verify("--expect", book.late), "anchor_entry_missing", message)
    assert_fault(book.verify("--anchors", str(book.anchors)), "anchor_entry_missing", message)


def test_11_anchor_refuses_to_append_to_a_file_the_ledger_no_longer_matches(book: Book) -> None:
    """'piecepay anchor FILE' verifies against the anchors already in FILE first: after a
    forgery (chain recomputed) or a rollback it exits 5 and leaves FILE as it was, so the
    forged head never gets vouched for."""
    anchors = book.anchors.read_bytes()
    with book.forge() as forger:
        forger.sql("UPDATE entries SET effective_date = '2026-01-01' WHERE id = ?", (BILL_3,))
        forger.rechain(BILL_3)
    assert_passes(book)
    assert_fault(book.ledger.run("--json", "anchor", str(book.anchors)), "anchor_mismatch", f"entry {EARLY}")
    assert book.anchors.read_bytes() == anchors
    shutil.copyfile(book.backup, book.db)
    assert_fault(book.ledger.run("--json", "anchor", str(book.anchors)), "anchor_entry_missing", f"entry {LATE}")
    assert book.anchors.read_bytes() == anchors


# --------------------------------------------------------------------------- facts sealed in the chain


def test_12_account_renamed(book: Book) -> None:
    """An account renamed (its earnings now someone else's): account names are hashed into
    every entry that posts to them, so the first such entry no longer matches."""
    with book.forge() as forger:
        forger.sql("UPDATE accounts SET name = 'worker:eve' WHERE name = 'worker:ana'")
    assert_fault(book.verify(), "entry_altered", f"entry {BILL_1} (bill) was altered")


def test_13_contract_rate_changed(book: Book) -> None:
    """A contract's per-piece rate raised: the row differs from the image the chain sealed."""
    with book.forge() as forger:
        forger.sql("UPDATE contracts SET rate = '6' WHERE id = 2")
        sealer = forger.sealer("contracts", 2)
    assert_fault(
        book.verify(), "fact_altered", f"contracts row 2 differs from what entry {sealer} sealed (changed: rate)"
    )


def test_14_bill_note_changed(book: Book) -> None:
    """A released bill's note rewritten."""
    with book.forge() as forger:
        forger.sql("UPDATE bills SET note = 'second batch' WHERE id = 1")
        sealer = forger.sealer("bills", 1)
    assert sealer == RELEASE_1
    assert_fault(book.verify(), "fact_altered", f"bills row 1 differs from what entry {sealer} sealed (changed: note)")


def test_15_bill_amount_changed_with_its_postings_and_totals(book: Book) -> None:
    """A pending bill doubled (pieces, amount, its reservation on both sides, the account
    totals and the contract's counters, all consistently): the entry's postings are hashed."""
    with book.forge() as forger:
        forger.sql("UPDATE bills SET pieces_milli = 2000, amount_minor = 1000 WHERE id = 3")
        forger.sql("UPDATE contracts SET pieces_pending_milli = pieces_pending_milli + 1000 WHERE id = 1")
        for p in forger.postings_of(BILL_3):
            forger.shift_posting(p["id"], 500)
    assert_fault(book.verify(), "entry_altered", f"entry {BILL_3} (bill) was altered")


def test_16_bill_amount_forged_in_facts_and_chain_but_not_postings(book: Book) -> None:
    """A pending bill doubled in its row and in the image its entry sealed, the chain
    recomputed, but the reservation left as it was: the bill's amount is not what its entry
    reserved."""
    with book.forge() as forger:
        forger.sql("UPDATE bills SET pieces_milli = 2000, amount_minor = 1000 WHERE id = 3")
        forger.sql("UPDATE contracts SET pieces_pending_milli = pieces_pending_milli + 1000 WHERE id = 1")
        forger.edit_image(BILL_3, "bills", 3, pieces_milli=2000, amount_minor=1000)
        forger.edit_image(BILL_3, "contracts", 1, pieces_pending_milli=2000)
        forger.rechain(BILL_3)
    assert_fault(book.verify(), "bill_amount_wrong", "bill 3's amount is not what its entry reserved")


def test_17_bill_amount_forged_everywhere_is_caught_by_the_anchors(book: Book) -> None:
    """The same bill doubled everywhere (row, image, postings, totals, counters) and the
    chain recomputed: the file proves out on its own; only the anchors catch it."""
    with book.forge() as forger:
        forger.sql("UPDATE bills SET pieces_milli = 2000, amount_minor = 1000 WHERE id = 3")
        forger.sql("UPDATE contracts SET pieces_pending_milli = pieces_pending_milli + 1000 WHERE id = 1")
        forger.edit_image(BILL_3, "bills", 3, pieces_milli=2000, amount_minor=1000)
        forger.edit_image(BILL_3, "contracts", 1, pieces_pending_milli=2000)
        for p in forger.postings_of(BILL_3):
            forger.shift_posting(p["id"], 500)
        forger.rechain(BILL_3)
    assert_passes(book)
    assert_fault(book.verify("--expect", book.early), "anchor_mismatch", f"entry {EARLY} has hash")
    assert_fault(book.verify("--anchors", str(book.anchors)), "anchor_mismatch", f"entry {EARLY} has hash")


def test_18_idempotency_key_deleted(book: Book) -> None:
    """An idempotency key deleted (so the same request would bill twice): a sealed row is gone."""
    with book.forge() as forger:
        forger.sql("DELETE FROM idempotency_keys WHERE key = 'k1'")
    assert_fault(
        book.verify(), "fact_missing", f"idempotency_keys row k1, sealed by entry {KEY_K1}, is gone from the ledger"
    )


def test_19_bill_row_deleted(book: Book) -> None:
    """A rejected bill's row deleted (its entries kept): a sealed row is gone."""
    with book.forge() as forger:
        forger.sql("DELETE FROM bills WHERE id = 2")
        sealer = forger.sealer("bills", 2)
    assert_fault(book.verify(), "fact_missing", f"bills row 2, sealed by entry {sealer}, is gone from the ledger")


@pytest.mark.parametrize(
    ("column", "value"), [("budget_minor", 5000), ("deadline", "2026-01-01")], ids=["budget", "deadline"]
)
def test_20_campaign_budget_or_deadline_changed(book: Book, column: str, value: object) -> None:
    """A campaign's budget or deadline changed after the fact."""
    with book.forge() as forger:
        forger.sql(f"UPDATE campaigns SET {column} = ? WHERE id = 1", (value,))
        sealer = forger.sealer("campaigns", 1)
    assert_fault(
        book.verify(), "fact_altered", f"campaigns row 1 differs from what entry {sealer} sealed (changed: {column})"
    )


def test_21_released_bill_flipped_back_to_pending(book: Book) -> None:
    """A released bill flipped back to pending (so it could be released twice)."""
    with book.forge() as forger:
        forger.sql("UPDATE bills SET status = 'pending' WHERE id = 1")
    assert_fault(
        book.verify(), "fact_altered", f"bills row 1 differs from what entry {RELEASE_1} sealed (changed: status)"
    )


def test_22_worker_inserted_by_hand(book: Book) -> None:
    """A worker inserted by hand (inserts pass the guards): a row no entry sealed."""
    with book.forge() as forger:
        forger.sql("INSERT INTO workers (handle, created_at) VALUES ('mallory', '2026-01-01T00:00:00+00:00')")
        rid = forger.one("SELECT id FROM workers WHERE handle = 'mallory'")
    assert_fault(book.verify(), "fact_not_sealed", f"workers row {rid} is in no journal entry: it was added by hand")


def test_23_stored_account_totals_changed(book: Book) -> None:
    """A worker's stored earnings raised (no guard covers the running totals): they no
    longer equal the sum of the postings."""
    with book.forge() as forger:
        posted = forger.one("SELECT credits_posted FROM accounts WHERE name = 'worker:ana'")
        forger.sql("UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE name = 'worker:ana'")
    assert_fault(
        book.verify(),
        "stored_total_mismatch",
        f"account worker:ana (USD) stores credits_posted {posted + 1000}, its postings sum to {posted}",
    )


def test_24_account_deleted(book: Book) -> None:
    """The payout sink's account row deleted: entries post to an account that is gone."""
    with book.forge() as forger:
        forger.sql("DELETE FROM accounts WHERE name = 'payouts'")
    assert_fault(book.verify(), "account_missing", f"entry {PAYOUT} posts to an account that is gone")


@pytest.mark.parametrize("how", ["image", "unreadable"])
def test_25_facts_of_an_entry_changed(book: Book, how: str) -> None:
    """The facts an entry sealed changed (a bill's note in its image) or made unreadable."""
    with book.forge() as forger:
        if how == "image":
            forger.edit_image(BILL_1, "bills", 1, note="second batch")
        else:
            forger.sql("UPDATE entries SET facts = 'not json' WHERE id = ?", (BILL_1,))
    expected = f"entry {BILL_1} (bill) was altered" if how == "image" else f"entry {BILL_1} does not carry readable"
    assert_fault(book.verify(), "entry_altered", expected)


def test_26_checkpoint_facts_stuffed_to_seal_a_forged_row(book: Book) -> None:
    """A forger stuffs the image of a hand-inserted worker into the checkpoint's facts so
    the row looks sealed: the checkpoint's hash no longer matches."""
    with book.forge() as forger:
        forger.sql("INSERT INTO workers (handle, created_at) VALUES ('mallory', '2026-01-01T00:00:00+00:00')")
        row = forger.sql("SELECT * FROM workers WHERE handle = 'mallory'").fetchone()
        facts = forger.facts(1)
        facts.setdefault("workers", {})[str(row["id"])] = dict(zip(row.keys(), tuple(row), strict=True))
        forger.sql("UPDATE entries SET facts = ? WHERE id = 1", (canonical_json(facts),))
    assert_fault(book.verify(), "entry_altered", "entry 1 (checkpoint) was altered")


def test_27_facts_stripped_to_pass_for_a_legacy_ledger(book: Book) -> None:
    """Every entry's facts removed, the checkpoint disguised as another record, and the
    chain recomputed with the legacy hash, so that no fact is checked: a ledger at this
    schema must have a checkpoint."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET facts = NULL")
        forger.sql("UPDATE entries SET kind = 'campaign_paused' WHERE id = 1")
        forger.rechain(1)
    assert_fault(book.verify(), "checkpoint_missing", "its checkpoint is gone")


# --------------------------------------------------------------------------- a ledger from before facts were sealed


def test_28_checkpoint_facts_of_a_migrated_ledger_altered(migrated: Ledger) -> None:
    """In an upgraded schema-2 ledger the checkpoint seals every fact written before it; a
    contract's rate changed in its row and in the checkpoint's image breaks its hash."""
    with Forger(migrated.db) as forger:
        forger.sql("UPDATE contracts SET rate = '9' WHERE id = 1")
        forger.edit_image(6, "contracts", 1, rate="9")
    result = migrated.run("--json", "verify")
    assert_fault(result, "entry_altered", "entry 6 (checkpoint) was altered")


def test_29_legacy_entry_of_a_migrated_ledger_altered(migrated: Ledger) -> None:
    """An entry from before facts were sealed (legacy hash) edited: still caught."""
    with Forger(migrated.db) as forger:
        forger.sql("UPDATE postings SET amount = 50 WHERE entry_id = 5")
        forger.sql("UPDATE entries SET memo = 'payout 0.50 USD to ana (bank 1)' WHERE id = 5")
    assert_fault(migrated.run("--json", "verify"), "entry_altered", "entry 5 (payout) was altered")


def test_30_checkpoint_of_a_migrated_ledger_deleted(migrated: Ledger) -> None:
    """The checkpoint of an upgraded ledger (its last entry, no postings) deleted, so that
    no fact would be checked: a ledger at this schema must have one."""
    with Forger(migrated.db) as forger:
        forger.sql("DELETE FROM entries WHERE id = 6")
    assert_fault(migrated.run("--json", "verify"), "checkpoint_missing", "its checkpoint is gone")


# --------------------------------------------------------------------------- the guards


def test_31_guard_dropped(book: Book) -> None:
    """A trigger that refuses deletes from the journal dropped (nothing else touched)."""
    with book.forge() as forger:
        del forger.guards["postings_no_delete"]
    assert_fault(book.verify(), "guard_missing", "the trigger postings_no_delete that guards the ledger is gone")


@pytest.mark.parametrize(
    "body",
    [
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT 1; END",
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries WHEN 0 BEGIN "
        "SELECT RAISE(ABORT, 'the journal is append-only: entries cannot be deleted'); END",
    ],
    ids=["no-op body", "never fires"],
)
def test_32_guard_rewritten_to_let_changes_through(book: Book, body: str) -> None:
    """A guard replaced by one of the same name that does nothing (or never fires)."""
    with book.forge() as forger:
        forger.guards["entries_no_delete"] = body
    assert_fault(book.verify(), "guard_altered", "the trigger entries_no_delete that guards the ledger was rewritten")


def test_33_trigger_added(book: Book) -> None:
    """An extra trigger that would skim every future payout into the worker's earnings."""
    with book.forge() as forger:
        forger.guards["skim"] = (
            "CREATE TRIGGER skim AFTER INSERT ON postings BEGIN "
            "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE name = 'worker:ana'; END"
        )
    assert_fault(book.verify(), "guard_added", "a trigger piecepay does not define was added: skim")


# --------------------------------------------------------------------------- laundering through a later write


@pytest.mark.parametrize(
    ("edit", "write", "row"),
    [
        ("UPDATE contracts SET rate = '6' WHERE id = 2", ("bill", "photos/ben", "--pieces", "1"), "contracts row 2"),
        ("UPDATE campaigns SET budget_minor = 100000 WHERE id = 1", ("campaign", "pause", "photos"), "campaigns row 1"),
        ("UPDATE bills SET note = 'all 40 photos' WHERE id = 3", ("release", "3"), "bills row 3"),
    ],
    ids=["contract rate, then a bill", "campaign budget, then a pause", "bill note, then its release"],
)
def test_34_fact_edited_by_hand_is_not_laundered_by_the_next_write(
    book: Book, edit: str, write: tuple[str, ...], row: str
) -> None:
    """A fixed fact edited by hand (guards put back), then an ordinary write that touches the
    same row: the write must not seal the forged value as if piecepay had written it. Either
    the write is refused (exit 5, nothing written) or it goes through and verify still names
    the altered row; either way verify fails afterwards, anchors or not."""
    with book.forge() as forger:
        forger.sql(edit)
    before = book.ledger.dump()
    result = book.ledger.run("--json", *write)
    if result.code != 0:
        assert result.code == 5, result.err
        assert book.ledger.dump() == before
    assert_fault(book.verify("--anchors", str(book.anchors)), "fact_altered", row)
