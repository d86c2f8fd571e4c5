"""verify: prove the ledger file is intact, balanced and unaltered, or name the first fault."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from piecepay.errors import StorageError
from piecepay.journal import GENESIS_HASH, Posting, entry_hash, imbalances
from piecepay.session import Session
from piecepay.store.journal import TOTAL_COLUMNS, EntryHeader, journal_head
from piecepay.store.migrations import APPEND_ONLY_TABLES
from piecepay.views import View


class JournalFault(StorageError):
    """The ledger file does not prove out: tampered, unbalanced or inconsistent (exit 5)."""


def verify(s: Session) -> View:
    """Run every check in order and stop at the first fault, raising JournalFault naming it."""
    conn = s.conn
    conn.execute("BEGIN")  # one read snapshot for every check, even while others write
    try:
        _integrity(conn)
        entries = _chain_and_balance(conn)
        _stored_totals(conn)
        _escrow_and_earnings(conn)
        _bills_resolve_once(conn)
        _contract_counters(conn)
        _milestone_caps(conn)
        _append_only_guards(conn)
        accounts = conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        head = journal_head(conn)[1]
    finally:
        conn.execute("ROLLBACK")
    return {
        "ok": True,
        "entries": entries,
        "head": head,
        "accounts": accounts,
        "checks": [
            "integrity",
            "hash_chain",
            "entries_balance",
            "stored_totals",
            "escrow_not_negative",
            "bills_resolve_once",
            "contract_counters",
            "milestone_caps",
            "append_only",
        ],
    }


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


def _chain_and_balance(conn: sqlite3.Connection) -> int:
    currency_of = {r[0]: r[1] for r in conn.execute("SELECT id, currency FROM accounts")}
    prev_hash, expected_id = GENESIS_HASH, 1
    for entry, postings in _entries_with_postings(conn):
        eid = entry["id"]
        if eid != expected_id:
            raise _fault("entry_missing", f"entry {expected_id} is missing (next is {eid})")
        if entry["prev_hash"] != prev_hash:
            raise _fault("hash_chain_broken", f"entry {eid} does not chain to entry {eid - 1}")
        header = EntryHeader(
            entry["kind"],
            entry["effective_date"],
            entry["recorded_at"],
            entry["actor"],
            entry["memo"],
            entry["contract_id"],
            entry["bill_id"],
        )
        _check_postings(eid, postings, currency_of)
        if entry_hash(prev_hash, header.hashed_fields(eid), postings) != entry["hash"]:
            raise _fault("entry_altered", f"entry {eid} ({entry['kind']}) was altered: its hash does not match")
        prev_hash, expected_id = entry["hash"], expected_id + 1
    return expected_id - 1


def _check_postings(eid: int, postings: list[Posting], currency_of: dict[int, str]) -> None:
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


def _append_only_guards(conn: sqlite3.Connection) -> None:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for table in APPEND_ONLY_TABLES:
        for action in ("update", "delete"):
            if f"{table}_no_{action}" not in present:
                raise _fault("append_only_guard_missing", f"the trigger that keeps {table} append-only is gone")
