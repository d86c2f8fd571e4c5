"""Appending entries to the journal and keeping each account's running totals."""

import json
import sqlite3
from collections.abc import Collection, Sequence

from piecepay.errors import StorageError
from piecepay.journal import (
    GENESIS_HASH,
    Posting,
    account_text,
    canonical_json,
    entry_hash,
    imbalances,
    json_scalar,
    posting_tail,
    sealed_digest,
    sealed_hash,
    sealed_text,
)
from piecepay.money import MAX_MINOR, Currency
from piecepay.records import Record
from piecepay.rules import over_capacity
from piecepay.store.facts import Facts, Image, prove_sealed, take_touched

TOTAL_COLUMNS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


class EntryHeader(Record):
    """Who wrote an entry, when it happened and why."""

    kind: str
    effective_date: str
    recorded_at: str
    actor: str
    memo: str
    contract_id: int | None = None
    bill_id: int | None = None

    def hashed_fields(self, entry_id: int) -> dict[str, object]:
        """The fields an entry's hash covers, in sorted key order."""
        return {
            "actor": self.actor,
            "bill_id": self.bill_id,
            "contract_id": self.contract_id,
            "effective_date": self.effective_date,
            "id": entry_id,
            "kind": self.kind,
            "memo": self.memo,
            "recorded_at": self.recorded_at,
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


INSERT_ENTRY = (
    "INSERT INTO entries (id, kind, contract_id, bill_id, effective_date, recorded_at, actor, memo, "
    "prev_hash, hash, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_POSTING = "INSERT INTO postings (entry_id, account_id, side, phase, amount) VALUES (?, ?, ?, ?, ?)"


def entry_row(entry_id: int, header: EntryHeader, prev_hash: str, digest: str, facts_text: str) -> tuple[object, ...]:
    """An entry as its row stores it, in ``INSERT_ENTRY``'s order."""
    return (
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
        facts_text,
    )


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
    facts_text = canonical_json(sealed)
    digest = sealed_digest(prev_hash, header.hashed_fields(entry_id), postings, names, facts_text)
    conn.execute(INSERT_ENTRY, entry_row(entry_id, header, prev_hash, digest, facts_text))
    conn.executemany(INSERT_POSTING, [(entry_id, p.account_id, p.side, p.phase, p.amount) for p in postings])
    for posting in postings:
        _add_to_total(conn, posting)
    return entry_id


class SealedEntry(Record):
    """An entry to append with the facts it seals, given as their canonical text."""

    header: EntryHeader
    postings: Sequence[Posting]
    facts: str  # canonical_json of the facts: {table: {key: image}}


def append_entries(
    conn: sqlite3.Connection,
    entries: Sequence[SealedEntry],
    images: dict[tuple[str, str], Image],
    inserted: Collection[tuple[str, str]] = (),
) -> list[int]:
    """Append many entries at once, each sealing the facts its writer gives with it as text,
    then prove that every row touched since the last entry is sealed, as it is stored now,
    by ``images``: the last image the new entries hold of each row (by table and key); apply
    the postings to the account totals.

    For writers of many rows at once (bulk billing), which know each row's image as they
    write it and so need not read every row back one by one. Each entry is hashed over the
    document's text built directly (``sealed_text``); the first is checked against
    ``sealed_hash`` of its facts as parsed back, which also proves its facts text canonical.
    Like ``append_entry`` it refuses to chain to a head that does not match its hash, and an
    unbalanced entry is a bug. Must run inside the caller's write transaction, after the rows
    were written. ``inserted`` names (by table and key) the rows the writer inserted from
    the images it seals (see ``prove_sealed``).
    """
    import hashlib

    names = account_names(conn, {p.account_id for _, postings, _ in entries for p in postings})
    currency_of = {account: name[1] for account, name in names.items()}
    named = {account: account_text(account, *name) for account, name in names.items()}
    starts: dict[tuple[int, str, str], str] = {}  # a posting's text up to its amount
    last_id, prev_hash = check_head(conn)
    entry_rows: list[tuple[object, ...]] = []
    posting_rows: list[tuple[object, ...]] = []
    totals: dict[tuple[int, str, str], int] = {}
    sha256 = hashlib.sha256
    for header, postings, facts_text in entries:
        unbalanced = imbalances(postings, currency_of)
        if unbalanced:
            raise AssertionError(f"unbalanced entry {header.kind}: {unbalanced}")
        last_id += 1
        fields = (
            header.actor,
            header.bill_id,
            header.contract_id,
            header.effective_date,
            last_id,
            header.kind,
            header.memo,
            header.recorded_at,
        )
        moved = []
        for p in postings:
            line = p.account_id, p.side, p.phase
            if line not in starts:
                starts[line] = posting_tail(p.side, p.phase, 0).removesuffix("0]")
            moved.append(f"{named[p.account_id]}{starts[line]}{json_scalar(p.amount)}]")
        digest = sha256(sealed_text(prev_hash, fields, moved, facts_text).encode()).hexdigest()
        if not entry_rows:
            _check_first(prev_hash, header.hashed_fields(last_id), postings, names, facts_text, digest)
        entry_rows.append(entry_row(last_id, header, prev_hash, digest, facts_text))
        for p in postings:
            posting_rows.append((last_id, p.account_id, p.side, p.phase, p.amount))
            totals[p.account_id, p.side, p.phase] = totals.get((p.account_id, p.side, p.phase), 0) + p.amount
        prev_hash = digest
    conn.executemany(INSERT_ENTRY, entry_rows)
    conn.executemany(INSERT_POSTING, posting_rows)
    for (account_id, side, phase), amount in sorted(totals.items()):
        _add_to_total(conn, Posting(account_id, side, phase, amount))  # type: ignore[arg-type]
    prove_sealed(conn, images, inserted)
    return [int(row[0]) for row in entry_rows]  # type: ignore[call-overload]


def _check_first(
    prev_hash: str,
    fields: dict[str, object],
    postings: Sequence[Posting],
    names: dict[int, tuple[str, str]],
    facts_text: str,
    digest: str,
) -> None:
    """The first of many entries hashed from text hashes as ``sealed_hash`` does, and its facts
    text is their canonical form (a writer's mistake in building either is a bug)."""
    facts = json.loads(facts_text)
    if canonical_json(facts) != facts_text:
        raise AssertionError(f"facts not in canonical form: {facts_text[:200]}")
    if sealed_hash(prev_hash, fields, postings, names, facts) != digest:
        raise AssertionError(f"entry {fields['id']} hashed from text does not match sealed_hash")


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
        raise over_capacity(row[0], column, Currency(row[1], row[2]))


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
