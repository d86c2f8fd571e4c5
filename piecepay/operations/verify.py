"""verify: prove the ledger is intact, balanced and unaltered, or name the first fault (exit 5).

The checks, in order: SQLite's integrity check; the hash chain, every entry balanced, and
every fact table equal to the latest images the chain sealed (later images never
changing a fixed fact, a set-once value or a final state, and every image of its kind);
every reference between rows intact; stored totals against the
postings; escrow and earnings never below zero; each bill resolved once; each bill's
amount re-derived from its pieces and rate; piece counters; milestone caps; exactly the
schema's guards; the verified head; and any anchors (heads kept outside the file).

The journal is walked fast first (``journal_walk``); wherever that walk doubts, the careful
walk here runs instead and names the first fault, so findings and messages are those of the
careful walk alone.

**The verified head (checkpoint).** A passing verify records where it left off in the
ledger's ``verified_head`` row: the last entry it proved, that entry's hash, and every
account's posting sums up to it. ``verify --since-checkpoint`` starts there: it checks that
the recorded entry is still in the journal with the recorded hash, and that its hash still
recomputes from what it holds; then it proves only the entries after it (the chain from the
recorded hash, each entry balanced and well formed, the images they seal lawful successors
of each other and equal to the rows they name now), every account's stored totals against
the recorded sums plus the new postings, escrow and earnings never below zero, the bills the
new entries sealed, and the guards. Its cost follows the new entries, not the journal.

It trusts what came before: the entries up to the recorded one, the rows no new entry
touched, and the file's pages and references. The row is not a fact of the ledger and is not
sealed into the chain (recording it must not append an entry), so whoever can write the file
can write it too. That makes it no way to hide tampering, for three reasons. A forged row
cannot pass an edit off as proved to the full verify, which trusts nothing, proves the whole
chain and then proves the row itself: its entry must be in the chain with its hash, and its
sums must be what the postings up to that entry add up to (``verified_head_mismatch``
otherwise). To the incremental check, a row naming the wrong hash or an entry that is not
there fails at once; an edited entry behind a correct row fails when the entry's hash is
recomputed from what it holds, or when the next entry does not chain to it; and account
totals edited together with forged sums are in the stored totals the full verify proves
against every posting. What remains is a forger who rewrites entries before the recorded
one and the row to match: an incremental check cannot see that by design, which is why the
full verify stays the default and anchors are kept outside the file. A verify that cannot
write (a read-only file or role) proves the same and leaves the row as it was; the row
never moves back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from piecepay import rules
from piecepay.errors import PiecepayError, StorageError
from piecepay.journal import (
    GENESIS_HASH,
    MONEY_KINDS,
    RECORD_KINDS,
    SOMETIMES_MONEY_KINDS,
    Posting,
    canonical_json,
    entry_hash,
    imbalances,
    sealed_hash,
)
from piecepay.models import Bill, BillStatus, TierPeriod, tiers_from_text
from piecepay.money import HALF, Money, exact_minor, milli_to_pieces
from piecepay.operations import journal_walk
from piecepay.operations.journal_walk import GENESIS, Doubt, Seal, Sealed, Start, Walked, malformed
from piecepay.records import Record
from piecepay.session import Session
from piecepay.store import Store
from piecepay.store.facts import COVERED
from piecepay.store.journal import TOTAL_COLUMNS
from piecepay.store.migrations import (
    ADDED_COLUMNS,
    EDITABLE,
    FINAL_STATUSES,
    REOPENED,
    SET_ONCE,
    editable_columns,
    fixed_columns,
)
from piecepay.store.sqlite import StoredEntry, StoredHead

CHECKS = (
    "integrity",
    "typed_tables",
    "hash_chain",
    "entries_balance",
    "facts_sealed",
    "references",
    "stored_totals",
    "escrow_not_negative",
    "bills_resolve_once",
    "bill_amounts",
    "contract_counters",
    "exact_totals",
    "fees",
    "milestone_caps",
    "guards",
    "verified_head",
)
# What ``verify --since-checkpoint`` checks, in order (the rest it trusts to the check that recorded the head).
SINCE_CHECKS = (
    "verified_head",
    "typed_tables",
    "hash_chain",
    "entries_balance",
    "facts_sealed",
    "stored_totals",
    "escrow_not_negative",
    "bill_amounts",
    "guards",
)
# Why a verified head may not be recorded after a passing verify: nothing is wrong with the ledger.
NOT_RECORDED = frozenset({"ledger_read_only", "ledger_locked", "ledger_needs_upgrade"})


class JournalFault(StorageError):
    """The ledger file does not prove out: tampered, unbalanced or inconsistent (exit 5)."""


class Anchor(Record):
    """A journal head kept outside the ledger: entry ``entries`` had hash ``head``."""

    entries: int
    head: str
    where: str  # where the anchor came from, for the fault message


class Proof(Record):
    """What a passing verify proved."""

    entries: int
    head: str
    accounts: int
    anchors_checked: int
    checks: tuple[str, ...]
    since: int = 0  # the entries up to this one were proved by an earlier verify (0: every entry now)
    recorded: bool = False  # the head was recorded as the ledger's verified head


class VerifiedHead(Record):
    """A verified head as read from the ledger: entry ``entry`` had hash ``hash`` when a
    verify passed at ``at``, and the postings up to it summed to ``sums``."""

    entry: int
    hash: str
    sums: dict[tuple[int, str], int]  # per account and total column, as posting_sums gives them
    at: str


def verify(s: Session, expect: Sequence[Anchor] = (), *, since_checkpoint: bool = False) -> Proof:
    """Run every check in order and stop at the first fault, raising JournalFault naming it;
    once they pass, record the head as the ledger's verified head (where it can be written).

    Each anchor in ``expect`` (an entry number and the hash it had when the anchor was
    taken) must still be there with that hash: a chain recomputed after an edit, a
    truncation or a rollback to an older copy fails here even if it is self-consistent.
    With ``since_checkpoint`` and a verified head recorded, only what came after it is
    proved (see the module's docstring); without one, everything is.
    """
    store = s.store
    with store.snapshot():  # one read snapshot for every check, even while others write
        stored = store.verified_head()
        checks: tuple[str, ...]
        if since_checkpoint and stored is not None:
            head = _readable_head(stored)
            walked, checks, since = _since(store, head), SINCE_CHECKS, head.entry
        else:
            walked, checks, since = _everything(store, stored), CHECKS, 0
        for anchor in expect:
            _check_anchor(store, anchor, walked.entries)
        proof = Proof(walked.entries, walked.head, store.account_count(), len(expect), checks, since)
    return proof._replace(recorded=_record(store, walked, s.recorded_at))


def _everything(store: Store, stored: StoredHead | None) -> Walked:
    """Every check, on the whole ledger."""
    with _integrity_meanwhile(store):
        _typed_tables(store)
        walked = _journal(store, mark=None if stored is None else stored.entry)
        _foreign_keys(store)
        _stored_totals(store, walked.sums)
        _escrow_and_earnings(store)
        _bills_resolve_once(store)
        _bill_amounts(store)
        _contract_counters(store)
        _exact_totals(store)
        _fees(store)
        _milestone_caps(store)
        _guards(store)
        if stored is not None:
            _head_holds(store, _readable_head(stored), walked)
    return walked


@contextlib.contextmanager
def _integrity_meanwhile(store: Store) -> Iterator[None]:
    """The first check, SQLite's integrity check, run on a connection of its own while the
    block runs the others (it reads every page of the file and no row of the snapshot, and
    SQLite does it without holding Python's lock); its fault, if any, is named before
    whatever the block raised, as it would be had it run first."""
    check = store.integrity_checker()
    if check is None:
        _integrity(store)
        yield
        return
    outcome: list[str | BaseException] = []

    def run() -> None:
        try:
            outcome.append(check())
        except BaseException as exc:  # handed to the thread that reports it
            outcome.append(exc)

    thread = threading.Thread(target=run, name="piecepay-integrity", daemon=True)
    thread.start()
    try:
        yield
    except Exception:
        thread.join()
        _integrity_outcome(outcome[0])
        raise
    thread.join()
    _integrity_outcome(outcome[0])


def _integrity_outcome(outcome: str | BaseException) -> None:
    if isinstance(outcome, BaseException):
        raise outcome
    if outcome != "ok":
        raise _fault("integrity_check_failed", f"integrity_check: {outcome}")


def _since(store: Store, head: VerifiedHead) -> Walked:
    """The checks of ``verify --since-checkpoint``: what came after ``head``."""
    start = _head_entry_holds(store, head)
    _typed_tables(store)
    walked = _journal_since(store, start)
    _stored_totals(store, walked.sums)
    _escrow_and_earnings(store)
    _bill_amounts(store, sorted(int(key) for key in walked.sealed.get("bills", {})))
    _guards(store)
    return walked


def _record(store: Store, walked: Walked, at: str) -> bool:
    """Record the proved head as the ledger's verified head; False where the ledger cannot
    be written now (read-only, locked past the timeout, a schema without the row)."""
    if walked.entries == 0:
        return False
    accounts = sorted({account for account, _ in walked.sums})
    sums = {str(account): [walked.sums.get((account, column), 0) for column in TOTAL_COLUMNS] for account in accounts}
    try:
        with store.write():
            store.keep_verified_head(StoredHead(walked.entries, walked.head, canonical_json(sums), at))
    except StorageError as exc:
        if exc.code in NOT_RECORDED:
            return False
        raise
    return True


T = TypeVar("T")


def _proved(fast: Callable[[], T], careful: Callable[[], T]) -> T:
    """What ``fast`` proves; where it doubts, what ``careful`` finds (it names the first fault)."""
    try:
        return fast()
    except Doubt:
        return careful()


def _fault(code: str, message: str) -> JournalFault:
    return JournalFault(f"verify failed: {message}", code)


def _check_anchor(store: Store, anchor: Anchor, entries: int) -> None:
    if anchor.entries > entries:
        raise _fault(
            "anchor_entry_missing",
            f"{anchor.where} says entry {anchor.entries} existed, but the ledger has only {entries} entries: "
            "it was truncated or rolled back to an older copy",
        )
    stored = store.entry_hash(anchor.entries) if anchor.entries else GENESIS_HASH
    if stored != anchor.head:
        raise _fault(
            "anchor_mismatch",
            f"entry {anchor.entries} has hash {stored}, not {anchor.head} as {anchor.where} says: "
            "the journal up to it was rewritten",
        )


def _integrity(store: Store) -> None:
    _integrity_outcome(store.integrity_check())


def _typed_tables(store: Store) -> None:
    """Every table still refuses a value of the wrong type (an amount that is not a whole
    number of minor units, say), so no later check reads one."""
    loose = store.loose_tables()
    if loose:
        raise _fault("table_loosened", f"table {loose[0]} no longer refuses values of the wrong type")


def _foreign_keys(store: Store) -> None:
    """Every reference between rows points at a row that exists (an account's currency, a
    bill's contract and entry…)."""
    broken = store.broken_reference()
    if broken:
        table, rowid, parent = broken
        raise _fault("foreign_key_broken", f"{table} row {rowid} refers to a {parent} row that does not exist")


# --------------------------------------------------------------------------- the chain and its facts


def _journal(store: Store, mark: int | None = None) -> Walked:
    """The chain, every entry's balance, and every fact table against the chain's images:
    proved in one fast pass, or, where that pass doubts, by the careful walk. The posting
    sums up to entry ``mark`` come with it."""

    def fast() -> Walked:
        walked = journal_walk.walk(store, mark=mark)
        journal_walk.tables_match(store, walked.sealed)
        return walked

    def careful() -> Walked:
        entries, _ = _chain_balance_and_facts(store)
        marked = None if mark is None or mark > entries else store.posting_sums(upto=mark)
        return Walked(entries, store.head()[1], store.posting_sums(), {}, marked)

    return _proved(fast, careful)


def _journal_since(store: Store, start: Start) -> Walked:
    """The entries after ``start``: chain, balance and the images they seal, against the rows
    those images name now (the rows none of them sealed are not read)."""

    def fast() -> Walked:
        walked = journal_walk.walk(store, start)
        journal_walk.rows_match(store, walked.sealed)
        return walked

    def careful() -> Walked:
        entries, sealed = _chain_balance_and_facts(store, start)
        sums = dict(start.sums)
        for total, amount in store.posting_sums(after=start.entry).items():
            sums[total] = sums.get(total, 0) + amount
        head = store.entry_hash(entries) if entries > start.entry else start.hash
        unread: Seal = (b"", 0, None, (), False, "", "")  # only which bills were sealed is used from here on
        bills = {key: unread for table, key in sealed if table == "bills"}
        return Walked(entries, head or start.hash, sums, {"bills": bills}, None)

    return _proved(fast, careful)


def _chain_balance_and_facts(store: Store, start: Start = GENESIS) -> tuple[int, set[tuple[str, str]]]:
    """Walk the journal once: ids in order, each entry chained to the one before and matching
    its hash, balanced; then prove every fact table equals the latest images it sealed. From
    ``start`` on only (a verified head): then only the rows its entries sealed are compared.
    The number of entries, and the rows sealed."""
    names = store.account_names()
    currency_of = {account: name[1] for account, name in names.items()}
    sealed: dict[tuple[str, str], Sealed] = {}
    prev_hash, expected_id, sealing = start.hash, start.entry + 1, start.sealing
    for entry, postings in store.journal(start.entry):
        eid = entry.id
        if eid != expected_id:
            raise _fault("entry_missing", f"entry {expected_id} is missing (next is {eid})")
        if entry.prev_hash != prev_hash:
            raise _fault("hash_chain_broken", f"entry {eid} does not chain to entry {eid - 1}")
        if any(p.account_id not in names for p in postings):
            raise _fault("account_missing", f"entry {eid} posts to an account that is gone")
        _check_postings(eid, entry.header.kind, postings, currency_of)
        sealing = sealing or entry.header.kind == "checkpoint"  # from the first checkpoint on, facts are sealed
        fields = entry.header.hashed_fields(eid)
        if sealing:
            facts = _facts_of(entry)
            recomputed = sealed_hash(prev_hash, fields, postings, names, facts)
        else:
            if entry.facts is not None:
                raise _fault("entry_altered", f"entry {eid} carries facts before the first checkpoint")
            recomputed = entry_hash(prev_hash, fields, postings)
        if recomputed != entry.hash:
            raise _fault("entry_altered", f"entry {eid} ({entry.header.kind}) was altered: its hash does not match")
        if sealing:
            for table, rows in facts.items():
                for key, image in rows.items():
                    wrong = malformed(table, image)
                    if wrong:
                        raise _fault("fact_malformed", f"{table} row {key} as entry {eid} sealed it has {wrong}")
                    state = _sealed_state(table, image, eid)
                    before = sealed.get((table, key))
                    if before is not None and not _resealed_by_upgrade(table, image, before, entry.header.kind):
                        _check_transition(table, key, before, state, entry.header.kind, entry.header.bill_id)
                    sealed[(table, key)] = state
        prev_hash, expected_id = entry.hash, expected_id + 1
    if expected_id > 1 and not sealing:
        raise _fault("checkpoint_missing", "no entry seals the ledger's facts (its checkpoint is gone)")
    walked_rows = set(sealed)
    if start.entry == 0:
        _tables_match_facts(store, sealed)
    else:
        _sealed_rows_match(store, sealed)
    return expected_id - 1, walked_rows


def _facts_of(entry: StoredEntry) -> dict[str, dict[str, dict[str, object]]]:
    if entry.facts is None:
        raise _unreadable(entry)
    try:
        facts = json.loads(entry.facts)
    except ValueError:
        raise _unreadable(entry) from None
    valid = isinstance(facts, dict) and all(
        table in COVERED and isinstance(rows, dict) and all(isinstance(image, dict) for image in rows.values())
        for table, rows in facts.items()
    )
    if not valid:
        raise _unreadable(entry)
    assert isinstance(facts, dict)
    return facts


def _unreadable(entry: StoredEntry) -> JournalFault:
    return _fault("entry_altered", f"entry {entry.id} does not carry readable facts")


def _digest(image: object) -> bytes:
    return hashlib.sha256(canonical_json(image).encode()).digest()[:16]


def _sealed_state(table: str, image: dict[str, object], eid: int) -> Sealed:
    digest = _digest(image)
    columns = fixed_columns(table)
    fixed = digest if columns is None else _digest([image.get(name) for name in columns])
    editable = _digest([image.get(name) for name in editable_columns(table)])
    once = tuple(image.get(name) for name in SET_ONCE.get(table, ()))
    status = image.get("status")
    return Sealed(digest, eid, fixed, once, status in FINAL_STATUSES.get(table, ()), editable, status)


def _resealed_by_upgrade(table: str, image: dict[str, object], before: Sealed, kind: str) -> bool:
    """Whether ``image`` is the row ``before`` was, sealed again by the checkpoint of an upgrade
    with the columns the migrations it applied added (``ADDED_COLUMNS``: the last ones, from
    whichever the ledger lacked) and nothing else changed."""
    if kind != "checkpoint":
        return False
    added = [columns.get(table, ()) for columns in ADDED_COLUMNS.values()]
    for first in range(len(added)):  # the row sealed before the upgrade lacked the columns from here on
        dropped = {name for columns in added[first:] for name in columns}
        if dropped and any(name in image for name in dropped):
            kept = {name: value for name, value in image.items() if name not in dropped}
            if _digest(kept) == before.digest:
                return True
    return False


def _check_transition(table: str, key: str, before: Sealed, after: Sealed, kind: str, bill_id: int | None) -> None:
    """A later image of a row may change only what piecepay changes: never a fact fixed once
    written, a value set once, or a row in a final state (a hand edit sealed by a later write);
    and what only one kind of entry changes (a campaign's terms, a bill's claim), or the one
    final state that may be left (a rejected bill released), only in an entry of that kind
    (about that bill)."""
    about = table != "bills" or str(bill_id) == key
    reopened = REOPENED.get(table)
    if (
        before.final
        and after.digest != before.digest
        and not (reopened is not None and (before.status, after.status, kind) == reopened and about)
    ):
        why = "after it reached a final state"
    elif after.fixed != before.fixed:
        why = "in columns fixed once written"
    elif after.editable != before.editable and not (kind == EDITABLE[table][1] and about):
        why = f"in what only a {EDITABLE[table][1]} entry about it changes"
    elif any(old is not None and old != new for old, new in zip(before.once, after.once, strict=True)):
        why = "in a value that is set only once"
    else:
        return
    raise _fault(
        "fact_altered", f"{table} row {key} changed in entry {after.entry} {why} (sealed by entry {before.entry})"
    )


def _tables_match_facts(store: Store, sealed: dict[tuple[str, str], Sealed]) -> None:
    """Every row of every fact table is exactly the latest image the journal sealed of it."""
    for table, key, image in store.fact_rows():
        found = sealed.pop((table, key), None)
        if found is None:
            raise _fault("fact_not_sealed", f"{table} row {key} is in no journal entry: it was added by hand")
        if found.digest != _digest(image):
            was = store.sealed_facts(found.entry)[table][key]
            changed = ", ".join(sorted(n for n in set(was) | set(image) if was.get(n) != image.get(n)))
            raise _fault(
                "fact_altered", f"{table} row {key} differs from what entry {found.entry} sealed (changed: {changed})"
            )
    if sealed:
        (table, key), state = min(sealed.items(), key=lambda item: item[1].entry)
        raise _fault("fact_missing", f"{table} row {key}, sealed by entry {state.entry}, is gone from the ledger")


def _sealed_rows_match(store: Store, sealed: dict[tuple[str, str], Sealed]) -> None:
    """Every row the walked entries sealed is there, exactly as the latest image they sealed."""
    for table in COVERED:
        keys = sorted(key for named, key in sealed if named == table)
        for key, image in store.fact_rows_named(table, keys) if keys else ():
            found = sealed.pop((table, key))
            if found.digest != _digest(image):
                was = store.sealed_facts(found.entry)[table][key]
                changed = ", ".join(sorted(n for n in set(was) | set(image) if was.get(n) != image.get(n)))
                raise _fault(
                    "fact_altered",
                    f"{table} row {key} differs from what entry {found.entry} sealed (changed: {changed})",
                )
    if sealed:
        (table, key), state = min(sealed.items(), key=lambda item: item[1].entry)
        raise _fault("fact_missing", f"{table} row {key}, sealed by entry {state.entry}, is gone from the ledger")


# --------------------------------------------------------------------------- the verified head


def _readable_head(stored: StoredHead) -> VerifiedHead:
    """The recorded head with its sums read; a fault if they cannot be."""
    try:
        sums = json.loads(stored.sums)
        readable = isinstance(sums, dict) and all(
            key.isascii()
            and key.isdigit()
            and isinstance(totals, list)
            and len(totals) == len(TOTAL_COLUMNS)
            and all(type(total) is int for total in totals)
            for key, totals in sums.items()
        )
    except ValueError:
        readable = False
    if not readable:
        raise _fault("verified_head_mismatch", f"the checkpoint of {stored.verified_at} holds unreadable sums")
    totals = {
        (int(account), column): total
        for account, values in sums.items()
        for column, total in zip(TOTAL_COLUMNS, values, strict=True)
    }
    return VerifiedHead(stored.entry, stored.hash, totals, stored.verified_at)


def _head_holds(store: Store, head: VerifiedHead, walked: Walked) -> None:
    """The recorded head is one the chain passed through: its entry is there with its hash,
    and the postings up to it sum to its sums (the full verify proves the head it may later
    start from)."""
    if head.entry > walked.entries:
        raise _fault(
            "verified_head_mismatch",
            f"the checkpoint of {head.at} names entry {head.entry}, but the ledger has only {walked.entries} "
            "entries: it was truncated or rolled back to an older copy",
        )
    there = store.entry_hash(head.entry) if head.entry else GENESIS_HASH
    if there != head.hash:
        raise _fault(
            "verified_head_mismatch",
            f"the checkpoint of {head.at} says entry {head.entry} has hash {head.hash}, but the chain has {there}",
        )
    summed = walked.marked if walked.marked is not None else store.posting_sums(upto=head.entry)
    for account, column in sorted(set(summed) | set(head.sums)):
        recorded, found = head.sums.get((account, column), 0), summed.get((account, column), 0)
        if recorded != found:
            raise _fault(
                "verified_head_mismatch",
                f"the checkpoint of {head.at} counts {column} {recorded} for account {_account(store, account)}, "
                f"but its postings up to entry {head.entry} sum to {found}",
            )


def _head_entry_holds(store: Store, head: VerifiedHead) -> Start:
    """Where ``verify --since-checkpoint`` starts: the recorded entry, still there with the
    recorded hash, which still recomputes from what the entry holds; the accounts the
    recorded sums count all still there."""
    names = store.account_names()
    gone = sorted({account for account, _ in head.sums} - set(names))
    if head.entry == 0:
        found = None
    else:
        found = next(store.journal(head.entry - 1), None)
        if found is None or found[0].id != head.entry:
            raise _fault(
                "verified_head_mismatch",
                f"the checkpoint of {head.at} names entry {head.entry}, which is not in the ledger: "
                "it was truncated or rolled back to an older copy",
            )
    stored_hash = found[0].hash if found is not None else GENESIS_HASH
    if stored_hash != head.hash:
        raise _fault(
            "verified_head_mismatch",
            f"entry {head.entry} has hash {stored_hash}, not {head.hash} as the checkpoint of {head.at} says: "
            "the journal up to it was rewritten",
        )
    if found is not None:
        entry, postings = found
        if any(p.account_id not in names for p in postings):
            raise _fault("account_missing", f"entry {entry.id} posts to an account that is gone")
        fields = entry.header.hashed_fields(entry.id)
        if entry.facts is None:
            recomputed = entry_hash(entry.prev_hash, fields, postings)
        else:
            recomputed = sealed_hash(entry.prev_hash, fields, postings, names, _facts_of(entry))
        if recomputed != entry.hash:
            raise _fault(
                "entry_altered", f"entry {entry.id} ({entry.header.kind}) was altered: its hash does not match"
            )
    if gone:
        raise _fault("account_missing", f"account {gone[0]}, which the checkpoint of {head.at} counts, is gone")
    return Start(head.entry, head.hash, head.sums, found is not None and found[0].facts is not None)


def _account(store: Store, account_id: int) -> str:
    found = store.account_names().get(account_id)
    return f"{found[0]} ({found[1]})" if found else f"{account_id}, which is gone"


def _check_postings(eid: int, kind: str, postings: list[Posting], currency_of: dict[int, str]) -> None:
    if kind in RECORD_KINDS or (kind in SOMETIMES_MONEY_KINDS and not postings):
        if postings:
            raise _fault("bad_posting", f"entry {eid} ({kind}) moves no money but has postings")
        return
    if kind not in MONEY_KINDS | SOMETIMES_MONEY_KINDS:
        raise _fault("unknown_entry_kind", f"entry {eid} is of an unknown kind")
    if not postings:
        raise _fault("entry_without_postings", f"entry {eid} has no postings")
    for p in postings:
        if p.side not in ("debit", "credit") or p.phase not in ("pending", "posted"):
            raise _fault("bad_posting", f"entry {eid} has a posting of unknown side or phase")
        if p.amount == 0 or (p.amount < 0 and p.phase == "posted"):
            raise _fault("bad_posting", f"entry {eid} has a {p.phase} amount of {p.amount}")
    unbalanced = imbalances(postings, currency_of)
    if unbalanced:
        detail = ", ".join(f"{cur} off by {amount}" for cur, amount in unbalanced.items())
        raise _fault("entry_unbalanced", f"entry {eid} does not balance ({detail} minor units)")


# --------------------------------------------------------------------------- what the tables hold


def _stored_totals(store: Store, sums: dict[tuple[int, str], int]) -> None:
    """Each account's totals are what its postings add up to (``sums``, per account and column)."""
    for account in store.accounts():
        for column in TOTAL_COLUMNS:
            stored, summed = getattr(account, column), sums.get((account.id, column), 0)
            if stored != summed:
                raise _fault(
                    "stored_total_mismatch",
                    f"account {account.name} ({account.currency.code}) stores {column} {stored}, "
                    f"its postings sum to {summed}",
                )


def _escrow_and_earnings(store: Store) -> None:
    for account in store.accounts():
        if account.debits_pending < 0 or account.credits_pending < 0:
            raise _fault("negative_pending", f"account {account.name} has negative pending totals")
        available = account.escrow_available.minor
        if account.name.startswith("escrow:") and available < 0:
            raise _fault("escrow_negative", f"account {account.name} is below zero ({available} minor units)")
        if account.name.startswith("worker:") and account.credits_posted < account.debits_posted:
            raise _fault("earnings_negative", f"account {account.name} paid out more than was released")


def _bills_resolve_once(store: Store) -> None:
    if store.bills_resolve_as_their_status_says():
        return
    twice = store.bill_resolved_twice()
    if twice:
        raise _fault("bill_resolved_twice", f"bill {twice[0]} was resolved {twice[1]} times")
    mismatch = store.bill_status_against_journal()
    if mismatch is not None:
        raise _fault("bill_state_mismatch", f"bill {mismatch}'s status disagrees with the journal")


def _bill_amounts(store: Store, bill_ids: list[int] | None = None) -> None:
    """Each bill's amount (or each of ``bill_ids``) is its pieces at its rate, rounded once,
    and the journal reserved and posted exactly the bill's amounts."""
    _proved(lambda: _bill_figures_hold(store, bill_ids), lambda: _each_bill_amount(store, bill_ids))


def _bill_figures_hold(store: Store, bill_ids: list[int] | None) -> None:
    """``_each_bill_amount`` on the bills grouped by their figures (the journal's amounts
    compared by the store), each distinct amount derived once; Doubt at any bill."""
    campaigns = {campaign.id: campaign for campaign in store.campaigns()}
    for pieces_milli, rate, campaign_id, amount, alone, tiers, wrong in store.bill_amount_groups(bill_ids):
        if wrong:
            raise Doubt
        priced = rules.bill_amount if alone else rules.reserved_amount
        try:
            at_rate = priced(pieces_milli, _reserving(rate, tiers), campaigns[campaign_id]).minor
        except (PiecepayError, ArithmeticError, KeyError):
            raise Doubt from None
        if at_rate != amount:
            raise Doubt


def _each_bill_amount(store: Store, bill_ids: list[int] | None) -> None:
    for bill, campaign, reserved, posted, alone, tiers in store.bills_with_their_entries(bill_ids):
        priced = rules.bill_amount if alone else rules.reserved_amount
        try:
            derived = priced(bill.pieces_milli, _reserving(str(bill.rate), tiers), campaign)
        except (PiecepayError, ArithmeticError, ValueError):  # pieces, a rate or tiers no bill could have
            raise _not_at_its_rate(bill) from None
        if derived != bill.amount:
            raise _not_at_its_rate(bill)
        if reserved != bill.amount.minor:
            raise _fault("bill_amount_wrong", f"bill {bill.id}'s amount is not what its entry reserved")
        if bill.status is BillStatus.RELEASED and posted != bill.released.minor:
            raise _fault("bill_amount_wrong", f"bill {bill.id}'s released amount is not what its release posted")


def _reserving(rate: str, tiers: str | None) -> Decimal:
    """The rate a bill reserved at, from its rate and its contract's tiers as stored."""
    return rules.reserving_rate(Decimal(rate), tiers_from_text(tiers))


def _not_at_its_rate(bill: Bill) -> JournalFault:
    return _fault("bill_amount_wrong", f"bill {bill.id}'s amount is not its pieces at its rate")


def _contract_counters(store: Store) -> None:
    wrong = store.contract_counters_against_bills()
    if wrong is not None:
        raise _fault("contract_counter_mismatch", f"contract {wrong}'s piece counts disagree with its bills")


def _exact_totals(store: Store) -> None:
    """Each contract's money released since its exact totals began is the exact value of the
    pieces released rounded once: the carry it keeps is that value less that money, and lies
    in [-0.5, 0.5) of a minor unit."""
    owed: dict[int, tuple[str, Decimal]] = {}
    for contract_id, carry, digits, rate, released_milli, released_minor in store.released_values():
        _, value = owed.get(contract_id, (carry, Decimal(0)))
        if rate is not None:
            try:
                exact = exact_minor(milli_to_pieces(released_milli), Decimal(rate), digits)
            except ArithmeticError:
                raise _fault("exact_total_wrong", f"contract {contract_id} holds a bill at no rate") from None
            value += exact - released_minor
        owed[contract_id] = carry, value
    for contract_id, value in _tiered_values(store).items():
        carry, before = owed[contract_id]
        owed[contract_id] = carry, before + value
    for contract_id, (carry, value) in owed.items():
        try:
            kept = Decimal(carry)
        except (ArithmeticError, TypeError):
            kept = None
        if kept is None or not kept.is_finite() or kept != value or not -HALF <= kept < HALF:
            raise _fault(
                "exact_total_wrong",
                f"contract {contract_id}'s released money is not its released pieces' exact value rounded once",
            )


def _tiered_values(store: Store) -> dict[int, Decimal]:
    """Per tiered contract, the exact value of its released pieces less the money released:
    each release priced by the pieces released before it in its bill's week or month."""
    values: dict[int, Decimal] = {}
    released: dict[tuple[int, date], int] = {}  # by contract and the first day of a period
    for contract_id, tiers, period, digits, day, rate, milli, minor in store.tiered_releases():
        try:
            first = rules.tier_period(TierPeriod(period), date.fromisoformat(day)).first
            at = rules.tiered_value(Decimal(rate), tiers_from_text(tiers), released.get((contract_id, first), 0), milli)
            value = exact_minor(Decimal(1), at, digits)
        except (ArithmeticError, ValueError):
            raise _fault(
                "exact_total_wrong", f"contract {contract_id} holds tiers or a bill no contract could"
            ) from None
        released[contract_id, first] = released.get((contract_id, first), 0) + milli
        values[contract_id] = values.get(contract_id, Decimal(0)) + value - minor
    return values


def _fees(store: Store) -> None:
    """Each bill of a campaign with a fee holds the fee of its reservation while it is open
    and has charged the fee of what its release posted; each contract's bonuses charged
    their fees, and the fees a contract counts are what its fee entries charged."""
    campaigns = {k.id: k for k in store.campaigns()}
    for bill_id, campaign_id, status, amount, released, held, charged in store.bill_fees():
        campaign = campaigns[campaign_id]
        is_open = BillStatus(status).open
        owed_hold = rules.fee_of(campaign, Money(amount, campaign.currency)).minor if is_open else 0
        owed_charge = rules.fee_of(campaign, Money(released, campaign.currency)).minor if not is_open else 0
        if (held, charged) != (owed_hold, owed_charge):
            raise _fault("fee_wrong", f"bill {bill_id}'s fee entries do not hold and charge its campaign's fee")
    for contract_id, campaign_id, fees, funded_fees, escrow, funded, of_no_bill, bonuses in store.contract_fees():
        campaign = campaigns[campaign_id]
        if (fees, funded_fees) != (escrow, funded):
            raise _fault("fee_wrong", f"contract {contract_id}'s fees are not what its fee entries charged")
        if of_no_bill != sum(rules.fee_of(campaign, Money(minor, campaign.currency)).minor for minor in bonuses):
            raise _fault("fee_wrong", f"contract {contract_id}'s bonuses were not charged their campaign's fee")


def _milestone_caps(store: Store) -> None:
    over = store.milestone_over_cap()
    if over:
        raise _fault("milestone_cap_exceeded", f"milestone {over[0]} spent {over[2]} of a cap of {over[1]}")


def _guards(store: Store) -> None:
    """Exactly the triggers the schema defines, each with its own text: none dropped, none
    rewritten to let a change through, none added to alter what is written."""
    present, expected = store.triggers(), store.expected_guards()
    for name, sql in expected.items():
        if name not in present:
            raise _fault("guard_missing", f"the trigger {name} that guards the ledger is gone")
        if present[name] != sql:
            raise _fault("guard_altered", f"the trigger {name} that guards the ledger was rewritten")
    extra = sorted(set(present) - set(expected))
    if extra:
        raise _fault("guard_added", f"a trigger piecepay does not define was added: {extra[0]}")
