"""verify: prove the ledger file is intact, balanced and unaltered, or name the first fault."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple

from piecepay.errors import StorageError
from piecepay.journal import (
    GENESIS_HASH,
    MONEY_KINDS,
    RECORD_KINDS,
    Posting,
    canonical_json,
    entry_hash,
    imbalances,
    sealed_hash,
)
from piecepay.money import bill_amount, milli_to_pieces
from piecepay.session import Session
from piecepay.store.facts import COVERED, every_row
from piecepay.store.journal import TOTAL_COLUMNS, entry_hash_at, header_of, journal_head
from piecepay.store.migrations import FINAL_STATUSES, GUARDS, SET_ONCE, fixed_columns
from piecepay.views import View


class JournalFault(StorageError):
    """The ledger file does not prove out: tampered, unbalanced or inconsistent (exit 5)."""


CHECKS = (
    "integrity",
    "hash_chain",
    "entries_balance",
    "facts_sealed",
    "stored_totals",
    "escrow_not_negative",
    "bills_resolve_once",
    "bill_amounts",
    "contract_counters",
    "milestone_caps",
    "guards",
)


def verify(s: Session, expect: Sequence[Anchor] = ()) -> View:
    """Run every check in order and stop at the first fault, raising JournalFault naming it.

    Each anchor in ``expect`` (an entry number and the hash it had when the anchor was
    taken) must still be there with that hash: a chain recomputed after an edit, a
    truncation or a rollback to an older copy fails here even if it is self-consistent.
    """
    conn = s.conn
    conn.execute("BEGIN")  # one read snapshot for every check, even while others write
    try:
        _integrity(conn)
        entries = _chain_balance_and_facts(conn)
        _stored_totals(conn)
        _escrow_and_earnings(conn)
        _bills_resolve_once(conn)
        _bill_amounts(conn)
        _contract_counters(conn)
        _milestone_caps(conn)
        _guards(conn)
        for anchor in expect:
            _check_anchor(conn, anchor, entries)
        accounts = conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        head = journal_head(conn)[1]
    finally:
        conn.execute("ROLLBACK")
    return {
        "ok": True,
        "entries": entries,
        "head": head,
        "accounts": accounts,
        "anchors_checked": len(expect),
        "checks": list(CHECKS),
    }


class Anchor(NamedTuple):
    """A journal head kept outside the ledger: entry ``entries`` had hash ``head``."""

    entries: int
    head: str
    where: str  # where the anchor came from, for the fault message


def _check_anchor(conn: sqlite3.Connection, anchor: Anchor, entries: int) -> None:
    if anchor.entries > entries:
        raise _fault(
            "anchor_entry_missing",
            f"{anchor.where} says entry {anchor.entries} existed, but the ledger has only {entries} entries: "
            "it was truncated or rolled back to an older copy",
        )
    stored = entry_hash_at(conn, anchor.entries) if anchor.entries else GENESIS_HASH
    if stored != anchor.head:
        raise _fault(
            "anchor_mismatch",
            f"entry {anchor.entries} has hash {stored}, not {anchor.head} as {anchor.where} says: "
            "the journal up to it was rewritten",
        )


def _fault(code: str, message: str) -> JournalFault:
    return JournalFault(f"verify failed: {message}", code)


def _integrity(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise _fault("integrity_check_failed", f"integrity_check: {result}")


def _entries_with_postings(conn: sqlite3.Connection) -> Iterator[tuple[sqlite3.Row, list[Posting]]]:
    cursor = conn.execute(
        "SELECT e.*, p.account_id, p.side, p.phase, p.amount FROM entries e "
        "LEFT JOIN postings p ON p.entry_id = e.id ORDER BY e.id, p.id"
    )
    current: sqlite3.Row | None = None
    postings: list[Posting] = []
    for row in cursor:
        if current is not None and row["id"] != current["id"]:
            yield current, postings
            postings = []
        current = row
        if row["account_id"] is not None:
            postings.append(Posting(row["account_id"], row["side"], row["phase"], row["amount"]))
    if current is not None:
        yield current, postings


def _chain_balance_and_facts(conn: sqlite3.Connection) -> int:
    """Walk the journal once: ids in order, each entry chained to the one before and matching
    its hash, balanced; then prove every fact table equals the latest images it sealed."""
    names = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, currency FROM accounts")}
    currency_of = {account: name[1] for account, name in names.items()}
    sealed: dict[tuple[str, str], Sealed] = {}
    prev_hash, expected_id, sealing = GENESIS_HASH, 1, False
    for entry, postings in _entries_with_postings(conn):
        eid = entry["id"]
        if eid != expected_id:
            raise _fault("entry_missing", f"entry {expected_id} is missing (next is {eid})")
        if entry["prev_hash"] != prev_hash:
            raise _fault("hash_chain_broken", f"entry {eid} does not chain to entry {eid - 1}")
        if any(p.account_id not in names for p in postings):
            raise _fault("account_missing", f"entry {eid} posts to an account that is gone")
        _check_postings(eid, entry["kind"], postings, currency_of)
        sealing = sealing or entry["kind"] == "checkpoint"  # from the first checkpoint on, facts are sealed
        fields = header_of(entry).hashed_fields(eid)
        if sealing:
            facts = _facts_of(entry)
            recomputed = sealed_hash(prev_hash, fields, postings, names, facts)
        else:
            if entry["facts"] is not None:
                raise _fault("entry_altered", f"entry {eid} carries facts before the first checkpoint")
            recomputed = entry_hash(prev_hash, fields, postings)
        if recomputed != entry["hash"]:
            raise _fault("entry_altered", f"entry {eid} ({entry['kind']}) was altered: its hash does not match")
        if sealing:
            for table, rows in facts.items():
                for key, image in rows.items():
                    state = _sealed_state(table, image, eid)
                    before = sealed.get((table, key))
                    if before is not None:
                        _check_transition(table, key, before, state)
                    sealed[(table, key)] = state
        prev_hash, expected_id = entry["hash"], expected_id + 1
    if expected_id > 1 and not sealing:
        raise _fault("checkpoint_missing", "no entry seals the ledger's facts (its checkpoint is gone)")
    _tables_match_facts(conn, sealed)
    return expected_id - 1


def _facts_of(entry: sqlite3.Row) -> dict[str, dict[str, dict[str, object]]]:
    text = entry["facts"]
    try:
        facts = json.loads(text) if text is not None else None
    except ValueError:
        facts = None
    valid = isinstance(facts, dict) and all(
        table in COVERED and isinstance(rows, dict) and all(isinstance(image, dict) for image in rows.values())
        for table, rows in facts.items()
    )
    if not valid:
        raise _fault("entry_altered", f"entry {entry['id']} does not carry readable facts")
    assert isinstance(facts, dict)
    return facts


def _digest(image: object) -> bytes:
    return hashlib.sha256(canonical_json(image).encode("ascii")).digest()[:16]


class Sealed(NamedTuple):
    """What verify keeps of the latest image the chain sealed of one row."""

    digest: bytes  # of the whole image
    entry: int  # the entry that sealed it
    fixed: bytes  # of the columns fixed once written
    once: tuple[object, ...]  # the columns set once
    final: bool  # the row is in a state it never leaves


def _sealed_state(table: str, image: dict[str, object], eid: int) -> Sealed:
    digest = _digest(image)
    columns = fixed_columns(table)
    fixed = digest if columns is None else _digest([image.get(name) for name in columns])
    once = tuple(image.get(name) for name in SET_ONCE.get(table, ()))
    return Sealed(digest, eid, fixed, once, image.get("status") in FINAL_STATUSES.get(table, ()))


def _check_transition(table: str, key: str, before: Sealed, after: Sealed) -> None:
    """A later image of a row may change only what piecepay changes: never a fact fixed once
    written, a value set once, or a row in a final state (a hand edit sealed by a later write)."""
    if before.final and after.digest != before.digest:
        why = "after it reached a final state"
    elif after.fixed != before.fixed:
        why = "in columns fixed once written"
    elif any(old is not None and old != new for old, new in zip(before.once, after.once, strict=True)):
        why = "in a value that is set only once"
    else:
        return
    raise _fault(
        "fact_altered", f"{table} row {key} changed in entry {after.entry} {why} (sealed by entry {before.entry})"
    )


def _tables_match_facts(conn: sqlite3.Connection, sealed: dict[tuple[str, str], Sealed]) -> None:
    """Every row of every fact table is exactly the latest image the journal sealed of it."""
    for table, key, image in every_row(conn):
        found = sealed.pop((table, key), None)
        if found is None:
            raise _fault("fact_not_sealed", f"{table} row {key} is in no journal entry: it was added by hand")
        digest, eid = found.digest, found.entry
        if digest != _digest(image):
            changed = _changed_columns(conn, eid, table, key, image)
            raise _fault("fact_altered", f"{table} row {key} differs from what entry {eid} sealed ({changed})")
    if sealed:
        (table, key), state = min(sealed.items(), key=lambda item: item[1].entry)
        eid = state.entry
        raise _fault("fact_missing", f"{table} row {key}, sealed by entry {eid}, is gone from the ledger")


def _changed_columns(conn: sqlite3.Connection, eid: int, table: str, key: str, image: dict[str, object]) -> str:
    row = conn.execute("SELECT facts FROM entries WHERE id = ?", (eid,)).fetchone()
    was = json.loads(row[0])[table][key]
    changed = sorted(name for name in set(was) | set(image) if was.get(name) != image.get(name))
    return "changed: " + ", ".join(changed)


def _check_postings(eid: int, kind: str, postings: list[Posting], currency_of: dict[int, str]) -> None:
    if kind in RECORD_KINDS:
        if postings:
            raise _fault("bad_posting", f"entry {eid} ({kind}) moves no money but has postings")
        return
    if kind not in MONEY_KINDS:
        raise _fault("unknown_entry_kind", f"entry {eid} is of an unknown kind")
    if not postings:
        raise _fault("entry_without_postings", f"entry {eid} has no postings")
    for p in postings:
        if p.side not in ("debit", "credit") or p.phase not in ("pending", "posted"):
            raise _fault("bad_posting", f"entry {eid} has a posting of unknown side or phase")
        if p.amount == 0 or (p.amount < 0 and p.phase == "posted"):
            raise _fault("bad_posting", f"entry {eid} has a posted amount of {p.amount}")
    unbalanced = imbalances(postings, currency_of)
    if unbalanced:
        detail = ", ".join(f"{cur} off by {amount}" for cur, amount in unbalanced.items())
        raise _fault("entry_unbalanced", f"entry {eid} does not balance ({detail} minor units)")


def _stored_totals(conn: sqlite3.Connection) -> None:
    sums: dict[tuple[int, str], int] = {}
    for row in conn.execute("SELECT account_id, side, phase, SUM(amount) FROM postings GROUP BY 1, 2, 3"):
        sums[(row[0], f"{row[1]}s_{row[2]}")] = row[3]
    for acct in conn.execute("SELECT * FROM accounts ORDER BY id"):
        for column in TOTAL_COLUMNS:
            if acct[column] != sums.get((acct["id"], column), 0):
                raise _fault(
                    "stored_total_mismatch",
                    f"account {acct['name']} ({acct['currency']}) stores {column} {acct[column]}, "
                    f"its postings sum to {sums.get((acct['id'], column), 0)}",
                )


def _escrow_and_earnings(conn: sqlite3.Connection) -> None:
    for acct in conn.execute("SELECT * FROM accounts ORDER BY id"):
        if acct["debits_pending"] < 0 or acct["credits_pending"] < 0:
            raise _fault("negative_pending", f"account {acct['name']} has negative pending totals")
        available = acct["credits_posted"] - acct["debits_posted"] - acct["debits_pending"]
        if acct["name"].startswith("escrow:") and available < 0:
            raise _fault("escrow_negative", f"account {acct['name']} is below zero ({available} minor units)")
        if acct["name"].startswith("worker:") and acct["credits_posted"] < acct["debits_posted"]:
            raise _fault("earnings_negative", f"account {acct['name']} paid out more than was released")


def _bills_resolve_once(conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "SELECT bill_id, COUNT(*) FROM entries WHERE kind IN ('release', 'reject') AND bill_id IS NOT NULL "
        "GROUP BY bill_id HAVING COUNT(*) > 1 ORDER BY bill_id LIMIT 1"
    ).fetchone()
    if row:
        raise _fault("bill_resolved_twice", f"bill {row[0]} was resolved {row[1]} times")
    row = conn.execute(
        "SELECT b.id FROM bills b LEFT JOIN entries e ON e.bill_id = b.id AND e.kind IN ('release', 'reject') "
        "WHERE (b.status = 'pending') != (e.id IS NULL) ORDER BY b.id LIMIT 1"
    ).fetchone()
    if row:
        raise _fault("bill_state_mismatch", f"bill {row[0]}'s status disagrees with the journal")


def _contract_counters(conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "SELECT c.id FROM contracts c LEFT JOIN (SELECT contract_id, "
        "SUM(CASE WHEN status = 'pending' THEN pieces_milli ELSE 0 END) AS pending, "
        "SUM(released_pieces_milli) AS released, "
        "SUM(CASE WHEN status = 'pending' THEN 0 ELSE pieces_milli - released_pieces_milli END) AS rejected "
        "FROM bills GROUP BY contract_id) b ON b.contract_id = c.id "
        "WHERE c.pieces_pending_milli != COALESCE(b.pending, 0) OR c.pieces_released_milli != COALESCE(b.released, 0) "
        "OR c.pieces_rejected_milli != COALESCE(b.rejected, 0) ORDER BY c.id LIMIT 1"
    ).fetchone()
    if row:
        raise _fault("contract_counter_mismatch", f"contract {row[0]}'s piece counts disagree with its bills")


def _milestone_caps(conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "SELECT m.id, m.cap_minor, SUM(CASE b.status WHEN 'pending' THEN b.amount_minor ELSE b.released_minor END) "
        "FROM milestones m JOIN bills b ON b.milestone_id = m.id WHERE m.cap_minor IS NOT NULL "
        "GROUP BY m.id HAVING SUM(CASE b.status WHEN 'pending' THEN b.amount_minor ELSE b.released_minor END) "
        "> m.cap_minor ORDER BY m.id LIMIT 1"
    ).fetchone()
    if row:
        raise _fault("milestone_cap_exceeded", f"milestone {row[0]} spent {row[2]} of a cap of {row[1]}")


def _guards(conn: sqlite3.Connection) -> None:
    """Exactly the triggers the schema defines, each with its own text: none dropped, none
    rewritten to let a change through, none added to alter what is written."""
    present = {r[0]: r[1] for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for name, sql in GUARDS.items():
        if name not in present:
            raise _fault("guard_missing", f"the trigger {name} that guards the ledger is gone")
        if present[name] != sql:
            raise _fault("guard_altered", f"the trigger {name} that guards the ledger was rewritten")
    extra = sorted(set(present) - set(GUARDS))
    if extra:
        raise _fault("guard_added", f"a trigger piecepay does not define was added: {extra[0]}")


def _bill_amounts(conn: sqlite3.Connection) -> None:
    """Each bill's amount is its pieces at its rate, rounded once, and the journal reserved
    and posted exactly the bill's amounts."""
    rows = conn.execute(
        "SELECT b.id, b.pieces_milli, b.rate, b.amount_minor, b.released_pieces_milli, b.released_minor, b.status, "
        "cur.digits, (SELECT SUM(amount) FROM postings p WHERE p.entry_id = b.entry_id AND p.side = 'debit') "
        "AS reserved, (SELECT SUM(amount) FROM postings p WHERE p.entry_id = b.resolve_entry_id "
        "AND p.side = 'debit' AND p.phase = 'posted') AS posted FROM bills b "
        "JOIN contracts c ON c.id = b.contract_id JOIN campaigns k ON k.id = c.campaign_id "
        "JOIN currencies cur ON cur.code = k.currency ORDER BY b.id"
    )
    for row in rows:
        pieces = milli_to_pieces(row["pieces_milli"])
        if bill_amount(pieces, Decimal(row["rate"]), row["digits"]) != row["amount_minor"]:
            raise _fault("bill_amount_wrong", f"bill {row['id']}'s amount is not its pieces at its rate")
        if row["reserved"] != row["amount_minor"]:
            raise _fault("bill_amount_wrong", f"bill {row['id']}'s amount is not what its entry reserved")
        if row["status"] == "released" and (row["posted"] or 0) != row["released_minor"]:
            raise _fault("bill_amount_wrong", f"bill {row['id']}'s released amount is not what its release posted")
