"""Facts sealed into the journal: images of the rows that decide money and rules.

Every row of the covered tables (a campaign's terms, a contract's rate and limits, an
account's name, a milestone's cap, a bill's amount, note and reason, an idempotency key
and its result…) is written into the hash chain as it is created or changed: the next
journal entry carries the image of every row touched since the entry before it. A write
connection notes touched rows with temporary triggers, so no statement can change a
covered row without it being sealed, and a transaction that would commit a change no
entry carries is rolled back. ``verify`` then proves each table equals the latest images
the chain holds.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Iterator
from typing import Any

# table: (key column, columns left out of the image). Account totals are left out because
# they are proved from the postings instead.
COVERED: dict[str, tuple[str, tuple[str, ...]]] = {
    "currencies": ("code", ()),
    "campaigns": ("id", ()),
    "workers": ("id", ()),
    "accounts": ("id", ("debits_pending", "debits_posted", "credits_pending", "credits_posted")),
    "contracts": ("id", ()),
    "milestones": ("id", ()),
    "bills": ("id", ()),
    "idempotency_keys": ("key", ()),
    "revisions": ("id", ()),
    "tokens": ("id", ()),
    "bonuses": ("id", ()),
    "work_times": ("id", ()),
}
# Updates that change nothing a fact holds: the running totals of accounts.
WATCHED_UPDATES = {"accounts": ("name", "currency")}

Image = dict[str, Any]
Facts = dict[str, dict[str, Image]]


def install_tracking(conn: sqlite3.Connection) -> None:
    """Note every row this connection inserts or updates in a covered table (temporary triggers)."""
    statements = ["CREATE TEMP TABLE IF NOT EXISTS touched (tbl TEXT NOT NULL, rid NOT NULL, PRIMARY KEY (tbl, rid))"]
    for table, (key, _) in COVERED.items():
        note = f"BEGIN INSERT OR IGNORE INTO touched (tbl, rid) VALUES ('{table}', NEW.{key}); END"
        columns = WATCHED_UPDATES.get(table)
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        statements.append(f"CREATE TEMP TRIGGER IF NOT EXISTS touch_{table}_i AFTER INSERT ON main.{table} {note}")
        statements.append(f"CREATE TEMP TRIGGER IF NOT EXISTS touch_{table}_u AFTER {update} ON main.{table} {note}")
    for statement in statements:
        conn.execute(statement)


@contextlib.contextmanager
def inserting_sealed(conn: sqlite3.Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Insert rows into ``tables`` without noting them, for a writer that seals each row
    from the very values it inserts (and proves so: see ``prove_sealed``); the note of
    inserts is back as soon as the block ends, whatever happens in it."""
    for table in tables:
        conn.execute(f"DROP TRIGGER IF EXISTS temp.touch_{table}_i")
    try:
        yield
    finally:
        install_tracking(conn)


def tracking(conn: sqlite3.Connection) -> bool:
    """Whether this connection notes touched rows (a write session at the current schema)."""
    row = conn.execute("SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = 'touched'").fetchone()
    return row is not None


def take_touched(conn: sqlite3.Connection) -> Facts:
    """Images of the rows touched since the last entry; the note is cleared."""
    facts: Facts = {}
    for table, rid in conn.execute("SELECT tbl, rid FROM touched ORDER BY tbl, rid").fetchall():
        image = row_image(conn, table, rid)
        facts.setdefault(table, {})[str(rid)] = image
    conn.execute("DELETE FROM touched")
    return facts


def prove_sealed(
    conn: sqlite3.Connection, images: dict[tuple[str, str], Image], inserted: Collection[tuple[str, str]] = ()
) -> None:
    """Prove that the entries just written seal every row touched since the last entry, each
    as it is stored now; then clear the note. ``images`` is the last image sealed of each row
    to read back and compare (by table and key). ``inserted`` names (by table and key) rows
    inserted from their images, every column named, into STRICT tables (which store a value
    as given), in statements that either wrote every row or failed: they are not read back.
    A difference is a bug in the writer that computed the images."""
    touched = {(r[0], str(r[1])) for r in conn.execute("SELECT tbl, rid FROM touched")}
    if left := sorted(touched - images.keys() - set(inserted)):
        raise AssertionError(f"changed rows that no journal entry seals: {left[:5]}")
    by_table: dict[str, list[str]] = {}
    for table, key in images:
        by_table.setdefault(table, []).append(key)
    for table, keys in by_table.items():
        key_column, left_out = COVERED[table]
        typed: list[object] = [int(k) for k in keys] if key_column == "id" else list(keys)
        for start in range(0, len(typed), 500):
            chunk = typed[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT * FROM {table} WHERE {key_column} IN ({marks})", chunk).fetchall()
            stored = {str(row[key_column]): image_of(row, left_out) for row in rows}
            for key in map(str, chunk):
                if stored.get(key) != images[table, key]:
                    raise AssertionError(f"{table} {key} was sealed as {images[table, key]} but is {stored.get(key)}")
    conn.execute("DELETE FROM touched")


def unsealed(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Rows changed in this transaction that no entry carries yet."""
    return [(r[0], str(r[1])) for r in conn.execute("SELECT tbl, rid FROM touched ORDER BY tbl, rid")]


def row_image(conn: sqlite3.Connection, table: str, key: object) -> Image:
    """The image of one row as the chain holds it: column name to stored value."""
    key_column, left_out = COVERED[table]
    row = conn.execute(f"SELECT * FROM {table} WHERE {key_column} = ?", (key,)).fetchone()
    assert row is not None, f"{table} {key} was touched but is gone"
    return image_of(row, left_out)


def image_of(row: sqlite3.Row, left_out: tuple[str, ...] = ()) -> Image:
    return {name: row[name] for name in row.keys() if name not in left_out}  # noqa: SIM118 - sqlite3.Row


def every_row(conn: sqlite3.Connection, tables: Collection[str] | None = None) -> Iterator[tuple[str, str, Image]]:
    """(table, key, image) of every covered row (of ``tables``, if given), table by table in key order."""
    for table, (key_column, left_out) in COVERED.items():
        if tables is not None and table not in tables:
            continue
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY {key_column}"):
            yield table, str(row[key_column]), image_of(row, left_out)


def all_facts(conn: sqlite3.Connection, tables: Collection[str] | None = None) -> Facts:
    """Images of every covered row (of ``tables``, if given): what a checkpoint seals."""
    facts: Facts = {}
    for table, key, image in every_row(conn, tables):
        facts.setdefault(table, {})[key] = image
    return facts
