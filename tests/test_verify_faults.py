"""Every fault ``verify`` can name, provoked by a test (the codes passed to ``_fault``).

verify runs its checks in order and stops at the first fault, so most of its checks are a
second line of defence: to reach one, a test keeps everything checked before it
consistent with the tampering, as a forger with write access to the file and knowledge
of piecepay's source would. The forger drops the guarding triggers while it edits (and
puts them back), changes rows, the images the chain sealed of them and the postings,
and recomputes every hash from the first entry it touched on, so that the check under
test is the one that bites. ``test_every_fault_verify_can_name_is_provoked`` fails when
verify gains a fault code that no test here provokes.

Every ledger is a copy of one history built once per module through the real command
line (its first five commands make the ledger of conftest's ``contract`` fixture):

    1 checkpoint           5 offer_accepted (escrow:1)     9 release bill 1 (3 of 3)
    2 campaign_created     6 top_up 100.00, milestone 1,  10 reject bill 2
    3 worker_added ana       cap 60.00 (client)           11 payout 15.00 ana (payouts) <- backup
    4 offer_created        7 bill 1: 3 x 5 = 15.00        12 bill 3: 1 x 5 = 5.00 (pending)
                           8 bill 2: 2 x 5 = 10.00
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from piecepay.journal import GENESIS_HASH, Posting, canonical_json, entry_hash, sealed_hash
from piecepay.store.facts import COVERED, row_image
from piecepay.store.journal import TOTAL_COLUMNS
from piecepay.store.migrations import EDITABLE, FINAL_STATUSES, FIXED_COLUMNS, GUARDS, SET_ONCE
from tests.conftest import ROOT, Ledger, Result

VERIFY_SOURCE = ROOT / "piecepay" / "operations" / "verify.py"

ENTRIES = 12
TOP_UP, BILL_1, BILL_2, RELEASE_1, REJECT_2, PAYOUT, BILL_3 = 6, 7, 8, 9, 10, 11, 12
ESCROW, CLIENT, WORKER, PAYOUTS = 1, 2, 3, 4  # account ids
CONTRACT, MILESTONE = 1, 1

Test = TypeVar("Test", bound=Callable[..., None])
PROVOKED: dict[str, list[str]] = {}  # fault code: the tests that provoke it


def provokes(code: str) -> Callable[[Test], Test]:
    """Mark a test as provoking the fault ``code`` (the coverage test reads these marks)."""

    def mark(test: Test) -> Test:
        PROVOKED.setdefault(code, []).append(test.__name__)
        return test

    return mark


# --------------------------------------------------------------------------- the forger


class Forger:
    """Plain sqlite3 on the ledger file in one transaction, every trigger dropped while it
    edits; on a clean exit the triggers are put back exactly as they were (or as
    ``guards`` says by then) and the edit is committed."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def __enter__(self) -> Forger:
        self.conn = sqlite3.connect(self.db, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("BEGIN IMMEDIATE")
        rows = self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")
        self.guards: dict[str, str] = {row["name"]: row["sql"] for row in rows}
        for name in self.guards:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is None:
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

    def reseal(self, eid: int, table: str, key: object, **changes: object) -> None:
        """Change one row, and the image entry ``eid`` seals of it (added to that entry's
        facts if it is not there yet, as if the entry's action had touched the row)."""
        key_column = COVERED[table][0]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        self.sql(f"UPDATE {table} SET {assignments} WHERE {key_column} = ?", (*changes.values(), key))
        image = row_image(self.conn, table, key)  # the image as piecepay itself builds it
        facts = self.facts(eid)
        facts.setdefault(table, {})[str(key)] = image
        self.sql("UPDATE entries SET facts = ? WHERE id = ?", (canonical_json(facts), eid))

    def postings_of(self, eid: int) -> list[sqlite3.Row]:
        return self.sql("SELECT * FROM postings WHERE entry_id = ? ORDER BY id", (eid,)).fetchall()

    def shift_posting(self, posting_id: int, delta: int) -> None:
        """Add ``delta`` to a posting and to the account total it counts in."""
        p = self.sql("SELECT * FROM postings WHERE id = ?", (posting_id,)).fetchone()
        column = f"{p['side']}s_{p['phase']}"
        self.sql("UPDATE postings SET amount = amount + ? WHERE id = ?", (delta, posting_id))
        self.sql(f"UPDATE accounts SET {column} = {column} + ? WHERE id = ?", (delta, p["account_id"]))

    def shift_entry(self, eid: int, delta: int, phase: str) -> None:
        """Add ``delta`` to both sides of an entry's postings in ``phase`` (it stays balanced)."""
        for p in self.postings_of(eid):
            if p["phase"] == phase:
                self.shift_posting(p["id"], delta)

    def drop_entry(self, eid: int) -> None:
        """Delete an entry and its postings, taking the postings back out of the totals."""
        for p in self.postings_of(eid):
            self.shift_posting(p["id"], -p["amount"])
        self.sql("DELETE FROM postings WHERE entry_id = ?", (eid,))
        self.sql("DELETE FROM entries WHERE id = ?", (eid,))

    def rechain(self, start: int) -> None:
        """Recompute ``prev_hash`` and ``hash`` of every entry from ``start`` on, as verify
        does: the legacy hash for an entry without facts, the sealed hash for the others; then
        the record of the head verify last proved, to match."""
        names = {r["id"]: (r["name"], r["currency"]) for r in self.sql("SELECT id, name, currency FROM accounts")}
        prev = GENESIS_HASH if start == 1 else self.one("SELECT hash FROM entries WHERE id = ?", (start - 1,))
        for entry in self.sql("SELECT * FROM entries WHERE id >= ? ORDER BY id", (start,)).fetchall():
            eid = entry["id"]
            fields = {
                name: entry[name]
                for name in ("kind", "contract_id", "bill_id", "effective_date", "recorded_at", "actor", "memo")
            }
            fields["id"] = eid
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


# --------------------------------------------------------------------------- the history


@dataclass
class Book:
    """A copy of the history, with a backup taken at entry PAYOUT and the head it ends at."""

    ledger: Ledger
    backup: Path
    head: str  # ENTRIES:HASH as --expect takes it

    @property
    def db(self) -> Path:
        return self.ledger.db

    def verify(self, *args: str) -> Result:
        return self.ledger.run("--json", "verify", *args)

    def forge(self) -> Forger:
        return Forger(self.db)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The history, built once per module through the real command line."""
    folder = tmp_path_factory.mktemp("faults")
    book = Ledger(folder / "ledger.db")
    book.ok("init")
    book.ok("campaign", "create", "Restaurant photos", "--slug", "photos", "--unit", "photo", "--rate", "5")
    book.ok("worker", "add", "ana")
    book.ok("offer", "create", "photos", "ana")
    book.ok("offer", "accept", "photos/ana")
    book.ok("milestone", "add", "photos/ana", "--top-up", "100", "--cap", "60")
    first = book.ok("bill", "photos/ana", "--pieces", "3", "--note", "first batch")
    second = book.ok("bill", "photos/ana", "--pieces", "2")
    book.ok("release", str(first["id"]))
    book.ok("reject", str(second["id"]), "--reason", "out of focus")
    book.ok("payout", "ana", "--ref", "PP-1")
    book.ok("backup", str(folder / "backup.db"))
    third = book.ok("bill", "photos/ana", "--pieces", "1")
    proof = book.ok("verify")
    assert [first["id"], second["id"], third["id"]] == [1, 2, 3]
    assert proof["entries"] == ENTRIES
    assert not Path(f"{book.db}-wal").exists()  # a plain copy of the file is the whole ledger
    return Book(book, folder / "backup.db", f"{ENTRIES}:{proof['head']}")


@pytest.fixture
def book(template: Book, tmp_path: Path) -> Book:
    """A fresh copy of the history for one test."""
    for source in (template.db, template.backup):
        shutil.copyfile(source, tmp_path / source.name)
    return Book(Ledger(tmp_path / template.db.name), tmp_path / template.backup.name, template.head)


def assert_fault(result: Result, code: str, *fragments: str) -> None:
    """verify exited 5 with error ``code`` and a message holding every fragment."""
    assert (result.code, result.out) == (5, ""), f"expected exit 5 ({code}), got {result.code}: {result.err}"
    error = result.error
    assert error["code"] == code, error
    assert error["message"].startswith("verify failed: "), error
    for fragment in fragments:
        assert fragment in error["message"], error


def assert_fault_exactly(result: Result, code: str, message: str) -> None:
    """verify exited 5 with error ``code`` and exactly the one-line message ``message``
    (after its "verify failed: " prefix)."""
    assert (result.code, result.out) == (5, ""), f"expected exit 5 ({code}), got {result.code}: {result.err}"
    assert result.error == {"code": code, "message": f"verify failed: {message}"}


def account_count(db: Path) -> int:
    """How many accounts the ledger file holds, counted with plain sqlite3."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0])
    finally:
        conn.close()


def codes_in_verify() -> set[str]:
    """Every fault code verify.py passes to ``_fault``; each call must name it literally."""
    source = VERIFY_SOURCE.read_text(encoding="utf-8")
    calls = re.findall(r"(?<!def )\b_fault\(", source)
    codes = re.findall(r"(?<!def )\b_fault\(\s*\"([a-z_]+)\"", source)
    assert len(codes) == len(calls), "a _fault(...) call in verify.py does not name its code as a literal"
    return set(codes)


# --------------------------------------------------------------------------- controls


def test_every_fault_verify_can_name_is_provoked() -> None:
    """The fault codes this file provokes are exactly those verify.py can raise: a new
    fault without a test here fails the suite (and so does a test for a code that is gone),
    and each test marked with a code asserts that very code."""
    codes = codes_in_verify()
    assert not codes - set(PROVOKED), f"faults verify can name that no test provokes: {sorted(codes - set(PROVOKED))}"
    assert not set(PROVOKED) - codes, f"tests of faults verify no longer names: {sorted(set(PROVOKED) - codes)}"
    for code, tests in PROVOKED.items():
        for name in tests:
            assert f'"{code}"' in inspect.getsource(globals()[name]), f"{name} does not assert {code}"


def test_the_untampered_history_verifies(book: Book) -> None:
    """Control: the ledger every tampering starts from proves out (also against its own
    head), so each fault below is the tampering's doing."""
    proof = book.ledger.ok("verify", "--expect", book.head)
    assert (proof["ok"], proof["entries"], proof["anchors_checked"]) == (True, ENTRIES, 1)
    assert proof["accounts"] == account_count(book.db) == 4  # escrow:1, client, worker:ana, payouts


def test_the_forger_hashes_and_restores_as_verify_expects(book: Book) -> None:
    """Control for the forgeries: recomputing the whole chain and dropping and restoring
    every guard changes nothing, so what a test provokes is its edit, not the forger."""
    before = book.ledger.dump()
    with book.forge() as forger:
        assert set(forger.guards) == set(GUARDS)
        forger.rechain(1)
    assert book.ledger.dump() == before
    assert book.verify("--expect", book.head).code == 0


def test_the_schema_rules_these_tests_rely_on() -> None:
    """Control: the transition tests below pick a final state, a fixed column and a set-once
    value that the schema indeed declares so."""
    assert "released" in FINAL_STATUSES["bills"]
    assert "rate" in FIXED_COLUMNS["contracts"]
    assert "active" not in FINAL_STATUSES["contracts"]
    assert "accepted_on" in SET_ONCE["contracts"]
    assert "handle" in FIXED_COLUMNS["workers"]
    assert "name" in EDITABLE["workers"][0] and "note" in EDITABLE["bills"][0]


# --------------------------------------------------------------------------- the file itself


def _garble_worker_index(db: Path) -> None:
    """Overwrite the key 'ana' in the leaf page of the index on worker handles with garbage."""
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'idx_workers_handle'").fetchone()[0]
    finally:
        conn.close()
    with open(db, "r+b") as stream:
        stream.seek((root - 1) * page_size)
        page = stream.read(page_size)
        assert page.count(b"ana") == 1
        stream.seek((root - 1) * page_size + page.index(b"ana"))
        stream.write(b"\xde\xad\xbe")


@provokes("integrity_check_failed")
def test_integrity_check_failed(book: Book) -> None:
    """Bytes of the file overwritten: the key 'ana' in the leaf page of the index on worker
    handles replaced by garbage. SQLite still opens the file (the schema page is intact)
    but its integrity check finds the row missing from the index, and verify names it."""
    _garble_worker_index(book.db)
    assert_fault(book.verify(), "integrity_check_failed", "integrity_check: ", "idx_workers_handle")


@provokes("integrity_check_failed")
def test_integrity_check_failed_is_named_before_any_later_fault(book: Book) -> None:
    """The payout's memo edited as well as the index page overwritten: the integrity check
    runs first (beside the others, on a connection of its own), so it is the fault named."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET memo = 'payout 5.00 USD to ana (PP-1)' WHERE id = ?", (PAYOUT,))
    _garble_worker_index(book.db)
    assert_fault(book.verify(), "integrity_check_failed", "integrity_check: ", "idx_workers_handle")


@provokes("table_loosened")
def test_a_table_that_no_longer_refuses_the_wrong_type(book: Book) -> None:
    """STRICT removed from postings by rewriting the schema: the file is still sound to
    SQLite, but postings would now take 0.5 as an amount, which a forger could balance and
    chain, and which no later check could read as money. verify names the loosened table."""
    conn = sqlite3.connect(book.db)
    try:
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_schema SET sql = replace(sql, ') STRICT', ')') WHERE name = 'postings'")
        conn.commit()
    finally:
        conn.close()
    with sqlite3.connect(book.db) as conn:
        assert conn.execute("SELECT strict FROM pragma_table_list WHERE name = 'postings'").fetchone() == (0,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert_fault_exactly(book.verify(), "table_loosened", "table postings no longer refuses values of the wrong type")


# --------------------------------------------------------------------------- the chain


@provokes("entry_missing")
def test_entry_missing(book: Book) -> None:
    """The payout deleted with its postings (and taken back out of the totals): a gap in
    the entry ids."""
    with book.forge() as forger:
        forger.drop_entry(PAYOUT)
    assert_fault(book.verify(), "entry_missing", f"entry {PAYOUT} is missing (next is {PAYOUT + 1})")


@provokes("hash_chain_broken")
def test_hash_chain_broken(book: Book) -> None:
    """The payout deleted and the gap closed by renumbering the entry after it: that entry
    does not chain to its new predecessor."""
    with book.forge() as forger:
        forger.drop_entry(PAYOUT)
        forger.sql("UPDATE entries SET id = ? WHERE id = ?", (PAYOUT, BILL_3))
        forger.sql("UPDATE postings SET entry_id = ? WHERE entry_id = ?", (PAYOUT, BILL_3))
        forger.sql("UPDATE bills SET entry_id = ? WHERE id = 3", (PAYOUT,))
    assert_fault(book.verify(), "hash_chain_broken", f"entry {PAYOUT} does not chain to entry {PAYOUT - 1}")


@provokes("account_missing")
def test_account_missing(book: Book) -> None:
    """The payout sink's account row deleted: the payout posts to an account that is gone."""
    with book.forge() as forger:
        forger.sql("DELETE FROM accounts WHERE id = ?", (PAYOUTS,))
    assert_fault(book.verify(), "account_missing", f"entry {PAYOUT} posts to an account that is gone")


@provokes("bad_posting")
def test_bad_posting_on_a_record_entry(book: Book) -> None:
    """A balanced pair of postings slipped into a record entry (worker_added), which moves
    no money."""
    with book.forge() as forger:
        for account, side in ((CLIENT, "debit"), (ESCROW, "credit")):
            forger.sql(
                "INSERT INTO postings (entry_id, account_id, side, phase, amount) VALUES (3, ?, ?, 'posted', 100)",
                (account, side),
            )
    assert_fault(book.verify(), "bad_posting", "entry 3 (worker_added) moves no money but has postings")


@provokes("bad_posting")
@pytest.mark.parametrize(("column", "value"), [("side", "sideways"), ("phase", "settled")])
def test_bad_posting_of_unknown_side_or_phase(book: Book, column: str, value: str) -> None:
    """A posting of the payout given a side or a phase that does not exist."""
    with book.forge() as forger:
        first = forger.postings_of(PAYOUT)[0]["id"]
        forger.sql(f"UPDATE postings SET {column} = ? WHERE id = ?", (value, first))
    assert_fault(book.verify(), "bad_posting", f"entry {PAYOUT} has a posting of unknown side or phase")


@provokes("bad_posting")
@pytest.mark.parametrize(
    ("eid", "phase", "amount"),
    [(PAYOUT, "posted", 0), (PAYOUT, "posted", -1500), (BILL_3, "pending", 0)],
    ids=["zero posted", "negative posted", "zero pending"],
)
def test_bad_posting_of_a_zero_or_negative_amount(book: Book, eid: int, phase: str, amount: int) -> None:
    """Both sides of an entry set to an amount no posting has: zero, or negative in the
    posted phase (only a pending amount may be negative, to resolve a reservation). The
    entry still balances; the amount itself is refused."""
    with book.forge() as forger:
        for p in forger.postings_of(eid):
            if p["phase"] == phase:
                forger.shift_posting(p["id"], amount - p["amount"])
    assert_fault(book.verify(), "bad_posting", f"entry {eid} has a ", f"amount of {amount}")


@provokes("unknown_entry_kind")
def test_unknown_entry_kind(book: Book) -> None:
    """The payout's kind changed to one piecepay never writes."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET kind = 'gift' WHERE id = ?", (PAYOUT,))
    assert_fault(book.verify(), "unknown_entry_kind", f"entry {PAYOUT} is of an unknown kind")


@provokes("entry_without_postings")
def test_entry_without_postings(book: Book) -> None:
    """The payout's postings deleted (and taken back out of the totals), its entry kept:
    money moved with nothing to show for it."""
    with book.forge() as forger:
        for p in forger.postings_of(PAYOUT):
            forger.shift_posting(p["id"], -p["amount"])
        forger.sql("DELETE FROM postings WHERE entry_id = ?", (PAYOUT,))
    assert_fault(book.verify(), "entry_without_postings", f"entry {PAYOUT} has no postings")


@provokes("entry_unbalanced")
def test_entry_unbalanced(book: Book) -> None:
    """Bill 1's reservation shrunk on the escrow side only (its total with it)."""
    with book.forge() as forger:
        debit = forger.postings_of(BILL_1)[0]
        assert (debit["side"], debit["account_id"]) == ("debit", ESCROW)
        forger.shift_posting(debit["id"], -100)
    assert_fault_exactly(
        book.verify(), "entry_unbalanced", f"entry {BILL_1} does not balance (USD off by -100 minor units)"
    )


@provokes("entry_unbalanced")
def test_entry_unbalanced_in_two_currencies(book: Book) -> None:
    """The worker's account moved to EUR and the chain recomputed over the new account
    names: bill 1's reservation, escrow (USD) to worker (now EUR), the first entry that
    posts to the worker, is off in both currencies, and the fault names each, in the order
    the entry posts them."""
    with book.forge() as forger:
        assert [(p["account_id"], p["side"]) for p in forger.postings_of(BILL_1)] == [
            (ESCROW, "debit"),
            (WORKER, "credit"),
        ]
        forger.sql("UPDATE accounts SET currency = 'EUR' WHERE id = ?", (WORKER,))
        forger.rechain(1)
    assert_fault_exactly(
        book.verify(),
        "entry_unbalanced",
        f"entry {BILL_1} does not balance (USD off by 1500, EUR off by -1500 minor units)",
    )


@provokes("entry_altered")
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            f"UPDATE entries SET memo = 'payout 5.00 USD to ana (PP-1)' WHERE id = {PAYOUT}",
            f"entry {PAYOUT} (payout) was altered: its hash does not match",
        ),
        (
            f"UPDATE entries SET facts = 'not json' WHERE id = {BILL_1}",
            f"entry {BILL_1} does not carry readable facts",
        ),
        (
            f"""UPDATE entries SET facts = '{{"payments": {{}}}}' WHERE id = {BILL_1}""",
            f"entry {BILL_1} does not carry readable facts",
        ),
        (
            f"UPDATE entries SET facts = NULL WHERE id = {BILL_1}",
            f"entry {BILL_1} does not carry readable facts",
        ),
        (
            "UPDATE entries SET kind = 'campaign_paused' WHERE id = 1",
            "entry 1 carries facts before the first checkpoint",
        ),
    ],
    ids=[
        "memo",
        "facts not json",
        "facts of an unknown table",
        "no facts after the checkpoint",
        "facts before the checkpoint",
    ],
)
def test_entry_altered(book: Book, edit: str, message: str) -> None:
    """An entry changed without its hash recomputed (the payout's memo), its sealed facts
    made unreadable, naming a table that is not sealed or gone altogether (an entry after
    the checkpoint must carry facts), or the checkpoint disguised as another record so that
    its facts come before any checkpoint."""
    with book.forge() as forger:
        forger.sql(edit)
    assert_fault_exactly(book.verify(), "entry_altered", message)


@provokes("checkpoint_missing")
def test_checkpoint_missing(book: Book) -> None:
    """Every entry's facts removed, the checkpoint disguised as another record and the chain
    recomputed with the legacy hash, so that no fact would be checked: a ledger at this
    schema must have a checkpoint."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET facts = NULL")
        forger.sql("UPDATE entries SET kind = 'campaign_paused' WHERE id = 1")
        forger.rechain(1)
    assert_fault_exactly(
        book.verify(), "checkpoint_missing", "no entry seals the ledger's facts (its checkpoint is gone)"
    )


@provokes("checkpoint_missing")
def test_checkpoint_missing_from_a_journal_of_one_entry(ledger: Ledger) -> None:
    """A new ledger (its journal is its checkpoint alone) whose one entry is disguised as
    another record without facts, the chain recomputed: a single entry is a journal too,
    and it must be sealed by a checkpoint."""
    assert ledger.ok("verify")["entries"] == 1
    with Forger(ledger.db) as forger:
        assert forger.one("SELECT COUNT(*) FROM entries") == 1
        forger.sql("UPDATE entries SET kind = 'campaign_paused', facts = NULL WHERE id = 1")
        forger.rechain(1)
    assert_fault_exactly(
        ledger.run("--json", "verify"),
        "checkpoint_missing",
        "no entry seals the ledger's facts (its checkpoint is gone)",
    )


def test_a_journal_of_no_entries_needs_no_checkpoint(ledger: Ledger) -> None:
    """A new ledger's checkpoint deleted, nothing else there: with no entry there is nothing
    a checkpoint would seal, and no fact row either, so verify proves the empty journal out
    (at the genesis hash) rather than asking for a checkpoint."""
    with Forger(ledger.db) as forger:
        forger.sql("DELETE FROM entries")
        assert [forger.one(f"SELECT COUNT(*) FROM {table}") for table in COVERED] == [0] * len(COVERED)
    proof = ledger.ok("verify")
    assert (proof["entries"], proof["head"], proof["accounts"]) == (0, GENESIS_HASH, 0)


# --------------------------------------------------------------------------- the sealed facts


@provokes("fact_altered")
def test_fact_altered_row_differs_from_its_image(book: Book) -> None:
    """The contract's rate raised in its row only: it differs from the image the chain
    sealed last."""
    with book.forge() as forger:
        forger.sql("UPDATE contracts SET rate = '6' WHERE id = ?", (CONTRACT,))
    assert_fault_exactly(
        book.verify(),
        "fact_altered",
        f"contracts row {CONTRACT} differs from what entry {BILL_3} sealed (changed: rate)",
    )


@provokes("fact_altered")
def test_fact_altered_names_every_column_that_changed(book: Book) -> None:
    """The contract's rate and its piece limit both changed in its row only: the fault lists
    both columns, in name order."""
    with book.forge() as forger:
        forger.sql("UPDATE contracts SET rate = '6', max_pieces_milli = 5000 WHERE id = ?", (CONTRACT,))
    assert_fault_exactly(
        book.verify(),
        "fact_altered",
        f"contracts row {CONTRACT} differs from what entry {BILL_3} sealed (changed: max_pieces_milli, rate)",
    )


@provokes("fact_altered")
@pytest.mark.parametrize(
    ("edit", "changed"),
    [({"drop": "handle"}, "handle"), ({"add": "nickname"}, "nickname")],
    ids=["image lacks a column", "image has an extra column"],
)
def test_fact_altered_names_a_column_only_one_side_has(book: Book, edit: dict[str, str], changed: str) -> None:
    """The image that sealed worker ana made to lack her handle, or to carry a column her
    row does not have, the chain recomputed: the row differs from it in that column, which
    the fault names although only one side has it."""
    with book.forge() as forger:
        facts = forger.facts(3)
        image = facts["workers"]["1"]
        if "drop" in edit:
            assert image.pop(edit["drop"]) == "ana"
        else:
            image[edit["add"]] = "annie"
        forger.sql("UPDATE entries SET facts = ? WHERE id = 3", (canonical_json(facts),))
        forger.rechain(3)
    assert_fault_exactly(
        book.verify(), "fact_altered", f"workers row 1 differs from what entry 3 sealed (changed: {changed})"
    )


@provokes("fact_altered")
def test_fact_altered_after_a_final_state(book: Book) -> None:
    """Released bill 1 flipped back to pending in its row and in a forged image carried by
    the last entry, the chain recomputed: the row equals its latest image, but a released
    bill never changes again."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "bills", 1, status="pending")
        forger.rechain(BILL_3)
    assert_fault(
        book.verify(),
        "fact_altered",
        f"bills row 1 changed in entry {BILL_3} after it reached a final state (sealed by entry {RELEASE_1})",
    )


@provokes("fact_altered")
@pytest.mark.parametrize(
    ("table", "key", "change", "sealer", "why"),
    [
        ("contracts", CONTRACT, {"rate": "6"}, REJECT_2, "in columns fixed once written"),
        ("workers", 1, {"handle": "anna"}, 3, "in columns fixed once written"),
        ("workers", 1, {"name": "Ana Forged"}, 3, "in what only a worker_edited entry about it changes"),
        ("bills", 2, {"pieces_milli": 1000}, REJECT_2, "after it reached a final state"),
        ("campaigns", 1, {"budget_minor": 1}, 2, "in what only a campaign_edited entry about it changes"),
    ],
    ids=["contract rate", "worker handle", "worker name", "rejected bill's pieces", "campaign budget"],
)
def test_fact_altered_in_a_fixed_column(
    book: Book, table: str, key: int, change: dict[str, object], sealer: int, why: str
) -> None:
    """A fact fixed once written (the active contract's rate; a worker's handle), one that
    only an entry of its own kind changes (a worker's name, a campaign's budget) or a row in
    a final state (a rejected bill, which only a reversal may release), changed in its row
    and in a forged later image (a bill's entry), the chain recomputed: the later image may
    not change it."""
    with book.forge() as forger:
        forger.reseal(BILL_3, table, key, **change)
        forger.rechain(BILL_3)
    assert_fault(
        book.verify(), "fact_altered", f"{table} row {key} changed in entry {BILL_3} {why} (sealed by entry {sealer})"
    )


@provokes("fact_altered")
@pytest.mark.parametrize(
    ("table", "key", "change", "sealer", "why"),
    [
        ("contracts", CONTRACT, {"rate": "6"}, RELEASE_1, "in columns fixed once written"),
        ("contracts", CONTRACT, {"accepted_on": "2020-01-01"}, RELEASE_1, "in a value that is set only once"),
        ("bills", 2, {"note": "forged"}, BILL_2, "in what only a resubmit entry about it changes"),
        ("bills", 1, {"status": "pending"}, RELEASE_1, "after it reached a final state"),
    ],
    ids=["contract rate", "contract acceptance date", "bill note", "released bill pending again"],
)
def test_fact_altered_in_an_image_read_whole(
    book: Book, monkeypatch: pytest.MonkeyPatch, table: str, key: int, change: dict[str, str], sealer: int, why: str
) -> None:
    """A fact changed only in an image the reject of bill 2 seals (of the contract, which a
    later entry seals again; of bill 2; or, in place of bill 2's, of released bill 1 made
    pending again), the chain recomputed: the fast walk reads that entry whole, in one match
    (it seals one row in each of the tables the entry before it sealed), doubts, and the
    careful walk names the change."""
    from piecepay.operations import journal_walk

    eid = REJECT_2
    with book.forge() as forger:
        facts = forger.facts(eid)
        if str(key) not in facts[table]:  # bill 1's image from its release, in place of bill 2's
            facts[table] = {str(key): forger.facts(sealer)[table][str(key)]}
        facts[table][str(key)].update(change)
        forger.sql("UPDATE entries SET facts = ? WHERE id = ?", (canonical_json(facts), eid))
        forger.rechain(eid)
        forged = forger.one("SELECT facts FROM entries WHERE id = ?", (eid,))
    read_whole: list[str] = []
    read = journal_walk.Combo.read

    def spy(combo: journal_walk.Combo, facts_text: str) -> Any:
        images = read(combo, facts_text)
        if images is not None:
            read_whole.append(facts_text)
        return images

    monkeypatch.setattr(journal_walk.Combo, "read", spy)
    monkeypatch.setattr(journal_walk, "LEARN_AFTER", 1)  # a small ledger: learn from the first entry
    assert_fault(
        book.verify(), "fact_altered", f"{table} row {key} changed in entry {eid} {why} (sealed by entry {sealer})"
    )
    assert forged in read_whole


@provokes("fact_altered")
def test_fact_altered_in_a_value_set_once(book: Book) -> None:
    """The contract's acceptance date (set once, when the offer was accepted) moved in its
    row and in the image the last entry seals, the chain recomputed."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "contracts", CONTRACT, accepted_on="2020-01-01")
        forger.rechain(BILL_3)
    assert_fault(
        book.verify(),
        "fact_altered",
        f"contracts row {CONTRACT} changed in entry {BILL_3} in a value that is set only once "
        f"(sealed by entry {REJECT_2})",
    )


@provokes("fact_not_sealed")
def test_fact_not_sealed(book: Book) -> None:
    """A worker inserted by hand (inserts pass the guards): a row no entry sealed."""
    with book.forge() as forger:
        forger.sql("INSERT INTO workers (handle, created_at) VALUES ('mallory', '2026-01-01T00:00:00+00:00')")
        rid = forger.one("SELECT id FROM workers WHERE handle = 'mallory'")
    assert_fault(book.verify(), "fact_not_sealed", f"workers row {rid} is in no journal entry: it was added by hand")


@provokes("fact_missing")
def test_fact_missing(book: Book) -> None:
    """Rejected bill 2's row deleted, its entries kept: a sealed row is gone."""
    with book.forge() as forger:
        forger.sql("DELETE FROM bills WHERE id = 2")
    assert_fault_exactly(
        book.verify(), "fact_missing", f"bills row 2, sealed by entry {REJECT_2}, is gone from the ledger"
    )


@provokes("fact_missing")
def test_fact_missing_names_the_row_sealed_first(book: Book) -> None:
    """Pending bill 3 (sealed by the last entry) and the campaign (sealed by entry 2) both
    deleted: the fault names the row sealed earliest, the campaign, although 'bills' sorts
    before 'campaigns'."""
    with book.forge() as forger:
        for table, key, sealers in (("bills", "3", [BILL_3]), ("campaigns", "1", [2])):
            assert [eid for eid in range(1, ENTRIES + 1) if key in forger.facts(eid).get(table, {})] == sealers
        forger.sql("DELETE FROM bills WHERE id = 3")
        forger.sql("DELETE FROM campaigns WHERE id = 1")
    assert_fault_exactly(book.verify(), "fact_missing", "campaigns row 1, sealed by entry 2, is gone from the ledger")


# --------------------------------------------------------------------------- totals and balances


@provokes("stored_total_mismatch")
def test_stored_total_mismatch(book: Book) -> None:
    """The worker's stored earnings raised (totals are not in the images, and no guard
    covers them): they no longer equal the sum of the postings."""
    with book.forge() as forger:
        forger.sql("UPDATE accounts SET credits_posted = credits_posted + 1000 WHERE id = ?", (WORKER,))
    assert_fault(
        book.verify(),
        "stored_total_mismatch",
        "account worker:ana (USD) stores credits_posted 2500, its postings sum to 1500",
    )


@provokes("negative_pending")
def test_negative_pending(book: Book) -> None:
    """Bill 1's release made to void twice what was reserved (pending -3000 instead of -1500
    on both sides, the totals and the chain made to agree): the escrow's reservations go
    below zero."""
    with book.forge() as forger:
        forger.shift_entry(RELEASE_1, -1500, "pending")
        forger.rechain(RELEASE_1)
    assert_fault(book.verify(), "negative_pending", "account escrow:1 has negative pending totals")


@provokes("escrow_negative")
def test_escrow_negative(book: Book) -> None:
    """The top-up cut from 100.00 to 10.00 on both sides (totals and chain made to agree):
    the escrow released and reserved more than it was ever funded."""
    with book.forge() as forger:
        forger.shift_entry(TOP_UP, -9000, "posted")
        forger.rechain(TOP_UP)
    assert_fault_exactly(book.verify(), "escrow_negative", "account escrow:1 is below zero (-1000 minor units)")


def test_an_escrow_spent_to_exactly_zero_verifies(contract: Ledger) -> None:
    """Built through the command line: a top-up of 15.00 and a bill of 3 x 5 = 15.00 leave
    the escrow with exactly nothing available, pending and then released. Zero is not
    below zero."""

    def available() -> int:
        (row,) = contract.ok("report", "--by", "contract")["rows"]
        return int(row["available_minor"])

    contract.ok("milestone", "add", "photos/ana", "--top-up", "15")
    bill = contract.ok("bill", "photos/ana", "--pieces", "3")
    assert (bill["amount_minor"], available()) == (1500, 0)
    assert contract.ok("verify")["entries"] == 7
    contract.ok("release", str(bill["id"]))
    assert available() == 0
    assert contract.ok("verify")["entries"] == 8


@provokes("earnings_negative")
def test_earnings_negative(book: Book) -> None:
    """The payout raised from 15.00 to 20.00 on both sides (totals and chain made to agree):
    the worker was paid more than was released to them."""
    with book.forge() as forger:
        forger.shift_entry(PAYOUT, 500, "posted")
        forger.rechain(PAYOUT)
    assert_fault(book.verify(), "earnings_negative", "account worker:ana paid out more than was released")


# --------------------------------------------------------------------------- bills, counters and caps


@provokes("bill_resolved_twice")
def test_bill_resolved_twice(book: Book) -> None:
    """The rejection of bill 2 re-pointed at released bill 1, the chain recomputed: bill 1
    has two resolving entries."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET bill_id = 1 WHERE id = ?", (REJECT_2,))
        forger.rechain(REJECT_2)
    assert_fault(book.verify(), "bill_resolved_twice", "bill 1 was resolved 2 times")


@provokes("bill_state_mismatch")
def test_bill_state_mismatch(book: Book) -> None:
    """The rejection's link to bill 2 removed, the chain recomputed: bill 2 says rejected
    but no entry resolved it."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET bill_id = NULL WHERE id = ?", (REJECT_2,))
        forger.rechain(REJECT_2)
    assert_fault(book.verify(), "bill_state_mismatch", "bill 2's status disagrees with the journal")


@provokes("bill_resolved_twice")
def test_bill_reversed_twice(book: Book) -> None:
    """Bill 3's entry turned into a second reversal of released bill 1 (it posts, as a
    reversal does), the chain recomputed: bill 1 was reversed twice."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET kind = 'reversal', bill_id = 1 WHERE id IN (?, ?)", (RELEASE_1, BILL_3))
        forger.rechain(RELEASE_1)
    assert_fault(book.verify(), "bill_resolved_twice", "bill 1 was resolved 2 times")


@provokes("bill_state_mismatch")
@pytest.mark.parametrize(
    ("forge", "bill"),
    [
        ("revising without a revision", 3),
        ("an open revision of a pending bill", 3),
        ("a rejected bill reversed by nothing", 2),
    ],
)
def test_bill_state_mismatch_with_revisions(book: Book, forge: str, bill: int) -> None:
    """A bill's status and its revisions sealed out of step, the chain recomputed: pending
    bill 3 made revising with no revision open; an open revision added to pending bill 3;
    rejected bill 2 made released with nothing resolving it but the rejection."""
    with book.forge() as forger:
        if forge == "revising without a revision":
            forger.reseal(BILL_3, "bills", 3, status="revising")
        elif forge == "an open revision of a pending bill":
            forger.sql(
                "INSERT INTO revisions (id, bill_id, reason, asked_on, entry_id, status) "
                "VALUES (1, 3, 'crop', '2026-11-20', ?, 'open')",
                (BILL_3,),
            )
            forger.reseal(BILL_3, "revisions", 1, status="open")
        else:
            forger.sql("UPDATE entries SET kind = 'reversal' WHERE id = ?", (REJECT_2,))
            forger.reseal(REJECT_2, "bills", 2, status="released")
        forger.rechain(REJECT_2 if bill == 2 else BILL_3)
    assert_fault(book.verify(), "bill_state_mismatch", f"bill {bill}'s status disagrees with the journal")


@provokes("bill_amount_wrong")
def test_a_resubmission_that_gave_back_more_than_the_bill_lost(book: Book) -> None:
    """Pending bill 3 lowered by one piece (and its amount) in its row and image, as a
    resubmission would, but with no resubmission giving the difference back, the chain
    recomputed: its amount is not what its entries reserved."""
    with book.forge() as forger:
        pieces, amount = (
            forger.one("SELECT pieces_milli FROM bills WHERE id = 3"),
            forger.one("SELECT amount_minor FROM bills WHERE id = 3"),
        )
        forger.reseal(BILL_3, "bills", 3, pieces_milli=pieces - 1000, amount_minor=amount - 500)
        forger.rechain(BILL_3)
    assert_fault(book.verify(), "bill_amount_wrong", "bill 3's amount is not what its entry reserved")


@provokes("bill_amount_wrong")
def test_bill_amount_wrong_not_its_pieces_at_its_rate(book: Book) -> None:
    """Pending bill 3's rate lowered in its row and its sealed image, the chain recomputed,
    its amount left: the amount is no longer its pieces at its rate."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "bills", 3, rate="4")
        forger.rechain(BILL_3)
    assert_fault_exactly(book.verify(), "bill_amount_wrong", "bill 3's amount is not its pieces at its rate")


@provokes("bill_amount_wrong")
def test_bill_amount_wrong_at_a_rate_no_bill_could_have(book: Book) -> None:
    """Pending bill 3's rate raised to 10^30 (a positive decimal, so well formed) in its row
    and its sealed image, the chain recomputed: its pieces at that rate are too large for
    any bill, and verify names the bill instead of failing on the refusal."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "bills", 3, rate="1E+30")
        forger.rechain(BILL_3)
    assert_fault_exactly(book.verify(), "bill_amount_wrong", "bill 3's amount is not its pieces at its rate")


@provokes("bill_amount_wrong")
def test_bill_amount_wrong_not_what_its_entry_reserved(book: Book) -> None:
    """Pending bill 3 doubled (pieces and amount) in its row and image, the contract's
    pending counter with it, the chain recomputed, but its reservation left: the bill is not
    what its entry reserved."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "bills", 3, pieces_milli=2000, amount_minor=1000)
        forger.reseal(BILL_3, "contracts", CONTRACT, pieces_pending_milli=2000)
        forger.rechain(BILL_3)
    assert_fault(book.verify(), "bill_amount_wrong", "bill 3's amount is not what its entry reserved")


@provokes("bill_amount_wrong")
def test_bill_amount_wrong_released_not_what_was_posted(book: Book) -> None:
    """Released bill 1's released amount lowered in its row and in the image its release
    sealed, the chain recomputed: it is not what the release posted."""
    with book.forge() as forger:
        forger.reseal(RELEASE_1, "bills", 1, released_minor=1400)
        forger.rechain(RELEASE_1)
    assert_fault_exactly(book.verify(), "bill_amount_wrong", "bill 1's released amount is not what its release posted")


def release_posting_nothing(ledger: Ledger) -> int:
    """Through the command line: a campaign at 0.001 a tag, a bill of 10 tags (0.01), then
    a release of 1 tag of it, which rounds to 0.00 and so posts nothing (the release entry
    only voids the reservation). The release's entry id."""
    ledger.ok("campaign", "create", "Tags", "--slug", "tags", "--unit", "tag", "--rate", "0.001")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "tags", "ana")
    ledger.ok("offer", "accept", "tags/ana")
    ledger.ok("milestone", "add", "tags/ana", "--top-up", "1")
    bill = ledger.ok("bill", "tags/ana", "--pieces", "10")
    assert (bill["id"], bill["amount_minor"]) == (1, 1)
    released = ledger.ok("release", "1", "--pieces", "1")
    assert (released["status"], released["released_pieces"], released["released_minor"]) == ("released", "1", 0)
    with Forger(ledger.db) as forger:
        release = forger.one("SELECT resolve_entry_id FROM bills WHERE id = 1")
        assert [(p["phase"], p["amount"]) for p in forger.postings_of(release)] == [("pending", -1), ("pending", -1)]
    return int(release)


def test_a_release_that_posted_nothing_verifies(ledger: Ledger) -> None:
    """Control: a released bill whose release posted nothing proves out (its released
    amount, 0, is what the release posted)."""
    release_posting_nothing(ledger)
    assert ledger.ok("verify")["entries"] == 8


@provokes("bill_amount_wrong")
def test_bill_amount_wrong_released_but_nothing_posted(ledger: Ledger) -> None:
    """That released bill's released amount raised to 0.01 in its row and in the image its
    release sealed, the chain recomputed: the release posted nothing, not 0.01."""
    release = release_posting_nothing(ledger)
    with Forger(ledger.db) as forger:
        forger.reseal(release, "bills", 1, released_minor=1)
        forger.rechain(release)
    assert_fault_exactly(
        ledger.run("--json", "verify"), "bill_amount_wrong", "bill 1's released amount is not what its release posted"
    )


@provokes("exact_total_wrong")
def test_exact_total_wrong_carry_forged(ledger: Ledger) -> None:
    """The contract's carry after a release of one tag at 0.001 (0.1 of a cent released, none
    posted, so 0.1 carried) set to 0 in its row and in the image the release sealed, the chain
    recomputed: its released money is no longer its released pieces' exact value rounded once."""
    release = release_posting_nothing(ledger)
    with Forger(ledger.db) as forger:
        assert forger.one("SELECT released_carry FROM contracts WHERE id = 1") == "0.1"
        forger.reseal(release, "contracts", 1, released_carry="0")
        forger.rechain(release)
    assert_fault_exactly(
        ledger.run("--json", "verify"),
        "exact_total_wrong",
        "contract 1's released money is not its released pieces' exact value rounded once",
    )


def bill_with_a_fee(ledger: Ledger) -> int:
    """A campaign charging 20%, a bill of 10.00 released in full (its fee 2.00 charged); the
    entry that settled the fee."""
    ledger.ok("campaign", "create", "Rows", "--slug", "rows", "--unit", "row", "--rate", "1", "--fee", "20%")
    ledger.ok("worker", "add", "ana")
    ledger.ok("offer", "create", "rows", "ana")
    ledger.ok("offer", "accept", "rows/ana")
    ledger.ok("milestone", "add", "rows/ana", "--top-up", "100")
    ledger.ok("bill", "rows/ana", "--pieces", "10")
    ledger.ok("release", "1")
    with Forger(ledger.db) as forger:
        settled = forger.one("SELECT MAX(id) FROM entries WHERE kind = 'fee' AND bill_id = 1")
        assert [(p["phase"], p["amount"]) for p in forger.postings_of(settled)] == [
            ("pending", -200),
            ("pending", -200),
            ("posted", 200),
            ("posted", 200),
        ]
    return int(settled)


def test_a_release_charged_its_fee_verifies(ledger: Ledger) -> None:
    """Control: the bill, its fee held and charged, prove out."""
    bill_with_a_fee(ledger)
    assert ledger.ok("report", "--by", "contract")["rows"][0]["fees"] == "2.00"
    assert ledger.ok("verify")["ok"] is True


@provokes("fee_wrong")
def test_fee_wrong_contract_counts_another_fee(ledger: Ledger) -> None:
    """The contract's fees raised from 2.00 to 2.01 in its row and in the image the settling
    entry sealed, the chain recomputed: its fee entries charged 2.00."""
    settled = bill_with_a_fee(ledger)
    with Forger(ledger.db) as forger:
        forger.reseal(settled, "contracts", 1, fees_minor=201)
        forger.rechain(settled)
    assert_fault_exactly(
        ledger.run("--json", "verify"), "fee_wrong", "contract 1's fees are not what its fee entries charged"
    )


@provokes("fee_wrong")
def test_fee_wrong_release_charged_less(ledger: Ledger) -> None:
    """The fee the release charged cut from 2.00 to 1.00 (both postings, the fees account's and
    the escrow's totals with them, the contract's count too), the chain recomputed: 20% of
    10.00 is 2.00."""
    settled = bill_with_a_fee(ledger)
    with Forger(ledger.db) as forger:
        for p in forger.postings_of(settled):
            if p["phase"] == "posted":
                forger.shift_posting(p["id"], -100)
        forger.reseal(settled, "contracts", 1, fees_minor=100)
        forger.rechain(settled)
    assert_fault_exactly(
        ledger.run("--json", "verify"), "fee_wrong", "bill 1's fee entries do not hold and charge its campaign's fee"
    )


@provokes("contract_counter_mismatch")
def test_contract_counter_mismatch(book: Book) -> None:
    """The contract's rejected-pieces counter raised in its row and its latest image, the
    chain recomputed: it disagrees with the contract's bills."""
    with book.forge() as forger:
        forger.reseal(BILL_3, "contracts", CONTRACT, pieces_rejected_milli=3000)
        forger.rechain(BILL_3)
    assert_fault(book.verify(), "contract_counter_mismatch", f"contract {CONTRACT}'s piece counts disagree")


@provokes("milestone_cap_exceeded")
def test_milestone_cap_exceeded(book: Book) -> None:
    """The milestone's cap cut from 60.00 to 10.00 in its row and in the image the top-up
    sealed, the chain recomputed: its bills (15.00 released, 5.00 pending) spent more."""
    with book.forge() as forger:
        forger.reseal(TOP_UP, "milestones", MILESTONE, cap_minor=1000)
        forger.rechain(TOP_UP)
    assert_fault(book.verify(), "milestone_cap_exceeded", f"milestone {MILESTONE} spent 2000 of a cap of 1000")


# --------------------------------------------------------------------------- the guards


@provokes("guard_missing")
def test_guard_missing(book: Book) -> None:
    """The trigger that refuses deletes from the postings dropped (nothing else touched)."""
    with book.forge() as forger:
        del forger.guards["postings_no_delete"]
    assert_fault(book.verify(), "guard_missing", "the trigger postings_no_delete that guards the ledger is gone")


@provokes("guard_altered")
def test_guard_altered(book: Book) -> None:
    """A guard replaced by one of the same name that never fires."""
    with book.forge() as forger:
        forger.guards["bills_final"] = forger.guards["bills_final"].replace("OLD.status = 'released'", "0")
    assert_fault(book.verify(), "guard_altered", "the trigger bills_final that guards the ledger was rewritten")


@provokes("guard_added")
def test_guard_added(book: Book) -> None:
    """An extra trigger that would skim every future posting into the worker's earnings."""
    with book.forge() as forger:
        forger.guards["skim"] = (
            "CREATE TRIGGER skim AFTER INSERT ON postings BEGIN "
            f"UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = {WORKER}; END"
        )
    assert_fault(book.verify(), "guard_added", "a trigger piecepay does not define was added: skim")


# --------------------------------------------------------------------------- the verified head


def recorded_head(db: Path) -> tuple[int, str, str, str]:
    """The verified head the ledger file records: entry, hash, sums (JSON text), when."""
    conn = sqlite3.connect(db)
    try:
        entry, digest, sums, at = conn.execute("SELECT entry_id, hash, sums, verified_at FROM verified_head").fetchone()
    finally:
        conn.close()
    return entry, digest, sums, at


def test_a_passing_verify_records_its_head(book: Book) -> None:
    """Control: the history's last verify recorded the head it proved, with the postings up to
    it summed per account (escrow, client, worker, payouts), and the full verify proves it."""
    entry, digest, sums, _ = recorded_head(book.db)
    assert f"{entry}:{digest}" == book.head
    assert json.loads(sums)[str(WORKER)] == [0, 1500, 500, 1500]  # paid out 15.00; bill 3 pending; bill 1 released
    assert book.ledger.ok("verify")["checkpoint_recorded"] is True


@provokes("verified_head_mismatch")
def test_verified_head_beyond_the_journal(book: Book) -> None:
    """The checkpoint row moved past the journal's end: the full verify proves the row too."""
    with book.forge() as forger:
        forger.sql("UPDATE verified_head SET entry_id = ?", (ENTRIES + 1,))
    at = recorded_head(book.db)[3]
    assert_fault_exactly(
        book.verify(),
        "verified_head_mismatch",
        f"the checkpoint of {at} names entry {ENTRIES + 1}, but the ledger has only {ENTRIES} entries: "
        "it was truncated or rolled back to an older copy",
    )


@provokes("verified_head_mismatch")
def test_verified_head_with_another_hash(book: Book) -> None:
    """The checkpoint row given a hash that is not the one its entry has in the chain."""
    other = "1" * 64
    with book.forge() as forger:
        forger.sql("UPDATE verified_head SET hash = ?", (other,))
    at = recorded_head(book.db)[3]
    assert_fault_exactly(
        book.verify(),
        "verified_head_mismatch",
        f"the checkpoint of {at} says entry {ENTRIES} has hash {other}, but the chain has {book.head.split(':')[1]}",
    )


@provokes("verified_head_mismatch")
def test_verified_head_with_forged_sums(book: Book) -> None:
    """The worker's posted credits raised by 5.00 in the checkpoint's sums only (what a forger
    would write beside the same raise in the account's totals, for an incremental check to
    find them consistent): the full verify sums the postings up to the checkpoint's entry."""
    _, _, text, at = recorded_head(book.db)
    sums = json.loads(text)
    sums[str(WORKER)][3] += 500
    with book.forge() as forger:
        forger.sql("UPDATE verified_head SET sums = ?", (canonical_json(sums),))
    assert_fault_exactly(
        book.verify(),
        "verified_head_mismatch",
        f"the checkpoint of {at} counts credits_posted 2000 for account worker:ana (USD), "
        f"but its postings up to entry {ENTRIES} sum to 1500",
    )


@provokes("verified_head_mismatch")
@pytest.mark.parametrize("sums", ["not json", "[]", '{"3": [1, 2, 3]}', '{"x": [0, 0, 0, 0]}', '{"3": [0, 0, 0, 0.5]}'])
def test_verified_head_with_unreadable_sums(book: Book, sums: str) -> None:
    """The checkpoint's sums replaced by something that is not four whole totals per account id."""
    with book.forge() as forger:
        forger.sql("UPDATE verified_head SET sums = ?", (sums,))
    at = recorded_head(book.db)[3]
    assert_fault_exactly(book.verify(), "verified_head_mismatch", f"the checkpoint of {at} holds unreadable sums")


# --------------------------------------------------------------------------- anchors


@provokes("anchor_entry_missing")
def test_anchor_entry_missing(book: Book) -> None:
    """The ledger rolled back to a backup taken before its last entry: a genuine,
    consistent ledger that plain verify accepts, but the head noted earlier says entry
    ENTRIES existed."""
    shutil.copyfile(book.backup, book.db)
    assert book.verify().code == 0
    assert_fault_exactly(
        book.verify("--expect", book.head),
        "anchor_entry_missing",
        f"--expect {ENTRIES} says entry {ENTRIES} existed, but the ledger has only {PAYOUT} entries: "
        "it was truncated or rolled back to an older copy",
    )


@provokes("anchor_mismatch")
def test_anchor_mismatch(book: Book) -> None:
    """The payout's memo rewritten and every hash from it on recomputed: the chain is
    self-consistent, so plain verify passes, but the head noted earlier differs."""
    with book.forge() as forger:
        forger.sql("UPDATE entries SET memo = 'payout 5.00 USD to ana (PP-1)' WHERE id = ?", (PAYOUT,))
        forger.rechain(PAYOUT)
        forged = forger.one("SELECT hash FROM entries WHERE id = ?", (ENTRIES,))
    assert book.verify().code == 0
    assert_fault_exactly(
        book.verify("--expect", book.head),
        "anchor_mismatch",
        f"entry {ENTRIES} has hash {forged}, not {book.head.split(':')[1]} as --expect {ENTRIES} says: "
        "the journal up to it was rewritten",
    )


def test_an_anchor_at_entry_zero_is_the_genesis_hash(book: Book) -> None:
    """Control: before its first entry every journal stands at the genesis hash, so an
    anchor at entry 0 with that hash holds for any ledger."""
    proof = book.ledger.ok("verify", "--expect", f"0:{GENESIS_HASH}")
    assert (proof["entries"], proof["anchors_checked"]) == (ENTRIES, 1)


@provokes("anchor_mismatch")
def test_anchor_mismatch_at_entry_zero(book: Book) -> None:
    """An anchor at entry 0 with any other hash: entry 0 is the genesis hash, not that."""
    other = "1" * 64
    assert_fault_exactly(
        book.verify("--expect", f"0:{other}"),
        "anchor_mismatch",
        f"entry 0 has hash {GENESIS_HASH}, not {other} as --expect 0 says: the journal up to it was rewritten",
    )


# --------------------------------------------------------------------------- values of the wrong kind


@provokes("fact_malformed")
@pytest.mark.parametrize(
    ("sealer", "table", "key", "change", "wrong"),
    [
        (BILL_3, "bills", 3, {"rate": "abc"}, "a rate that is not a positive decimal"),
        (BILL_3, "bills", 3, {"rate": "NaN"}, "a rate that is not a positive decimal"),
        (BILL_3, "bills", 3, {"proofs": "not json"}, "proofs that are not a list of text"),
        (BILL_3, "bills", 3, {"effective_date": "yesterday"}, "a effective_date that is not a date"),
        (BILL_3, "bills", 3, {"status": "bogus"}, "a status that is not one of its own"),
        (2, "campaigns", 1, {"status": "bogus"}, "a status that is not one of its own"),
        (2, "campaigns", 1, {"rate": "-5"}, "a rate that is not a positive decimal"),
        (BILL_3, "bills", 3, {"rate": "0"}, "a rate that is not a positive decimal"),
        (BILL_3, "bills", 3, {"proofs": '"photo.jpg"'}, "proofs that are not a list of text"),
        (5, "contracts", CONTRACT, {"status": "bogus"}, "a status that is not one of its own"),
        (TOP_UP, "milestones", MILESTONE, {"opened_on": "2026-13-01"}, "a opened_on that is not a date"),
    ],
    ids=[
        "bill rate",
        "bill rate NaN",
        "proofs",
        "bill date",
        "bill status",
        "campaign status",
        "campaign rate",
        "bill rate zero",
        "proofs not a list",
        "contract status",
        "milestone date",
    ],
)
def test_fact_malformed(book: Book, sealer: int, table: str, key: int, change: dict[str, object], wrong: str) -> None:
    """A value of the wrong kind (a rate that is no number, a status outside its enum, a date
    that is not a date, proofs that are not JSON) in a row and in the image that first sealed
    it, the chain recomputed so that everything else is consistent: verify names it instead
    of crashing on it."""
    with book.forge() as forger:
        forger.reseal(sealer, table, key, **change)
        forger.rechain(sealer)
    assert_fault_exactly(book.verify(), "fact_malformed", f"{table} row {key} as entry {sealer} sealed it has {wrong}")


@provokes("fact_malformed")
def test_fact_malformed_a_rate_sealed_as_a_number(book: Book) -> None:
    """Bill 3's rate sealed as the JSON number 5 instead of the text "5" (its row left as
    it was), the chain recomputed: a rate is sealed as exact decimal text, never a number."""
    with book.forge() as forger:
        facts = forger.facts(BILL_3)
        assert facts["bills"]["3"]["rate"] == "5"
        facts["bills"]["3"]["rate"] = 5
        forger.sql("UPDATE entries SET facts = ? WHERE id = ?", (canonical_json(facts), BILL_3))
        forger.rechain(BILL_3)
    assert_fault_exactly(
        book.verify(),
        "fact_malformed",
        f"bills row 3 as entry {BILL_3} sealed it has a rate that is not a positive decimal",
    )


@provokes("foreign_key_broken")
def test_foreign_key_broken(book: Book) -> None:
    """Every account moved to a currency the ledger has no row for, in its row and in the
    image that sealed it, the chain recomputed (so reads that join the currencies would
    skip those accounts and their totals): the broken reference is named."""
    with book.forge() as forger:
        for sealer, account in ((5, ESCROW), (TOP_UP, CLIENT), (BILL_1, WORKER), (PAYOUT, PAYOUTS)):
            forger.reseal(sealer, "accounts", account, currency="XXX")
        forger.rechain(5)
    assert_fault(book.verify(), "foreign_key_broken", "accounts row ", "refers to a currencies row that does not exist")
