"""Appending entries to the journal and keeping each account's running totals."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from piecepay.errors import RuleRefused
from piecepay.journal import GENESIS_HASH, Posting, entry_hash, imbalances
from piecepay.money import MAX_MINOR, format_minor

TOTAL_COLUMNS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


class EntryHeader(NamedTuple):
    """Who wrote an entry, when it happened and why."""

    kind: str
    effective_date: str
    recorded_at: str
    actor: str
    memo: str
    contract_id: int | None = None
    bill_id: int | None = None

    def hashed_fields(self, entry_id: int) -> dict[str, object]:
        return {
            "id": entry_id,
            "kind": self.kind,
            "contract_id": self.contract_id,
            "bill_id": self.bill_id,
            "effective_date": self.effective_date,
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "memo": self.memo,
        }


def currencies_of(conn: sqlite3.Connection, account_ids: set[int]) -> dict[int, str]:
    marks = ",".join("?" * len(account_ids))
    rows = conn.execute(f"SELECT id, currency FROM accounts WHERE id IN ({marks})", tuple(account_ids))
    return {row[0]: row[1] for row in rows}


def append_entry(conn: sqlite3.Connection, header: EntryHeader, postings: Sequence[Posting]) -> int:
    """Write one balanced entry, chained to the last, and apply its postings to the totals.

    Must run inside the caller's write transaction; an unbalanced entry is a bug and
    raises before anything is written.
    """
    currency_of = currencies_of(conn, {p.account_id for p in postings})
    unbalanced = imbalances(postings, currency_of)
    if unbalanced:
        raise AssertionError(f"unbalanced entry {header.kind}: {unbalanced}")
    last = conn.execute("SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    entry_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    digest = entry_hash(prev_hash, header.hashed_fields(entry_id), postings)
    conn.execute(
        "INSERT INTO entries (id, kind, contract_id, bill_id, effective_date, recorded_at, actor, memo, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            header.kind,
            header.contract_id,
            header.bill_id,
            header.effective_date,
            header.recorded_at,
            header.actor,
            header.memo,
            prev_hash,
            digest,
        ),
    )
    conn.executemany(
        "INSERT INTO postings (entry_id, account_id, side, phase, amount) VALUES (?, ?, ?, ?, ?)",
        [(entry_id, p.account_id, p.side, p.phase, p.amount) for p in postings],
    )
    for posting in postings:
        _add_to_total(conn, posting)
    return entry_id


def _add_to_total(conn: sqlite3.Connection, posting: Posting) -> None:
    """Add a posting to its account's running total, refusing one that would pass 64 bits."""
    column = posting.total_column
    assert column in TOTAL_COLUMNS
    updated = conn.execute(
        f"UPDATE accounts SET {column} = {column} + ? WHERE id = ? AND (? <= 0 OR {column} <= ? - ?)",
        (posting.amount, posting.account_id, posting.amount, MAX_MINOR, posting.amount),
    ).rowcount
    if updated != 1:
        row = conn.execute(
            "SELECT a.name, a.currency, c.digits FROM accounts a JOIN currencies c ON c.code = a.currency "
            "WHERE a.id = ?",
            (posting.account_id,),
        ).fetchone()
        raise RuleRefused(
            f"this would take account {row[0]}'s {column.replace('_', ' ')} past "
            f"{format_minor(MAX_MINOR, row[2])} {row[1]}, the most a ledger can hold",
            "exceeds_ledger_capacity",
        )


def entry_postings(conn: sqlite3.Connection, entry_id: int) -> list[Posting]:
    rows = conn.execute(
        "SELECT account_id, side, phase, amount FROM postings WHERE entry_id = ? ORDER BY id", (entry_id,)
    ).fetchall()
    return [Posting(r[0], r[1], r[2], r[3]) for r in rows]


def journal_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The number of entries and the hash of the last (the genesis hash when there are none)."""
    row = conn.execute("SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def entry_hash_at(conn: sqlite3.Connection, entry_id: int) -> str | None:
    """The stored hash of entry ``entry_id``, or None if there is no such entry."""
    row = conn.execute("SELECT hash FROM entries WHERE id = ?", (entry_id,)).fetchone()
    return str(row[0]) if row else None
