"""Appending entries to the journal and keeping each account's running totals."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from piecepay.errors import RuleRefused, StorageError
from piecepay.journal import GENESIS_HASH, Posting, canonical_json, entry_hash, imbalances, sealed_hash
from piecepay.money import MAX_MINOR, format_minor
from piecepay.store.facts import Facts, take_touched

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


def account_names(conn: sqlite3.Connection, account_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each account's name and currency."""
    if not account_ids:
        return {}
    marks = ",".join("?" * len(account_ids))
    rows = conn.execute(f"SELECT id, name, currency FROM accounts WHERE id IN ({marks})", tuple(account_ids))
    return {row[0]: (row[1], row[2]) for row in rows}


def next_entry_id(conn: sqlite3.Connection) -> int:
    """The id the next entry will get, for rows written before it that point to it."""
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entries").fetchone()[0])


def append_entry(
    conn: sqlite3.Connection, header: EntryHeader, postings: Sequence[Posting] = (), *, facts: Facts | None = None
) -> int:
    """Write one balanced entry, chained to the last, sealing the facts of every row touched
    since the entry before, and apply its postings to the account totals.

    Must run inside the caller's write transaction, after the rows it seals were written.
    It refuses (exit 5) to chain to a head that does not match its own hash. An
    unbalanced entry is a bug and raises before anything is written.
    """
    names = account_names(conn, {p.account_id for p in postings})
    unbalanced = imbalances(postings, {account: name[1] for account, name in names.items()})
    if unbalanced:
        raise AssertionError(f"unbalanced entry {header.kind}: {unbalanced}")
    last_id, prev_hash = check_head(conn)
    entry_id = last_id + 1
    sealed = take_touched(conn) if facts is None else facts
    digest = sealed_hash(prev_hash, header.hashed_fields(entry_id), postings, names, sealed)
    conn.execute(
        "INSERT INTO entries (id, kind, contract_id, bill_id, effective_date, recorded_at, actor, memo, "
        "prev_hash, hash, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            canonical_json(sealed),
        ),
    )
    conn.executemany(
        "INSERT INTO postings (entry_id, account_id, side, phase, amount) VALUES (?, ?, ?, ?, ?)",
        [(entry_id, p.account_id, p.side, p.phase, p.amount) for p in postings],
    )
    for posting in postings:
        _add_to_total(conn, posting)
    return entry_id


def check_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last entry's id and hash, after recomputing that hash from what the entry holds.

    O(1): one entry and its postings. A head that does not match means the journal's
    end was altered; nothing may be chained to it.
    """
    last = conn.execute("SELECT * FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    if last is None:
        return 0, GENESIS_HASH
    postings = entry_postings(conn, last["id"])
    names = account_names(conn, {p.account_id for p in postings})
    if len(names) < len({p.account_id for p in postings}):
        raise StorageError(
            f"the ledger's last entry ({last['id']}) posts to an account that is gone: the ledger was altered; "
            "nothing more is written to it (run 'piecepay verify')",
            "ledger_tampered",
        )
    if last["facts"] is None:
        recomputed = entry_hash(last["prev_hash"], header_of(last).hashed_fields(last["id"]), postings)
    else:
        try:
            facts = json.loads(last["facts"])
        except ValueError:
            facts = None
        recomputed = sealed_hash(last["prev_hash"], header_of(last).hashed_fields(last["id"]), postings, names, facts)
    if recomputed != last["hash"]:
        raise StorageError(
            f"the ledger's last entry ({last['id']}) does not match its hash: the journal was altered; "
            "nothing more is written to it (run 'piecepay verify')",
            "ledger_tampered",
        )
    return int(last["id"]), str(last["hash"])


def header_of(row: sqlite3.Row) -> EntryHeader:
    """An entry row's header fields."""
    return EntryHeader(
        row["kind"],
        row["effective_date"],
        row["recorded_at"],
        row["actor"],
        row["memo"],
        row["contract_id"],
        row["bill_id"],
    )


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
